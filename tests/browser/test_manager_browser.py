"""Managers run the studio in the browser (issues 14, 29): each form walked in headless Chromium.

Two servers of their own (token mode, the server's default pool of preheated kernels) sign in the
admin and a coach without the admin role. Each walk takes the happy path, one bad input (a PIN of
five digits, a raise that overlaps, a shift that overlaps, an over-use) and checks the database
afterwards; a user without the role is refused on screen and the refusal is audited. Issue 29:
a raise typed with only a new salary keeps every other component, a cut to 0 asks first, a usage
without a staff choice is refused, adding a holiday of another year keeps the year shown, messages
appear beside the button pressed, and inputs show their whole values. Screenshots land in
test-output/screenshots/manager-*.png (the kiosk also at tablet size, 768×1024).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backoffice_lib import bangkok
from backoffice_lib.staff.rules import pins

from .conftest import TOKEN

ADMIN = "admin@studio.example"
COACH = "min@studio.example"  # allowed, not an admin
WAIT = 60_000


@pytest.fixture(scope="module")
def db(demo_database_url):
    engine = sa.create_engine(demo_database_url)
    yield engine
    engine.dispose()


def query(db, statement, **params):
    with db.connect() as conn:
        return conn.execute(sa.text(statement), params).all()


WHOLE_JS = """e => {
  const style = getComputedStyle(e);
  const text = e.tagName === "SELECT" ? e.options[e.selectedIndex].text
             : e.tagName === "INPUT" ? e.value : e.innerText;
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const arrow = e.tagName === "SELECT" ? 20 : 0;
  const room = e.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
               - arrow;
  return [text, context.measureText(text).width, room];
}"""


class Page:
    """One dashboard opened in Chromium on ``server`` (offline: non-local requests abort)."""

    def __init__(self, chromium, server, path, *, viewport=(1280, 900)):
        self.context = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.escaped: list[str] = []

        def route(route):
            if route.request.url.startswith((server.base, "data:", "blob:")):
                route.continue_()
            else:
                self.escaped.append(route.request.url)
                route.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.goto(server.url(f"?token={TOKEN}"))
        self.page.goto(server.url(f"voila/render/{path}"), wait_until="commit", timeout=WAIT)
        self.page.wait_for_selector(".bo-page, .backoffice-error, .kiosk", timeout=90_000)

    def fill(self, css, value):
        self.page.locator(f".{css} input").first.fill(value)

    def check(self, css, on=True):
        box = self.page.locator(f".{css} input[type=checkbox]")
        box.check() if on else box.uncheck()

    def pick(self, css, text):
        """Select the first option of the dropdown whose label contains ``text``."""
        select = self.page.locator(f".{css} select")
        options = select.evaluate(
            "s => [...s.options].map(o => [o.value, o.textContent.replace(/\\u00a0/g, ' ')])")
        select.select_option(value=next(value for value, label in options if text in label))

    def selected(self, css):
        """The label of the option a dropdown shows (ipywidgets writes spaces as &nbsp;)."""
        return self.page.locator(f".{css} select").evaluate(
            "s => s.options[s.selectedIndex].textContent.replace(/\\u00a0/g, ' ')")

    def click(self, css):
        self.page.locator(f"button.{css}").click()

    def expect(self, css, text):
        expect(self.page.locator(f".{css}")).to_contain_text(text, timeout=WAIT)

    def value(self, css):
        return self.page.locator(f".{css} input").first.input_value()

    def whole(self, selector) -> bool:
        """The element (input, select or button) has room for its whole text in its font
        (they were cut: "Nattaya Sir", "2027-01-1", "Fill from the Thai ca…")."""
        text, width, room = self.page.locator(selector).first.evaluate(WHOLE_JS)
        assert width <= room, f"{text!r} needs {width:.0f} px, has {room:.0f} px"
        return True

    def below(self, message_css, button_css) -> float:
        """How far (px) the message's top is below the bottom of the button pressed."""
        button = self.page.locator(f"button.{button_css}").bounding_box()
        message = self.page.locator(f".{message_css}").bounding_box()
        return message["y"] - (button["y"] + button["height"])

    def shot(self, screenshots, name, at=None):
        """A screenshot; ``at``: the element to scroll into view first (the page scrolls inside
        Voilà's container, so a full-page shot shows one screen)."""
        if at:
            self.page.locator(f".{at}").first.scroll_into_view_if_needed()
        self.page.screenshot(path=str(screenshots / f"manager-{name}.png"), full_page=True)

    def close(self):
        assert self.escaped == []
        self.context.close()


