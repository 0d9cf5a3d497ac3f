"""The analysts' attendance explorer: a Voilà dashboard that stays fast on years of data.

Widgets only: the period, person and status filters, late / no-shows per day and a page of
shifts. Reads go through ``service.attendance`` (only the chosen period, at most
``attendance.MAX_DAYS`` days, is read); filters, order, pages and per-day counts are the pure
rules of ``rules.attendance``.

``attendance_explorer_dashboard(days, page_size)`` is the one call of
``notebooks/staff/attendance_explorer.ipynb``.
"""

from __future__ import annotations

import datetime as dt
import html
import time
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from .. import access, audit, bangkok, database, ui
from .rules import attendance
from .service import attendance as attendance_service

AREA = attendance_service.AREA
ADMIN = attendance_service.ADMIN
ANY = "any"
DAY_BAR_MS = 0.8 * 86_400_000


def _time(value) -> str:
    return "" if value is None or value is pd.NaT else f"{value.astimezone(bangkok.BANGKOK):%H:%M}"


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def render_table_html(rows: pd.DataFrame) -> str:
    if not len(rows):
        return "<p><em>No shift or session matches these filters.</em></p>"
    labels = {v: k for k, v in attendance.STATUSES.items() if v}
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


class AttendanceExplorer:
    """The explorer for one signed-in user: ``build`` the widgets, ``load`` the period's rows,
    ``on_update`` / ``on_filter`` / ``on_page`` for the buttons and filters."""

    def __init__(self, user: access.User, days: int = 30, page_size: int = 50, *,
                 engine: Any = None):
        self.user = user
        self.engine = engine
        self.page_size = page_size
        self.key: tuple | None = None
        self.rows: pd.DataFrame | None = None
        self.page = 1
        self.build(days)
        self.load()

    def build(self, days: int) -> None:
        today = bangkok.today()
        with database.transaction(self.engine) as conn:
            people = attendance_service.load_explorer_people(conn, self.user.email)
        self.person = widgets.Dropdown(options=[(ANY, 0), *people], value=0,
                                       description="Person")
        self.status = widgets.Dropdown(options=list(attendance.STATUSES), value=ANY,
                                       description="Status")
        self.start = widgets.DatePicker(
            description="From", value=today - dt.timedelta(days=max(int(days), 1) - 1)
        )
        self.end = widgets.DatePicker(description="To", value=today)
        self.update = widgets.Button(description="Update", button_style="primary")
        self.newer = widgets.Button(description="◀ newer", layout={"width": "110px"})
        self.older = widgets.Button(description="older ▶", layout={"width": "110px"})
        self.page_label = widgets.HTML()
        self.table = widgets.HTML()
        self.line = widgets.HTML()
        self.fig = _daily_figure()
        self.person.observe(lambda _: self.on_filter(), names="value")
        self.status.observe(lambda _: self.on_filter(), names="value")
        self.update.on_click(lambda _: self.on_update())
        self.newer.on_click(lambda _: self.on_page(-1))
        self.older.on_click(lambda _: self.on_page(+1))
        header = widgets.HTML(
            "<h2 style='margin:0'>Attendance explorer</h2><p style='margin:2px 0 8px;"
            f"color:#475569'>Shifts against the time clock; at most {attendance.MAX_DAYS} days "
            "at a time. Change the dates and press Update.</p>"
        )
        filters = widgets.VBox([widgets.HBox([self.person, self.status]),
                                widgets.HBox([self.start, self.end, self.update]), self.line])
        pager = widgets.HBox([self.newer, self.older, self.page_label])
        self.widget = widgets.VBox([ui.stylesheet(), header, filters, self.fig, pager,
                                    self.table])

    def show(self, period: tuple[dt.date, dt.date]) -> None:
        rows = attendance.compute_newest_first(
            attendance.compute_filtered(self.rows, attendance.STATUSES[self.status.value]))
        daily = attendance.compute_daily_counts(rows, *period)
        with self.fig.batch_update():
            self.fig.data[0].x = self.fig.data[1].x = [d.isoformat() for d in daily["day"]]
            self.fig.data[0].y = list(daily["late"])
            self.fig.data[1].y = list(daily["no_show"])
        ui.sync_figure(self.fig)
        shown, page, pages = attendance.compute_page(rows, self.page, self.page_size)
        self.page = page
        self.table.value = render_table_html(shown)
        size = max(1, min(int(self.page_size), attendance.MAX_PAGE_SIZE))
        first = (page - 1) * size + 1 if len(shown) else 0
        self.page_label.value = (
            f"rows {first}–{first + len(shown) - 1 if len(shown) else 0} of {len(rows):,}"
            f" · page {page} of {pages}"
        )
        self.newer.disabled = page <= 1
        self.older.disabled = page >= pages

    def load(self, *, reload: bool = True) -> str:
        """Read the period (again if ``reload`` or the period or person changed) and show it;
        returns the status line's text."""
        try:
            period = attendance.compute_period(self.start.value, self.end.value)
        except ValueError as exc:
            self.line.value = ui.compute_error_html("Check the period", str(exc))
            return str(exc)
        key = (*period, self.person.value or None)
        try:
            if reload or key != self.key or self.rows is None:
                self.update.disabled = True
                self.line.value = _status_html(f"Loading… {period[0]} to {period[1]}", busy=True)
                began = time.perf_counter()
                with database.transaction(self.engine) as conn:
                    self.rows = attendance_service.load_explorer_attendance(
                        conn, self.user.email, *period, self.person.value or None)
                self.key = key
                self.line.value = _status_html(compute_status_line(
                    time.perf_counter() - began, len(self.rows), *period))
            self.show(period)
        except access.AccessDenied as exc:
            self.rows = None
            with database.transaction(self.engine) as conn:  # the refusal is kept
                audit.record(conn, self.user.email, "ACCESS_DENIED", AREA,
                             details={"reason": str(exc)})
            self.line.value = ui.compute_error_html("Access refused", str(exc))
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - shown on screen
            self.line.value = ui.compute_error_html("Could not read attendance", str(exc))
            return str(exc)
        finally:
            self.update.disabled = False
        return self.line.value

    def on_filter(self) -> str:
        self.page = 1
        return self.load(reload=False)

    def on_page(self, step: int) -> str:
        self.page += step
        return self.load(reload=False)

    def on_update(self) -> str:
        self.page = 1
        return self.load(reload=True)


def attendance_explorer_dashboard(days: int = 30, page_size: int = 50, *, engine: Any = None):
    """Period, person and status filters; late / no-shows per day; a page of shifts."""
    return ui.guarded_dashboard(
        AREA, lambda user: AttendanceExplorer(user, days, page_size, engine=engine).widget,
        admin=ADMIN,
    )
