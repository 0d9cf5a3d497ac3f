"""Every staff dashboard's handlers check access themselves (issue 21.2): the page is built for
someone who may not act (a plain allowed user on an admin page, or a person removed while the
page is open), then clicks are sent to its buttons as over the websocket. Each is refused on the
page, the refusal is audited, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from timeclock_fixtures import MANAGER, PIN, add_entry, add_staff, add_users, at, sql

from backoffice_lib import access, bangkok, database
from backoffice_lib.staff import (
    attendance_explorer_dashboard,
    kiosk_dashboard,
    schedule_dashboard,
    settings_dashboard,
    staff_admin_dashboard,
    staff_dashboard,
)

WRITTEN = ("staff", "staff_compensation", "staff_schedules", "staff_weekly_schedules",
           "time_entries", "public_holidays", "payroll_settings", "allowed_users", "coach_rates")


@pytest.fixture(scope="module")
def person(engine):
    with engine.begin() as conn:
        add_users(conn)
        pk = add_staff(conn, name="Refusal Person", staff_id="REF-01")
        add_entry(conn, pk, "clock_in", at(bangkok.today() - dt.timedelta(days=2), 9))
    return pk


def count(engine, statement: str, **params) -> int:
    with engine.connect() as conn:
        return sql(conn, statement, **params).scalar_one()


def written(engine) -> dict[str, int]:
    return {t: count(engine, f"SELECT count(*) FROM backoffice.{t}") for t in WRITTEN}


def refusals(engine, email: str) -> int:
    return count(engine, "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                 " AND action = 'ACCESS_DENIED'", e=email)


def signed_in(engine, email: str) -> access.User:
    with database.transaction(engine) as conn:
        return access.load_user(conn, email)


def clicks_are_refused(engine, email: str, handlers, said) -> None:
    before, denied = written(engine), refusals(engine, email)
    for handler in handlers:
        handler()
        assert "access refused" in said(), handler.__name__
    assert refusals(engine, email) == denied + len(handlers)
    assert written(engine) == before


def test_staff_admin_refuses_clicks_of_a_non_admin(engine, person):
    page = staff_admin_dashboard.StaffAdmin(MANAGER, engine=engine)
    page.person.value = person
    page.new_name.value, page.new_generate.value = "Never Added", True
    page.coach_rate.value = "500"
    clicks_are_refused(engine, MANAGER, [
        page.on_save_person, page.on_toggle_active, page.on_unlock, page.on_reset_pin,
        page.on_save_rate, page.on_add_person, page.on_save_coach_rate,
    ], lambda: page.message.value)


def test_schedules_refuse_clicks_of_a_non_admin(engine, person):
    board = schedule_dashboard.ScheduleBoard(MANAGER, engine=engine)
    board.pattern_person.value = board.new_person.value = person
    board.pattern_start.value, board.pattern_end.value = "09:00", "17:00"
    board.new_date.value = (bangkok.today() + dt.timedelta(days=30)).isoformat()
    board.new_start.value, board.new_end.value = "09:00", "17:00"
    board.gen_from.value = board.gen_to.value = (bangkok.today() + dt.timedelta(days=30)).isoformat()
    clicks_are_refused(engine, MANAGER, [board.on_add_pattern, board.on_add_shift,
                                         board.on_preview], lambda: board.message.value)


def test_studio_settings_refuse_clicks_of_a_non_admin(engine, person):
    page = settings_dashboard.StudioSettings(MANAGER, engine=engine)
    page.holiday_date.value, page.holiday_name.value = f"{page.year.value}-08-08", "Refused day"
    page.user_email_field.value = "never-added@studio.example"
    key = "max_session_hours"
    clicks_are_refused(engine, MANAGER, [
        page.on_fill_year, page.on_add_holiday, lambda: page.on_save_setting(key),
        lambda: page.on_reset_setting(key), page.on_add_user,
    ], lambda: page.message.value)


def test_the_staff_dashboard_refuses_a_demoted_admin(engine, person):
    email = "demoted-staff-board@studio.example"
    with engine.begin() as conn:
        sql(conn, "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)", e=email)
    today = bangkok.today()
    board = staff_dashboard.StaffDashboard(signed_in(engine, email), today - dt.timedelta(days=7),
                                           today, engine=engine)
    assert board.correction.entry.options, "the clock-in without a clock-out is offered"
    with engine.begin() as conn:
        sql(conn, "UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :e", e=email)
    form = board.correction
    form.entry.value = form.entry.options[0][1]
    form.action.value = "add"
    form.when.value = f"{today - dt.timedelta(days=2)} 17:00"
    form.reason.value = "sent over the websocket"
    clicks_are_refused(engine, email, [form.on_apply], lambda: form.message.value)
    clicks_are_refused(engine, email, [board.on_update], lambda: board.period_message.value)
    clicks_are_refused(engine, email, [board.on_refresh], lambda: board.now_html.value)


def test_the_kiosk_and_the_explorer_refuse_a_removed_user(engine, person):
    email = "removed-device@studio.example"
    with engine.begin() as conn:
        sql(conn, "INSERT INTO backoffice.allowed_users (email) VALUES (:e)", e=email)
    kiosk = kiosk_dashboard.TimeClockKiosk(email, engine=engine)
    explorer = attendance_explorer_dashboard.AttendanceExplorer(signed_in(engine, email),
                                                                engine=engine)
    with engine.begin() as conn:
        sql(conn, "DELETE FROM backoffice.allowed_users WHERE email = :e", e=email)
    kiosk.person.value = person
    for digit in PIN:
        kiosk.on_press(digit)
    clicks_are_refused(engine, email, [kiosk.on_punch], lambda: kiosk.message.value)
    clicks_are_refused(engine, email, [explorer.on_update], lambda: explorer.line.value)
