"""The managers' staff dashboard (widgets only): who is clocked in now; today's schedule against
the punches; lateness and no-shows over a period (plotly FigureWidgets, offline); the entries
flagged for review, grouped per person and kind with their count, and the one entry-correction
form (add a missing clock-out, edit a time, delete with a reason).

Reads go through ``service.attendance`` (each checks the staff area, an admin area, on its own
connection); corrections through ``EntryCorrectionForm`` (``service.timeclock``).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from .. import access, audit, bangkok, database, ui
from .entry_correction_dashboard import EntryCorrectionForm
from .rules import attendance, sessions
from .service import attendance as attendance_service

AREA = attendance_service.STAFF_AREA
DEFAULT_DAYS = 30
STATUS_LABELS = {
    attendance.ON_TIME: "on time",
    attendance.LATE: "late",
    attendance.NO_SHOW: "no show",
    attendance.UPCOMING: "upcoming",
    attendance.UNSCHEDULED: "unscheduled",
}


# --- periods and tables ------------------------------------------------------------------------


def parse_period(
    date_from: str | dt.date | None, date_to: str | dt.date | None
) -> tuple[dt.date, dt.date]:
    """Dates from parameters ('' = the last 30 days up to today, Bangkok)."""

    def parse(value, option):
        if value in (None, ""):
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise ValueError(f"{option} must be a date like 2025-01-31, not {value!r}") from exc

    last = parse(date_to, "date_to") or bangkok.today()
    first = parse(date_from, "date_from") or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise ValueError("date_to is before date_from")
    return first, last


def _fmt(moment) -> str:
    if moment is None or (not isinstance(moment, dt.datetime) and pd.isna(moment)):
        return ""
    return moment.astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M")


def _hhmm(moment) -> str:
    if moment is None or (not isinstance(moment, dt.datetime) and pd.isna(moment)):
        return ""
    return moment.astimezone(bangkok.BANGKOK).strftime("%H:%M")


def render_table_html(frame: pd.DataFrame, empty: str = "Nothing to show.") -> str:
    if frame.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    return frame.to_html(index=False, escape=True, na_rep="", classes="staff-table", border=0)


def _blank(value) -> Any:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def compute_attendance_view(rows: pd.DataFrame) -> pd.DataFrame:
    """Attendance rows as a person reads them."""
    return pd.DataFrame(
        {
            "Date": rows["work_date"].map(str),
            "Name": rows["staff_name"],
            "Shift": [
                f"{_hhmm(s)}–{_hhmm(e)}" if s is not None else ""
                for s, e in zip(rows["shift_start"], rows["shift_end"], strict=False)
            ],
            "Clock in": rows["clock_in"].map(_hhmm),
            "Clock out": rows["clock_out"].map(_hhmm),
            "Status": rows["status"].map(STATUS_LABELS),
            "Min late": rows["minutes_late"].map(_blank),
            "Left early": rows["left_early"].map({True: "yes", False: "", None: ""}),
            "Flag": rows["session_flag"].map(_blank),
            "Hours": rows["hours"].map(str),
        }
    )


def compute_person_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per person over the period (attendance.compute_attendance_summary) with names."""
    summary = attendance.compute_attendance_summary(rows)
    names = dict(zip(rows["staff_id"], rows["staff_name"], strict=False))
    summary.insert(1, "staff_name", summary["staff_id"].map(names).astype(object))
    return summary.sort_values(["late", "no_show"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def compute_flag_groups_view(flagged: pd.DataFrame) -> pd.DataFrame:
    """The flags per person and kind with their count, as a person reads them."""
    groups = sessions.compute_flag_groups(flagged)
    return pd.DataFrame(
        {
            "Name": groups["staff_name"],
            "Flag": groups["flag"].map(lambda f: str(f).replace("_", " ")),
            "Count": groups["count"],
            "First": groups["first"].map(str),
            "Last": groups["last"].map(str),
        }
    )


# --- charts (floats only here, at the plotting edge) -------------------------------------------


def compute_lateness_figure(summary: pd.DataFrame) -> go.Figure:
    """Late shifts, no-shows and left-early per person, stacked bars."""
    names = list(summary["staff_name"]) if len(summary) else []
    figure = go.Figure(
        data=[
            go.Bar(
                name="late",
                x=names,
                y=[int(v) for v in summary.get("late", [])],
                marker_color="#f59e0b",
            ),
            go.Bar(
                name="no show",
                x=names,
                y=[int(v) for v in summary.get("no_show", [])],
                marker_color="#dc2626",
            ),
            go.Bar(
                name="left early",
                x=names,
                y=[int(v) for v in summary.get("left_early", [])],
                marker_color="#6366f1",
            ),
        ],
        layout=go.Layout(
            title="Lateness and no-shows per person",
            barmode="stack",
            height=380,
            xaxis={"type": "category"},
            yaxis={"title": "shifts"},
            margin={"t": 50, "b": 90},
        ),
    )
    return figure


def compute_daily_figure(rows: pd.DataFrame) -> go.Figure:
    """Late and no-show shifts per day."""
    days = sorted(set(rows["work_date"])) if len(rows) else []
    late = [
        int(((rows["work_date"] == d) & (rows["status"] == attendance.LATE)).sum()) for d in days
    ]
    absent = [
        int(((rows["work_date"] == d) & (rows["status"] == attendance.NO_SHOW)).sum()) for d in days
    ]
    labels = [str(d) for d in days]
    return go.Figure(
        data=[
            go.Scatter(name="late", x=labels, y=late, mode="lines+markers", line_color="#f59e0b"),
            go.Scatter(
                name="no show", x=labels, y=absent, mode="lines+markers", line_color="#dc2626"
            ),
        ],
        layout=go.Layout(
            title="Late and no-show shifts per day",
            height=320,
            xaxis={"type": "category"},
            yaxis={"title": "shifts"},
        ),
    )


# --- the managers' dashboard -------------------------------------------------------------------


class StaffDashboard:
    """The dashboard for one signed-in user: ``build`` the widgets, ``load`` today and the period,
    ``on_refresh`` (today) and ``on_update`` (the period); corrections in ``correction``."""

    def __init__(
        self, user: access.User, date_from: dt.date, date_to: dt.date, *, engine: Any = None
    ):
        self.user = user
        self.engine = engine
        self.lateness: go.Figure | None = None
        self.daily: go.Figure | None = None
        self.flagged = pd.DataFrame()
        self.build(date_from, date_to)
        self.load()

    def build(self, date_from: dt.date, date_to: dt.date) -> None:
        self.now_html = widgets.HTML()
        self.today_html = widgets.HTML()
        self.period_message = widgets.HTML()
        self.date_from = widgets.DatePicker(description="From", value=date_from)
        self.date_to = widgets.DatePicker(description="To", value=date_to)
        self.update = widgets.Button(description="Update", button_style="primary")
        self.update.on_click(lambda _: self.on_update())
        self.refresh = widgets.Button(description="Refresh")
        self.refresh.on_click(lambda _: self.on_refresh())
        self.lateness_out = widgets.VBox()
        self.daily_out = widgets.VBox()
        self.summary_html = widgets.HTML()
        self.review_html = widgets.HTML()
        self.correction = EntryCorrectionForm(self.user, self.engine, self.on_update,
                                              area=AREA, admin=True, width="560px")

        def section(title: str, *children) -> widgets.VBox:
            heading = widgets.HTML(f"<h3 style='margin:16px 0 4px'>{html.escape(title)}</h3>")
            return widgets.VBox([heading, *children])

        self.widget = widgets.VBox(
            [
                ui.stylesheet(),
                section("Clocked in now", self.refresh, self.now_html),
                section("Today's schedule against the punches", self.today_html),
                section(
                    "Lateness and no-shows",
                    widgets.HBox([self.date_from, self.date_to, self.update]),
                    self.period_message,
                    self.lateness_out,
                    self.daily_out,
                    self.summary_html,
                ),
                section("Flagged entries to review", self.review_html, self.correction.widget),
            ],
            layout=widgets.Layout(padding="8px"),
        )

    # the correction form's widgets, by the names the page had before it was shared
    @property
    def entry(self):
        return self.correction.entry

    def load(self) -> None:
        self.on_refresh()
        self.on_update()

    def on_refresh(self) -> str:
        """Who is clocked in now and today's schedule against the punches."""
        try:
            with database.transaction(self.engine) as conn:
                inside, rows = attendance_service.load_staff_today(conn, self.user.email)
        except access.AccessDenied as exc:
            return self._refused(exc, self.now_html)
        now = bangkok.now()
        self.now_html.value = render_table_html(
            pd.DataFrame(
                {
                    "Name": inside["staff_name"],
                    "Since": inside["last_action_time"].map(_fmt),
                    "Hours so far": [
                        f"{(now - t).total_seconds() / 3600:.1f}"
                        for t in inside["last_action_time"]
                    ],
                }
            ),
            "Nobody is clocked in.",
        )
        self.today_html.value = render_table_html(
            compute_attendance_view(rows), "No shifts or punches today."
        )
        return ""

    def on_update(self) -> str:
        """Lateness and no-shows over the period, and the entries flagged for review."""
        try:
            first, last = parse_period(self.date_from.value, self.date_to.value)
            with database.transaction(self.engine) as conn:
                rows, self.flagged = attendance_service.load_staff_period(
                    conn, self.user.email, first, last)
        except access.AccessDenied as exc:
            return self._refused(exc, self.period_message)
        except ValueError as exc:
            self.period_message.value = ui.message_html(str(exc), "refused")
            return str(exc)
        self.period_message.value = ""
        summary = compute_person_summary(rows)
        self.lateness = compute_lateness_figure(summary)
        self.daily = compute_daily_figure(rows)
        ui.show_figure(self.lateness_out, self.lateness)
        ui.show_figure(self.daily_out, self.daily)
        self.summary_html.value = render_table_html(summary.drop(columns=["staff_id"]))
        self.review_html.value = render_table_html(
            compute_flag_groups_view(self.flagged), "No flagged entries in the period."
        )
        self.correction.load(sessions.compute_correctable_entries(self.flagged))
        return ""

    def _refused(self, exc: access.AccessDenied, target: widgets.HTML) -> str:
        """A refusal raised inside a transaction was rolled back with it: audit it again, in a
        transaction of its own, and say it on the page."""
        with database.transaction(self.engine) as conn:
            audit.record(conn, self.user.email, "ACCESS_DENIED", AREA,
                         details={"reason": str(exc)})
        target.value = ui.message_html(str(exc), "refused")
        return str(exc)


def staff_dashboard(date_from: str = "", date_to: str = "", *, engine: Any = None):
    """The managers' dashboard (staff is an admin area); errors come back on screen."""
    first, last = parse_period(date_from, date_to)
    return ui.guarded_dashboard(
        AREA, lambda user: StaffDashboard(user, first, last, engine=engine).widget
    )
