"""The month being worked on the payroll dashboard and the overview: so far, the plan, the
forecast and last month's actual, per component (demo data, handlers without a browser)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from backoffice_lib import access, bangkok, database
from backoffice_lib.payroll import payroll_dashboard as dashboard
from backoffice_lib.payroll.rules.forecast import compute_forecast_summary, compute_months_to_keep
from backoffice_lib.payroll.service.forecast import load_forecast, load_forecast_summary
from backoffice_lib.workbench.overview_dashboard import OverviewDashboard

ADMIN = "admin@studio.example"


def test_summary_plan_is_the_forecast_less_what_is_done_and_change_is_against_last_month():
    so_far = {"base_pay": D(100), "daily_allowance": D(10), "overtime_pay": D(0),
              "holiday_pay": D(5), "service_charge": D(50), "total_pay": D(165)}
    forecast = {**so_far, "base_pay": D(180), "overtime_pay": D(12), "total_pay": D(257)}
    rows = compute_forecast_summary(so_far, forecast, {"total_pay": D(250)})
    total = rows.iloc[-1]
    assert (total["component"], total["plan"], total["change"]) == ("Total pay", D(92), D(7))
    assert sum(rows["plan"][:-1]) == total["plan"]


def test_forecast_summary_on_demo_adds_up_and_matches_the_forecast(demo_conn):
    today = bangkok.today()
    month = compute_months_to_keep(today)[0]
    summary = load_forecast_summary(demo_conn, month, ADMIN, today)
    rows = {r["component"]: r for r in summary.rows.to_dict("records")}
    total = rows.pop("Total pay")
    for name in ("so_far", "plan", "forecast", "last_month"):
        assert sum(r[name] for r in rows.values()) == total[name]
    assert total["forecast"] == load_forecast(demo_conn, month, today, ADMIN).totals["total_pay"]
    assert total["plan"] > 0  # the demo plans four weeks ahead


def test_payroll_dashboard_shows_the_month_being_worked_beside_last_month(demo_engine):
    with database.transaction(demo_engine) as conn:
        manager = access.load_user(conn, "manager@studio.example")
    view = dashboard.PayrollDashboard(manager, "", engine=demo_engine)
    month = compute_months_to_keep(bangkok.today())[0]
    assert f"Forecast of {month} as of {bangkok.today():%d %b %Y}" in view.forecast.value
    for text in ("So far", "Planned from today", "Last month", "Overtime premium", "Total pay"):
        assert text in view.forecast.value


def test_overview_shows_the_payroll_forecast(demo_engine, monkeypatch):
    monkeypatch.setattr(database, "get_engine", lambda *a, **k: demo_engine)
    with database.transaction(demo_engine) as conn:
        admin = access.load_user(conn, ADMIN)
    view = OverviewDashboard(admin, bangkok.month_key(bangkok.today() - dt.timedelta(days=40)))
    assert "Forecast of" in view.forecast_box.value and "Total pay" in view.forecast_box.value


def test_demo_month_worked_as_planned_from_the_15th_pays_its_forecast_to_the_satang(demo_conn):
    """The second identity end to end, net pay included: the last full demo month's forecast of
    its 15th, then its time from the 15th replaced by exactly the plan, then payroll."""
    import sqlalchemy as sa

    from backoffice_lib.payroll import queries
    from backoffice_lib.payroll.reports.outputs import compute_pay_table
    from backoffice_lib.payroll.rules import setting_value
    from backoffice_lib.payroll.rules.forecast import compute_entries_before
    from backoffice_lib.payroll.service import load_month_payroll

    month = bangkok.previous_month(bangkok.month_key(bangkok.today()))
    first, last = bangkok.month_days(month)
    as_of = first.replace(day=15)
    demo_conn.execute(sa.text(
        "INSERT INTO backoffice.monthly_service_charge (month_year, total_amount)"
        " VALUES (:m, 12345.67) ON CONFLICT (month_year) DO NOTHING"), {"m": month})
    forecast = load_forecast(demo_conn, month, as_of, ADMIN)
    inputs = queries.load_payroll_inputs(demo_conn, month)
    kept = compute_entries_before(inputs.entries, as_of,
                                  setting_value(inputs.settings, "max_session_hours"))
    later = sorted(set(inputs.entries["id"].tolist()) - set(kept["id"].tolist()))
    # the time clock's rules are the plan's to break here (a forgotten clock-out before the
    # 15th then a planned clock-in): this transaction only, rolled back after the test
    demo_conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    demo_conn.execute(sa.text("DELETE FROM backoffice.time_entries WHERE id = ANY(:ids)"),
                      {"ids": later})
    planned = queries.load_planned_shifts(demo_conn, as_of, last)
    assert len(later) > 100 and len(planned) > 100  # half a month worked, replaced by the plan
    assert forecast.totals["total_pay"] != load_month_payroll(demo_conn, month).totals["total_pay"]
    for shift in planned.to_dict("records"):
        for action, time in (("clock_in", shift["start_time"]), ("clock_out", shift["end_time"])):
            demo_conn.execute(sa.text(
                "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                " VALUES (:s, :a, :t)"),
                {"s": shift["staff_id"], "a": action,
                 "t": bangkok.at(shift["schedule_date"], time)})
    paid = load_month_payroll(demo_conn, month)
    assert compute_pay_table(paid) == compute_pay_table(forecast.payroll)
    assert paid.totals["total_pay"] == forecast.totals["total_pay"]


def test_accuracy_of_the_last_full_demo_month_differs_from_what_was_paid(demo_conn):
    """The demo's late arrivals, no-shows and unplanned days make the forecasts miss a little."""
    from backoffice_lib.payroll.service.forecast import load_forecast_accuracy

    month = bangkok.previous_month(bangkok.month_key(bangkok.today()))
    report = load_forecast_accuracy(demo_conn, month, ADMIN)
    total = report.rows.iloc[-1]
    assert total["staff_id"] == "TOTAL" and total["paid"] > 0
    assert total["error_1st"] != 0 and total["error_15th"] != 0
    people = report.rows.iloc[:-1]
    assert sum(people["paid"]) == total["paid"]
    assert sum(people["forecast_15th"]) == total["forecast_15th"]
