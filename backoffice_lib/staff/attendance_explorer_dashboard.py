"""The analysts' attendance explorer: a Voilà dashboard that stays fast on years of data.

Only the chosen period (at most ``MAX_DAYS`` days) is read: time entries by a ``timestamp`` range
(PostgreSQL prunes the monthly partitions), shifts by a ``schedule_date`` range (and the person,
using the ``(staff_id, schedule_date)`` index). The pure rules of ``attendance.compute_attendance``
run on that slice only; status filtering, the per-day counts and paging are pure functions here.

``attendance_explorer_dashboard(days, page_size)`` is the one call of
``notebooks/staff/attendance_explorer.ipynb``.
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Sequence

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import bangkok, database, ui
from ..models.core import Staff, StaffSchedule
from .rules import attendance, sessions
from .service import timeclock

# The explorer shows attendance, not the audit trail: the area of the attendance report it
# replaces (open to every allowed user, business-rules §8 keeps "audit" for admins).
AREA = "attendance"
ADMIN = False
MAX_DAYS = 366
MAX_PAGE_SIZE = 500
ANY = "any"
STATUSES = {
    "any": "",
    "on time": attendance.ON_TIME,
    "late": attendance.LATE,
    "left early": "left_early",
    "no show": attendance.NO_SHOW,
    "unscheduled": attendance.UNSCHEDULED,
}
DAY_BAR_MS = 0.8 * 86_400_000

STAFF = Staff.__table__
SHIFTS = StaffSchedule.__table__
SHIFT_COLUMNS = ["id", "staff_id", "schedule_date", "start_time", "end_time"]


# --- pure ---------------------------------------------------------------------------------------


def compute_period(
    start: dt.date | None, end: dt.date | None, *, max_days: int = MAX_DAYS
) -> tuple[dt.date, dt.date]:
    """A checked period: both dates set, in order, at most ``max_days`` days (inclusive)."""
    if start is None or end is None:
        raise ValueError("choose both a From and a To date")
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    days = (end - start).days + 1
    if days > max_days:
        raise ValueError(
            f"the period is {days} days; choose at most {max_days} days "
            f"(for example {end - dt.timedelta(days=max_days - 1)} to {end})"
        )
    return start, end


def compute_filtered(rows: pd.DataFrame, status: str = "") -> pd.DataFrame:
    """Rows of one status ("" all); ``left_early`` keeps the shifts left early (any lateness)."""
    if not status:
        return rows
    if status == "left_early":
        keep = rows["left_early"].map(lambda v: v is True)
    else:
        keep = rows["status"] == status
    return rows[keep.astype(bool)]


def compute_newest_first(rows: pd.DataFrame) -> pd.DataFrame:
    """Newest shift (or session) first: by date, then start time, descending."""
    if not len(rows):
        return rows
    start = [s if s is not None else c for s, c in zip(rows["shift_start"], rows["clock_in"])]
    order = sorted(range(len(rows)), key=lambda i: (rows["work_date"].iloc[i], start[i]))
    return rows.iloc[list(reversed(order))].reset_index(drop=True)


def compute_page(rows: pd.DataFrame, page: int, page_size: int) -> tuple[pd.DataFrame, int, int]:
    """(the rows of ``page``, page clamped to what exists, number of pages); pages count from 1."""
    size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    pages = max(1, -(-len(rows) // size))
    page = min(max(int(page), 1), pages)
    return rows.iloc[(page - 1) * size : page * size], page, pages


def compute_daily_counts(rows: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Late and no-show shifts per day, every day of the period (zeros included)."""
    counts = {start + dt.timedelta(days=i): [0, 0] for i in range((end - start).days + 1)}
    for day, status in zip(rows["work_date"], rows["status"]):
        if day in counts and status in (attendance.LATE, attendance.NO_SHOW):
            counts[day][0 if status == attendance.LATE else 1] += 1
    return pd.DataFrame(
        [(day, late, no_show) for day, (late, no_show) in counts.items()],
        columns=["day", "late", "no_show"],
    )


