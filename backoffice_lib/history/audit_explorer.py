"""The audit explorer: ``audit_logs`` and ``staff_audit_log`` filtered, paged, charted and diffed.

Both trails are read as one stream of *events* (source, id, at, actor, action, resource_type,
resource_id, before, after, note). Every filter (user, action, resource, period, source) is pushed
into each branch of a SQL ``UNION ALL``; the page of rows, the total count and the daily timeline
are computed by PostgreSQL. Nothing reads a whole table into Python.

``audit_explorer_dashboard(days, page_size)`` is the one call of
``notebooks/history/audit_explorer.ipynb``; it is for admins (business-rules §8: audit).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go
import sqlalchemy as sa
from plotly.graph_objects import FigureWidget  # noqa: F401 - ~3 s import, done while preheating
from sqlalchemy.engine import Connection

from .. import bangkok, database, ui
from ..models.core import AuditLog, StaffAuditLog

AREA = "audit"
SOURCES = ("audit_logs", "staff_audit_log")
ANY = "(any)"
MAX_PAGE_SIZE = 500
MAX_OPTIONS = 200
DAY_BAR_MS = 0.8 * 86_400_000  # a day's bar on the date axis, however sparse the days
COUNT_CAP = 10_000  # counting stops here: "of more than 10,000" (a full count scans the period)
FULL_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

AUDIT = AuditLog.__table__
STAFF_AUDIT = StaffAuditLog.__table__


@dataclass(frozen=True)
class AuditFilter:
    start: dt.date
    end: dt.date  # inclusive, Bangkok dates
    user: str = ""  # a full e-mail (exact, uses the index) or a part of one (case-insensitive)
    action: str = ""
    resource_type: str = ""
    resource_id: str = ""
    source: str = ""  # "" both, or one of SOURCES


# --- pure ---------------------------------------------------------------------------------------


def compute_filter(
    *,
    start: dt.date,
    end: dt.date,
    user: str = "",
    action: str = "",
    resource_type: str = "",
    resource_id: str = "",
    source: str = "",
) -> AuditFilter:
    """A validated filter: ANY and blanks mean no filter; the period must be in order."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")

    def clean(value: str) -> str:
        value = (value or "").strip()
        return "" if value == ANY else value

    source = clean(source)
    if source and source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}")
    return AuditFilter(
        start, end, clean(user), clean(action), clean(resource_type), clean(resource_id), source
    )


def compute_page_bounds(page: int, page_size: int, total: int) -> tuple[int, int, int]:
    """(page clamped to what exists, offset, number of pages); pages count from 1."""
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    return page, (page - 1) * size, pages


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}{key}."))
        return flat
    return {prefix[:-1] if prefix else "(value)": value}


def compute_diff(before: Any, after: Any) -> list[dict[str, Any]]:
    """Field-by-field before/after of a change (nested keys as ``a.b``), changed fields first."""
    old = _flatten(before) if before not in (None, {}) else {}
    new = _flatten(after) if after not in (None, {}) else {}
    rows = []
    for field in sorted(set(old) | set(new)):
        if field in old and field not in new:
            change = "removed"
        elif field in new and field not in old:
            change = "added"
        elif old[field] != new[field]:
            change = "changed"
        else:
            change = "same"
        rows.append(
            {"field": field, "before": old.get(field), "after": new.get(field), "change": change}
        )
    order = {"changed": 0, "added": 1, "removed": 2, "same": 3}
    return sorted(rows, key=lambda r: (order[r["change"]], r["field"]))


def _cell(value: Any) -> str:
    if value is None:
        return '<span style="color:#94a3b8">–</span>'
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return html.escape(text if len(text) <= 120 else text[:117] + "…")


