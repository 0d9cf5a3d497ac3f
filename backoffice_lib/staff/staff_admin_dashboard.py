"""Staff admin (Voilà, admins): people, PINs, locks, change history, pay rates and coach rates.

Every form collects values and calls the same service the CLI calls
(``staff.service.people``, ``staff.service.compensation``) in one transaction
(``ui.form_action``); a refusal comes back as a message on the form, never a traceback. A new or reset PIN is shown once, in this page only, and is
never stored (only its bcrypt hash), logged or audited in clear.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html
from typing import Any

import ipywidgets as widgets
import pandas as pd

from .. import bangkok, database, ui
from .rules import compensation as compensation_rules
from .service import compensation, people

AREA = people.AREA
NEW_PERSON_WIDTH = "320px"
MESSAGES = ("person", "pay", "add", "coach")
STAFF_COLUMNS = {
    "staff_name": "Name",
    "staff_id": "Employee ID",
    "state": "State",
    "failed_attempts": "Wrong PINs",
    "locked_until": "Locked until",
    "is_service_charge_eligible": "Service charge",
    "clock": "Clock",
}
COMPENSATION_COLUMNS = {
    "effective_from": "From",
    "effective_to": "To",
    "compensation_type": "Type",
    "base_salary": "Salary / month",
    "hourly_rate": "Hourly rate",
    "ot_rate_per_hour": "OT / hour",
    "holiday_rate_per_hour": "Holiday / hour",
    "is_service_charge_eligible": "Service charge",
    "min_hours_for_allowance": "Allowance after (h)",
}
HISTORY_COLUMNS = {
    "created_at": "When",
    "action_type": "What",
    "changed_by_identifier": "By",
    "changes_summary": "Changes",
    "reason": "Reason",
}


# inputs wide enough for their values: "Nattaya Sirisombat", "2027-01-15", "15,000.00"
_field = functools.partial(ui.field, width="320px", label_width="130px")
_button = ui.button


def compute_staff_rows(staff: pd.DataFrame) -> pd.DataFrame:
    """The people list as shown: active first, inactive marked, locks and wrong PINs visible."""
    if staff.empty:
        return staff.assign(state=[], clock=[])
    now = bangkok.now()
    rows = staff.copy()
    rows["state"] = [
        "locked" if active and locked is not None and locked > now
        else ("active" if active else "inactive")
        for active, locked in zip(rows["is_active"], rows["locked_until"], strict=True)
    ]
    rows["locked_until"] = [
        locked if locked is not None and locked > now else None for locked in rows["locked_until"]
    ]
    rows["clock"] = ["in" if c else "" for c in rows["currently_clocked_in"]]
    rows["_order"] = [0 if a else 1 for a in rows["is_active"]]
    return rows.sort_values(["_order", "staff_name"], kind="stable").drop(columns="_order")


def _amount_value(amount) -> str:
    """An amount as the form shows it to be edited: 15000, 95.5 (no separator: typed back as is)."""
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def compute_person_history(staff_history: pd.DataFrame, pay_history: pd.DataFrame) -> pd.DataFrame:
    """A person's change history: their record's changes and their pay-rate changes, newest
    first (both carry created_at, action_type, changed_by_identifier, changes_summary, reason)."""
    frames = [f for f in (staff_history, pay_history) if len(f)]
    if not frames:
        return staff_history
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    when = list(merged["created_at"])
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    order = sorted(range(len(when)), key=lambda i: when[i] or oldest, reverse=True)
    return merged.iloc[order].reset_index(drop=True)


class RatesForm:
    """The fields of one compensation row; shows salary or hourly fields for the type chosen.

    ``fill`` copies every field of a rate (the one in force, or a new person's defaults), so
    that a change typed into one field keeps all the others."""

    def __init__(self, prefix: str, *, effective_from: dt.date, rates: compensation_rules.Rates):
        self.kind = _field(
            widgets.Dropdown, f"bo-{prefix}-type", options=["salary", "hourly"], value="salary",
            description="Pay type",
        )
        self.salary = _field(widgets.Text, f"bo-{prefix}-salary", description="Salary / month ฿",
                             placeholder="15000")
        self.hourly = _field(widgets.Text, f"bo-{prefix}-hourly", description="Hourly rate ฿",
                             placeholder="80")
        self.overtime = _field(widgets.Text, f"bo-{prefix}-ot", description="OT / hour ฿")
        self.holiday = _field(widgets.Text, f"bo-{prefix}-holiday", description="Holiday / hour ฿")
        self.min_hours = _field(widgets.Text, f"bo-{prefix}-min-hours",
                                description="Allowance after (h)")
        self.eligible = _field(widgets.Checkbox, f"bo-{prefix}-eligible",
                               description="Service charge", value=False, indent=False)
        self.effective_from = _field(widgets.Text, f"bo-{prefix}-from", description="From (date)")
        self.fields = (self.kind, self.salary, self.hourly, self.overtime, self.holiday,
                       self.min_hours, self.eligible, self.effective_from)
        self.kind.observe(lambda _: self._show_fields(), names="value")
        self.fill(rates, effective_from)
        self.widget = widgets.VBox([
            widgets.HBox([self.kind, self.effective_from]),
            widgets.HBox([self.salary, self.hourly]),
            widgets.HBox([self.overtime, self.holiday]),
            widgets.HBox([self.min_hours, self.eligible]),
        ])

    def fill(self, rates: compensation_rules.Rates, effective_from: dt.date) -> None:
        """Every field from ``rates``; the start date ``effective_from``."""
        self.kind.value = rates.compensation_type
        self.salary.value = _amount_value(rates.base_salary) if rates.base_salary else ""
        self.hourly.value = _amount_value(rates.hourly_rate) if rates.hourly_rate else ""
        self.overtime.value = _amount_value(rates.ot_rate_per_hour)
        self.holiday.value = _amount_value(rates.holiday_rate_per_hour)
        self.min_hours.value = str(rates.min_hours_for_allowance)
        self.eligible.value = bool(rates.is_service_charge_eligible)
        self.effective_from.value = effective_from.isoformat()
        self._show_fields()

    def on_change(self, callback) -> None:
        for field in self.fields:
            field.observe(lambda _: callback(), names="value")

    def _show_fields(self) -> None:
        salary = self.kind.value == "salary"
        self.salary.layout.display = None if salary else "none"
        self.hourly.layout.display = "none" if salary else None

    def rates(self) -> compensation_rules.Rates:
        try:
            min_hours = int(str(self.min_hours.value).strip() or "6")
        except ValueError:
            raise compensation_rules.CompensationError(
                f"the allowance hours are a whole number, not {self.min_hours.value!r}"
            ) from None
        return compensation_rules.Rates(
            compensation_type=self.kind.value,
            base_salary=compensation_rules.parse_amount(self.salary.value, "the salary"),
            hourly_rate=compensation_rules.parse_amount(self.hourly.value, "the hourly rate"),
            ot_rate_per_hour=compensation_rules.parse_amount(self.overtime.value, "the overtime rate"),
            holiday_rate_per_hour=compensation_rules.parse_amount(self.holiday.value, "the holiday rate"),
            is_service_charge_eligible=bool(self.eligible.value),
            min_hours_for_allowance=min_hours,
        )

    def start(self) -> dt.date:
        return ui.parse_date(self.effective_from.value, "the start date")


class StaffAdmin:
    """The staff admin page; ``widget`` is what the notebook shows."""

    def __init__(self, user_email: str, *, engine: Any = None, page_size: int = 20):
        self.user_email = user_email
        # every action checks the page's access again, in a transaction of its own (a refusal
        # stays audited): a click can reach the kernel for a button the person was never shown
        self.require = (user_email, AREA, True)
        self.engine = engine
        self.build(page_size)
        self.load()
        self.load_person()

    def build(self, page_size: int) -> None:
        """The page's widgets and their callbacks."""
        today = bangkok.today()
        self.today = today
        # each form's messages beside its buttons (bo-admin-message-person, -pay, -add, -coach)
        self.messages = ui.FormMessages(MESSAGES, "bo-admin-message")
        self.secret = widgets.HTML()
        self.secret.add_class("bo-secret-box")
        self.new_secret = widgets.HTML()
        self.new_secret.add_class("bo-new-secret-box")
        self.pending: tuple | None = None  # a pay cut waiting for "Yes, save"

        # the people
        self.people_table = ui.PagedTable(
            page_size=page_size, css_class="bo-people", columns=STAFF_COLUMNS,
            number_columns=("failed_attempts",),
            empty="Nobody is on the staff list yet: add the first person below.",
        )
        # one person
        self.person = _field(widgets.Dropdown, "bo-person", width="520px", description="Person",
                             options=[])
        self.summary = widgets.HTML()
        self.name = _field(widgets.Text, "bo-edit-name", description="Name")
        self.staff_id = _field(widgets.Text, "bo-edit-staff-id", description="Employee ID")
        self.eligible = _field(widgets.Checkbox, "bo-edit-eligible", description="Service charge",
                               indent=False)
        self.reason = _field(widgets.Text, "bo-reason", width="640px", description="Reason",
                             placeholder="why (kept in the audit trail)")
        self.save_button = _button("Save changes", "bo-edit-save", "primary")
        self.active_button = _button("Deactivate", "bo-toggle-active", "warning")
        self.unlock_button = _button("Unlock", "bo-unlock")
        self.reset_button = _button("Reset PIN", "bo-reset-pin", "danger")
        self.pay_table = widgets.HTML()
        self.history_table = widgets.HTML()
        self.history_table.add_class("bo-history-table")
        self.raise_form = RatesForm("raise", effective_from=today,
                                    rates=compensation_rules.compute_new_person_rates())
        self.raise_button = _button("Save new rate", "bo-raise-save", "primary")
        self.confirm_text = widgets.HTML()
        self.confirm_yes = _button("Yes, save", "bo-raise-confirm", "danger")
        self.confirm_no = _button("Cancel", "bo-raise-cancel")
        self.confirm_box = widgets.VBox(
            [self.confirm_text, widgets.HBox([self.confirm_yes, self.confirm_no])],
            layout=widgets.Layout(display="none"),
        )
        self.confirm_box.add_class("bo-raise-confirm-box")

        # a new person
        self.new_name = _field(widgets.Text, "bo-add-name", description="Name",
                               width=NEW_PERSON_WIDTH)
        self.new_staff_id = _field(widgets.Text, "bo-add-staff-id", description="Employee ID",
                                   width=NEW_PERSON_WIDTH)
        self.new_eligible = _field(widgets.Checkbox, "bo-add-person-eligible",
                                   description="Service charge", indent=False)
        self.new_pin = _field(widgets.Password, "bo-add-pin", description="PIN (6 digits)",
                              width=NEW_PERSON_WIDTH)
        self.new_pin_again = _field(widgets.Password, "bo-add-pin2", description="PIN again",
                                    width=NEW_PERSON_WIDTH)
        self.new_generate = _field(widgets.Checkbox, "bo-add-generate", indent=False,
                                   description="Generate a PIN instead")
        self.new_rates = RatesForm("add", effective_from=today,
                                   rates=compensation_rules.compute_new_person_rates())
        # one service-charge choice for a new person: the person's and their first rate's
        self.new_rates.eligible.layout.display = "none"
        self.add_button = _button("Add person", "bo-add-save", "primary")

        # coach rates
        self.coach_table = widgets.HTML()
        self.coach_type = _field(widgets.Dropdown, "bo-coach-type", width="360px",
                                 description="Rate type", options=[])
        self.coach_rate = _field(widgets.Text, "bo-coach-rate", description="฿ per hour")
        self.coach_button = _button("Save coach rate", "bo-coach-save", "primary")

        self.save_button.on_click(lambda _: self.on_save_person())
        self.active_button.on_click(lambda _: self.on_toggle_active())
        self.unlock_button.on_click(lambda _: self.on_unlock())
        self.reset_button.on_click(lambda _: self.on_reset_pin())
        self.raise_button.on_click(lambda _: self.on_save_rate())
        self.confirm_yes.on_click(lambda _: self.on_confirm_rate())
        self.confirm_no.on_click(lambda _: self.on_cancel_rate())
        self.raise_form.on_change(self._forget_pending)
        self.add_button.on_click(lambda _: self.on_add_person())
        self.coach_button.on_click(lambda _: self.on_save_coach_rate())
        self.new_generate.observe(lambda _: self._pin_fields(), names="value")

        self.widget = widgets.VBox(
            [
                ui.stylesheet(),
                widgets.HTML('<h2 class="bo-title">Staff admin</h2><p class="bo-hint">People, PINs,'
                             " locks, pay rates and coach rates. Every change is audited.</p>"),
                widgets.HTML("<h3>People</h3>"),
                self.people_table.widget,
                widgets.HTML("<h3>One person</h3>"),
                self._card([
                    self.person, self.summary,
                    widgets.HBox([self.name, self.staff_id, self.eligible]),
                    self.reason,
                    widgets.HBox([self.save_button, self.active_button, self.unlock_button,
                                  self.reset_button]),
                    self.messages["person"],
                    self.secret,
                ]),
                widgets.HTML("<h3>Pay rates</h3>"),
                self._card([
                    self.pay_table,
                    widgets.HTML('<p class="bo-hint">A new rate starts as a copy of the one in force:'
                                 " change what changes. From a date, it closes the current one"
                                 " on the day before.</p>"),
                    self.raise_form.widget, self.raise_button,
                    self.confirm_box,
                    self.messages["pay"],
                ]),
                widgets.HTML("<h3>Change history</h3>"),
                self.history_table,
                widgets.HTML("<h3>Add a person</h3>"),
                self._card([
                    widgets.HBox([self.new_name, self.new_staff_id, self.new_eligible]),
                    widgets.HBox([self.new_pin, self.new_pin_again]),
                    self.new_generate,
                    widgets.HTML('<p class="bo-hint">First pay rate</p>'),
                    self.new_rates.widget,
                    self.add_button,
                    self.messages["add"],
                    self.new_secret,
                ]),
                widgets.HTML("<h3>Coach rates</h3>"),
                self._card([
                    widgets.HTML('<p class="bo-hint">THB per coaching hour paid to the coach, per'
                                 " booking type (Coaching packages and individual lessons).</p>"),
                    self.coach_table,
                    widgets.HBox([self.coach_type, self.coach_rate, self.coach_button]),
                    self.messages["coach"],
                ]),
            ],
            layout=widgets.Layout(width="100%"),
        )
        self.widget.add_class("bo-page")
        self.person.observe(lambda _: self.load_person(), names="value")

    @staticmethod
    def _card(children: list) -> widgets.VBox:
        box = widgets.VBox(children)
        box.add_class("bo-card")
        return box

    def _pin_fields(self) -> None:
        display = "none" if self.new_generate.value else None
        self.new_pin.layout.display = display
        self.new_pin_again.layout.display = display

    # --- state -------------------------------------------------------------------------------

    @property
    def message(self):
        """The message line written last (beside the button pressed last)."""
        return self.messages.last

    def say(self, text: str, kind: str = "ok", where: str = "person") -> None:
        self.messages.say(where, text, kind)
        self.secret.value = self.new_secret.value = ""  # a PIN is shown once: any message hides it

    def load(self, keep: int | None = None) -> None:
        with database.transaction(self.engine) as conn:
            staff = people.load_staff(conn, include_inactive=True)
            rates = compensation.load_coach_rates(conn)
        rows = compute_staff_rows(staff)
        self.people_table.set_rows(rows, muted=[not a for a in rows["is_active"]])
        options = [
            (f"{r.staff_name} ({r.staff_id or r.id})" + ("" if r.is_active else " · inactive"),
             int(r.id))
            for r in rows.itertuples(index=False)
        ]
        ui.set_options(self.person, options, keep if keep is not None else self.person.value)
        self.coach_table.value = ui.table_html(
            rates, {"rate_type": "Rate type", "rate": "฿ per hour"}, money_columns=("rate",),
            empty="No coaching package types yet.",
        )
        ui.set_options(self.coach_type, list(rates["rate_type"]), self.coach_type.value)

    def load_person(self) -> None:
        pk = self.person.value
        if pk is None:
            self.summary.value = ui.empty_html("Add the first person with the form below.")
            return
        with database.transaction(self.engine) as conn:
            person = people.resolve_staff(conn, int(pk))
            pay = compensation.load_compensation(conn, int(pk))
            history = compute_person_history(
                people.load_staff_history(conn, int(pk)),
                compensation.load_pay_rate_history(conn, int(pk)),
            )
        self.current = person
        self.fill_rate_form(pay.to_dict("records"))
        self.name.value = person["staff_name"]
        self.staff_id.value = person["staff_id"] or ""
        self.eligible.value = bool(person["is_service_charge_eligible"])
        self.active_button.description = "Deactivate" if person["is_active"] else "Reactivate"
        locked = person["locked_until"]
        lock_text = (
            f"locked until {locked.astimezone(bangkok.BANGKOK):%Y-%m-%d %H:%M}"
            if locked is not None and locked > bangkok.now() else "not locked"
        )
        self.summary.value = (
            f'<p class="bo-hint">{html.escape(person["staff_name"])}: '
            f"{'active' if person['is_active'] else 'inactive'}, {lock_text}, "
            f"{person['failed_attempts'] or 0} wrong PIN(s) since the last right one.</p>"
        )
        self.pay_table.value = ui.table_html(
            pay, COMPENSATION_COLUMNS,
            money_columns=("base_salary", "hourly_rate", "ot_rate_per_hour",
                           "holiday_rate_per_hour"),
            number_columns=("min_hours_for_allowance",),
            empty="No pay rate yet: enter the first one below (payroll needs it).",
        )
        self.history_table.value = ui.table_html(
            history, HISTORY_COLUMNS, empty="No change recorded for this person yet."
        )

    def fill_rate_form(self, rows: list[dict]) -> None:
        """The new-rate form as a copy of the rate it follows (every field): the rate in force
        the day before the first date, not in the past, that the service accepts (the latest
        rate, a raise already planned included); a person without a rate gets the defaults."""
        self._forget_pending()
        self.current_rows = rows
        start = compensation_rules.compute_default_start(rows, self.today)
        in_force = compensation_rules.compute_row_in_force(rows, start - dt.timedelta(days=1))
        rates = (compensation_rules.compute_rates_of_row(in_force) if in_force is not None
                 else compensation_rules.compute_new_person_rates())
        self.raise_form.fill(rates, start)
        self._forget_pending()

    # --- actions -----------------------------------------------------------------------------

    def _act(self, work, done: str | None = None, *, keep: int | None = None,
             where: str = "person"):
        result, refusal = ui.form_action(work, engine=self.engine, require=self.require)
        if refusal:
            self.say(refusal, "refused", where)
            return None
        self.load(keep=keep)
        self.load_person()
        if done:
            self.say(done(result) if callable(done) else done, where=where)
        return result

    def _pk(self, where: str = "person") -> int | None:
        if self.person.value is None:
            self.say("Pick a person first.", "refused", where)
        return self.person.value

    def on_save_person(self):
        pk = self._pk()
        if pk is None:
            return None
        return self._act(
            lambda c: people.update_staff(
                c, self.user_email, int(pk), staff_name=self.name.value,
                staff_id=self.staff_id.value, is_service_charge_eligible=self.eligible.value,
                reason=self.reason.value or None,
            ),
            lambda r: f"Saved {r['staff_name']}.",
        )

    def on_toggle_active(self):
        pk = self._pk()
        if pk is None:
            return None
        active = bool(self.current["is_active"])
        function = people.deactivate_staff if active else people.activate_staff
        verb = "Deactivated" if active else "Reactivated"
        return self._act(
            lambda c: function(c, self.user_email, int(pk), reason=self.reason.value),
            lambda r: f"{verb} {r['staff_name']}.",
        )

    def on_unlock(self):
        pk = self._pk()
        if pk is None:
            return None
        return self._act(
            lambda c: people.unlock_staff(c, self.user_email, int(pk), reason=self.reason.value),
            lambda r: f"Unlocked {r['staff_name']}; wrong PINs cleared.",
        )

    def on_reset_pin(self) -> str | None:
        """A generated PIN, shown once here; only its hash is stored."""
        pk = self._pk()
        if pk is None:
            return None
        pin = people.generate_pin()
        result = self._act(
            lambda c: people.reset_pin(c, self.user_email, int(pk), pin, reason=self.reason.value)
        )
        if result is None:
            return None
        self.say(f"New PIN set for {result['staff_name']}; lock and wrong PINs cleared.")
        self._show_pin(result["staff_name"], pin)
        return pin

    def _show_pin(self, name: str, pin: str, box=None) -> None:
        (box or self.secret).value = (
            '<div class="bo-card" role="status"><p class="bo-hint">New PIN for '
            f"{html.escape(name)}: hand it over now. It is not stored and will not be shown"
            f' again.</p><div class="bo-secret">{html.escape(pin)}</div></div>'
        )

    def _forget_pending(self) -> None:
        self.pending = None
        self.confirm_box.layout.display = "none"
        self.confirm_text.value = ""

    def on_save_rate(self):
        """Save the new rate; one that lowers a component to 0 or drops service-charge
        eligibility is not saved yet: the form says what it changes and waits for "Yes, save"."""
        pk = self._pk("pay")
        if pk is None:
            return None
        try:
            rates, start = self.raise_form.rates(), self.raise_form.start()
        except ValueError as exc:
            self.say(str(exc), "refused", "pay")
            return None
        rows = getattr(self, "current_rows", [])
        replaced = compensation_rules.compute_row_in_force(rows, start) if rows else None
        cuts = compensation_rules.compute_pay_cuts(
            compensation_rules.compute_rates_of_row(replaced) if replaced is not None else None, rates
        )
        if cuts:
            self._forget_pending()
            name = self.current["staff_name"] if getattr(self, "current", None) else "this person"
            self.confirm_text.value = ui.message_html(
                f"This new rate from {start} lowers {name}'s pay: " + "; ".join(cuts)
                + ". Save it anyway?", "refused",
            )
            self.confirm_box.layout.display = None
            self.messages.say("pay", "Not saved yet: confirm or cancel the change above.", "info")
            self.pending = (int(pk), rates, start)
            return None
        return self._save_rate(int(pk), rates, start)

    def on_confirm_rate(self):
        """"Yes, save": save the change the confirmation described."""
        if self.pending is None:
            self.say("Nothing to confirm: press Save new rate first.", "refused", "pay")
            return None
        pk, rates, start = self.pending
        self._forget_pending()
        return self._save_rate(pk, rates, start)

    def on_cancel_rate(self) -> None:
        self._forget_pending()
        self.say("Not saved: the change was cancelled.", "info", "pay")

    def _save_rate(self, pk: int, rates: compensation_rules.Rates, start: dt.date):
        return self._act(
            lambda c: compensation.add_compensation(
                c, self.user_email, pk, rates, start, reason=self.reason.value or None
            ),
            lambda r: f"New {r['compensation_type']} rate from {r['effective_from']} saved"
            + (f"; the previous rate ends on {r['closed'][0]['effective_to']}" if r["closed"]
               else "") + ".",
            where="pay",
        )

    def on_add_person(self):
        generated = bool(self.new_generate.value)
        if generated:
            pin = people.generate_pin()
        else:
            pin = self.new_pin.value
            if pin != self.new_pin_again.value:
                self.say("The two PINs differ: type the same 6 digits twice.", "refused", "add")
                return None
        try:
            rates, start = self.new_rates.rates(), self.new_rates.start()
        except ValueError as exc:
            self.say(str(exc), "refused", "add")
            return None
        rates = dataclasses.replace(rates, is_service_charge_eligible=bool(self.new_eligible.value))

        def work(conn):
            created = people.create_staff(
                conn, self.user_email, self.new_name.value, pin,
                staff_id=self.new_staff_id.value or None,
                is_service_charge_eligible=bool(self.new_eligible.value),
            )
            compensation.add_compensation(conn, self.user_email, created["id"], rates, start)
            return created

        result, refusal = ui.form_action(work, engine=self.engine, require=self.require)
        self.new_pin.value = self.new_pin_again.value = ""
        if refusal:
            self.say(refusal, "refused", "add")
            return None
        for field in (self.new_name, self.new_staff_id):
            field.value = ""
        self.new_eligible.value = False
        self.new_rates.fill(compensation_rules.compute_new_person_rates(), self.today)
        self.load(keep=result["id"])
        self.load_person()
        self.say(f"Added {result['staff_name']} (id {result['id']}) with a first pay rate from"
                 f" {start}.", where="add")
        if generated:
            self._show_pin(result["staff_name"], pin, self.new_secret)
        return result

    def on_save_coach_rate(self):
        return self._act(
            lambda c: compensation.save_coach_rate(
                c, self.user_email, self.coach_type.value or "", self.coach_rate.value
            ),
            lambda r: f"Coach rate for {r['rate_type']}: {ui.format_money(r['rate'])} per hour.",
            where="coach",
        )


def staff_admin_dashboard(page_size: int = 20, *, engine: Any = None):
    """The staff admin page for the signed-in admin; refusals and errors come back on screen."""
    return ui.guarded_dashboard(
        AREA,
        lambda user: StaffAdmin(user.email, engine=engine, page_size=page_size).widget,
        admin=True,
    )

