"""Triggers, constraints and views of migration 0001, written as any writer (psql) would write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backoffice_lib import audit, bangkok

BKK = bangkok.BANGKOK


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


def add_staff(conn, name="Somchai", active=True, pin_hash="$2b$12$notarealhashbutlongenough") -> int:
    return sql(
        conn,
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash, is_active)"
        " VALUES (:n, :sid, :h, :a) RETURNING id",
        n=name, sid=f"T-{name}", h=pin_hash, a=active,
    ).scalar_one()


def punch(conn, staff_id, action, when):
    with conn.begin_nested():
        sql(
            conn,
            "INSERT INTO backoffice.time_entries (staff_id, action, timestamp) VALUES (:s, :a, :t)",
            s=staff_id, a=action, t=when,
        )


T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=BKK)


# --- validate_time_entry() -------------------------------------------------------------------

def test_alternating_punches_are_accepted(conn):
    staff = add_staff(conn)
    punch(conn, staff, "clock_in", T0)
    punch(conn, staff, "clock_out", T0 + dt.timedelta(hours=8))
    punch(conn, staff, "clock_in", T0 + dt.timedelta(days=1))
    assert sql(conn, "SELECT count(*) FROM backoffice.time_entries").scalar() == 3


@pytest.mark.parametrize(
    "case,entries,refused,message",
    [
        ("double clock_in refused", [("clock_in", 0)], ("clock_in", 60), "already has a clock_in"),
        ("double clock_out refused", [("clock_in", 0), ("clock_out", 60)], ("clock_out", 120),
         "already has a clock_out"),
        ("entry within 1 minute refused", [("clock_in", 0)], ("clock_out", 0.5), "within 1 minute"),
        ("unknown action refused", [], ("break", 0), "clock_in or clock_out"),
    ],
)
def test_validate_time_entry_refuses(conn, case, entries, refused, message):
    staff = add_staff(conn)
    for action, minutes in entries:
        punch(conn, staff, action, T0 + dt.timedelta(minutes=minutes))
    with pytest.raises(IntegrityError, match=message):
        punch(conn, staff, refused[0], T0 + dt.timedelta(minutes=refused[1]))


def test_entry_for_inactive_staff_refused(conn):
    staff = add_staff(conn, active=False)
    with pytest.raises(IntegrityError, match="inactive"):
        punch(conn, staff, "clock_in", T0)


def test_entry_for_unknown_staff_refused(conn):
    with pytest.raises(IntegrityError):
        punch(conn, 987654, "clock_in", T0)


def test_entry_more_than_5_minutes_in_future_refused(conn):
    staff = add_staff(conn)
    with pytest.raises(IntegrityError, match="in the future"):
        punch(conn, staff, "clock_in", dt.datetime.now(BKK) + dt.timedelta(minutes=6))
    punch(conn, staff, "clock_in", dt.datetime.now(BKK) + dt.timedelta(minutes=4))


def test_missing_clock_out_can_be_added_between_entries(conn):
    """An admin adds the forgotten clock-out of day 1, then turns day 2's punch into a clock-in."""
    staff = add_staff(conn)
    punch(conn, staff, "clock_in", T0)
    punch(conn, staff, "clock_out", T0 + dt.timedelta(days=1))  # the kiosk's next punch
    punch(conn, staff, "clock_out", T0 + dt.timedelta(hours=9))
    with conn.begin_nested():
        sql(
            conn,
            "UPDATE backoffice.time_entries SET action = 'clock_in' WHERE timestamp = :t",
            t=T0 + dt.timedelta(days=1),
        )


# --- calculate_package_expiration() ----------------------------------------------------------

def add_package_type(conn, name, validity, hours="10", kind="Monthly") -> int:
    return sql(
        conn,
        "INSERT INTO backoffice.package_types (name, type, hours, validity_period)"
        " VALUES (:n, CAST(:k AS backoffice.package_type), :h, CAST(:v AS interval)) RETURNING id",
        n=name, k=kind, h=hours, v=validity,
    ).scalar_one()


def add_package(conn, type_id, purchase, first_use=None, expiration=None, customer="Khun A"):
    return sql(
        conn,
        "INSERT INTO backoffice.packages (customer_name, package_type_id, purchase_date,"
        " first_use_date, expiration_date) VALUES (:c, :t, :p, :f, :e)"
        " RETURNING id, expiration_date",
        c=customer, t=type_id, p=purchase, f=first_use, e=expiration,
    ).one()