def _time(value) -> str:
    return "" if value is None or value is pd.NaT else f"{value.astimezone(bangkok.BANGKOK):%H:%M}"


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def compute_table_html(rows: pd.DataFrame) -> str:
    if not len(rows):
        return "<p><em>No shift or session matches these filters.</em></p>"
    labels = {v: k for k, v in STATUSES.items() if v}
    body = "".join(
        "<tr>"
        f"<td>{r.work_date}</td><td>{html.escape(_text(r.staff_name))}</td>"
        f"<td>{_time(r.shift_start)}–{_time(r.shift_end)}</td>"
        f"<td>{_time(r.clock_in)}</td><td>{_time(r.clock_out)}</td>"
        f"<td>{html.escape(labels.get(r.status, r.status))}</td>"
        f"<td>{_text(r.minutes_late)}</td>"
        f"<td>{'yes' if r.left_early is True else ''}</td>"
        f"<td>{html.escape(_text(r.session_flag))}</td><td>{_text(r.hours)}</td></tr>"
        for r in rows.itertuples(index=False)
    )
    head = "".join(
        f"<th align=left>{h}</th>"
        for h in (
            "date",
            "person",
            "shift",
            "in",
            "out",
            "status",
            "min late",
            "left early",
            "flag",
            "hours",
        )
    )
    return (
        '<table class="attendance-rows" style="border-collapse:collapse;font-size:13px;'
        f'width:100%"><tr>{head}</tr>{body}</table>'
    )


def compute_status_line(seconds: float, rows: int, start: dt.date, end: dt.date) -> str:
    return (
        f"{start} to {end}: {rows:,} shifts and sessions read in {seconds:.2f} s "
        f"(at {bangkok.now():%H:%M:%S} Bangkok time)"
    )


# --- SQL ----------------------------------------------------------------------------------------


def load_staff_options(conn: Connection) -> list[tuple[str, int]]:
    """(name, id) of every staff member: active people by name, then those who left, marked."""
    rows = conn.execute(
        sa.select(STAFF.c.staff_name, STAFF.c.id, STAFF.c.is_active).order_by(
            STAFF.c.is_active.is_(False), STAFF.c.staff_name, STAFF.c.id
        )
    ).all()
    return [
        (name if active is not False else f"{name} (inactive)", pk) for name, pk, active in rows
    ]


def load_period_shifts(
    conn: Connection, start: dt.date, end: dt.date, staff_id: int | None = None
) -> pd.DataFrame:
    """Shifts dated ``start``..``end`` (of one person: the (staff_id, schedule_date) index)."""
    query = sa.select(*(SHIFTS.c[c] for c in SHIFT_COLUMNS)).where(
        SHIFTS.c.schedule_date >= start, SHIFTS.c.schedule_date <= end
    )
    if staff_id is not None:
        query = query.where(SHIFTS.c.staff_id == staff_id)
    rows = conn.execute(query.order_by(SHIFTS.c.schedule_date, SHIFTS.c.start_time)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=SHIFT_COLUMNS)


def load_period_attendance(
    conn: Connection,
    start: dt.date,
    end: dt.date,
    staff_id: int | None = None,
    *,
    as_of: dt.datetime | None = None,
) -> pd.DataFrame:
    """Attendance rows (``attendance.ATTENDANCE_COLUMNS`` + staff_name) of the period only.

    Time entries are read by a timestamp range (the period widened by the longest session, so a
    shift's overnight session is seen), which lets PostgreSQL prune monthly partitions."""
    start, end = compute_period(start, end)
    as_of = as_of or bangkok.now()
    limits = timeclock.load_timeclock_settings(conn)
    window = dt.timedelta(hours=int(limits["max_session_hours"]))
    entries = timeclock.load_entries(
        conn,
        bangkok.at(start) - window,
        bangkok.at(end + dt.timedelta(days=1)) + window,
        [staff_id] if staff_id is not None else None,
    )
    worked = sessions.compute_sessions(entries, limits["max_session_hours"])
    if len(worked):
        first = start - dt.timedelta(days=1)
        worked = worked[worked["work_date"].map(lambda d: first <= d <= end).astype(bool)]
    result = attendance.compute_attendance(
        load_period_shifts(conn, start, end, staff_id),
        worked,
        as_of=as_of,
        max_session_hours=limits["max_session_hours"],
    )
    result = result[result["work_date"].map(lambda d: start <= d <= end).astype(bool)]
    ids = sorted({int(s) for s in result["staff_id"]})
    names = (
        dict(
            conn.execute(sa.select(STAFF.c.id, STAFF.c.staff_name).where(STAFF.c.id.in_(ids))).all()
        )
        if ids
        else {}
    )
    result = result.reset_index(drop=True)
    result.insert(1, "staff_name", result["staff_id"].map(names).astype(object))
    return result


# --- the dashboard ------------------------------------------------------------------------------


def _daily_figure():
    fig = go.FigureWidget(
        data=[
            go.Bar(name=name, x=[], y=[], marker_color=colour, width=DAY_BAR_MS)
            for name, colour in (("late", "#f59e0b"), ("no show", "#dc2626"))
        ]
    )
    fig.update_layout(
        barmode="stack",
        height=300,
        margin={"l": 50, "r": 20, "t": 40, "b": 40},
        title={"text": "Late and no-show shifts per day"},
        yaxis={"title": {"text": "shifts"}, "rangemode": "nonnegative"},
        legend={"orientation": "h", "y": -0.2},
        template=ui.plotly_template(),
    )
    return fig


