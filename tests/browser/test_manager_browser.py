"""Managers run the studio in the browser (issue 14): each form walked in headless Chromium.

Two servers of their own (token mode, no preheated kernels) sign in the admin and a coach without
the admin role. Each walk takes the happy
path, one bad input (a PIN of five digits, a raise that overlaps, a shift that overlaps, an
over-use) and checks the database afterwards; a user without the role is refused on screen and
the refusal is audited. Screenshots land in test-output/screenshots/manager-*.png (the kiosk
also at tablet size, 768×1024).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backoffice_lib import bangkok
from backoffice_lib.staff import pins

from .conftest import TOKEN, free_port, server_env, start_server, stop_server

ADMIN = "admin@studio.example"
COACH = "min@studio.example"  # allowed, not an admin
WAIT = 60_000


def _server(demo_database_url, tmp_path_factory, user):
    """``backoffice serve`` signed in as ``user`` (token mode), no preheated kernels."""
    env = server_env(demo_database_url)
    env["BACKOFFICE_USER"] = user
    log = tmp_path_factory.mktemp("manager") / "serve.log"
    return start_server(env, port=free_port(), log=log, pool_size=0)


@pytest.fixture(scope="module")
def as_admin(demo_database_url, tmp_path_factory):
    server = _server(demo_database_url, tmp_path_factory, ADMIN)
    yield server
    stop_server(server.process)


@pytest.fixture(scope="module")
def as_coach(demo_database_url, tmp_path_factory):
    server = _server(demo_database_url, tmp_path_factory, COACH)
    yield server
    stop_server(server.process)


@pytest.fixture(scope="module")
def db(demo_database_url):
    engine = sa.create_engine(demo_database_url)
    yield engine
    engine.dispose()


def query(db, statement, **params):
    with db.connect() as conn:
        return conn.execute(sa.text(statement), params).all()


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

    def shot(self, screenshots, name):
        self.page.screenshot(path=str(screenshots / f"manager-{name}.png"), full_page=True)

    def close(self):
        assert self.escaped == []
        self.context.close()


def test_staff_admin_add_a_person_raise_and_reset_pin(chromium, as_admin, db, screenshots):
    page = Page(chromium, as_admin, "staff/staff_admin.ipynb")
    today = bangkok.today()
    try:
        # a PIN of five digits is refused and nothing is written
        page.fill("bo-add-name", "Browser Nok")
        page.fill("bo-add-staff-id", "BR-001")
        page.fill("bo-add-pin", "12345")
        page.fill("bo-add-pin2", "12345")
        page.fill("bo-add-salary", "15000")
        page.click("bo-add-save")
        page.expect("bo-admin-message", "a PIN is exactly 6 digits")
        assert query(db, "SELECT id FROM backoffice.staff WHERE staff_id = 'BR-001'") == []

        page.fill("bo-add-pin", "246813")
        page.fill("bo-add-pin2", "246813")
        page.click("bo-add-save")
        page.expect("bo-admin-message", "Added Browser Nok")
        [(pk, pin_hash)] = query(
            db, "SELECT id, pin_hash FROM backoffice.staff WHERE staff_id = 'BR-001'"
        )
        assert pins.verify_pin("246813", pin_hash)
        assert query(db, "SELECT base_salary, effective_from, effective_to FROM"
                         " backoffice.staff_compensation WHERE staff_id = :s", s=pk) == [
            (Decimal("15000.00"), today, None)
        ]

        # a raise that overlaps the first row is refused with the dates; a later one closes it
        selected = page.selected("bo-person")
        assert selected.startswith("Browser Nok (BR-001)")
        page.fill("bo-raise-salary", "16000")
        page.fill("bo-raise-from", today.isoformat())
        page.click("bo-raise-save")
        page.expect("bo-admin-message", f"overlaps the existing row {today} (open)")
        later = today + dt.timedelta(days=30)
        page.fill("bo-raise-from", later.isoformat())
        page.click("bo-raise-save")
        page.expect("bo-admin-message", f"the previous rate ends on {later - dt.timedelta(1)}")
        assert query(db, "SELECT base_salary, effective_from, effective_to FROM"
                         " backoffice.staff_compensation WHERE staff_id = :s"
                         " ORDER BY effective_from", s=pk) == [
            (Decimal("15000.00"), today, later - dt.timedelta(days=1)),
            (Decimal("16000.00"), later, None),
        ]

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
        page.shot(screenshots, "staff-admin")
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
        page.expect("bo-schedule-message", f"Shift added on {day}")
        page.fill("bo-new-shift-start", "12:00")
        page.fill("bo-new-shift-end", "16:00")
        page.click("bo-new-shift-save")
        page.expect("bo-schedule-message", f"already has the shift 10:00-14:00 on {day}")
        shifts = query(db, "SELECT s.start_time, s.end_time FROM backoffice.staff_schedules s"
                           " JOIN backoffice.staff p ON p.id = s.staff_id"
                           " WHERE s.schedule_date = :d AND :label LIKE p.staff_name || '%'",
                       d=day, label=person)
        assert shifts == [(dt.time(10), dt.time(14))]
        before = query(db, "SELECT count(*) FROM backoffice.staff_schedules")
        page.click("bo-gen-preview")
        page.expect("bo-gen-summary", "will be created")
        assert query(db, "SELECT count(*) FROM backoffice.staff_schedules") == before
        page.shot(screenshots, "schedules")
    finally:
        page.close()


def test_front_desk_sell_and_use_refuse_an_over_use(chromium, as_coach, db, screenshots):
    page = Page(chromium, as_coach, "packages/front_desk.ipynb")
    try:
        page.fill("bo-new-customer-name", "Khun Browser")
        page.fill("bo-new-customer-phone", "081-555-0101")
        page.click("bo-new-customer-save")
        page.expect("bo-desk-message", "Added Khun Browser")
        page.pick("bo-sell-type", "Bronze")
        page.click("bo-sell-save")
        page.expect("bo-desk-message", "Sold Bronze to Khun Browser")
        [(package_id,)] = query(db, "SELECT p.id FROM backoffice.packages p JOIN public.customers"
                                    " c ON c.id = p.customer_id WHERE c.customer_name ="
                                    " 'Khun Browser'")
        page.fill("bo-use-hours", "6")
        page.expect("bo-use-preview", "6.00 h requested but only 5.00 h remain")
        page.click("bo-use-save")
        page.expect("bo-desk-message", "Not recorded")
        assert query(db, "SELECT count(*) FROM backoffice.package_usage WHERE package_id = :p",
                     p=package_id) == [(0,)]
        page.fill("bo-use-hours", "1.5")
        page.expect("bo-use-preview", "3.50 h left after this")
        page.click("bo-use-save")
        page.expect("bo-desk-message", "3.50 h left")
        assert query(db, "SELECT used_hours FROM backoffice.package_usage WHERE package_id = :p",
                     p=package_id) == [(Decimal("1.50"),)]
        # extending is for admins: refused on the form, and the refusal is audited
        page.fill("bo-extend-date", (bangkok.today() + dt.timedelta(days=90)).isoformat())
        page.fill("bo-admin-reason", "asked nicely")
        page.click("bo-extend-save")
        page.expect("bo-desk-message", "access refused")
        assert query(db, "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :u"
                         " AND action = 'ACCESS_DENIED' AND resource_type = 'packages'",
                     u=COACH)[0][0] >= 1
        page.shot(screenshots, "front-desk")
    finally:
        page.close()


def test_studio_settings_holidays_settings_and_the_last_admin(chromium, as_admin, db,
                                                               screenshots):
    page = Page(chromium, as_admin, "staff/studio_settings.ipynb")
    year = bangkok.today().year + 1
    try:
        page.pick("bo-holiday-year", str(year))
        page.click("bo-holiday-fill")
        page.expect("bo-settings-message", f"{year}: added")
        assert query(db, "SELECT count(*) FROM backoffice.public_holidays"
                         " WHERE extract(year FROM holiday_date) = :y", y=year)[0][0] >= 15
        page.fill("bo-setting-pin_max_failed_attempts", "0")
        page.click("bo-setting-save-pin_max_failed_attempts")
        page.expect("bo-settings-message", "at least 1")
        page.fill("bo-setting-pin_lockout_minutes", "30")
        page.click("bo-setting-save-pin_lockout_minutes")
        page.expect("bo-settings-message", "30 saved")
        assert query(db, "SELECT setting_value FROM backoffice.payroll_settings"
                         " WHERE setting_key = 'pin_lockout_minutes'") == [("30",)]
        # demote the other admin, then the last one is refused
        page.pick("bo-user-pick", "manager@studio.example")
        expect(page.page.locator(".bo-user-email input")).to_have_value("manager@studio.example")
        page.check("bo-user-admin", False)
        page.click("bo-user-save")
        page.expect("bo-settings-message", "Saved manager@studio.example")
        page.pick("bo-user-pick", ADMIN)
        expect(page.page.locator(".bo-user-email input")).to_have_value(ADMIN)
        page.check("bo-user-admin", False)
        page.click("bo-user-save")
        page.expect("bo-settings-message", "last admin")
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
