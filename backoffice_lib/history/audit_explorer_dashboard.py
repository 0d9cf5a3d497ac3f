"""The audit explorer: ``audit_logs`` and ``staff_audit_log`` filtered, paged, charted and diffed.

Both trails are read as one stream of events by ``queries.audit_events`` (filters, the page, the
count and the timeline computed by PostgreSQL), through ``service.audit``, which checks the
person's access in every handler: a click sent to a control a person was never shown is refused
and audited. Widgets only.

``audit_explorer_dashboard(days, page_size)`` is the one call of
``notebooks/history/audit_explorer.ipynb``; it is for admins (business-rules §8: audit).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go
from plotly.graph_objects import FigureWidget  # noqa: F401 - ~3 s import, done while preheating

from .. import access, bangkok, ui
from .rules import ANY, COUNT_CAP, SOURCES, AuditFilter, compute_diff, compute_filter
from .service import audit as service

AREA = service.AREA
DAY_BAR_MS = 0.8 * 86_400_000  # a day's bar on the date axis, however sparse the days


# --- what the widgets show ----------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return '<span style="color:#94a3b8">–</span>'
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return html.escape(text if len(text) <= 120 else text[:117] + "…")


def render_diff(event: Mapping[str, Any] | None, diff: Sequence[Mapping[str, Any]]) -> str:
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


def render_events(events: Sequence[Mapping[str, Any]]) -> str:
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


# --- the dashboard ------------------------------------------------------------------------------


def audit_explorer_dashboard(days: int = 30, page_size: int = 50):
    """Filters, a timeline, one page of events and the before/after of the chosen one."""
    return ui.guarded_dashboard(
        AREA, lambda user: AuditExplorerDashboard(user, days, page_size).widget)


class AuditExplorerDashboard:
    """The widgets and their handlers; ``widget`` is what the notebook shows."""

    def __init__(self, user, days: int = 30, page_size: int = 50):
        self.email = user.email
        self.require = (user.email, AREA, None)  # each handler's access check, audited
        self.days, self.page_size = days, page_size
        self.page = 1
        self.events: list[dict] = []
        self.muted = False
        self.today = bangkok.today()
        self.build(self.load())
        self.wire()
        self.refresh(timeline=True)
        self.widget = self.layout()

    def load(self) -> dict[str, list[str]]:
        """The actions and resource types the filters offer."""
        options, refusal = ui.form_action(
            lambda conn: service.load_audit_filter_options(conn, self.email), require=self.require)
        if refusal:
            raise access.AccessDenied(refusal)
        return options

    def build(self, options: dict[str, list[str]]) -> None:
        today = self.today
        self.action = widgets.Dropdown(options=[ANY, *options["actions"]], description="Action")
        self.resource = widgets.Dropdown(
            options=[ANY, *options["resource_types"]], description="Resource"
        )
        self.source = widgets.Dropdown(options=[ANY, *SOURCES], description="Source")
        self.actor = widgets.Text(description="User", placeholder="part of an e-mail")
        self.resource_id = widgets.Text(description="Resource id", placeholder="exact id")
        self.start = widgets.DatePicker(
            description="From", value=today - dt.timedelta(days=max(self.days, 1) - 1)
        )
        self.end = widgets.DatePicker(description="To", value=today)
        self.previous_page = widgets.Button(description="◀ newer", layout={"width": "110px"})
        self.next_page = widgets.Button(description="older ▶", layout={"width": "110px"})
        self.page_label = widgets.HTML()
        self.table = widgets.HTML()
        self.picker = widgets.Dropdown(description="Event", options=[], layout={"width": "640px"})
        self.diff = widgets.HTML(render_diff(None, []))
        self.status = widgets.HTML()
        self.fig = _timeline_figure()

    def wire(self) -> None:
        for control in (self.action, self.resource, self.source, self.start, self.end):
            control.observe(self.on_filter, names="value")
        for control in (self.actor, self.resource_id):
            control.continuous_update = False
            control.observe(self.on_filter, names="value")
        self.previous_page.on_click(lambda _b: self.on_page(-1))
        self.next_page.on_click(lambda _b: self.on_page(+1))
        self.picker.observe(self.on_pick, names="value")

    def layout(self):
        header = widgets.HTML(
            "<h2 style='margin:0'>Audit explorer</h2><p style='margin:2px 0 8px;color:#475569'>"
            "Who changed what and when: audit_logs and staff_audit_log together.</p>"
        )
        filters = widgets.VBox(
            [
                widgets.HBox([self.action, self.resource, self.source]),
                widgets.HBox([self.actor, self.resource_id]),
                widgets.HBox([self.start, self.end]),
            ]
        )
        pager = widgets.HBox([self.previous_page, self.next_page, self.page_label])
        return widgets.VBox(
            [ui.stylesheet(), header, filters, ui.sync_figure(self.fig), pager, self.table,
             self.picker, self.diff, self.status]
        )

    # --- reading ----------------------------------------------------------------------------

    def current_filter(self) -> AuditFilter:
        return compute_filter(
            start=self.start.value or self.today,
            end=self.end.value or self.today,
            user=self.actor.value,
            action=self.action.value,
            resource_type=self.resource.value,
            resource_id=self.resource_id.value,
            source=self.source.value,
        )

    def refresh(self, *, timeline: bool) -> None:
        try:
            flt = self.current_filter()
        except ValueError as exc:
            self.status.value = ui.compute_error_html("Check the filters", str(exc))
            return

        def read(conn):
            rows = service.load_audit_timeline(conn, self.email, flt) if timeline else None
            return rows, service.load_audit_page(conn, self.email, flt, self.page,
                                                 self.page_size)

        try:
            loaded, refusal = ui.form_action(read, require=self.require)
        except Exception as exc:  # noqa: BLE001 - shown on screen
            self.status.value = ui.compute_error_html("Could not read the audit trail", str(exc))
            return
        if refusal:
            self.status.value = ui.compute_error_html("Could not read the audit trail", refusal)
            return
        rows, found = loaded
        if rows is not None:
            with self.fig.batch_update():
                for trace in self.fig.data:
                    mine = [r for r in rows if r["source"] == trace.name]
                    trace.x = [r["day"].isoformat() for r in mine]
                    trace.y = [r["events"] for r in mine]
        self.show_page(found)
        self.status.value = (
            f'<span class="backoffice-status">{flt.start} to {flt.end}, read at '
            f"{bangkok.now():%H:%M:%S} Bangkok time</span>"
        )

    def show_page(self, found: dict) -> None:
        self.page, events, offset = found["page"], found["events"], found["offset"]
        self.events = events
        self.table.value = render_events(events)
        first = offset + 1 if events else 0
        self.page_label.value = compute_page_label(first, offset + len(events), found["total"],
                                                   self.page, found["pages"])
        self.previous_page.disabled = self.page <= 1
        self.next_page.disabled = self.page >= found["pages"]
        self.muted = True
        try:
            self.picker.options = [(compute_event_label(e), i) for i, e in enumerate(events)]
            self.picker.value = 0 if events else None
        finally:
            self.muted = False
        self.on_pick({"new": self.picker.value})

    def on_filter(self, _change=None) -> None:
        self.page = 1
        self.refresh(timeline=True)

    def on_page(self, step: int) -> None:
        self.page += step
        self.refresh(timeline=False)

    def on_pick(self, change) -> None:
        if self.muted:
            return
        index = change["new"]
        if index is None or index >= len(self.events):
            self.diff.value = render_diff(None, [])
            return
        event = self.events[index]
        try:
            detail, refusal = ui.form_action(
                lambda conn: service.load_audit_event(conn, self.email, event["source"],
                                                      event["id"]),
                require=self.require)
        except Exception as exc:  # noqa: BLE001 - shown on screen
            refusal = str(exc)
        if refusal:
            self.diff.value = ui.compute_error_html("Could not read this event", refusal)
            return
        if detail is None:
            self.diff.value = render_diff(None, [])
            return
        self.diff.value = render_diff(detail, compute_diff(detail["before"], detail["after"]))


__all__ = ["AuditExplorerDashboard", "audit_explorer_dashboard"]
