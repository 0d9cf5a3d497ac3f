"""Holidays from the Thai calendar, payroll and time-clock settings with their defaults, and who
may sign in (the last admin stays) — the services behind the studio settings page."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from timeclock_fixtures import ADMIN, MANAGER, sql

from backoffice_lib import access
from backoffice_lib.staff.rules.holidays import HolidayError, compute_thai_holidays
from backoffice_lib.staff.rules.sign_in_users import SignInUserError
from backoffice_lib.staff.service import holidays, sign_in_users, timeclock
from backoffice_lib.staff.service import settings as settings_service
from backoffice_lib.staff.service.settings import SettingError

# --- holidays ------------------------------------------------------------------------------------


def test_thai_calendar_of_a_year_comes_from_the_holidays_package():
    days = dict(compute_thai_holidays(2026))
    assert days[dt.date(2026, 4, 13)] == "Songkran Festival"
    assert days[dt.date(2026, 1, 1)] == "New Year's Day"
    assert all(d.year == 2026 for d in days)


def test_fill_adds_the_missing_days_and_keeps_the_listed_ones_as_they_are(conn, users):
    sql(conn, "DELETE FROM backoffice.public_holidays WHERE extract(year FROM holiday_date) = 2031")
    sql(conn, "INSERT INTO backoffice.public_holidays (holiday_date, holiday_name, is_active)"
              " VALUES ('2031-01-01', 'Our own name', false)")
    calendar = compute_thai_holidays(2031)
    first = holidays.fill_holidays(conn, ADMIN, 2031)
    assert len(first["added"]) == len(calendar) - 1 and first["kept"] == [dt.date(2031, 1, 1)]
    again = holidays.fill_holidays(conn, ADMIN, 2031)
    assert again["added"] == [] and len(again["kept"]) == len(calendar)
    kept = holidays.load_holidays(conn, 2031).iloc[0]
    assert (kept["holiday_name"], kept["is_active"]) == ("Our own name", False)
    assert sql(conn, "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'FILL'"
                     " AND resource_id = '2031'").scalar() == 2


def test_a_holiday_is_switched_off_and_on_with_an_audit_row_each(conn, users):
    holidays.add_holiday(conn, ADMIN, dt.date(2032, 12, 24), "Studio party")
    holidays.set_holiday_active(conn, ADMIN, dt.date(2032, 12, 24), False)
    assert holidays.load_holidays(conn, 2032)["is_active"].tolist() == [False]
    holidays.set_holiday_active(conn, ADMIN, dt.date(2032, 12, 24), True)
    assert holidays.load_holidays(conn, 2032)["is_active"].tolist() == [True]


@pytest.mark.parametrize(
    "case,day,name,message",
    [
        ("a date already listed", dt.date(2033, 5, 5), "Again", "already listed"),
        ("no name", dt.date(2033, 5, 6), " ", "needs a name"),
    ],
)
def test_own_day_refused(conn, users, case, day, name, message):
    holidays.add_holiday(conn, ADMIN, dt.date(2033, 5, 5), "Our day")
    with pytest.raises(HolidayError, match=message):
        holidays.add_holiday(conn, ADMIN, day, name)


def test_holidays_are_for_admins(conn, users):
    with pytest.raises(access.AccessDenied):
        holidays.fill_holidays(conn, MANAGER, 2030)


# --- settings ------------------------------------------------------------------------------------


def test_settings_show_the_defaults_when_no_row_exists(conn, users):
    keys = [s.key for s in settings_service.SETTINGS]
    sql(conn, "DELETE FROM backoffice.payroll_settings WHERE setting_key = ANY(:k)", k=keys)
    rows = settings_service.load_settings(conn).set_index("key")
    assert rows.loc["daily_allowance_thb", "value"] == "100"
    assert rows.loc["pin_lockout_minutes", "value"] == "60"
    assert rows["is_default"].all()


@pytest.mark.parametrize(
    "key,typed,stored",
    [
        ("daily_allowance_thb", "0", "0"),  # fix: a 0 means 0
        ("daily_allowance_thb", "1,250.50", "1250.50"),
        ("weekly_ot_threshold_hours", "44.5", "44.5"),
        ("pin_max_failed_attempts", "5", "5"),
        ("pin_lockout_minutes", "0", "0"),
    ],
)
def test_setting_values_accepted(key, typed, stored):
    assert settings_service.compute_setting_value(key, typed) == stored


@pytest.mark.parametrize(
    "key,typed,message",
    [
        ("daily_allowance_thb", "-1", "at least 0"),
        ("daily_allowance_thb", "abc", "type a number"),
        ("daily_allowance_thb", "1.005", "at most 2 decimals"),
        ("max_session_hours", "12.5", "a whole number"),
        ("pin_max_failed_attempts", "0", "at least 1"),
        ("no_such_setting", "1", "unknown setting"),
    ],
)
def test_setting_values_refused(key, typed, message):
    with pytest.raises(SettingError, match=message):
        settings_service.compute_setting_value(key, typed)


def test_saved_setting_is_what_the_time_clock_reads_and_reset_returns_the_default(conn, users):
    settings_service.save_setting(conn, ADMIN, "pin_max_failed_attempts", "4")
    assert timeclock.load_timeclock_settings(conn)["pin_max_failed_attempts"] == 4
    settings_service.reset_setting(conn, ADMIN, "pin_max_failed_attempts")
    assert timeclock.load_timeclock_settings(conn)["pin_max_failed_attempts"] == 10
    audited = sql(conn, "SELECT details->'after'->>'setting_value' FROM backoffice.audit_logs"
                        " WHERE resource_type = 'payroll_settings'"
                        " AND resource_id = 'pin_max_failed_attempts'").scalars().all()
    assert sorted(audited) == ["10", "4"]


# --- who may sign in -----------------------------------------------------------------------------


@pytest.fixture
def only_admin(conn, users):
    """ADMIN is the only admin of the database (rolled back after the test)."""
    sql(conn, "UPDATE backoffice.allowed_users SET is_admin = false WHERE email <> :a", a=ADMIN)


def test_add_a_coach_with_an_upper_case_code(conn, users):
    added = sign_in_users.add_allowed_user(
        conn, ADMIN, " New.Coach@Studio.example ", is_coach=True, coach_code="nok",
        coach_name="Nok",
    )
    assert added == {"email": "new.coach@studio.example", "is_admin": False, "is_coach": True,
                     "coach_code": "NOK", "coach_name": "Nok"}
    assert access.load_user(conn, "new.coach@studio.example").coach_code == "NOK"


@pytest.mark.parametrize(
    "case,email,options,message",
    [
        ("not an e-mail", "nobody", {}, "not an e-mail address"),
        ("already allowed", ADMIN, {}, "may already sign in"),
        ("a coach without a code", "c1@studio.example", {"is_coach": True}, "needs a coach code"),
        ("a code in use", "c2@studio.example", {"is_coach": True, "coach_code": "DUP"},
         "already used"),
        ("a bad code", "c3@studio.example", {"is_coach": True, "coach_code": "a b"}, "2-20"),
    ],
)
def test_add_user_refused(conn, users, case, email, options, message):
    sign_in_users.add_allowed_user(conn, ADMIN, "dup@studio.example", is_coach=True,
                                   coach_code="DUP")
    with pytest.raises(SignInUserError, match=message):
        sign_in_users.add_allowed_user(conn, ADMIN, email, **options)


def test_last_admin_cannot_be_demoted(conn, only_admin):
    with pytest.raises(SignInUserError, match="last admin and cannot be demoted"):
        sign_in_users.update_allowed_user(conn, ADMIN, ADMIN, is_admin=False, is_coach=False)
    assert access.load_user(conn, ADMIN).is_admin


def test_last_admin_cannot_be_removed(conn, only_admin):
    with pytest.raises(SignInUserError, match="last admin and cannot be removed"):
        sign_in_users.remove_allowed_user(conn, ADMIN, ADMIN)


def test_an_admin_can_step_down_once_another_admin_exists(conn, only_admin):
    sign_in_users.update_allowed_user(conn, ADMIN, MANAGER, is_admin=True, is_coach=False)
    sign_in_users.update_allowed_user(conn, ADMIN, ADMIN, is_admin=False, is_coach=False)
    assert not access.load_user(conn, ADMIN).is_admin
    assert access.load_user(conn, MANAGER).is_admin


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :a",
        "DELETE FROM backoffice.allowed_users WHERE email = :a",
    ],
)
def test_the_database_keeps_the_last_admin_for_every_writer(conn, only_admin, statement):
    with pytest.raises(sa.exc.IntegrityError, match="last admin"), conn.begin_nested():
        sql(conn, statement, a=ADMIN)


def test_removing_a_user_is_audited_with_who_they_were(conn, users):
    sign_in_users.add_allowed_user(conn, ADMIN, "leaver@studio.example")
    sign_in_users.remove_allowed_user(conn, ADMIN, "leaver@studio.example")
    assert access.load_user(conn, "leaver@studio.example") is None
    before = sql(conn, "SELECT details->'before'->>'email' FROM backoffice.audit_logs"
                       " WHERE resource_type = 'allowed_users' AND action = 'DELETE'").scalar()
    assert before == "leaver@studio.example"


def test_who_may_sign_in_is_for_admins(conn, users):
    with pytest.raises(access.AccessDenied):
        sign_in_users.add_allowed_user(conn, MANAGER, "x@studio.example")
