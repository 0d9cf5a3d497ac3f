"""Schedules (Voilà, admins): weekly patterns on a weekday grid, generation with a preview, and a
week view of who works when with edit and delete (business-rules §2).

Generation is previewed first (``schedules.preview_generate_schedules``: what will be created,
what is skipped as an overlap and why) and saved only by a second click for the same dates.
Every write calls the service the CLI calls; an overlap is refused on every path, with the
clashing shift named.

Beside the week's grid, each person's planned hours. What a plan costs in pay is payroll's to
say, and staff may not import payroll (payroll builds on staff): the notebook passes payroll's
``load_plan_cost`` in as ``plan_cost``, a callable ``plan_cost(conn, user, date_from, date_to,
add=None, remove=None)`` returning one row per person and week touching the dates (``staff``,
``week_start``, ``hours``, ``ot_hours``, ``ot_pay``, ``holiday_hours_planned``, ``holiday_pay``,
``cost``, ``added_cost``) as the plan stands with ``add`` (shifts not saved yet) put in and
``remove`` (shift ids) taken out. With it, the grid says which weeks cause overtime or holiday
pay and at what cost, and the add and edit forms and the generation preview say what a change
costs before it is saved. Without it (``plan_cost=None``) the page shows hours only.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from .. import bangkok, database, ui
from .rules import attendance
from .service import people, schedules

AREA = schedules.AREA
WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
PLAN_COLUMNS = {
    "schedule_date": "Date",
    "staff_name": "Person",
    "start_time": "Start",
    "end_time": "End",
    "location": "Location",
}


MESSAGES = ("week", "shift", "pattern", "generate")
GRID_CSS = (
    ".bo-pattern-grid{max-height:none;margin-bottom:12px}"
    ".bo-pattern-grid td,.bo-week-grid td{line-height:1.4;white-space:nowrap}"
    ".bo-pattern-grid .bo-hint{font-size:12px;margin:0}"
    ".bo-warning-text{color:#9a3412;font-size:13px;margin:2px 0 6px}"
    ".bo-week-grid .bo-warning-text{font-size:12px;white-space:normal}"
)
# a grid takes the height of its table (never squeezed under the form that follows it)
GRID_LAYOUT = {"flex": "0 0 auto", "height": "auto", "overflow": "visible"}


def compute_preview_summary(created: int, existing: int, overlapping: int) -> str:
    """What a generation preview finds, said exactly: shifts to create, shifts of these dates
    that already exist as they are, and planned shifts that overlap a different shift."""
    def shifts(n: int) -> str:
        return f"{n} shift" + ("" if n == 1 else "s")

    found = []
    if existing:
        found.append(f"{shifts(existing)} of these dates already exist"
                     if existing > 1 else "1 shift of these dates already exists")
    if overlapping:
        found.append(f"{shifts(overlapping)} would overlap a different shift and are skipped"
                     if overlapping > 1 else "1 shift would overlap a different shift and is"
                     " skipped")
    if created == 0:
        if existing and not overlapping:
            return (f"Nothing to create: the {shifts(existing)} of these dates already exist"
                    if existing > 1 else "Nothing to create: the shift of these dates already"
                    " exists") + "."
        if not found:
            return "Nothing to create: no active weekly pattern falls in these dates."
        return "Nothing to create: " + "; ".join(found) + "."
    return f"{shifts(created)} will be created" + "".join(f"; {f}" for f in found) + "."


def week_start(day: dt.date) -> dt.date:
    """The Sunday on or before ``day`` (weeks run Sunday to Saturday)."""
    return day - dt.timedelta(days=attendance.day_of_week(day))


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def render_pattern_grid(patterns: pd.DataFrame) -> str:
    """People (rows) × weekdays Sunday..Saturday (columns); switched-off patterns struck out."""
    if patterns.empty:
        return ui.empty_html("No weekly pattern yet: add one below (a person, a weekday, times).")
    cells: dict[str, list[list[str]]] = {}
    for row in patterns.to_dict("records"):
        text = html.escape(f"{_hhmm(row['start_time'])}–{_hhmm(row['end_time'])}")
        if row["location"]:  # under the times: seven days fit the page's width
            text += f'<br><span class="bo-hint">{html.escape(row["location"])}</span>'
        day = cells.setdefault(str(row["staff_name"]), [[] for _ in range(7)])[row["day_of_week"]]
        day.append(text if row["is_active"] is not False else f"<s>{text}</s>")
    head = "".join(f"<th>{d[:3]}</th>" for d in WEEKDAYS)
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{'<br>'.join(day)}</td>" for day in days)
        + "</tr>"
        for name, days in sorted(cells.items())
    )
    # the whole table, compact (a line per pattern), above the form: no inner scroll that cuts
    # a row in half against the form's first field (issue 21.6)
    return (
        f"<style>{GRID_CSS}</style>"
        '<div class="bo-scroll bo-pattern-grid"><table class="bo-table"><thead><tr><th>Person</th>'
        f"{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _hours(value) -> str:
    return f"{float(value):.2f}"


def compute_planned_hours(shifts: pd.DataFrame) -> dict[str, float]:
    """Each person's (by name) planned hours of the shifts given (end − start)."""
    hours: dict[str, float] = {}
    for row in shifts.to_dict("records"):
        start, end = row["start_time"], row["end_time"]
        seconds = (end.hour * 3600 + end.minute * 60 + end.second) - (
            start.hour * 3600 + start.minute * 60 + start.second)
        hours[str(row["staff_name"])] = hours.get(str(row["staff_name"]), 0.0) + seconds / 3600
    return hours