@pytest.mark.parametrize(
    "case,first_use,validity,expected",
    [
        ("first use + validity - 1 day", dt.date(2025, 7, 5), "1 month", dt.date(2025, 8, 4)),
        ("31 January + 1 month (non-leap)", dt.date(2025, 1, 31), "1 month", dt.date(2025, 2, 27)),
        ("31 January + 1 month (leap year)", dt.date(2024, 1, 31), "1 month", dt.date(2024, 2, 28)),
        ("3 months", dt.date(2025, 1, 15), "3 months", dt.date(2025, 4, 14)),
        ("unactivated never expires (fix)", None, "1 month", None),
    ],
)
def test_calculate_package_expiration(conn, case, first_use, validity, expected):
    type_id = add_package_type(conn, f"Type {case}", validity)
    package = add_package(conn, type_id, dt.date(2024, 1, 1), first_use=first_use)
    assert package.expiration_date == expected


def test_first_use_set_later_computes_expiry(conn):
    type_id = add_package_type(conn, "Silver", "2 months")
    package = add_package(conn, type_id, dt.date(2025, 5, 1))
    expiry = sql(
        conn,
        "UPDATE backoffice.packages SET first_use_date = '2025-05-10' WHERE id = :i"
        " RETURNING expiration_date",
        i=package.id,
    ).scalar_one()
    assert expiry == dt.date(2025, 7, 9)


def test_manual_expiration_is_kept(conn):
    type_id = add_package_type(conn, "Gold", "3 months")
    package = add_package(
        conn, type_id, dt.date(2025, 1, 1), first_use=dt.date(2025, 1, 2),
        expiration=dt.date(2025, 12, 31),
    )
    assert package.expiration_date == dt.date(2025, 12, 31)


# --- log_staff_changes() ---------------------------------------------------------------------

def staff_log(conn, staff_id):
    return sql(
        conn,
        "SELECT action_type, changed_by_type, changed_by_identifier, changes_summary,"
        " old_data_snapshot, new_data_snapshot, reason"
        " FROM backoffice.staff_audit_log WHERE staff_id = :s ORDER BY id",
        s=staff_id,
    ).all()


def test_staff_snapshot_never_contains_pin_hash(conn):
    staff = add_staff(conn, pin_hash="$2b$12$secrethashvalue")
    sql(conn, "UPDATE backoffice.staff SET pin_hash = 'other-hash' WHERE id = :s", s=staff)
    rows = staff_log(conn, staff)
    assert [r.action_type for r in rows] == ["created", "pin_changed"]
    for row in rows:
        for snapshot in (row.old_data_snapshot, row.new_data_snapshot):
            assert snapshot is None or "pin_hash" not in snapshot
        assert "hash" not in str(row)


@pytest.mark.parametrize(
    "case,update,expected",
    [
        ("deactivated", "is_active = false", "deactivated"),
        ("renamed", "staff_name = 'Somchai J.'", "updated"),
        ("locked", "locked_until = now() + interval '1 hour'", "locked"),
    ],
)
def test_staff_change_kinds(conn, case, update, expected):
    staff = add_staff(conn)
    sql(conn, f"UPDATE backoffice.staff SET {update} WHERE id = :s", s=staff)
    assert staff_log(conn, staff)[-1].action_type == expected


def test_unlock_is_logged(conn):
    staff = add_staff(conn)
    sql(conn, "UPDATE backoffice.staff SET locked_until = now() + interval '1 hour' WHERE id = :s",
        s=staff)
    sql(conn, "UPDATE backoffice.staff SET locked_until = NULL WHERE id = :s", s=staff)
    assert staff_log(conn, staff)[-1].action_type == "unlocked"


def test_staff_change_records_the_acting_admin_and_reason(conn):
    staff = add_staff(conn)
    audit.act_as(conn, "admin@studio.example", "left the company")
    sql(conn, "UPDATE backoffice.staff SET is_active = false WHERE id = :s", s=staff)
    last = staff_log(conn, staff)[-1]
    assert (last.changed_by_type, last.changed_by_identifier, last.reason) == (
        "admin", "admin@studio.example", "left the company"
    )
    assert last.old_data_snapshot["is_active"] is True
    assert last.new_data_snapshot["is_active"] is False


def test_staff_with_entries_cannot_be_deleted(conn):
    staff = add_staff(conn)
    punch(conn, staff, "clock_in", T0)
    with pytest.raises(IntegrityError), conn.begin_nested():
        sql(conn, "DELETE FROM backoffice.staff WHERE id = :s", s=staff)


# --- constraints of schema-additions ---------------------------------------------------------

