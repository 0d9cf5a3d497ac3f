"""Pay rates: a raise closes the open row the day before, overlaps are refused naming the dates,
salary and hourly rows keep only their own field, coach rates are audited (business-rules §3.2, §5).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from timeclock_fixtures import ADMIN, MANAGER, add_staff, add_users, sql

from backoffice_lib import access
from backoffice_lib.staff.rules import compensation as compensation_rules
from backoffice_lib.staff.rules.compensation import CompensationError, Rates
from backoffice_lib.staff.service import compensation

D = dt.date
SALARY = Rates("salary", base_salary=Decimal(15000), ot_rate_per_hour=Decimal(90))


def row(start, end=None, pk=1):
    return {"id": pk, "effective_from": start, "effective_to": end}


@pytest.mark.parametrize(
    "case,existing,start,closes,refusal",
    [
        ("first row", [], D(2026, 3, 1), [], None),
        ("raise closes the open row the day before", [row(D(2026, 1, 1))], D(2026, 3, 1),
         [D(2026, 2, 28)], None),
        ("raise on a leap day eve", [row(D(2024, 1, 1))], D(2024, 3, 1), [D(2024, 2, 29)], None),
        ("after a closed row", [row(D(2025, 1, 1), D(2025, 12, 31))], D(2026, 1, 1), [], None),
        ("same start as the open row clashes", [row(D(2026, 3, 1))], D(2026, 3, 1), [],
         "overlaps the existing row 2026-03-01 (open)"),
        ("earlier than the open row clashes", [row(D(2026, 3, 1))], D(2026, 2, 1), [],
         "overlaps the existing row 2026-03-01 (open)"),
        ("inside a closed row clashes", [row(D(2026, 1, 1), D(2026, 6, 30))], D(2026, 3, 1), [],
         "overlaps the existing row 2026-01-01 to 2026-06-30"),
    ],
)
def test_raise_plan(case, existing, start, closes, refusal):
    planned, why = compensation_rules.compute_raise_plan(existing, start)
    assert [r["effective_to"] for r in planned] == closes
    if refusal is None:
        assert why is None
    else:
        assert refusal in why


@pytest.mark.parametrize(
    "case,rates,message",
    [
        ("salary needs a base salary", Rates("salary"), "monthly base salary above 0"),
        ("hourly needs an hourly rate", Rates("hourly", base_salary=Decimal(9)),
         "hourly rate above 0"),
        ("no negative overtime", Rates("hourly", hourly_rate=Decimal(80),
                                       ot_rate_per_hour=Decimal(-1)), "overtime rate"),
        ("known types only", Rates("daily", base_salary=Decimal(1)), "salary or hourly"),
        ("a valid salary", SALARY, None),
    ],
)
def test_rates_refusal(case, rates, message):
    refusal = compensation_rules.compute_rates_refusal(rates)
    assert refusal is None if message is None else message in refusal


@pytest.mark.parametrize(
    "typed,expected", [("12,500", Decimal(12500)), ("฿ 95.50", Decimal("95.50")), ("", Decimal(0))]
)
def test_amount_typed_in_a_form(typed, expected):
    assert compensation_rules.parse_amount(typed, "x") == expected


def test_amount_that_is_not_a_number_is_refused():
    with pytest.raises(CompensationError, match="must be an amount"):
        compensation_rules.parse_amount("lots", "the salary")


@pytest.fixture
def person(conn):
    add_users(conn)
    return add_staff(conn, "Raise Person", staff_id="RAISE-1")


def rows_of(conn, pk):
    return sql(
        conn,
        "SELECT compensation_type, base_salary, hourly_rate, effective_from, effective_to"
        " FROM backoffice.staff_compensation WHERE staff_id = :s ORDER BY effective_from",
        s=pk,
    ).all()


def test_raise_closes_the_open_row_the_day_before_in_one_transaction(conn, person):
    compensation.add_compensation(conn, ADMIN, person, SALARY, D(2026, 1, 1))
    raised = Rates("salary", base_salary=Decimal("16500.00"))
    result = compensation.add_compensation(conn, ADMIN, person, raised, D(2026, 4, 1),
                                           reason="annual review")
    assert rows_of(conn, person) == [
        ("salary", Decimal("15000.00"), Decimal("0.00"), D(2026, 1, 1), D(2026, 3, 31)),
        ("salary", Decimal("16500.00"), Decimal("0.00"), D(2026, 4, 1), None),
    ]
    assert result["closed"][0]["effective_to"] == D(2026, 3, 31)
    details = sql(
        conn,
        "SELECT action, details FROM backoffice.audit_logs WHERE resource_type ="
        " 'staff_compensation' AND resource_id = :i",
        i=str(result["id"]),
    ).one()
    assert details.action == "RAISE"
    assert details.details["after"]["closed"][0]["effective_to"] == "2026-03-31"
    assert details.details["reason"] == "annual review"


def test_raise_that_overlaps_is_refused_naming_the_dates_and_changes_nothing(conn, person):
    compensation.add_compensation(conn, ADMIN, person, SALARY, D(2026, 3, 1))
    with pytest.raises(CompensationError, match=r"2026-02-01 overlaps .*2026-03-01 \(open\)"):
        compensation.add_compensation(conn, ADMIN, person, SALARY, D(2026, 2, 1))
    assert rows_of(conn, person) == [
        ("salary", Decimal("15000.00"), Decimal("0.00"), D(2026, 3, 1), None)
    ]


def test_hourly_row_keeps_only_the_hourly_rate(conn, person):
    rates = Rates("hourly", base_salary=Decimal(9999), hourly_rate=Decimal("85.5"))
    compensation.add_compensation(conn, ADMIN, person, rates, D(2026, 1, 1))
    assert rows_of(conn, person) == [
        ("hourly", Decimal("0.00"), Decimal("85.50"), D(2026, 1, 1), None)
    ]


def test_the_database_refuses_an_overlap_from_any_writer(conn, person):
    compensation.add_compensation(conn, ADMIN, person, SALARY, D(2026, 1, 1))
    with (
        pytest.raises(sa.exc.IntegrityError, match="ex_staff_compensation_no_overlap"),
        conn.begin_nested(),
    ):
        sql(conn, "INSERT INTO backoffice.staff_compensation (staff_id, compensation_type,"
                  " base_salary, effective_from) VALUES (:s, 'salary', 1, '2026-02-01')",
            s=person)


def test_non_admin_cannot_change_pay(conn, person):
    with pytest.raises(access.AccessDenied, match="not an admin"):
        compensation.add_compensation(conn, MANAGER, person, SALARY, D(2026, 1, 1))
    assert rows_of(conn, person) == []


def test_coach_rate_is_set_then_changed_and_audited(conn, person):
    compensation.save_coach_rate(conn, ADMIN, "Individual, 1 PAX", "1,200")
    compensation.save_coach_rate(conn, ADMIN, "Individual, 1 PAX", "1250.5")
    rates = compensation.load_coach_rates(conn)
    assert dict(zip(rates["rate_type"], rates["rate"], strict=True))["Individual, 1 PAX"] == (
        Decimal("1250.50")
    )
    actions = sql(
        conn,
        "SELECT action, details->'before'->>'rate' FROM backoffice.audit_logs"
        " WHERE resource_type = 'coach_rates' AND resource_id = 'Individual, 1 PAX'",
    ).all()
    assert sorted(actions) == [("CREATE", None), ("UPDATE", "1200.00")]


def test_negative_coach_rate_is_refused(conn, person):
    with pytest.raises(CompensationError, match="cannot be negative"):
        compensation.save_coach_rate(conn, ADMIN, "Individual, 2 PAX", "-5")


# --- issue 29: forms that cannot do harm by default ------------------------------------------

IN_FORCE = Rates("salary", base_salary=Decimal(15000), ot_rate_per_hour=Decimal(150),
                 holiday_rate_per_hour=Decimal(200), is_service_charge_eligible=True)


@pytest.mark.parametrize(
    "case,current,new,cuts",
    [
        ("a raise typed with only a new salary cuts nothing", IN_FORCE,
         Rates("salary", base_salary=Decimal(16000), ot_rate_per_hour=Decimal(150),
               holiday_rate_per_hour=Decimal(200), is_service_charge_eligible=True), []),
        ("overtime to 0 and service charge dropped", IN_FORCE,
         Rates("salary", base_salary=Decimal(16000), holiday_rate_per_hour=Decimal(200)),
         ["overtime rate 150.00 -> 0", "service charge: eligible -> not eligible"]),
        ("holiday rate to 0", IN_FORCE,
         Rates("salary", base_salary=Decimal(15000), ot_rate_per_hour=Decimal(150),
               is_service_charge_eligible=True), ["holiday rate 200.00 -> 0"]),
        ("salary to hourly drops the salary", IN_FORCE,
         Rates("hourly", hourly_rate=Decimal(90), ot_rate_per_hour=Decimal(150),
               holiday_rate_per_hour=Decimal(200), is_service_charge_eligible=True),
         ["monthly salary 15,000.00 -> 0"]),
        ("lowering but not to 0 is no cut", IN_FORCE,
         Rates("salary", base_salary=Decimal(12000), ot_rate_per_hour=Decimal(1),
               holiday_rate_per_hour=Decimal(1), is_service_charge_eligible=True), []),
        ("a component already 0 stays 0: no cut", Rates("hourly", hourly_rate=Decimal(80)),
         Rates("hourly", hourly_rate=Decimal(85)), []),
        ("a first rate cuts nothing", None, Rates("salary", base_salary=Decimal(9000)), []),
    ],
)
def test_a_change_that_lowers_a_component_to_0_or_drops_service_charge_must_be_confirmed(
    case, current, new, cuts
):
    assert compensation_rules.compute_pay_cuts(current, new) == cuts


TODAY = D(2026, 12, 6)


@pytest.mark.parametrize(
    "case,existing,start",
    [
        ("no rate yet: today", [], TODAY),
        ("the open row started earlier: today", [row(D(2026, 1, 1))], TODAY),
        ("the open row starts today: tomorrow", [row(TODAY)], D(2026, 12, 7)),
        ("a rate to come: the day after it starts", [row(D(2027, 1, 1))], D(2027, 1, 2)),
        ("a closed row reaching past today: the day after it ends",
         [row(D(2026, 1, 1), D(2026, 12, 31))], D(2027, 1, 1)),
        ("a closed row that ended: today", [row(D(2025, 1, 1), D(2025, 12, 31))], TODAY),
    ],
)
def test_a_new_rate_starts_today_or_the_first_later_day_the_service_accepts(case, existing,
                                                                            start):
    assert compensation_rules.compute_default_start(existing, TODAY) == start
    assert compensation_rules.compute_raise_plan(existing, start)[1] is None


@pytest.mark.parametrize(
    "case,existing,expected",
    [
        ("the row in force today", [row(D(2026, 1, 1), D(2026, 6, 30), 1), row(D(2026, 7, 1),
                                                                               pk=2)], 2),
        ("a leaver's last row", [row(D(2026, 1, 1), D(2026, 6, 30), 1)], 1),
        ("only a row to come", [row(D(2027, 1, 1), pk=3)], 3),
        ("no row", [], None),
    ],
)
def test_the_new_rate_form_copies_the_row_in_force(case, existing, expected):
    found = compensation_rules.compute_row_in_force(existing, TODAY)
    assert (found["id"] if found else None) == expected


def test_new_people_start_with_non_zero_overtime_and_holiday_rates():
    rates = compensation_rules.compute_new_person_rates()
    assert rates.ot_rate_per_hour > 0 and rates.holiday_rate_per_hour > 0
    assert rates.min_hours_for_allowance == 6


def test_pay_rate_changes_appear_in_the_persons_change_history(conn, person):
    compensation.add_compensation(conn, ADMIN, person, IN_FORCE, D(2026, 1, 1))
    cut = Rates("salary", base_salary=Decimal(16000), holiday_rate_per_hour=Decimal(200))
    compensation.add_compensation(conn, ADMIN, person, cut, D(2026, 4, 1), reason="review")
    history = compensation.load_pay_rate_history(conn, person).to_dict("records")
    assert [h["action_type"] for h in sorted(history, key=lambda h: h["changes_summary"])] == [
        "pay_rate_raised", "pay_rate_set"]
    raised = next(h for h in history if h["action_type"] == "pay_rate_raised")
    assert raised["changes_summary"] == (
        "new pay rate from 2026-04-01: monthly salary 15,000.00 -> 16,000.00,"
        " overtime rate 150.00 -> 0, service charge: eligible -> not eligible"
    )
    assert raised["changed_by_identifier"] == ADMIN and raised["reason"] == "review"
    first = next(h for h in history if h["action_type"] == "pay_rate_set")
    assert first["changes_summary"] == (
        "pay rate from 2026-01-01: salary 15,000.00, overtime rate 150.00, holiday rate 200.00,"
        " service charge: eligible"
    )
