"""Studio settings (Voilà, admins): public holidays, payroll and time-clock settings, and who may
sign in (``allowed_users``).

Holidays: fill a year from the Thai calendar (``holidays`` package), switch a date on or off, add
the studio's own days. Settings: each value with its default shown; saving stores it, "use the
default" removes the row. Who may sign in: add, change the admin and coach flags and coach code,
remove; the last admin cannot be removed or demoted. Every form calls the services
(``staff.holidays``, ``staff.settings_service``, ``staff.sign_in_users``) in one transaction.
"""

from __future__ import annotations

import functools
from typing import Any

import ipywidgets as widgets

from .. import bangkok, database, ui
from .service import holidays, sign_in_users
from .service import settings as settings_service

AREA = settings_service.AREA
HOLIDAY_COLUMNS = {"holiday_date": "Date", "holiday_name": "Holiday", "state": "State"}
USER_COLUMNS = {
    "email": "E-mail",
    "is_admin": "Admin",
    "is_coach": "Coach",
    "coach_code": "Coach code",
    "coach_name": "Coach name",
}


MESSAGES = ("holidays", "settings", "users")
# inputs wide enough for their values ("2027-01-15", names, e-mails)
_field = functools.partial(ui.field, width="260px", label_width="110px")
_button = ui.button
_card = ui.card