def rates_of(db, pk):
    return query(db, "SELECT base_salary, ot_rate_per_hour, holiday_rate_per_hour,"
                     " is_service_charge_eligible, effective_from, effective_to FROM"
                     " backoffice.staff_compensation WHERE staff_id = :s ORDER BY effective_from",
                 s=pk)


def test_staff_admin_add_a_person_raise_cut_and_reset_pin(chromium, as_admin, db, screenshots):
    page = Page(chromium, as_admin, "staff/staff_admin.ipynb")
    today = bangkok.today()
    tomorrow = today + dt.timedelta(days=1)
    try:
        # a PIN of five digits is refused beside the button and nothing is written
        page.fill("bo-add-name", "Nattaya Sirisombat")
        page.fill("bo-add-staff-id", "BR-001")
        page.fill("bo-add-pin", "12345")
        page.fill("bo-add-pin2", "12345")
        page.fill("bo-add-salary", "15000")
        page.check("bo-add-person-eligible")
        assert page.value("bo-add-ot") == "100" and page.value("bo-add-holiday") == "100"
        page.click("bo-add-save")
        page.expect("bo-admin-message-add", "a PIN is exactly 6 digits")
        assert 0 <= page.below("bo-admin-message-add", "bo-add-save") < 120
        assert query(db, "SELECT id FROM backoffice.staff WHERE staff_id = 'BR-001'") == []

        page.fill("bo-add-pin", "246813")
        page.fill("bo-add-pin2", "246813")
        page.click("bo-add-save")
        page.expect("bo-admin-message-add", "Added Nattaya Sirisombat")
        [(pk, pin_hash)] = query(
            db, "SELECT id, pin_hash FROM backoffice.staff WHERE staff_id = 'BR-001'"
        )
        assert pins.verify_pin("246813", pin_hash)
        # a new person's first rate pays overtime and holiday work, not 0
        assert rates_of(db, pk) == [
            (Decimal("15000.00"), Decimal("100.00"), Decimal("100.00"), True, today, None)
        ]

        # the new-rate form is a copy of the rate in force, from a date not in the past
        assert page.selected("bo-person").startswith("Nattaya Sirisombat (BR-001)")
        expect(page.page.locator(".bo-edit-name input")).to_have_value("Nattaya Sirisombat")
        assert page.whole(".bo-edit-name input"), "the name is cut"
        assert page.value("bo-raise-salary") == "15000" and page.value("bo-raise-ot") == "100"
        assert page.page.locator(".bo-raise-eligible input").is_checked()
        assert page.value("bo-raise-from") == tomorrow.isoformat()
        assert page.whole(".bo-raise-from input"), "the date is cut"

        # a raise from a date that overlaps is refused with the dates
        page.fill("bo-raise-from", today.isoformat())
        page.fill("bo-raise-salary", "16000")
        page.click("bo-raise-save")
        page.expect("bo-admin-message-pay", f"overlaps the existing row {today} (open)")
        # a raise typed with only a new salary keeps overtime, holiday and service charge
        page.fill("bo-raise-from", tomorrow.isoformat())
        page.click("bo-raise-save")
        page.expect("bo-admin-message-pay", f"the previous rate ends on {today}")
        assert 0 <= page.below("bo-admin-message-pay", "bo-raise-save") < 200
        assert rates_of(db, pk) == [
            (Decimal("15000.00"), Decimal("100.00"), Decimal("100.00"), True, today, today),
            (Decimal("16000.00"), Decimal("100.00"), Decimal("100.00"), True, tomorrow, None),
        ]

        # a cut to 0 and a dropped service charge ask first, saying what they change
        later = today + dt.timedelta(days=30)
        page.fill("bo-raise-from", later.isoformat())
        page.fill("bo-raise-ot", "0")
        page.check("bo-raise-eligible", False)
        page.click("bo-raise-save")
        page.expect("bo-raise-confirm-box",
                    "overtime rate 100.00 -> 0; service charge: eligible -> not eligible")
        assert len(rates_of(db, pk)) == 2  # nothing saved before "Yes, save"
        page.shot(screenshots, "staff-admin-confirm")
        page.click("bo-raise-confirm")
        page.expect("bo-admin-message-pay", f"rate from {later} saved")
        assert rates_of(db, pk)[-1] == (
            Decimal("16000.00"), Decimal("0.00"), Decimal("100.00"), False, later, None
        )
        # pay-rate changes are in the person's change history
        page.expect("bo-history-table", "pay_rate_raised")
        page.expect("bo-history-table", "overtime rate 100.00 -> 0")

        # reset PIN: shown once on screen, only its hash stored, never in the audit trail
        page.fill("bo-reason", "forgot the PIN")
        page.click("bo-reset-pin")
        page.expect("bo-secret-box", "not be shown again")
        shown = page.page.locator(".bo-secret").inner_text().strip()
        [(new_hash,)] = query(db, "SELECT pin_hash FROM backoffice.staff WHERE id = :s", s=pk)
        assert pins.verify_pin(shown, new_hash)
        trail = query(db, "SELECT details::text FROM backoffice.audit_logs WHERE resource_id = :s",
                      s=str(pk))
        assert trail and shown not in json.dumps([t[0] for t in trail])
        page.expect("bo-history-table", "pin_changed")
        page.shot(screenshots, "staff-admin", at="bo-person")
    finally:
        page.close()