def compute_diff_html(event: Mapping[str, Any] | None, diff: Sequence[Mapping[str, Any]]) -> str:
    if event is None:
        return "<p><em>Pick an event to see what it changed.</em></p>"
    title = (
        f"{html.escape(event['action'])} on {html.escape(event['resource_type'])}"
        f" {html.escape(event['resource_id'] or '')} by {html.escape(event['actor'] or '?')}"
    )
    if not diff:
        body = "<p><em>This event records no before/after values.</em></p>"
    else:
        colours = {"changed": "#fef9c3", "added": "#dcfce7", "removed": "#fee2e2", "same": "#fff"}
        rows = "".join(
            f'<tr style="background:{colours[r["change"]]}"><td>{html.escape(r["field"])}</td>'
            f"<td>{_cell(r['before'])}</td><td>{_cell(r['after'])}</td>"
            f"<td>{r['change']}</td></tr>"
            for r in diff
        )
        body = (
            '<table class="audit-diff" style="border-collapse:collapse;font-size:13px">'
            "<tr><th align=left>field</th><th align=left>before</th><th align=left>after</th>"
            f"<th align=left>change</th></tr>{rows}</table>"
        )
    note = f"<p style='color:#475569'>{html.escape(event['note'])}</p>" if event["note"] else ""
    return f"<h4 style='margin:8px 0'>{title}</h4>{note}{body}"


def compute_events_html(events: Sequence[Mapping[str, Any]]) -> str:
    if not events:
        return "<p><em>No audit event matches these filters.</em></p>"
    rows = "".join(
        "<tr>"
        f"<td>{e['at'].astimezone(bangkok.BANGKOK):%Y-%m-%d %H:%M:%S}</td>"
        f"<td>{html.escape(e['source'])}</td><td>{html.escape(e['actor'] or '')}</td>"
        f"<td>{html.escape(e['action'])}</td><td>{html.escape(e['resource_type'])}</td>"
        f"<td>{html.escape(e['resource_id'] or '')}</td></tr>"
        for e in events
    )
    return (
        '<table class="audit-events" style="border-collapse:collapse;font-size:13px;width:100%">'
        "<tr><th align=left>at (Bangkok)</th><th align=left>source</th><th align=left>user</th>"
        "<th align=left>action</th><th align=left>resource</th><th align=left>id</th></tr>"
        f"{rows}</table>"
    )


def compute_page_label(first: int, last: int, total: int, page: int, pages: int) -> str:
    if total > COUNT_CAP:
        return f"events {first}–{last} of more than {COUNT_CAP:,} · page {page}"
    return f"events {first}–{last} of {total:,} · page {page} of {pages}"


def compute_event_label(event: Mapping[str, Any]) -> str:
    at = event["at"].astimezone(bangkok.BANGKOK)
    resource = f"{event['resource_type']} {event['resource_id'] or ''}".strip()
    return f"{at:%m-%d %H:%M} {event['action']} {resource} ({event['actor'] or '?'})"


# --- SQL ----------------------------------------------------------------------------------------


def _period_bounds(flt: AuditFilter) -> tuple[dt.datetime, dt.datetime]:
    return bangkok.at(flt.start), bangkok.at(flt.end + dt.timedelta(days=1))


def _actor_matches(column, text: str):
    if FULL_EMAIL.match(text):
        return column == text.lower()
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _audit_branch(flt: AuditFilter) -> sa.Select:
    start, end = _period_bounds(flt)
    t = AUDIT
    query = sa.select(
        sa.literal("audit_logs").label("source"),
        sa.cast(t.c.id, sa.Text).label("id"),
        t.c.timestamp.label("at"),
        t.c.user_email.label("actor"),
        t.c.action.label("action"),
        t.c.resource_type.label("resource_type"),
        t.c.resource_id.label("resource_id"),
    ).where(t.c.timestamp >= start, t.c.timestamp < end)
    if flt.user:
        query = query.where(_actor_matches(t.c.user_email, flt.user))
    if flt.action:
        query = query.where(t.c.action == flt.action)
    if flt.resource_type:
        query = query.where(t.c.resource_type == flt.resource_type)
    if flt.resource_id:
        query = query.where(t.c.resource_id == flt.resource_id)
    return query


