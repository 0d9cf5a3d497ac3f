"""The payroll dashboard: its tables from a computed month, and the widgets on the demo data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from test_payroll_rules import ALICE, BOB, at, hourly, inputs, salary, shifts, week_of_days

from backoffice_lib import bangkok
from backoffice_lib.payroll import payroll_dashboard as dashboard
from backoffice_lib.payroll.rules import compute_payroll


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
    cost = dashboard.compute_cost_by_component(result)
    assert sum(cost["thb"], D(0)) == result.totals["total_pay"]


def test_payroll_dashboard_hours_ot_holiday_and_flags():
    result = month_result()
    people = dashboard.compute_hours_by_person(result).set_index("staff")
    assert people.loc[ALICE, "hours"] == D("54.00")
    holiday = dashboard.compute_holiday_work(result)
    assert sorted(holiday["person"]) == ["Alice", "Bob"]
    assert set(holiday["date"]) == {dt.date(2025, 1, 6)}
    flags = dashboard.compute_flags_to_fix(result)
    assert "missing_clock_out" in set(flags["flag"])
    weeks = dashboard.compute_ot_by_week([result])
    week = weeks.set_index("week_end").loc[dt.date(2025, 1, 11)]
    assert week["overtime_hours"] == D("0.00")  # 54 h minus 9 holiday hours is under 48


def test_payroll_dashboard_drill_down_lists_the_sessions_behind_pay():
    result = month_result()
    sessions = dashboard.compute_person_sessions(result, BOB)
    assert list(sessions["hours"]) == [D("8.00"), D("0.00")]
    assert list(sessions["flag"]) == ["", "missing_clock_out"]
    assert sessions["clock_in"].iloc[0] == "2025-01-06 09:00"


def test_payroll_dashboard_widgets_on_demo_data(demo_engine, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_USER", "manager@studio.example")
    month = bangkok.previous_month(bangkok.month_key(bangkok.today()))
    box = dashboard.payroll_dashboard(month, engine=demo_engine)
    widgets = {type(w).__name__: w for w in box.children}
    texts = [w.value for w in box.children if hasattr(w, "value") and isinstance(w.value, str)]
    assert any(f"Payroll {month}:" in t for t in texts)
    assert any("Net pay ฿" in t and "employer social security ฿" in t and "tax to remit ฿" in t
               for t in texts)
    assert any("Withholding tax to remit" in t for t in texts)
    person = box.children[-2]
    detail = box.children[-1]
    assert person.options and "Sessions" in detail.value
    person.value = person.options[-1][1]
    assert person.options[-1][0].split(" (")[0] in detail.value
    assert "Social security" in detail.value and "Net pay" in detail.value
    assert "Dropdown" in widgets


def test_payroll_dashboard_refuses_a_non_admin(demo_engine, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_USER", "boss@studio.example")
    box = dashboard.payroll_dashboard("", engine=demo_engine)
    assert "not an admin" in box.value