def _status_html(text: str, *, busy: bool = False) -> str:
    colour = "#b45309" if busy else "#475569"
    return f'<span class="backoffice-status" style="color:{colour}">{html.escape(text)}</span>'


def attendance_explorer_dashboard(days: int = 30, page_size: int = 50):
    """Period, person and status filters; late / no-shows per day; a page of shifts."""

    def build(user):
        today = bangkok.today()
        with database.transaction() as conn:
            people: Sequence[tuple[str, int]] = load_staff_options(conn)
        person = widgets.Dropdown(options=[(ANY, 0), *people], value=0, description="Person")
        status = widgets.Dropdown(options=list(STATUSES), value=ANY, description="Status")
        start = widgets.DatePicker(
            description="From", value=today - dt.timedelta(days=max(int(days), 1) - 1)
        )
        end = widgets.DatePicker(description="To", value=today)
        update = widgets.Button(description="Update", button_style="primary")
        newer = widgets.Button(description="◀ newer", layout={"width": "110px"})
        older = widgets.Button(description="older ▶", layout={"width": "110px"})
        page_label = widgets.HTML()
        table = widgets.HTML()
        line = widgets.HTML()
        fig = _daily_figure()
        state: dict = {"key": None, "rows": None, "page": 1}

        def show(period: tuple[dt.date, dt.date]) -> None:
            rows = compute_newest_first(compute_filtered(state["rows"], STATUSES[status.value]))
            daily = compute_daily_counts(rows, *period)
            with fig.batch_update():
                fig.data[0].x = fig.data[1].x = [d.isoformat() for d in daily["day"]]
                fig.data[0].y = list(daily["late"])
                fig.data[1].y = list(daily["no_show"])
            shown, page, pages = compute_page(rows, state["page"], page_size)
            state["page"] = page
            table.value = compute_table_html(shown)
            size = max(1, min(int(page_size), MAX_PAGE_SIZE))
            first = (page - 1) * size + 1 if len(shown) else 0
            page_label.value = (
                f"rows {first}–{first + len(shown) - 1 if len(shown) else 0} of {len(rows):,}"
                f" · page {page} of {pages}"
            )
            newer.disabled = page <= 1
            older.disabled = page >= pages

        def refresh(_event=None, *, reload: bool = True) -> None:
            try:
                period = compute_period(start.value, end.value)
            except ValueError as exc:
                line.value = ui.compute_error_html("Check the period", str(exc))
                return
            key = (*period, person.value or None)
            try:
                if reload or key != state["key"] or state["rows"] is None:
                    update.disabled = True
                    line.value = _status_html(f"Loading… {period[0]} to {period[1]}", busy=True)
                    began = time.perf_counter()
                    with database.transaction() as conn:
                        state["rows"] = load_period_attendance(conn, *period, person.value or None)
                    state["key"] = key
                    line.value = _status_html(
                        compute_status_line(
                            time.perf_counter() - began, len(state["rows"]), *period
                        )
                    )
                show(period)
            except Exception as exc:  # noqa: BLE001 - shown on screen
                line.value = ui.compute_error_html("Could not read attendance", str(exc))
            finally:
                update.disabled = False

        def on_filter(_change=None) -> None:
            state["page"] = 1
            refresh(reload=False)

        def on_page(step: int) -> None:
            state["page"] += step
            refresh(reload=False)

        def on_update(_button=None) -> None:
            state["page"] = 1
            refresh(reload=True)

        person.observe(on_filter, names="value")
        status.observe(on_filter, names="value")
        update.on_click(on_update)
        newer.on_click(lambda _b: on_page(-1))
        older.on_click(lambda _b: on_page(+1))
        refresh()

        header = widgets.HTML(
            "<h2 style='margin:0'>Attendance explorer</h2><p style='margin:2px 0 8px;"
            f"color:#475569'>Shifts against the time clock; at most {MAX_DAYS} days at a time. "
            "Change the dates and press Update.</p>"
        )
        filters = widgets.VBox(
            [widgets.HBox([person, status]), widgets.HBox([start, end, update]), line]
        )
        pager = widgets.HBox([newer, older, page_label])
        return widgets.VBox([ui.stylesheet(), header, filters, ui.sync_figure(fig), pager, table])

    return ui.guarded_dashboard(AREA, build, admin=ADMIN)


__all__ = [
    "attendance_explorer_dashboard",
    "compute_daily_counts",
    "compute_filtered",
    "compute_page",
    "compute_period",
    "load_period_attendance",
    "load_period_shifts",
    "load_staff_options",
]