def render_cost_note(row: dict | None) -> str:
    """What a person's week costs beyond base pay: '4.00 h overtime 320.00 THB · holiday 8.00 h
    400.00 THB', or '' when the plan causes neither."""
    if row is None:
        return ""
    parts = []
    if row["ot_hours"] > 0:
        parts.append(f"{_hours(row['ot_hours'])} h overtime {row['ot_pay']:,.2f} THB")
    if row["holiday_hours_planned"] > 0:
        parts.append(f"holiday {_hours(row['holiday_hours_planned'])} h "
                     f"{row['holiday_pay']:,.2f} THB")
    return " · ".join(parts)


def render_week_grid(shifts: pd.DataFrame, first: dt.date,
                     costs: dict[str, dict] | None = None) -> str:
    """Who works when in the week from ``first`` (a Sunday): people × the 7 dates, then each
    person's planned hours of the week and (``costs``: name → plan-cost row) the overtime or
    holiday pay the week's plan causes."""
    days = [first + dt.timedelta(days=i) for i in range(7)]
    if shifts.empty:
        return ui.empty_html(
            f"No shift in the week of {first}: generate the week from the patterns below,"
            " or add a shift here."
        )
    cells: dict[str, dict[dt.date, list[str]]] = {}
    for row in shifts.to_dict("records"):
        person = cells.setdefault(str(row["staff_name"]), {})
        person.setdefault(row["schedule_date"], []).append(
            html.escape(f"{_hhmm(row['start_time'])}–{_hhmm(row['end_time'])}")
        )
    hours = compute_planned_hours(shifts)
    costs = costs or {}
    head = "".join(f"<th>{d:%a %d %b}</th>" for d in days) + "<th>Week</th>"

    def week_cell(name: str) -> str:
        note = render_cost_note(costs.get(name))
        text = f"{hours.get(name, 0.0):.2f} h"
        if note:
            return (f'<td class="bo-week-cost"><strong>{text}</strong><br>'
                    f'<span class="bo-warning-text">{html.escape(note)}</span></td>')
        return f'<td class="bo-week-hours">{text}</td>'

    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{'<br>'.join(person.get(day, []))}</td>" for day in days)
        + week_cell(name) + "</tr>"
        for name, person in sorted(cells.items())
    )
    return (
        '<div class="bo-scroll bo-week-grid"><table class="bo-table"><thead><tr><th>Person</th>'
        f"{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


# inputs wide enough for their values ("2027-01-15", "Nattaya Sirisombat (EMP012)")
_field = functools.partial(ui.field, width="240px", label_width="90px")
_button = ui.button
_card = ui.card


class ScheduleBoard:
    """The schedules page; ``widget`` is what the notebook shows."""

    def __init__(self, user_email: str, *, engine: Any = None, week: dt.date | None = None,
                 plan_cost: Callable[..., pd.DataFrame] | None = None):
        self.user_email = user_email
        self.plan_cost = plan_cost  # payroll's, passed in by the notebook (see the module)
        self.cost_refusal: str | None = None
        self._filling = False
        # every action checks the page's access again, in a transaction of its own (a refusal
        # stays audited): a click can reach the kernel for a button the person was never shown
        self.require = (user_email, AREA, True)
        self.engine = engine
        self.build(week)
        self.load()

    def build(self, week: dt.date | None) -> None:
        """The page's widgets and their callbacks."""
        today = bangkok.today()
        # each form's messages beside its buttons (bo-schedule-message-week, -pattern, -generate)
        self.messages = ui.FormMessages(MESSAGES, "bo-schedule-message")
        # weekly patterns
        self.pattern_grid = widgets.HTML(layout=widgets.Layout(**GRID_LAYOUT))
        self.pattern_person = _field(widgets.Dropdown, "bo-pattern-person", width="400px",
                                     description="Person", options=[])
        self.pattern_day = _field(widgets.Dropdown, "bo-pattern-day", description="Weekday",
                                  options=[(d, i) for i, d in enumerate(WEEKDAYS)], value=1)
        self.pattern_start = _field(widgets.Text, "bo-pattern-start", description="Start",
                                    value="10:00")
        self.pattern_end = _field(widgets.Text, "bo-pattern-end", description="End", value="18:00")
        self.pattern_location = _field(widgets.Text, "bo-pattern-location",
                                       description="Location")
        self.pattern_add = _button("Add pattern", "bo-pattern-save", "primary")
        self.pattern_pick = _field(widgets.Dropdown, "bo-pattern-pick", width="480px",
                                   description="Pattern", options=[])
        self.pattern_toggle = _button("Switch on / off", "bo-pattern-toggle")
        # generation
        next_week = week_start(today) + dt.timedelta(days=7)
        self.gen_from = _field(widgets.Text, "bo-gen-from", description="From",
                               value=next_week.isoformat())
        self.gen_to = _field(widgets.Text, "bo-gen-to", description="To",
                             value=(next_week + dt.timedelta(days=6)).isoformat())
        self.preview_button = _button("Preview", "bo-gen-preview", "info")
        self.generate_button = _button("Create these shifts", "bo-gen-save", "primary")
        self.generate_button.disabled = True
        self.preview = widgets.HTML()
        self._previewed: tuple[dt.date, dt.date] | None = None
        # the week
        self.week = week_start(week or today)
        self.week_label = widgets.HTML()
        self.week_previous = _button("‹ Week before", "bo-week-previous")
        self.week_next = _button("Week after ›", "bo-week-next")
        self.week_grid = widgets.HTML(layout=widgets.Layout(**GRID_LAYOUT))
        self.shift_pick = _field(widgets.Dropdown, "bo-shift-pick", width="520px",
                                 description="Shift", options=[])
        self.shift_date = _field(widgets.Text, "bo-shift-date", description="Date")
        self.shift_start = _field(widgets.Text, "bo-shift-start", description="Start")
        self.shift_end = _field(widgets.Text, "bo-shift-end", description="End")
        self.shift_location = _field(widgets.Text, "bo-shift-location", description="Location")
        self.shift_hint = widgets.HTML()
        self.shift_save = _button("Save shift", "bo-shift-save", "primary")
        self.shift_delete = _button("Delete shift", "bo-shift-delete", "danger")
        self.new_person = _field(widgets.Dropdown, "bo-new-shift-person", width="400px",
                                 description="Person", options=[])
        self.new_date = _field(widgets.Text, "bo-new-shift-date", description="Date",
                               value=today.isoformat())
        self.new_start = _field(widgets.Text, "bo-new-shift-start", description="Start",
                                value="10:00")
        self.new_end = _field(widgets.Text, "bo-new-shift-end", description="End", value="18:00")
        self.new_location = _field(widgets.Text, "bo-new-shift-location", description="Location")
        self.new_save = _button("Add shift", "bo-new-shift-save", "primary")
        self.new_person_hint = widgets.HTML()
        self.new_cost = widgets.HTML()  # what the shift being typed costs, before it is saved
        self.shift_cost = widgets.HTML()  # the same for the shift being edited

        self.pattern_add.on_click(lambda _: self.on_add_pattern())
        self.pattern_toggle.on_click(lambda _: self.on_toggle_pattern())
        self.preview_button.on_click(lambda _: self.on_preview())
        self.generate_button.on_click(lambda _: self.on_generate())
        self.week_previous.on_click(lambda _: self.on_move_week(-7))
        self.week_next.on_click(lambda _: self.on_move_week(7))
        self.shift_save.on_click(lambda _: self.on_save_shift())
        self.shift_delete.on_click(lambda _: self.on_delete_shift())
        self.new_save.on_click(lambda _: self.on_add_shift())
        for field in (self.gen_from, self.gen_to):
            field.observe(lambda _: self._forget_preview(), names="value")

        self.widget = widgets.VBox([
            ui.stylesheet(),
            widgets.HTML(f'<style>{GRID_CSS}</style><h2 class="bo-title">Schedules</h2>'
                         '<p class="bo-hint">Weekly patterns,'
                         " shifts generated from them, and the week's shifts. Overlapping shifts"
                         " of one person are refused.</p>"),
            widgets.HTML("<h3>Week</h3>"),
            _card([
                widgets.HBox([self.week_previous, self.week_label, self.week_next]),
                self.week_grid,
                widgets.HTML('<p class="bo-hint">Add a shift</p>'),
                widgets.HBox([self.new_person, self.new_date]),
                self.new_person_hint,
                widgets.HBox([self.new_start, self.new_end, self.new_location]),
                self.new_cost,
                self.new_save,
                self.messages["week"],
                widgets.HTML('<p class="bo-hint">Edit or delete a shift of this week</p>'),
                self.shift_pick,
                self.shift_hint,
                widgets.HBox([self.shift_date, self.shift_start, self.shift_end,
                              self.shift_location]),
                self.shift_cost,
                widgets.HBox([self.shift_save, self.shift_delete]),
                self.messages["shift"],
            ]),
            widgets.HTML("<h3>Weekly patterns</h3>"),
            _card([
                self.pattern_grid,
                widgets.HBox([self.pattern_person, self.pattern_day]),
                widgets.HBox([self.pattern_start, self.pattern_end, self.pattern_location]),
                self.pattern_add,
                widgets.HBox([self.pattern_pick, self.pattern_toggle]),
                self.messages["pattern"],
            ]),
            widgets.HTML("<h3>Generate shifts from the patterns</h3>"),
            _card([
                widgets.HBox([self.gen_from, self.gen_to, self.preview_button,
                              self.generate_button]),
                self.messages["generate"],
                self.preview,
            ]),
        ])
        self.widget.add_class("bo-page")
        self.shift_pick.observe(lambda _: self._fill_shift(), names="value")
        self.new_person.observe(lambda _: self._show_person_week(), names="value")
        for field in (self.new_person, self.new_date, self.new_start, self.new_end):
            field.observe(lambda _: self.on_new_shift_changed(), names="value")
        for field in (self.shift_date, self.shift_start, self.shift_end):
            field.observe(lambda _: self.on_edited_shift_changed(), names="value")

    # --- state -------------------------------------------------------------------------------

    @property
    def message(self):
        """The message line written last (beside the button pressed last)."""
        return self.messages.last

    def say(self, text: str, kind: str = "ok", where: str = "week") -> None:
        self.messages.say(where, text, kind)

    def load(self) -> None:
        last = self.week + dt.timedelta(days=6)
        with database.transaction(self.engine) as conn:
            staff = people.load_staff(conn)
            patterns = schedules.load_patterns(conn)
            self.shifts = schedules.load_shifts(conn, self.week, last)
        names = [(f"{r.staff_name} ({r.staff_id or r.id})", int(r.id))
                 for r in staff.itertuples(index=False)]
        for dropdown in (self.pattern_person, self.new_person):
            ui.set_options(dropdown, names, dropdown.value)
        self.pattern_grid.value = render_pattern_grid(patterns)
        ui.set_options(self.pattern_pick, [
            (f"{r.staff_name}: {WEEKDAYS[r.day_of_week]} {_hhmm(r.start_time)}–"
             f"{_hhmm(r.end_time)}" + ("" if r.is_active is not False else " (off)"), r.id)
            for r in patterns.itertuples(index=False)
        ], self.pattern_pick.value)
        self.week_label.value = (
            f'<span class="bo-hint" style="padding:0 12px;font-size:15px">Week of'
            f" {self.week:%a %d %b %Y} – {last:%a %d %b}</span>"
        )
        self.week_grid.value = render_week_grid(self.shifts, self.week, self._week_costs())
        self._show_person_week()
        ui.set_options(self.shift_pick, [("— pick a shift —", None)] + [
            (f"{r.schedule_date:%a %d %b} {_hhmm(r.start_time)}–{_hhmm(r.end_time)} {r.staff_name}",
             r.id)
            for r in self.shifts.itertuples(index=False)
        ], self.shift_pick.value)
        self._fill_shift()

    # --- the plan's cost (payroll's plan_cost, when given) -------------------------------------

    def _costs(self, date_from: dt.date, date_to: dt.date, add: pd.DataFrame | None = None,
               remove: set | None = None) -> pd.DataFrame | None:
        """plan_cost's rows, or None without plan_cost or when it refuses (the refusal is kept
        in ``cost_refusal``: a shift that overlaps another, or is too long to be paid)."""
        self.cost_refusal = None
        if self.plan_cost is None:
            return None
        rows, refusal = ui.form_action(
            lambda c: self.plan_cost(c, self.user_email, date_from, date_to, add=add,
                                     remove=remove),
            engine=self.engine)
        self.cost_refusal = refusal
        return None if refusal else rows

    def _week_costs(self) -> dict[str, dict]:
        """Name → the week's plan-cost row (the grid's last column)."""
        rows = self._costs(self.week, self.week + dt.timedelta(days=6))
        if rows is None or rows.empty:
            return {}
        names = dict(zip(self.shifts["staff_id"], self.shifts["staff_name"]))
        return {str(names[r["staff"]]): r for r in rows.to_dict("records")
                if r["staff"] in names and r["week_start"] == self.week}

    def _change_cost(self, staff: int, day: dt.date, start: dt.time, end: dt.time,
                     remove: set | None = None) -> str:
        """The hint under a form: the person's week with this shift, and what it adds."""
        if self.plan_cost is None:
            return ""
        if day < bangkok.today():
            return ('<p class="bo-hint bo-change-cost">A past day: its pay comes from the time'
                    " clock, not from the plan.</p>")
        add = pd.DataFrame({"staff_id": [staff], "schedule_date": [day], "start_time": [start],
                            "end_time": [end]})
        rows = self._costs(day, day, add=add, remove=remove)
        if rows is None:
            return ("" if not self.cost_refusal else
                    f'<p class="bo-warning-text bo-change-cost">No cost: '
                    f"{html.escape(self.cost_refusal)}.</p>")
        mine = rows[rows["staff"] == staff].to_dict("records")
        if not mine:
            return ""
        row = mine[0]
        note = render_cost_note(row)
        text = f"With this shift the week of {row['week_start']:%a %d %b} has {_hours(row['hours'])} h"
        text += f": {note}" if note else ": no overtime or holiday pay"
        if row["added_cost"] != 0:
            text += f" (this change: {row['added_cost']:+,.2f} THB)"
        kind = "bo-warning-text" if note else "bo-hint"
        return f'<p class="{kind} bo-change-cost">{html.escape(text)}.</p>'

    def on_new_shift_changed(self) -> str:
        """The new shift's cost, shown before it is saved (empty while a field is not valid)."""
        try:
            day = ui.parse_date(self.new_date.value)
            start, end = (ui.parse_time(self.new_start.value, "the start"),
                          ui.parse_time(self.new_end.value, "the end"))
        except ValueError:
            self.new_cost.value = ""
            return ""
        if self.new_person.value is None or end <= start:
            self.new_cost.value = ""
            return ""
        self.new_cost.value = self._change_cost(int(self.new_person.value), day, start, end)
        return self.new_cost.value

    def on_edited_shift_changed(self) -> str:
        """The edited shift's cost (the saved one taken out, the edited one put in)."""
        if self._filling:  # a shift picked: its fields filled, nothing changed yet
            return ""
        shift_id = self.shift_pick.value
        try:
            day = ui.parse_date(self.shift_date.value)
            start, end = (ui.parse_time(self.shift_start.value, "the start"),
                          ui.parse_time(self.shift_end.value, "the end"))
        except ValueError:
            self.shift_cost.value = ""
            return ""
        if shift_id is None or end <= start:
            self.shift_cost.value = ""
            return ""
        row = self.shifts[self.shifts["id"] == shift_id].iloc[0]
        self.shift_cost.value = self._change_cost(int(row["staff_id"]), day, start, end,
                                                  remove={shift_id})
        return self.shift_cost.value

    def render_generation_cost(self, created: pd.DataFrame, period: tuple) -> str:
        """The preview's cost line: the overtime and holiday pay the created shifts add."""
        if created.empty:
            return ""
        rows = self._costs(*period, add=created)
        if rows is None:
            return ""
        added = sum(rows["added_cost"], start=0) if len(rows) else 0
        weeks = rows[[bool(n) for n in (render_cost_note(r) for r in rows.to_dict("records"))]]
        text = f"These shifts add {added:,.2f} THB of overtime and holiday pay"
        if len(weeks):
            names = dict(zip(created["staff_id"], created["staff_name"]))
            text += ": " + "; ".join(
                f"{names.get(r['staff'], r['staff'])} week of {r['week_start']:%d %b} "
                f"{_hours(r['hours'])} h, {render_cost_note(r)}"
                for r in weeks.to_dict("records"))
        kind = "bo-warning-text" if added else "bo-hint"
        return f'<p class="{kind} bo-gen-cost">{html.escape(text)}.</p>'

    def _show_person_week(self) -> None:
        """Under the add form: the picked person's shifts in the week shown."""
        pk = self.new_person.value
        if pk is None:
            self.new_person_hint.value = ""
            return
        mine = self.shifts[self.shifts["staff_id"] == pk].to_dict("records")
        text = ", ".join(
            f"{r['schedule_date']:%a %d} {_hhmm(r['start_time'])}–{_hhmm(r['end_time'])}"
            for r in mine
        ) or "no shift"
        self.new_person_hint.value = (
            f'<p class="bo-hint bo-person-week">This week: {html.escape(text)}.</p>'
        )

    def _fill_shift(self) -> None:
        """The picked shift's fields (its cost is shown once one of them is changed)."""
        self._filling = True
        try:
            self._fill_shift_fields()
        finally:
            self._filling = False
        self.shift_cost.value = ""

    def _fill_shift_fields(self) -> None:
        shift_id = self.shift_pick.value
        if shift_id is None:
            for field in (self.shift_date, self.shift_start, self.shift_end, self.shift_location):
                field.value = ""
            self.shift_hint.value = '<p class="bo-hint">Pick a shift to change its times.</p>'
            return
        row = self.shifts[self.shifts["id"] == shift_id].iloc[0]
        self.shift_hint.value = (
            f'<p class="bo-hint">{html.escape(str(row["staff_name"]))} on'
            f" {row['schedule_date']:%A %d %B}: change the date or times, or delete it.</p>"
        )
        self.shift_date.value = row["schedule_date"].isoformat()
        self.shift_start.value = _hhmm(row["start_time"])
        self.shift_end.value = _hhmm(row["end_time"])
        self.shift_location.value = row["location"] or ""

    def on_move_week(self, days: int) -> None:
        self.week += dt.timedelta(days=days)
        self.shift_pick.value = None
        self.load()

    def _act(self, work, done, where: str) -> Any:
        result, refusal = ui.form_action(work, engine=self.engine, require=self.require)
        if refusal:
            self.say(refusal, "refused", where)
            return None
        self.load()
        self.say(done(result) if callable(done) else done, where=where)
        return result

    def _times(self, start: widgets.Text, end: widgets.Text,
               where: str) -> tuple[dt.time, dt.time] | None:
        try:
            return ui.parse_time(start.value, "the start"), ui.parse_time(end.value, "the end")
        except ValueError as exc:
            self.say(str(exc), "refused", where)
            return None

    # --- actions -----------------------------------------------------------------------------

    def on_add_pattern(self):
        times = self._times(self.pattern_start, self.pattern_end, "pattern")
        if times is None or self.pattern_person.value is None:
            return None
        return self._act(
            lambda c: schedules.create_weekly_pattern(
                c, self.user_email, int(self.pattern_person.value), int(self.pattern_day.value),
                *times, location=self.pattern_location.value.strip() or None,
            ),
            f"Pattern added: {WEEKDAYS[self.pattern_day.value]} {_hhmm(times[0])}–"
            f"{_hhmm(times[1])}.",
            "pattern",
        )

    def on_toggle_pattern(self):
        pattern_id = self.pattern_pick.value
        if pattern_id is None:
            self.say("Pick a pattern first.", "refused", "pattern")
            return None
        label = {v: k for k, v in self.pattern_pick.options}[pattern_id]
        active = label.endswith("(off)")
        return self._act(
            lambda c: schedules.set_pattern_active(c, self.user_email, pattern_id, active),
            f"Pattern switched {'on' if active else 'off'}.",
            "pattern",
        )

    def _forget_preview(self) -> None:
        self._previewed = None
        self.generate_button.disabled = True

    def _period(self) -> tuple[dt.date, dt.date] | None:
        try:
            return ui.parse_date(self.gen_from.value, "From"), ui.parse_date(self.gen_to.value, "To")
        except ValueError as exc:
            self.say(str(exc), "refused", "generate")
            return None

    def on_preview(self):
        period = self._period()
        if period is None:
            return None
        report, refusal = ui.form_action(
            lambda c: schedules.preview_generate_schedules(c, self.user_email, *period),
            engine=self.engine, require=self.require,
        )
        if refusal:
            self._forget_preview()
            self.say(refusal, "refused", "generate")
            return None
        existing = report.existing_count()
        overlaps = report.skipped[
            [not attendance.is_already_existing(r) for r in report.skipped["reason"]]
        ] if len(report.skipped) else report.skipped
        summary = compute_preview_summary(len(report.created), existing, len(overlaps))
        self.preview.value = (
            f'<p class="bo-gen-summary"><strong>{html.escape(summary)}</strong></p>'
            + self.render_generation_cost(report.created, period)
            + (ui.table_html(report.created, PLAN_COLUMNS) if len(report.created) else "")
            + ("<p class='bo-hint'>Skipped: they overlap a different shift</p>"
               + ui.table_html(overlaps, {**PLAN_COLUMNS, "reason": "Why"}) if len(overlaps)
               else "")
        )
        self._previewed = period
        self.generate_button.disabled = report.created.empty
        self.say("Preview ready: nothing is saved until you press Create these shifts."
                 if len(report.created) else "Preview ready: nothing to create.", "info",
                 "generate")
        return report

    def on_generate(self):
        period = self._period()
        if period is None:
            return None
        if period != self._previewed:
            self.say("Preview these dates first.", "refused", "generate")
            return None
        result = self._act(
            lambda c: schedules.run_generate_schedules(c, self.user_email, *period),
            lambda r: f"Created {len(r.created)} shift(s)"
            + (f"; {r.existing_count()} already existed" if r.existing_count() else "")
            + f"; skipped {len(r.skipped) - r.existing_count()} overlapping.",
            "generate",
        )
        self._forget_preview()
        return result

    def on_save_shift(self):
        shift_id = self.shift_pick.value
        if shift_id is None:
            self.say("Pick a shift first.", "refused", "shift")
            return None
        times = self._times(self.shift_start, self.shift_end, "shift")
        if times is None:
            return None
        try:
            day = ui.parse_date(self.shift_date.value)
        except ValueError as exc:
            self.say(str(exc), "refused", "shift")
            return None
        return self._act(
            lambda c: schedules.update_shift(
                c, self.user_email, shift_id, schedule_date=day, start_time=times[0],
                end_time=times[1], location=self.shift_location.value.strip() or None,
            ),
            lambda r: f"Shift saved: {r['staff_name']} {day} {_hhmm(times[0])}–{_hhmm(times[1])}.",
            "shift",
        )

    def on_delete_shift(self):
        shift_id = self.shift_pick.value
        if shift_id is None:
            self.say("Pick a shift first.", "refused", "shift")
            return None
        return self._act(
            lambda c: schedules.delete_shift(c, self.user_email, shift_id),
            lambda r: f"Deleted the shift of {r['staff_name']} on {r['schedule_date']}.",
            "shift",
        )

    def on_add_shift(self):
        times = self._times(self.new_start, self.new_end, "week")
        if times is None or self.new_person.value is None:
            return None
        try:
            day = ui.parse_date(self.new_date.value)
        except ValueError as exc:
            self.say(str(exc), "refused", "week")
            return None
        return self._act(
            lambda c: schedules.create_shift(
                c, self.user_email, int(self.new_person.value), day, *times,
                location=self.new_location.value.strip() or None,
            ),
            f"Shift added on {day}, {_hhmm(times[0])}–{_hhmm(times[1])}.",
            "week",
        )


def schedule_dashboard(week: str = "", *, engine: Any = None,
                       plan_cost: Callable[..., pd.DataFrame] | None = None):
    """The schedules page for the signed-in admin (``week``: a date in the week to open, '' =
    this week; ``plan_cost``: payroll's, for the cost of the plan, see the module)."""

    def build(user):
        first = ui.parse_date(week, "week") if week else None
        return ScheduleBoard(user.email, engine=engine, week=first, plan_cost=plan_cost).widget

    return ui.guarded_dashboard(AREA, build, admin=True)