def add_compensation(conn, staff, start, end, kind="salary"):
    with conn.begin_nested():
        sql(
            conn,
            "INSERT INTO backoffice.staff_compensation (staff_id, compensation_type, base_salary,"
            " hourly_rate, effective_from, effective_to) VALUES (:s, :k, :b, :h, :f, :t)",
            s=staff, k=kind, b=15000 if kind == "salary" else 0, h=80 if kind == "hourly" else 0,
            f=start, t=end,
        )


def test_compensation_rows_of_one_person_cannot_overlap(conn):
    staff = add_staff(conn)
    add_compensation(conn, staff, dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    add_compensation(conn, staff, dt.date(2025, 4, 1), None)
    with pytest.raises(IntegrityError, match="ex_staff_compensation_no_overlap"):
        add_compensation(conn, staff, dt.date(2025, 3, 31), dt.date(2025, 3, 31))


@pytest.mark.parametrize(
    "case,kind,base,hourly",
    [("salary needs base_salary", "salary", 0, 0), ("hourly needs hourly_rate", "hourly", 0, 0)],
)
def test_compensation_type_needs_its_rate(conn, case, kind, base, hourly):
    staff = add_staff(conn)
    with pytest.raises(IntegrityError), conn.begin_nested():
        sql(
            conn,
            "INSERT INTO backoffice.staff_compensation (staff_id, compensation_type,"
            " base_salary, hourly_rate, effective_from) VALUES (:s, :k, :b, :h, '2025-01-01')",
            s=staff, k=kind, b=base, h=hourly,
        )


def add_shift(conn, staff, start, end, day=dt.date(2025, 3, 3)):
    with conn.begin_nested():
        sql(
            conn,
            "INSERT INTO backoffice.staff_schedules (staff_id, schedule_date, start_time, end_time)"
            " VALUES (:s, :d, :a, :b)",
            s=staff, d=day, a=start, b=end,
        )


def test_overlapping_shifts_refused_touching_shifts_fine(conn):
    staff = add_staff(conn)
    add_shift(conn, staff, dt.time(9), dt.time(13))
    add_shift(conn, staff, dt.time(13), dt.time(18))  # touching is fine
    with pytest.raises(IntegrityError, match="ex_staff_schedules_no_overlap"):
        add_shift(conn, staff, dt.time(12), dt.time(14))
    with pytest.raises(IntegrityError, match="ends_after_start"):
        add_shift(conn, staff, dt.time(20), dt.time(8), day=dt.date(2025, 3, 4))


@pytest.mark.parametrize("month,ok", [("2025-01", True), ("2025-13", False), ("25-01", False)])
def test_service_charge_month_format(conn, month, ok):
    statement = "INSERT INTO backoffice.monthly_service_charge (month_year, total_amount) VALUES (:m, 100)"
    if ok:
        sql(conn, statement, m=month)
    else:
        with pytest.raises(IntegrityError), conn.begin_nested():
            sql(conn, statement, m=month)


# --- views -----------------------------------------------------------------------------------

def test_staff_status_shows_clock_in_state_of_active_staff(conn):
    working = add_staff(conn, "Working")
    add_staff(conn, "Idle")
    gone = add_staff(conn, "Gone")
    sql(conn, "UPDATE backoffice.staff SET is_active = false WHERE id = :s", s=gone)
    punch(conn, working, "clock_in", dt.datetime.now(BKK) - dt.timedelta(hours=1))
    rows = {
        r.staff_name: r
        for r in sql(conn, "SELECT * FROM backoffice.staff_status").all()
    }
    assert set(rows) == {"Working", "Idle"}
    assert rows["Working"].currently_clocked_in and rows["Working"].last_action == "clock_in"
    assert not rows["Idle"].currently_clocked_in and rows["Idle"].last_action is None
    assert list(rows["Idle"]._mapping) == [
        "id", "staff_name", "staff_id", "is_active", "failed_attempts", "locked_until",
        "is_currently_locked", "last_action", "last_action_time", "currently_clocked_in",
    ]


def test_customer_active_packages_status_and_balance(conn):
    today = conn.scalar(sa.text("SELECT backoffice.bangkok_today()"))
    monthly = add_package_type(conn, "Ten hours", "1 month", hours="10")
    unlimited = add_package_type(conn, "Unlimited", "1 month", hours=None, kind="Unlimited")
    active = add_package(conn, monthly, today, first_use=today, customer="Active")
    add_package(conn, monthly, today, customer="Fresh")
    add_package(conn, unlimited, today - dt.timedelta(days=90),
                first_use=today - dt.timedelta(days=80), customer="Expired unlimited")
    add_package(conn, monthly, today - dt.timedelta(days=40), first_use=today - dt.timedelta(days=40),
                expiration=today, customer="Last day")
    sql(
        conn,
        "INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours, used_date)"
        " VALUES (:p, 'Desk', 2.5, :d)",
        p=active.id, d=today,
    )
    rows = {
        r.customer_name: r
        for r in sql(conn, "SELECT * FROM backoffice.customer_active_packages").all()
    }
    assert set(rows) == {"Active", "Fresh", "Last day"}  # expired unlimited is expired (fix)
    assert rows["Active"].package_status == "active"
    assert rows["Active"].remaining_hours == Decimal("7.50")
    assert rows["Fresh"].package_status == "not_activated"
    assert rows["Last day"].package_status == "active"  # usable through its expiry day (fix)
    assert rows["Last day"].days_until_expiry == 0


@pytest.mark.parametrize(
    "case,first_use,expiration,hours,used,expected",
    [
        ("not activated first", None, None, "10", "0", "not_activated"),
        ("expired before unlimited (fix)", "2025-01-01", "2025-01-31", None, "0", "expired"),
        ("expiry day still usable (fix)", "2025-01-01", "2025-02-01", "10", "0", "active"),
        ("unlimited", "2025-01-01", "2025-02-28", None, "5", "unlimited"),
        ("depleted", "2025-01-01", "2025-02-28", "10", "10", "depleted"),
        ("active", "2025-01-01", "2025-02-28", "10", "9.5", "active"),
    ],
)
def test_package_status_function(conn, case, first_use, expiration, hours, used, expected):
    status = conn.scalar(
        sa.text(
            "SELECT backoffice.package_status(CAST(:f AS date), CAST(:e AS date),"
            " CAST(:h AS numeric), CAST(:u AS numeric), DATE '2025-02-01')"
        ),
        {"f": first_use, "e": expiration, "h": hours, "u": used},
    )
    assert status == expected


def add_booking(conn, booking_id, coach, people=1, hours="1.5", status="confirmed"):
    sql(
        conn,
        "INSERT INTO public.bookings (id, customer_name, date, start_time, duration,"
        " number_of_people, booking_type, status)"
        " VALUES (:i, 'Khun B', '2025-03-10', '10:00', :h, :n, :t, :s)",
        i=booking_id, h=hours, n=people, t=f"Coaching ({coach})", s=status,
    )


def test_coach_earnings_one_row_per_confirmed_booking(conn):
    sql(conn, "INSERT INTO backoffice.coach_rates VALUES ('Individual, 1 PAX', 800),"
              " ('Individual, 2 PAX', 1000), ('Coaching 10 Hours', 700)")
    coaching = add_package_type(conn, "Coaching 10 Hours", "6 months", hours="10", kind="Coaching")
    package = add_package(conn, coaching, dt.date(2025, 3, 1), first_use=dt.date(2025, 3, 10))
    sql(conn, "UPDATE backoffice.packages SET discount_amount = 1000 WHERE id = :p", p=package.id)
    add_booking(conn, "B1", "Boss", people=1)
    add_booking(conn, "B2", "Boss", people=2, hours="1")
    add_booking(conn, "B3", "Boss", hours="2")
    add_booking(conn, "B4", "Boss", status="cancelled")
    sql(
        conn,
        "INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours, used_date,"
        " booking_id) VALUES (:p, 'Desk', 2, '2025-03-10', 'B3')",
        p=package.id,
    )
    rows = {
        r.booking_id: r
        for r in sql(conn, "SELECT * FROM backoffice.coach_earnings").all()
    }
    assert set(rows) == {"B1", "B2", "B3"}
    assert rows["B1"].coach_code == "BOSS"
    assert (rows["B1"].rate_type, rows["B1"].coach_earnings) == ("Individual, 1 PAX", Decimal("1200.00"))
    assert (rows["B2"].rate_type, rows["B2"].coach_earnings) == ("Individual, 2 PAX", Decimal("1000.00"))
    # package discount 1000 over 10 h: 100 per hour deducted
    assert rows["B3"].rate_type == "Coaching 10 Hours"
    assert (rows["B3"].gross_amount, rows["B3"].discount_deduction, rows["B3"].coach_earnings) == (
        Decimal("1400.00"), Decimal("200.00"), Decimal("1200.00")
    )


def test_coach_earnings_missing_rate_is_an_error_row(conn):
    add_booking(conn, "B9", "Noon", people=1)
    row = sql(conn, "SELECT * FROM backoffice.coach_earnings WHERE booking_id = 'B9'").one()
    assert row.coach_earnings is None
    assert row.error == 'no coach rate for rate type "Individual, 1 PAX"'
