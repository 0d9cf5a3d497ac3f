"""business-rules §5: coach_earnings view rows, totals, and a coach seeing only their own rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backoffice_lib import access
from backoffice_lib.packages import service as package_service
from backoffice_lib.packages.service import coaching

D = Decimal
ADMIN = "coach-admin@studio.example"
BOSS = "coach-boss@studio.example"
MIN = "coach-min@studio.example"
DESK = "coach-desk@studio.example"
DAY = dt.date(2019, 3, 5)


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


@pytest.fixture
def studio(conn):
    sql(conn, "INSERT INTO backoffice.allowed_users (email, is_admin, is_coach, coach_code) VALUES"
        " (:a, true, false, NULL), (:b, false, true, 'XBOSS'), (:m, false, true, 'XMIN'),"
        " (:d, false, false, NULL)", a=ADMIN, b=BOSS, m=MIN, d=DESK)
    sql(conn, "INSERT INTO backoffice.coach_rates (rate_type, rate) VALUES"
        " ('Individual, 1 PAX', 800), ('Individual, 2 PAX', 1000), ('XCoach 10h', 700)"
        " ON CONFLICT (rate_type) DO UPDATE SET rate = excluded.rate")
    ids = {}
    for name, kind in (("XCoach 10h", "Coaching"), ("XCoach 3h", "Coaching"),
                       ("XCoach 5h norate", "Coaching"), ("XMonthly 10h", "Monthly")):
        hours = {"XCoach 3h": 3, "XCoach 5h norate": 5}.get(name, 10)
        if name == "XCoach 3h":
            sql(conn, "INSERT INTO backoffice.coach_rates VALUES ('XCoach 3h', 600)"
                " ON CONFLICT (rate_type) DO UPDATE SET rate = excluded.rate")
        ids[name] = sql(conn, "INSERT INTO backoffice.package_types (name, type, hours,"
                        " validity_period) VALUES (:n, CAST(:k AS backoffice.package_type), :h,"
                        " interval '6 months') RETURNING id", n=name, k=kind, h=hours).scalar_one()
    return ids


def booking(conn, bid, coach="Boss", hours="1.5", people=1, status="confirmed", kind=None):
    sql(conn, "INSERT INTO public.bookings (id, customer_name, date, start_time, duration,"
        " number_of_people, booking_type, status) VALUES (:i, 'Khun C', :d, '10:00', :h, :p, :t, :s)",
        i=bid, d=DAY, h=D(hours), p=people, t=kind or f"Coaching ({coach})", s=status)


def package_for(conn, type_id, discount=None):
    package_id = package_service.sell_package(conn, ADMIN, customer_name="Khun C", package_type=type_id,
                                       purchase_date=DAY, discount_amount=discount)["id"]
    return package_id


def link(conn, package_id, bid, hours="1.5"):
    package_service.record_usage(conn, ADMIN, package_id, hours=D(hours), used_date=DAY,
                          employee_name="Ploy", booking_id=bid)


def view_row(conn, bid):
    rows = sql(conn, "SELECT * FROM backoffice.coach_earnings WHERE booking_id = :i", i=bid).all()
    assert len(rows) == 1  # one row per booking
    return rows[0]


# case, people, package type (None: no package), discount, hours,
# expected rate_type, gross, deduction, earnings, error
CASES = [
    ("individual 1 PAX", 1, None, None, "1.5", "Individual, 1 PAX", "1200.00", "0.00", "1200.00",
     None),
    ("individual 2 PAX", 2, None, None, "1", "Individual, 2 PAX", "1000.00", "0.00", "1000.00",
     None),
    ("coaching package without discount", 1, "XCoach 10h", None, "1.5", "XCoach 10h", "1050.00",
     "0.00", "1050.00", None),
    ("discount spread per hour", 1, "XCoach 10h", "3000", "1.5", "XCoach 10h", "1050.00",
     "450.00", "600.00", None),
    ("discount per hour rounded half up", 1, "XCoach 3h", "1000", "1", "XCoach 3h", "600.00",
     "333.33", "266.67", None),
    ("monthly package is not a coaching rate", 1, "XMonthly 10h", "500", "1",
     "Individual, 1 PAX", "800.00", "0.00", "800.00", None),
    ("missing rate is an error row", 1, "XCoach 5h norate", None, "1", "XCoach 5h norate", None,
     None, None, 'no coach rate for rate type "XCoach 5h norate"'),
]


@pytest.mark.parametrize(
    "case, people, type_name, discount, hours, rate_type, gross, deduction, earnings, error", CASES
)
def test_coach_earnings_row(conn, studio, case, people, type_name, discount, hours, rate_type,
                            gross, deduction, earnings, error):
    booking(conn, "XB-1", hours=hours, people=people)
    if type_name:
        link(conn, package_for(conn, studio[type_name], discount), "XB-1", hours)
    row = view_row(conn, "XB-1")
    as_text = [None if v is None else str(v) for v in
               (row.gross_amount, row.discount_deduction, row.coach_earnings)]
    assert (row.coach_code, row.rate_type, *as_text, row.error) == \
        ("BOSS", rate_type, gross, deduction, earnings, error)


@pytest.mark.parametrize(
    "case, kind, status, listed",
    [
        ("confirmed coaching booking is listed", "Coaching (min)", "confirmed", True),
        ("cancelled booking is not", "Coaching (Min)", "cancelled", False),
        ("driving range is not coaching", "Driving Range", "confirmed", False),
    ],
)
def test_which_bookings_are_coaching(conn, studio, case, kind, status, listed):
    booking(conn, "XB-2", kind=kind, status=status)
    rows = sql(conn, "SELECT coach_code FROM backoffice.coach_earnings WHERE booking_id = 'XB-2'").all()
    assert [r.coach_code for r in rows] == (["MIN"] if listed else [])


def seed_two_coaches(conn):
    booking(conn, "XB-10", coach="XBoss", hours="1")
    booking(conn, "XB-11", coach="XBoss", hours="2")
    booking(conn, "XB-12", coach="XMin", hours="1", people=2)


def test_coach_sees_only_own_rows(conn, studio):
    seed_two_coaches(conn)
    result = coaching.run_coach_earnings(conn, BOSS, DAY, DAY)
    assert [r["booking_id"] for r in result["rows"]] == ["XB-10", "XB-11"]
    assert result["totals"] == [{
        "coach_code": "XBOSS", "bookings": 2, "hours": D("3.00"), "gross_amount": D("2400.00"),
        "discount_deduction": D("0.00"), "coach_earnings": D("2400.00"), "error_rows": 0,
    }]


@pytest.mark.parametrize(
    "case, user, coach",
    [
        ("coach asking for another coach is refused", BOSS, "XMIN"),
        ("a user who is not a coach is refused", DESK, None),
        ("an unknown user is refused", "nobody@example.com", None),
    ],
)
def test_coach_earnings_refused(conn, studio, case, user, coach):
    seed_two_coaches(conn)
    with pytest.raises(access.AccessDenied):
        coaching.run_coach_earnings(conn, user, DAY, DAY, coach)
    refusals = sql(conn, "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
                   " AND user_email = :u", u=user).scalar_one()
    assert refusals == 1


def test_admin_sees_every_coach_and_error_rows_add_no_money(conn, studio):
    seed_two_coaches(conn)
    booking(conn, "XB-13", coach="XMin", hours="1")
    link(conn, package_for(conn, studio["XCoach 5h norate"]), "XB-13", "1")
    result = coaching.run_coach_earnings(conn, ADMIN, DAY, DAY)
    mine = [t for t in result["totals"] if t["coach_code"] in ("XBOSS", "XMIN")]
    assert [(t["coach_code"], t["bookings"], t["coach_earnings"], t["error_rows"]) for t in mine] == [
        ("XBOSS", 2, D("2400.00"), 0), ("XMIN", 2, D("1000.00"), 1)]
    assert [r["booking_id"] for r in result["errors"] if r["coach_code"] == "XMIN"] == ["XB-13"]
