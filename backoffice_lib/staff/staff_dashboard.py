"""The managers' staff dashboard and the analysts' attendance explorer (widgets and charts).

Dashboard sections: who is clocked in now; today's schedule against the punches; lateness and
no-shows over a period (plotly FigureWidgets, offline); review of flagged entries with the
correction actions (add a missing clock-out, edit a time, delete with a reason).
All data comes from the library (schedules.load_attendance, sessions.compute_sessions, ...);
corrections run ``timeclock`` functions in one transaction each.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from .. import access, audit, bangkok, database, ui
from .rules import attendance, sessions
from .service import people, schedules, timeclock

DEFAULT_DAYS = 30
REVIEW_FLAGS = (sessions.MISSING_CLOCK_OUT, sessions.ORPHAN_CLOCK_OUT)
STATUS_LABELS = {
    attendance.ON_TIME: "on time",
    attendance.LATE: "late",
    attendance.NO_SHOW: "no show",
    attendance.UPCOMING: "upcoming",
    attendance.UNSCHEDULED: "unscheduled",
}


# --- periods and data ------------------------------------------------------------------------


def period(
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


def load_flagged_sessions(conn, date_from: dt.date, date_to: dt.date) -> pd.DataFrame:
    """Sessions with a review flag (missing / orphan clock-out) dated in the period, with names."""
    limits = timeclock.load_timeclock_settings(conn)
    window = dt.timedelta(hours=limits["max_session_hours"])
    entries = timeclock.load_entries(
        conn, bangkok.at(date_from) - window, bangkok.at(date_to + dt.timedelta(days=1)) + window
    )
    worked = sessions.compute_sessions(entries, limits["max_session_hours"])
    now = bangkok.now()
    keep = worked["flag"].isin(REVIEW_FLAGS) & worked["work_date"].map(
        lambda d: date_from <= d <= date_to
    ).astype(bool)
    # a clock-in of the last max_session_hours is still open, not missing its clock-out
    still_open = worked["clock_in"].map(lambda t: t is not None and now - t < window).astype(bool)
    flagged = worked[keep & ~(still_open & (worked["flag"] == sessions.MISSING_CLOCK_OUT))]
    names = dict(zip(entries["staff_id"], entries["staff_name"], strict=False))
    flagged = flagged.copy()
    flagged.insert(1, "staff_name", flagged["staff_id"].map(names).astype(object))
    return flagged.reset_index(drop=True)


def _fmt(moment) -> str:
    if moment is None or (not isinstance(moment, dt.datetime) and pd.isna(moment)):
        return ""
    return moment.astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M")


def _hhmm(moment) -> str:
    if moment is None or (not isinstance(moment, dt.datetime) and pd.isna(moment)):
        return ""
    return moment.astimezone(bangkok.BANGKOK).strftime("%H:%M")


def table_html(frame: pd.DataFrame, empty: str = "Nothing to show.") -> str:
    if frame.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    return frame.to_html(index=False, escape=True, na_rep="", classes="staff-table", border=0)


def _blank(value) -> Any:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def attendance_table(rows: pd.DataFrame) -> pd.DataFrame:
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


def summary_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per person over the period (attendance.compute_attendance_summary) with names."""
    summary = attendance.compute_attendance_summary(rows)
    names = dict(zip(rows["staff_id"], rows["staff_name"], strict=False))
    summary.insert(1, "staff_name", summary["staff_id"].map(names).astype(object))
    return summary.sort_values(["late", "no_show"], ascending=False, kind="stable").reset_index(
        drop=True
    )


# --- charts (floats only here, at the plotting edge) -------------------------------------------


def lateness_figure(summary: pd.DataFrame) -> go.Figure:
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