class StudioSettings:
    """The studio settings page; ``widget`` is what the notebook shows."""

    def __init__(self, user_email: str, *, engine: Any = None, year: int | None = None):
        self.user_email = user_email
        # every action checks the page's access again, in a transaction of its own (a refusal
        # stays audited): a click can reach the kernel for a button the person was never shown
        self.require = (user_email, AREA, True)
        self.engine = engine
        self.build(year)
        self.load()

    def build(self, year: int | None) -> None:
        """The page's widgets and their callbacks."""
        this_year = bangkok.today().year
        # each form's messages beside its buttons (bo-settings-message-holidays, -settings, -users)
        self.messages = ui.FormMessages(MESSAGES, "bo-settings-message")
        # holidays
        with database.transaction(self.engine) as conn:
            years = holidays.load_holiday_years(conn)
        choices = sorted(set(years) | {this_year - 1, this_year, this_year + 1})
        self.year = _field(widgets.Dropdown, "bo-holiday-year", width="200px", label_width="50px",
                           description="Year",
                           options=choices, value=year if year in choices else this_year)
        self.holiday_table = widgets.HTML()
        self.fill_button = _button("Fill from the Thai calendar", "bo-holiday-fill", "primary")
        self.fill_button.layout.width = "240px"  # the whole label, not "Fill from the Thai ca…"
        self.holiday_pick = _field(widgets.Dropdown, "bo-holiday-pick", width="520px",
                                   description="Holiday", options=[])
        self.holiday_toggle = _button("Switch on / off", "bo-holiday-toggle")
        self.holiday_date = _field(widgets.Text, "bo-holiday-date", description="Date",
                                   placeholder="2026-12-24")
        self.holiday_name = _field(widgets.Text, "bo-holiday-name", width="360px",
                                   description="Name", placeholder="Studio closed")
        self.holiday_add = _button("Add day", "bo-holiday-add")
        # settings
        self.setting_fields: dict[str, widgets.Text] = {}
        self.setting_hints: dict[str, widgets.HTML] = {}
        rows = []
        for setting in settings_service.SETTINGS:
            field = _field(widgets.Text, f"bo-setting-{setting.key}", width="380px",
                           description=setting.label)
            field.style.description_width = "240px"
            save = _button("Save", f"bo-setting-save-{setting.key}", "primary")
            reset = _button("Use default", f"bo-setting-reset-{setting.key}")
            save.on_click(lambda _, key=setting.key: self.on_save_setting(key))
            reset.on_click(lambda _, key=setting.key: self.on_reset_setting(key))
            hint = widgets.HTML()
            self.setting_fields[setting.key] = field
            self.setting_hints[setting.key] = hint
            rows.append(widgets.HBox([field, save, reset, hint]))
        self.settings_box = widgets.VBox(rows)
        # who may sign in
        self.users_table = widgets.HTML()
        self.user_pick = _field(widgets.Dropdown, "bo-user-pick", width="480px",
                                description="User", options=[])
        self.user_email_field = _field(widgets.Text, "bo-user-email", width="400px",
                                       description="E-mail")
        self.user_admin = _field(widgets.Checkbox, "bo-user-admin", description="Admin",
                                 indent=False, width="100px")
        self.user_coach = _field(widgets.Checkbox, "bo-user-coach", description="Coach",
                                 indent=False, width="100px")
        self.user_code = _field(widgets.Text, "bo-user-code", description="Coach code",
                                placeholder="BOSS")
        self.user_name = _field(widgets.Text, "bo-user-name", description="Coach name")
        self.user_add = _button("Add user", "bo-user-add", "primary")
        self.user_save = _button("Save user", "bo-user-save")
        self.user_remove = _button("Remove user", "bo-user-remove", "danger")

        self.year.observe(lambda _: self.load_holidays(), names="value")
        self.fill_button.on_click(lambda _: self.on_fill_year())
        self.holiday_toggle.on_click(lambda _: self.on_toggle_holiday())
        self.holiday_add.on_click(lambda _: self.on_add_holiday())
        self.user_add.on_click(lambda _: self.on_add_user())
        self.user_save.on_click(lambda _: self.on_save_user())
        self.user_remove.on_click(lambda _: self.on_remove_user())

        self.widget = widgets.VBox([
            ui.stylesheet(),
            widgets.HTML('<h2 class="bo-title">Studio settings</h2><p class="bo-hint">Public'
                         " holidays, payroll and time-clock settings, and who may sign in.</p>"),
            widgets.HTML("<h3>Public holidays</h3>"),
            _card([
                widgets.HBox([self.year, self.fill_button]),
                self.holiday_table,
                widgets.HBox([self.holiday_pick, self.holiday_toggle]),
                widgets.HBox([self.holiday_date, self.holiday_name, self.holiday_add]),
                self.messages["holidays"],
            ]),
            widgets.HTML("<h3>Payroll and time clock</h3>"),
            _card([self.settings_box, self.messages["settings"]]),
            widgets.HTML("<h3>Who may sign in</h3>"),
            _card([
                self.users_table,
                self.user_pick,
                widgets.HBox([self.user_email_field, self.user_admin, self.user_coach]),
                widgets.HBox([self.user_code, self.user_name]),
                widgets.HBox([self.user_add, self.user_save, self.user_remove]),
                self.messages["users"],
            ]),
        ])
        self.widget.add_class("bo-page")
        self.user_pick.observe(lambda _: self._fill_user(), names="value")

    def load(self) -> None:
        self.load_holidays()
        self.load_settings()
        self.load_users()

    @property
    def message(self):
        """The message line written last (beside the button pressed last)."""
        return self.messages.last

    def say(self, text: str, kind: str = "ok", where: str = "holidays") -> None:
        self.messages.say(where, text, kind)

    def _act(self, work, done, then, where: str) -> Any:
        result, refusal = ui.form_action(work, engine=self.engine, require=self.require)
        if refusal:
            self.say(refusal, "refused", where)
            self._fill_user()  # the form shows what is stored again, not the refused change
            return None
        then()
        self.say(done(result) if callable(done) else done, where=where)
        return result

    # --- holidays ------------------------------------------------------------------------------

    def load_holidays(self) -> None:
        with database.transaction(self.engine) as conn:
            rows = holidays.load_holidays(conn, int(self.year.value))
        rows["state"] = ["on" if a is not False else "off" for a in rows["is_active"]]
        self.holiday_table.value = ui.table_html(
            rows, HOLIDAY_COLUMNS, muted=[a is False for a in rows["is_active"]],
            empty=f"No holiday listed for {self.year.value}: press Fill from the Thai calendar,"
            " then switch off the days the studio works.",
        )
        ui.set_options(self.holiday_pick, [
            (f"{r.holiday_date} {r.holiday_name}" + ("" if r.is_active is not False else " (off)"),
             r.holiday_date)
            for r in rows.itertuples(index=False)
        ], self.holiday_pick.value)
        self._holidays = rows

    def on_fill_year(self):
        year = int(self.year.value)
        return self._act(
            lambda c: holidays.fill_holidays(c, self.user_email, year),
            lambda r: f"{year}: added {len(r['added'])} holiday(s) from the Thai calendar;"
            f" {len(r['kept'])} already listed were kept as they are.",
            self.load_holidays,
            "holidays",
        )

    def on_toggle_holiday(self):
        day = self.holiday_pick.value
        if day is None:
            self.say("Pick a holiday first.", "refused", "holidays")
            return None
        active = bool((self._holidays[self._holidays["holiday_date"] == day]["is_active"]
                       == False).any())
        return self._act(
            lambda c: holidays.set_holiday_active(c, self.user_email, day, active),
            f"{day} switched {'on' if active else 'off'}.",
            self.load_holidays,
            "holidays",
        )

    def on_add_holiday(self):
        """Add a day; the view stays on the year the user was on (a day of another year is
        said to be listed under its year, which joins the year choices)."""
        try:
            day = ui.parse_date(self.holiday_date.value)
        except ValueError as exc:
            self.say(str(exc), "refused", "holidays")
            return None
        shown = int(self.year.value)
        where = "" if day.year == shown else f" (listed under {day.year}; still showing {shown})"
        result = self._act(
            lambda c: holidays.add_holiday(c, self.user_email, day, self.holiday_name.value),
            f"{day} added as a holiday{where}.",
            self._keep_year,
            "holidays",
        )
        return result

    def _keep_year(self) -> None:
        """After an addition: the added day's year joins the choices, the shown year stays."""
        shown = self.year.value
        added = ui.parse_date(self.holiday_date.value).year
        if added not in self.year.options:
            self.year.options = sorted({*self.year.options, added})
            self.year.value = shown
        self.load_holidays()

    # --- settings ------------------------------------------------------------------------------

    def load_settings(self) -> None:
        with database.transaction(self.engine) as conn:
            rows = settings_service.load_settings(conn)
        for row in rows.itertuples(index=False):
            self.setting_fields[row.key].value = str(row.value)
            state = "the default" if row.is_default else f"default {row.default}"
            self.setting_hints[row.key].value = (
                f'<span class="bo-hint" style="padding-left:10px">{state} · {row.description}'
                "</span>"
            )

    def on_save_setting(self, key: str):
        return self._act(
            lambda c: settings_service.save_setting(
                c, self.user_email, key, self.setting_fields[key].value
            ),
            lambda v: f"{settings_service.BY_KEY[key].label}: {v} saved.",
            self.load_settings,
            "settings",
        )

    def on_reset_setting(self, key: str):
        return self._act(
            lambda c: settings_service.reset_setting(c, self.user_email, key),
            lambda v: f"{settings_service.BY_KEY[key].label}: back to the default, {v}.",
            self.load_settings,
            "settings",
        )

    # --- who may sign in -----------------------------------------------------------------------

    def load_users(self) -> None:
        with database.transaction(self.engine) as conn:
            rows = sign_in_users.load_allowed_users(conn)
        self.users_table.value = ui.table_html(
            rows, USER_COLUMNS, empty="Nobody may sign in yet: add the first admin."
        )
        self._users = rows
        ui.set_options(self.user_pick, [("— a new user —", None)] + [
            (r.email, r.email) for r in rows.itertuples(index=False)
        ], self.user_pick.value)
        self._fill_user()

    def _fill_user(self) -> None:
        email = self.user_pick.value
        if email is None:
            self.user_email_field.value = ""
            self.user_email_field.disabled = False
            self.user_admin.value = self.user_coach.value = False
            self.user_code.value = self.user_name.value = ""
            return
        row = self._users[self._users["email"] == email].iloc[0]
        self.user_email_field.value = email
        self.user_email_field.disabled = True
        self.user_admin.value = bool(row["is_admin"])
        self.user_coach.value = bool(row["is_coach"])
        self.user_code.value = row["coach_code"] or ""
        self.user_name.value = row["coach_name"] or ""

    def on_add_user(self):
        return self._act(
            lambda c: sign_in_users.add_allowed_user(
                c, self.user_email, self.user_email_field.value, is_admin=self.user_admin.value,
                is_coach=self.user_coach.value, coach_code=self.user_code.value,
                coach_name=self.user_name.value,
            ),
            lambda r: f"{r['email']} may now sign in.",
            self.load_users,
            "users",
        )

    def on_save_user(self):
        email = self.user_pick.value
        if email is None:
            self.say("Pick a user to change (or Add user for a new one).", "refused", "users")
            return None
        return self._act(
            lambda c: sign_in_users.update_allowed_user(
                c, self.user_email, email, is_admin=self.user_admin.value,
                is_coach=self.user_coach.value, coach_code=self.user_code.value,
                coach_name=self.user_name.value,
            ),
            lambda r: f"Saved {r['email']}.",
            self.load_users,
            "users",
        )

    def on_remove_user(self):
        email = self.user_pick.value
        if email is None:
            self.say("Pick the user to remove.", "refused", "users")
            return None
        return self._act(
            lambda c: sign_in_users.remove_allowed_user(c, self.user_email, email),
            lambda r: f"{r['email']} can no longer sign in.",
            self.load_users,
            "users",
        )


def studio_settings_dashboard(year: int = 0, *, engine: Any = None):
    """Holidays, settings and who may sign in, for the signed-in admin (``year`` of holidays to
    open; 0 = this year)."""
    return ui.guarded_dashboard(
        AREA,
        lambda user: StudioSettings(user.email, engine=engine, year=year or None).widget,
        admin=True,
    )