def test_schedules_add_a_shift_refuse_an_overlap_and_preview(chromium, as_admin, db,
                                                              screenshots):
    page = Page(chromium, as_admin, "staff/schedules.ipynb")
    day = bangkok.today() + dt.timedelta(days=200)
    try:
        person = page.selected("bo-new-shift-person")
        page.fill("bo-new-shift-date", day.isoformat())
        page.fill("bo-new-shift-start", "10:00")
        page.fill("bo-new-shift-end", "14:00")
        page.click("bo-new-shift-save")
        page.expect("bo-schedule-message-week", f"Shift added on {day}")
        page.fill("bo-new-shift-start", "12:00")
        page.fill("bo-new-shift-end", "16:00")
        page.click("bo-new-shift-save")
        page.expect("bo-schedule-message-week", f"already has the shift 10:00-14:00 on {day}")
        shifts = query(db, "SELECT s.start_time, s.end_time FROM backoffice.staff_schedules s"
                           " JOIN backoffice.staff p ON p.id = s.staff_id"
                           " WHERE s.schedule_date = :d AND :label LIKE p.staff_name || '%'",
                       d=day, label=person)
        assert shifts == [(dt.time(10), dt.time(14))]
        # preview, create, preview again: the shifts already exist (not "overlaps")
        first = bangkok.today() + dt.timedelta(days=300)
        last = first + dt.timedelta(days=6)
        page.fill("bo-gen-from", first.isoformat())
        page.fill("bo-gen-to", last.isoformat())
        before = query(db, "SELECT count(*) FROM backoffice.staff_schedules")
        page.click("bo-gen-preview")
        page.expect("bo-gen-summary", "will be created")
        assert query(db, "SELECT count(*) FROM backoffice.staff_schedules") == before
        page.click("bo-gen-save")
        page.expect("bo-schedule-message-generate", "Created")
        [(created,)] = query(db, "SELECT count(*) FROM backoffice.staff_schedules"
                                 " WHERE schedule_date BETWEEN :a AND :b", a=first, b=last)
        assert created > 0
        page.click("bo-gen-preview")
        page.expect("bo-gen-summary",
                    f"Nothing to create: the {created} shifts of these dates already exist.")
        page.shot(screenshots, "schedules", at="bo-gen-summary")
        # the weekly patterns' table ends above the form below it (it overlapped it: issue 21)
        grid = page.page.locator(".bo-pattern-grid").bounding_box()
        form = page.page.locator(".bo-pattern-person").bounding_box()
        assert grid["y"] + grid["height"] <= form["y"], (grid, form)
        page.page.locator(".bo-pattern-grid").scroll_into_view_if_needed()
        page.page.screenshot(path=str(screenshots / "manager-schedules-patterns.png"))
    finally:
        page.close()


