"""The payroll dashboard: its tables from a computed month (rules.summary), and its handlers on
the demo data (widgets built without a browser)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import sqlalchemy as sa
from test_payroll_rules import ALICE, BOB, at, hourly, inputs, salary, shifts, week_of_days

from backoffice_lib import access, bangkok, database
from backoffice_lib.payroll import payroll_dashboard as dashboard
from backoffice_lib.payroll.rules import compute_payroll, summary


def month_result():
    return compute_payroll(inputs(
        entries=week_of_days(ALICE, "2025-01-05", 6, 9)
        + shifts(BOB, ("2025-01-06 09:00", "2025-01-06 17:00"))
        + [(BOB, "clock_in", at("2025-01-09 09:00"))],
        comp=[salary(ALICE), hourly(BOB, rate="100")],
        holidays=["2025-01-06"],
    ))


def test_payroll_dashboard_cost_by_component_sums_to_total():
    result = month_result()
    cost = summary.compute_cost_by_component(result)
    assert sum(cost["thb"], D(0)) == result.totals["total_pay"]


def test_payroll_dashboard_hours_ot_holiday_and_flags():
    result = month_result()
    people = summary.compute_hours_by_person(result).set_index("staff")
    assert people.loc[ALICE, "hours"] == D("54.00")
    holiday = summary.compute_holiday_work(result)
    assert sorted(holiday["person"]) == ["Alice", "Bob"]
    assert set(holiday["date"]) == {dt.date(2025, 1, 6)}
    flags = summary.compute_flags_to_fix(result)
    assert "missing_clock_out" in set(flags["flag"])
    weeks = summary.compute_ot_by_week([result])
    week = weeks.set_index("week_end").loc[dt.date(2025, 1, 11)]
    assert week["overtime_hours"] == D("0.00")  # 54 h minus 9 holiday hours is under 48


def test_payroll_dashboard_drill_down_lists_the_sessions_behind_pay():
    result = month_result()
    sessions = summary.compute_person_sessions(result, BOB)
    assert list(sessions["hours"]) == [D("8.00"), D("0.00")]
    assert list(sessions["flag"]) == ["", "missing_clock_out"]
    assert sessions["clock_in"].iloc[0] == "2025-01-06 09:00"


def test_payroll_dashboard_handlers_on_demo_data(demo_engine):
    with database.transaction(demo_engine) as conn:
        manager = access.load_user(conn, "manager@studio.example")
    month = bangkok.previous_month(bangkok.month_key(bangkok.today()))
    view = dashboard.PayrollDashboard(manager, month, engine=demo_engine)
    assert f"Payroll {month}:" in view.status.value
    assert ("Net pay ฿" in view.status.value and "employer social security ฿" in view.status.value
            and "tax to remit ฿" in view.status.value)
    assert "Withholding tax to remit" in view.remittances.value
    assert view.person.options and "Sessions" in view.person_detail.value
    view.person.value = view.person.options[-1][1]
    assert view.person.options[-1][0].split(" (")[0] in view.person_detail.value
    assert "Social security" in view.person_detail.value and "Net pay" in view.person_detail.value
    earlier = bangkok.previous_month(month)
    view.picker.value = earlier
    assert f"Payroll {earlier}:" in view.status.value


def test_payroll_dashboard_is_guarded_a_non_admin_sees_the_refusal(demo_env, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_USER", "boss@studio.example")
    database.database_url.cache_clear()  # the guard reads BACKOFFICE_DATABASE_URL: the demo's
    try:
        box = dashboard.payroll_dashboard("")
    finally:
        database.database_url.cache_clear()
    assert "Access refused" in box.value and "not an admin" in box.value


def test_payroll_dashboard_refuses_a_month_to_an_admin_demoted_while_the_page_is_open(
        demo_engine):
    email = "demoted-payroll@studio.example"
    with demo_engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:e, true)"), {"e": email})
    with database.transaction(demo_engine) as conn:
        admin = access.load_user(conn, email)
    view = dashboard.PayrollDashboard(admin, "", engine=demo_engine)
    assert "Payroll " in view.status.value
    with demo_engine.begin() as c:
        c.execute(sa.text("UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :e"),
                  {"e": email})
    view.picker.value = view.picker.options[2]
    assert "not an admin" in view.status.value and "bo-refused" in view.status.value
    with demo_engine.connect() as c:
        assert c.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                                " AND action = 'ACCESS_DENIED'"), {"e": email}) == 1