def _staff_branch(flt: AuditFilter) -> sa.Select:
    start, end = _period_bounds(flt)
    t = STAFF_AUDIT
    query = sa.select(
        sa.literal("staff_audit_log").label("source"),
        sa.cast(t.c.id, sa.Text).label("id"),
        t.c.created_at.label("at"),
        t.c.changed_by_identifier.label("actor"),
        t.c.action_type.label("action"),
        sa.literal("staff").label("resource_type"),
        sa.cast(t.c.staff_id, sa.Text).label("resource_id"),
    ).where(t.c.created_at >= start, t.c.created_at < end)
    if flt.user:
        query = query.where(_actor_matches(t.c.changed_by_identifier, flt.user))
    if flt.action:
        query = query.where(t.c.action_type == flt.action)
    if flt.resource_type and flt.resource_type != "staff":
        query = query.where(sa.false())
    if flt.resource_id:
        query = query.where(sa.cast(t.c.staff_id, sa.Text) == flt.resource_id)
    return query


def _events(flt: AuditFilter) -> sa.Subquery:
    branches = []
    if flt.source in ("", "audit_logs"):
        branches.append(_audit_branch(flt))
    if flt.source in ("", "staff_audit_log"):
        branches.append(_staff_branch(flt))
    return sa.union_all(*branches).subquery("events")


def load_event_count(conn: Connection, flt: AuditFilter, *, cap: int = COUNT_CAP) -> int:
    """How many events match, counting at most ``cap + 1`` (more than ``cap`` means "many")."""
    events = _events(flt)
    limited = sa.select(sa.literal(1).label("one")).select_from(events).limit(cap + 1).subquery()
    return int(conn.scalar(sa.select(sa.func.count()).select_from(limited)) or 0)