def test_front_desk_sell_and_use_refuse_an_over_use(chromium, as_coach, db, screenshots):
    page = Page(chromium, as_coach, "packages/front_desk.ipynb")
    try:
        page.fill("bo-new-customer-name", "Khun Browser")
        page.fill("bo-new-customer-phone", "081-555-0101")
        page.click("bo-new-customer-save")
        page.expect("bo-desk-message-new", "Added Khun Browser")
        page.pick("bo-sell-type", "Bronze")
        page.click("bo-sell-save")
        page.expect("bo-desk-message-sell", "Sold Bronze to Khun Browser")
        [(package_id,)] = query(db, "SELECT p.id FROM backoffice.packages p JOIN public.customers"
                                    " c ON c.id = p.customer_id WHERE c.customer_name ="
                                    " 'Khun Browser'")
        # the coach is not on the staff list: nobody is credited until someone is chosen
        assert page.selected("bo-employee") == "— pick who is credited —"
        page.fill("bo-use-hours", "1.5")
        page.expect("bo-use-preview", "3.50 h left after this")
        page.click("bo-use-save")
        page.expect("bo-desk-message-use", "pick the Staff member credited")
        assert 0 <= page.below("bo-desk-message-use", "bo-use-save") < 120
        assert query(db, "SELECT count(*) FROM backoffice.package_usage WHERE package_id = :p",
                     p=package_id) == [(0,)]
        page.pick("bo-employee", "Nattaya")
        staff = page.selected("bo-employee")
        assert page.whole(".bo-employee select"), "the staff name is cut"
        page.fill("bo-use-hours", "6")
        page.expect("bo-use-preview", "6.00 h requested but only 5.00 h remain")
        page.click("bo-use-save")
        page.expect("bo-desk-message-use", "Not recorded")
        assert query(db, "SELECT count(*) FROM backoffice.package_usage WHERE package_id = :p",
                     p=package_id) == [(0,)]
        page.fill("bo-use-hours", "1.5")
        page.expect("bo-use-preview", "3.50 h left after this")
        page.click("bo-use-save")
        page.expect("bo-desk-message-use", "3.50 h left")
        assert query(db, "SELECT used_hours, employee_name FROM backoffice.package_usage"
                         " WHERE package_id = :p", p=package_id) == [(Decimal("1.50"), staff)]
        page.shot(screenshots, "front-desk")
        # extending is for admins: refused on the form, and the refusal is audited
        page.fill("bo-extend-date", (bangkok.today() + dt.timedelta(days=90)).isoformat())
        page.fill("bo-admin-reason", "asked nicely")
        page.click("bo-extend-save")
        page.expect("bo-desk-message-admin", "access refused")
        assert query(db, "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :u"
                         " AND action = 'ACCESS_DENIED' AND resource_type = 'packages'",
                     u=COACH)[0][0] >= 1
    finally:
        page.close()