def daily_figure(rows: pd.DataFrame) -> go.Figure:
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
    def __init__(
        self, user_email: str, date_from: dt.date, date_to: dt.date, *, engine: Any = None
    ):
        self.user_email = user_email
        self.engine = engine
        self.now_html = widgets.HTML()
        self.today_html = widgets.HTML()
        self.status = widgets.HTML()
        self.date_from = widgets.DatePicker(description="From", value=date_from)
        self.date_to = widgets.DatePicker(description="To", value=date_to)
        update = widgets.Button(description="Update", button_style="primary")
        update.on_click(lambda _: self.refresh_period())
        refresh = widgets.Button(description="Refresh")
        refresh.on_click(lambda _: self.refresh_today())
        self.lateness_out = widgets.VBox()
        self.daily_out = widgets.VBox()
        self.lateness: go.Figure | None = None
        self.daily: go.Figure | None = None
        self.summary_html = widgets.HTML()
        self.review_html = widgets.HTML()
        self.flagged = pd.DataFrame()
        self.entry = widgets.Dropdown(
            description="Entry", options=[], layout=widgets.Layout(width="560px")
        )
        self.action = widgets.ToggleButtons(
            options=[("Add missing clock-out", "add"), ("Edit time", "edit"), ("Delete", "delete")],
            value="add",
        )
        self.when = widgets.Text(description="Time", placeholder="YYYY-MM-DD HH:MM (Bangkok)")
        self.reason = widgets.Text(description="Reason", placeholder="why (kept in the audit)")
        apply = widgets.Button(description="Apply correction", button_style="warning")
        apply.on_click(lambda _: self.apply_correction())
        self.correction_message = widgets.HTML()
        self.entry.observe(lambda change: self._on_entry(change["new"]), names="value")

        def section(title: str, *children) -> widgets.VBox:
            heading = widgets.HTML(f"<h3 style='margin:16px 0 4px'>{html.escape(title)}</h3>")
            return widgets.VBox([heading, *children])

        self.widget = widgets.VBox(
            [
                ui.stylesheet(),
                section("Clocked in now", refresh, self.now_html),
                section("Today's schedule against the punches", self.today_html),
                section(
                    "Lateness and no-shows",
                    widgets.HBox([self.date_from, self.date_to, update]),
                    self.lateness_out,
                    self.daily_out,
                    self.summary_html,
                ),
                section(
                    "Flagged entries to review",
                    self.review_html,
                    self.entry,
                    self.action,
                    self.when,
                    self.reason,
                    apply,
                    self.correction_message,
                ),
            ],
            layout=widgets.Layout(padding="8px"),
        )
        self.refresh_today()
        self.refresh_period()

    def refresh_today(self) -> None:
        today = bangkok.today()
        with database.transaction(self.engine) as conn:
            roster = people.load_staff(conn)
            rows = schedules.load_attendance(conn, today, today, as_of=bangkok.now())
        inside = roster[roster["currently_clocked_in"].astype(bool)]
        now = bangkok.now()
        self.now_html.value = table_html(
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
        self.today_html.value = table_html(attendance_table(rows), "No shifts or punches today.")

    def refresh_period(self) -> None:
        first, last = period(self.date_from.value, self.date_to.value)
        with database.transaction(self.engine) as conn:
            rows = schedules.load_attendance(conn, first, last, as_of=bangkok.now())
            self.flagged = load_flagged_sessions(conn, first, last)
        summary = summary_table(rows)
        self.lateness = lateness_figure(summary)
        self.daily = daily_figure(rows)
        ui.show_figure(self.lateness_out, self.lateness)
        ui.show_figure(self.daily_out, self.daily)
        self.summary_html.value = table_html(summary.drop(columns=["staff_id"]))
        self._show_flagged()

    def _show_flagged(self) -> None:
        flagged = self.flagged
        self.review_html.value = table_html(
            pd.DataFrame(
                {
                    "Date": flagged["work_date"].map(str),
                    "Name": flagged["staff_name"],
                    "Clock in": flagged["clock_in"].map(_fmt),
                    "Clock out": flagged["clock_out"].map(_fmt),
                    "Flag": flagged["flag"],
                }
            )
            if len(flagged)
            else pd.DataFrame(),
            "No flagged entries in the period.",
        )
        options = []
        for row in flagged.itertuples(index=False):
            entry_id = (
                row.clock_in_id if row.flag == sessions.MISSING_CLOCK_OUT else row.clock_out_id
            )
            moment = row.clock_in if row.flag == sessions.MISSING_CLOCK_OUT else row.clock_out
            label = f"{row.staff_name}: {row.flag.replace('_', ' ')} – {_fmt(moment)} (#{entry_id})"
            options.append((label, int(entry_id)))
        self.entry.options = options

    def _on_entry(self, entry_id) -> None:
        """An entry was picked: suggest the action and the time to correct from."""
        if entry_id is None:
            self.correction_message.value = ""
            return
        row = next(
            (
                r
                for r in self.flagged.itertuples(index=False)
                if entry_id in (r.clock_in_id, r.clock_out_id)
            ),
            None,
        )
        if row is None:
            return
        missing = row.flag == sessions.MISSING_CLOCK_OUT
        moment = row.clock_in if missing else row.clock_out
        self.action.value = "add" if missing else "delete"
        self.when.value = _fmt(moment)
        hint = (
            "add the clock-out this person forgot (set the time)"
            if missing
            else "delete this clock-out without a clock-in, or edit its time"
        )
        self._say(
            f"{row.staff_name}, {row.flag.replace('_', ' ')} at {_fmt(moment)}: {hint}.", ok=True
        )

    def apply_correction(self) -> str:
        """Run the chosen correction on the chosen entry; the outcome is shown and returned."""
        entry_id, action, reason = self.entry.value, self.action.value, self.reason.value
        try:
            if entry_id is None:
                raise timeclock.TimeclockError("pick a flagged entry first")
            moment = None
            if action in ("add", "edit"):
                try:
                    moment = dt.datetime.strptime(
                        self.when.value.strip(), "%Y-%m-%d %H:%M"
                    ).replace(tzinfo=bangkok.BANGKOK)
                except ValueError as exc:
                    raise timeclock.TimeclockError(
                        "the time must look like 2025-01-31 17:30"
                    ) from exc
            with database.transaction(self.engine) as conn:
                if action == "add":
                    timeclock.add_missing_clock_out(conn, self.user_email, entry_id, moment, reason)
                    done = f"added a clock-out at {_fmt(moment)}"
                elif action == "edit":
                    timeclock.edit_entry_time(conn, self.user_email, entry_id, moment, reason)
                    done = f"moved entry #{entry_id} to {_fmt(moment)}"
                else:
                    timeclock.delete_entry(conn, self.user_email, entry_id, reason)
                    done = f"deleted entry #{entry_id}"
        except access.AccessDenied as exc:
            with database.transaction(self.engine) as conn:  # the refusal is kept
                audit.record(
                    conn,
                    self.user_email,
                    "ACCESS_DENIED",
                    "time_entries",
                    entry_id,
                    details={"reason": str(exc)},
                )
            return self._say(str(exc), ok=False)
        except (timeclock.TimeclockError, ValueError) as exc:
            return self._say(str(exc), ok=False)
        self.reason.value = ""
        self.refresh_period()
        return self._say(done.capitalize(), ok=True)

    def _say(self, text: str, *, ok: bool) -> str:
        colour = "#065f46" if ok else "#7f1d1d"
        self.correction_message.value = (
            f'<p class="correction-message" style="color:{colour}">{html.escape(text)}</p>'
        )
        return text


def staff_dashboard(date_from: str = "", date_to: str = "", *, engine: Any = None):
    """The managers' dashboard (staff is an admin area); errors come back on screen."""
    first, last = period(date_from, date_to)
    return ui.guarded_dashboard(
        people.AREA, lambda user: StaffDashboard(user.email, first, last, engine=engine).widget
    )