def load_events(conn: Connection, flt: AuditFilter, *, offset: int, limit: int) -> list[dict]:
    """One page of events, newest first (before/after fetched separately, per event)."""
    events = _events(flt)
    query = (
        sa.select(events)
        .order_by(events.c.at.desc(), events.c.source, events.c.id.desc())
        .offset(offset)
        .limit(min(limit, MAX_PAGE_SIZE))
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def load_timeline(conn: Connection, flt: AuditFilter) -> list[dict]:
    """Events per Bangkok day and source."""
    events = _events(flt)
    day = sa.cast(sa.func.timezone(bangkok.BANGKOK.key, events.c.at), sa.Date).label("day")
    query = (
        sa.select(day, events.c.source, sa.func.count().label("events"))
        .group_by(day, events.c.source)
        .order_by(day)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def load_event_detail(conn: Connection, source: str, event_id: str) -> dict | None:
    """One event with its before/after values and note."""
    if source == "audit_logs":
        t = AUDIT
        row = conn.execute(
            sa.select(
                t.c.timestamp.label("at"),
                t.c.user_email.label("actor"),
                t.c.action,
                t.c.resource_type,
                t.c.resource_id,
                t.c.details,
            ).where(t.c.id == sa.cast(event_id, t.c.id.type))
        ).first()
        if row is None:
            return None
        details = dict(row.details or {})
        before, after = details.pop("before", None), details.pop("after", None)
        note = ", ".join(f"{k}: {v}" for k, v in details.items())
        return {**dict(row._mapping), "before": before, "after": after, "note": note}
    t = STAFF_AUDIT
    row = conn.execute(
        sa.select(
            t.c.created_at.label("at"),
            t.c.changed_by_identifier.label("actor"),
            t.c.action_type.label("action"),
            sa.literal("staff").label("resource_type"),
            sa.cast(t.c.staff_id, sa.Text).label("resource_id"),
            t.c.old_data_snapshot.label("before"),
            t.c.new_data_snapshot.label("after"),
            t.c.changes_summary,
            t.c.reason,
        ).where(t.c.id == int(event_id))
    ).first()
    if row is None:
        return None
    data = dict(row._mapping)
    note = "; ".join(x for x in (data.pop("changes_summary"), data.pop("reason")) if x)
    return {**data, "note": note}


# Always offered, whatever the recent history holds (business-rules §8 and staff_audit_log).
STANDARD_ACTIONS = ("ACCESS_DENIED", "CREATE", "DELETE", "UPDATE", "VIEW")
OPTIONS_LOOKBACK_DAYS = 92


def load_filter_options(conn: Connection, since: dt.date | None = None) -> dict[str, list[str]]:
    """Actions and resource types seen since ``since`` (default: the last three months), plus the
    standard ones. Bounded by time so that years of audit rows are never scanned (partitions by
    month keep this to a few partitions)."""
    since = since or bangkok.today() - dt.timedelta(days=OPTIONS_LOOKBACK_DAYS)
    start = bangkok.at(since)
    actions = conn.scalars(
        sa.select(AUDIT.c.action)
        .where(AUDIT.c.timestamp >= start)
        .group_by(AUDIT.c.action)
        .union(
            sa.select(STAFF_AUDIT.c.action_type)
            .where(STAFF_AUDIT.c.created_at >= start)
            .group_by(STAFF_AUDIT.c.action_type)
        )
        .order_by(sa.text("1"))
        .limit(MAX_OPTIONS)
    ).all()
    resources = conn.scalars(
        sa.select(AUDIT.c.resource_type)
        .where(AUDIT.c.timestamp >= start)
        .group_by(AUDIT.c.resource_type)
        .union(sa.select(sa.literal("staff")))
        .order_by(sa.text("1"))
        .limit(MAX_OPTIONS)
    ).all()
    return {
        "actions": sorted(set(actions) | set(STANDARD_ACTIONS)),
        "resource_types": list(resources),
    }


# --- the dashboard ------------------------------------------------------------------------------


def _timeline_figure():
    fig = go.FigureWidget(
        data=[
            go.Bar(name=source, x=[], y=[], marker_color=colour, width=DAY_BAR_MS)
            for source, colour in zip(SOURCES, ("#2563eb", "#f59e0b"))
        ]
    )
    fig.update_layout(
        barmode="stack",
        height=300,
        margin={"l": 50, "r": 20, "t": 40, "b": 40},
        title={"text": "Audit events per day"},
        yaxis={"title": {"text": "events"}},
        legend={"orientation": "h", "y": -0.2},
        template=ui.plotly_template(),
    )
    return fig


def audit_explorer_dashboard(days: int = 30, page_size: int = 50):
    """Filters, a timeline, one page of events and the before/after of the chosen one."""

    def build(user):
        today = bangkok.today()
        with database.transaction() as conn:
            options = load_filter_options(conn)
        action = widgets.Dropdown(options=[ANY, *options["actions"]], description="Action")
        resource = widgets.Dropdown(
            options=[ANY, *options["resource_types"]], description="Resource"
        )
        source = widgets.Dropdown(options=[ANY, *SOURCES], description="Source")
        actor = widgets.Text(description="User", placeholder="part of an e-mail")
        resource_id = widgets.Text(description="Resource id", placeholder="exact id")
        start = widgets.DatePicker(
            description="From", value=today - dt.timedelta(days=max(days, 1) - 1)
        )
        end = widgets.DatePicker(description="To", value=today)
        previous_page = widgets.Button(description="◀ newer", layout={"width": "110px"})
        next_page = widgets.Button(description="older ▶", layout={"width": "110px"})
        page_label = widgets.HTML()
        table = widgets.HTML()
        picker = widgets.Dropdown(description="Event", options=[], layout={"width": "640px"})
        diff = widgets.HTML(compute_diff_html(None, []))
        status = widgets.HTML()
        fig = _timeline_figure()
        state = {"page": 1, "events": []}

        def current_filter() -> AuditFilter:
            return compute_filter(
                start=start.value or today,
                end=end.value or today,
                user=actor.value,
                action=action.value,
                resource_type=resource.value,
                resource_id=resource_id.value,
                source=source.value,
            )

        def show_page(flt: AuditFilter, conn: Connection) -> None:
            total = load_event_count(conn, flt)
            page, offset, pages = compute_page_bounds(state["page"], page_size, total)
            state["page"] = page
            events = load_events(conn, flt, offset=offset, limit=page_size)
            state["events"] = events
            table.value = compute_events_html(events)
            first = offset + 1 if events else 0
            page_label.value = compute_page_label(first, offset + len(events), total, page, pages)
            previous_page.disabled = page <= 1
            next_page.disabled = page >= pages
            state["muted"] = True
            try:
                picker.options = [(compute_event_label(e), i) for i, e in enumerate(events)]
                picker.value = 0 if events else None
            finally:
                state["muted"] = False
            on_pick({"new": picker.value})

        def refresh(*, timeline: bool) -> None:
            try:
                flt = current_filter()
                with database.transaction() as conn:
                    if timeline:
                        rows = load_timeline(conn, flt)
                        with fig.batch_update():
                            for trace in fig.data:
                                mine = [r for r in rows if r["source"] == trace.name]
                                trace.x = [r["day"].isoformat() for r in mine]
                                trace.y = [r["events"] for r in mine]
                    show_page(flt, conn)
                status.value = (
                    f'<span class="backoffice-status">{flt.start} to {flt.end}, read at '
                    f"{bangkok.now():%H:%M:%S} Bangkok time</span>"
                )
            except ValueError as exc:
                status.value = ui.compute_error_html("Check the filters", str(exc))
            except Exception as exc:  # noqa: BLE001 - shown on screen
                status.value = ui.compute_error_html("Could not read the audit trail", str(exc))

        def on_filter(_change=None) -> None:
            state["page"] = 1
            refresh(timeline=True)

        def on_page(step: int) -> None:
            state["page"] += step
            refresh(timeline=False)

        def on_pick(change) -> None:
            if state.get("muted"):
                return
            index = change["new"]
            if index is None or index >= len(state["events"]):
                diff.value = compute_diff_html(None, [])
                return
            event = state["events"][index]
            try:
                with database.transaction() as conn:
                    detail = load_event_detail(conn, event["source"], event["id"])
            except Exception as exc:  # noqa: BLE001 - shown on screen
                diff.value = ui.compute_error_html("Could not read this event", str(exc))
                return
            if detail is None:
                diff.value = compute_diff_html(None, [])
                return
            diff.value = compute_diff_html(detail, compute_diff(detail["before"], detail["after"]))

        for control in (action, resource, source, start, end):
            control.observe(on_filter, names="value")
        for control in (actor, resource_id):
            control.continuous_update = False
            control.observe(on_filter, names="value")
        previous_page.on_click(lambda _b: on_page(-1))
        next_page.on_click(lambda _b: on_page(+1))
        refresh(timeline=True)

        header = widgets.HTML(
            "<h2 style='margin:0'>Audit explorer</h2><p style='margin:2px 0 8px;color:#475569'>"
            "Who changed what and when: audit_logs and staff_audit_log together.</p>"
        )
        filters = widgets.VBox(
            [
                widgets.HBox([action, resource, source]),
                widgets.HBox([actor, resource_id]),
                widgets.HBox([start, end]),
            ]
        )
        pager = widgets.HBox([previous_page, next_page, page_label])
        return widgets.VBox(
            [ui.stylesheet(), header, filters, ui.sync_figure(fig), pager, table, picker, diff,
             status]
        )

    return ui.guarded_dashboard(AREA, build)


__all__ = [
    "AuditFilter",
    "audit_explorer_dashboard",
    "compute_diff",
    "compute_filter",
    "compute_page_bounds",
    "load_event_count",
    "load_events",
    "load_timeline",
]