def test_studio_settings_holidays_settings_and_the_last_admin(chromium, as_admin, db,
                                                               screenshots):
    page = Page(chromium, as_admin, "staff/studio_settings.ipynb")
    year = bangkok.today().year + 1
    try:
        assert page.whole("button.bo-holiday-fill"), "the Fill button's label is cut"
        page.pick("bo-holiday-year", str(year))
        page.click("bo-holiday-fill")
        page.expect("bo-settings-message-holidays", f"{year}: added")
        assert query(db, "SELECT count(*) FROM backoffice.public_holidays"
                         " WHERE extract(year FROM holiday_date) = :y", y=year)[0][0] >= 15
        # a day of another year is added; the view stays on the year the user was on
        other = dt.date(year + 1, 1, 15)
        page.fill("bo-holiday-date", other.isoformat())
        page.fill("bo-holiday-name", "Studio outing")
        assert page.whole(".bo-holiday-date input"), "the date is cut"
        page.click("bo-holiday-add")
        page.expect("bo-settings-message-holidays", f"listed under {year + 1}")
        assert page.selected("bo-holiday-year") == str(year)
        assert other.isoformat() not in page.page.locator(".bo-holiday-pick select").inner_text()
        assert query(db, "SELECT holiday_name FROM backoffice.public_holidays"
                         " WHERE holiday_date = :d", d=other) == [("Studio outing",)]
        page.shot(screenshots, "studio-settings-holidays", at="bo-holiday-fill")
        page.fill("bo-setting-pin_max_failed_attempts", "0")
        page.click("bo-setting-save-pin_max_failed_attempts")
        page.expect("bo-settings-message-settings", "at least 1")
        page.fill("bo-setting-pin_lockout_minutes", "30")
        page.click("bo-setting-save-pin_lockout_minutes")
        page.expect("bo-settings-message-settings", "30 saved")
        assert query(db, "SELECT setting_value FROM backoffice.payroll_settings"
                         " WHERE setting_key = 'pin_lockout_minutes'") == [("30",)]
        # demote the other admin, then the last one is refused
        page.pick("bo-user-pick", "manager@studio.example")
        expect(page.page.locator(".bo-user-email input")).to_have_value("manager@studio.example")
        page.check("bo-user-admin", False)
        page.click("bo-user-save")
        page.expect("bo-settings-message-users", "Saved manager@studio.example")
        page.pick("bo-user-pick", ADMIN)
        expect(page.page.locator(".bo-user-email input")).to_have_value(ADMIN)
        page.check("bo-user-admin", False)
        page.click("bo-user-save")
        page.expect("bo-settings-message-users", "last admin")
        assert query(db, "SELECT email FROM backoffice.allowed_users WHERE is_admin") == [(ADMIN,)]
        page.shot(screenshots, "studio-settings")
    finally:
        page.close()


@pytest.mark.parametrize(
    "path,area", [("staff/staff_admin.ipynb", "staff"), ("staff/studio_settings.ipynb", "settings")]
)
def test_a_coach_is_refused_the_admin_pages_and_the_refusal_is_audited(
    chromium, as_coach, db, path, area
):
    before = query(db, "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :u AND"
                       " action = 'ACCESS_DENIED' AND resource_type = :a", u=COACH, a=area)[0][0]
    page = Page(chromium, as_coach, path)
    try:
        page.expect("backoffice-error", "Access refused")
        assert page.page.locator(".bo-page").count() == 0
    finally:
        page.close()
    after = query(db, "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :u AND"
                      " action = 'ACCESS_DENIED' AND resource_type = :a", u=COACH, a=area)[0][0]
    assert after == before + 1


def test_kiosk_on_a_tablet_in_portrait(chromium, as_admin, screenshots):
    page = Page(chromium, as_admin, "staff/time_clock_kiosk.ipynb", viewport=(768, 1024))
    try:
        page.page.wait_for_selector(".kiosk-pad button")
        width = page.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 768, f"the kiosk scrolls sideways on a tablet ({width} px wide)"
        keys = page.page.locator(".kiosk-pad button")
        assert keys.count() == 12
        box = keys.first.bounding_box()
        assert box["height"] >= 80 and box["width"] >= 150, box
        page.shot(screenshots, "kiosk-tablet")
    finally:
        page.close()
