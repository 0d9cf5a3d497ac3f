"""`backoffice payroll forecast` and the kept forecast on a small studio in April 2025: the pay
table with worked and planned hours, the weeks, the refusals, the service-charge line, the leaver
flag, the daily keep (service and notebook) and the accuracy of a paid month."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import nbformat
import papermill
import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.payroll.rules import PAY_COLUMNS
from backoffice_lib.payroll.rules.forecast import ACCURACY_COLUMNS, WEEK_COLUMNS
from backoffice_lib.payroll.rules.statutory import NET_PAY_COLUMNS
from backoffice_lib.payroll.service import finalise_payroll, run_payroll
from backoffice_lib.payroll.service.forecast import (
    keep_forecasts,
    load_forecast,
    load_forecast_accuracy,
)

BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "payroll" / "payroll_forecast.ipynb"
BOSS, CLERK = "boss@test.example", "clerk@test.example"


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day} {time}").replace(tzinfo=bangkok.BANGKOK)


@pytest.fixture(scope="module")
def studio(engine):
    """P001 hourly (a late day, a no-show, a holiday, an unplanned extra day), P002 a leaver on
    the 20th with a shift planned on the 24th, P003 shifts in May and no pay rate; pools of
    January to March."""
    with engine.begin() as conn:
        def sql(text, **params):
            return conn.execute(sa.text(text), params)

        sql("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true), "
            "(:c, false)", a=BOSS, c=CLERK)
        ids = {}
        for code, name in (("P001", "Ploy Hourly"), ("P002", "Lek Leaver"),
                           ("P003", "Nok Norate")):
            ids[code] = sql("INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash) "
                            "VALUES (:n, :c, 'x') RETURNING id", n=name, c=code).scalar_one()
        sql("INSERT INTO backoffice.staff_compensation (staff_id, compensation_type, hourly_rate,"
            " ot_rate_per_hour, holiday_rate_per_hour, is_service_charge_eligible,"
            " effective_from) VALUES (:s, 'hourly', 100, 80, 50, true, '2025-01-01')",
            s=ids["P001"])
        sql("INSERT INTO backoffice.staff_compensation (staff_id, compensation_type, base_salary,"
            " is_service_charge_eligible, effective_from, effective_to)"
            " VALUES (:s, 'salary', 20000, true, '2025-01-01', '2025-04-20')", s=ids["P002"])
        sql("INSERT INTO backoffice.public_holidays (holiday_date, holiday_name)"
            " VALUES ('2025-04-14', 'Songkran')")
        for month, pool in (("2025-01", 3000), ("2025-02", 6000), ("2025-03", 9000)):
            sql("INSERT INTO backoffice.monthly_service_charge (month_year, total_amount)"
                " VALUES (:m, :p)", m=month, p=pool)
        for code, day in (("P001", "2025-04-07"), ("P001", "2025-04-10"),
                          ("P001", "2025-04-14"), ("P001", "2025-04-21"),
                          ("P002", "2025-04-08"), ("P002", "2025-04-24"),
                          ("P003", "2025-05-20")):
            sql("INSERT INTO backoffice.staff_schedules (staff_id, schedule_date, start_time,"
                " end_time) VALUES (:s, :d, '09:00', '17:00')", s=ids[code], d=day)
        for code, day, start, end in (("P001", "2025-04-07", "09:05", "17:00"),  # late
                                      ("P001", "2025-04-14", "09:00", "17:00"),
                                      ("P001", "2025-04-21", "09:00", "17:00"),
                                      ("P001", "2025-04-22", "10:00", "14:00"),  # unplanned
                                      ("P002", "2025-04-08", "09:00", "17:00")):
            for action, time in (("clock_in", start), ("clock_out", end)):
                sql("INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                    " VALUES (:s, :a, :t)", s=ids[code], a=action, t=at(day, time))
    return ids


@pytest.fixture
def env(database_url, studio, tmp_path):
    values = dict(os.environ)
    values["BACKOFFICE_DATABASE_URL"] = database_url.render_as_string(hide_password=False)
    values["BACKOFFICE_DATA_DIR"] = str(tmp_path)
    values.pop("BACKOFFICE_USER", None)
    return values


def forecast(env, *args: str, user: str = BOSS) -> subprocess.CompletedProcess:
    return subprocess.run([BACKOFFICE, "payroll", "forecast", *args, "--user", user],
                          capture_output=True, text=True, check=False, env=env, timeout=300)


def test_forecast_prints_compute_columns_then_hours_worked_and_planned(env):
    done = forecast(env, "--month", "2025-04", "--as-of", "2025-04-09")
    assert done.returncode == 0, done.stderr
    rows = {r["staff_id"]: r for r in csv.DictReader(io.StringIO(done.stdout))}
    first = next(csv.reader(io.StringIO(done.stdout)))
    assert first == PAY_COLUMNS + NET_PAY_COLUMNS + ["hours_worked", "hours_planned"]
    ploy = rows["P001"]
    # worked 7.92 h (late on the 7th); planned the 10th, the 14th (Songkran), the 21st
    assert (ploy["hours_worked"], ploy["hours_planned"], ploy["total_hours"]) == (
        "7.92", "24.00", "31.92")
    assert (ploy["holiday_hours"], ploy["holiday_pay"]) == ("8.00", "400.00")
    # no April pool: the mean of January to March, 6000.00, shared by the two eligible
    assert ploy["service_charge"] == rows["P002"]["service_charge"] == "3000.00"
    lines = done.stderr.splitlines()
    assert ("service charge: no 2025-04 pool yet; mean of the pools of 2025-01, 2025-02, "
            "2025-03, 6000.00 THB") in lines
    assert any(line.startswith("flag: Lek Leaver (P002) has a shift planned on 2025-04-24")
               for line in lines)


def test_forecast_weeks_give_the_overtime_and_planned_holiday_hours_per_week(env):
    done = forecast(env, "--month", "2025-04", "--as-of", "2025-04-09", "--weeks",
                    "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert list(rows[0]) == WEEK_COLUMNS
    songkran = [r for r in rows if r["staff_id"] == "P001" and r["week_start"] == "2025-04-13"]
    assert songkran == [{"staff_id": "P001", "week_start": "2025-04-13", "week_end": "2025-04-19",
                         "hours_worked": "0.00", "hours_planned": "8.00", "ot_hours": "0.00",
                         "ot_pay": "0.00", "holiday_hours_planned": "8.00"}]


@pytest.mark.parametrize("as_of", ["2025-03-29", "2025-04-27"])
def test_forecast_as_of_outside_the_weeks_of_the_month_exits_2(env, as_of):
    done = forecast(env, "--month", "2025-04", "--as-of", as_of)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "2025-03-30" in done.stderr and "2025-04-26" in done.stderr


def test_forecast_is_for_admins_only(env):
    done = forecast(env, "--month", "2025-04", "--as-of", "2025-04-09", user=CLERK)
    assert done.returncode == 2
    assert "admin" in done.stderr and done.stdout == ""


def test_planned_shifts_without_a_pay_rate_exit_3_naming_the_person(env):
    done = forecast(env, "--month", "2025-05", "--as-of", "2025-05-01")
    assert done.returncode == 3
    assert ("blocking: Nok Norate (P003) has planned shifts in 2025-05 but no pay rate"
            in done.stderr)


def test_forecast_is_audited_as_a_payroll_view(conn, studio):
    def views():
        return conn.execute(sa.text(
            "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :u AND action = 'VIEW'"
            " AND resource_type = 'payroll_forecast' AND resource_id = '2025-04'"
            " AND details->>'as_of' = '2025-04-02'"), {"u": BOSS}).scalar_one()

    before = views()
    load_forecast(conn, "2025-04", dt.date(2025, 4, 2), BOSS)
    assert views() == before + 1


def test_daily_keep_stores_one_row_per_person_and_replaces_that_days(conn, studio):
    kept = keep_forecasts(conn, BOSS, dt.date(2025, 4, 1))
    assert [k["month"] for k in kept] == ["2025-04"]
    keep_forecasts(conn, BOSS, dt.date(2025, 4, 1))
    rows = conn.execute(sa.text(
        "SELECT s.staff_id, f.hours_planned, f.total_pay FROM backoffice.payroll_forecasts f"
        " JOIN backoffice.staff s ON s.id = f.staff_id WHERE f.forecast_date = '2025-04-01'"
        " ORDER BY 1")).all()
    assert [r.staff_id for r in rows] == ["P001", "P002"]
    assert rows[0].hours_planned == D("32.00")  # four shifts of 8 h, nothing worked yet
    # from the Sunday after a month's last paid Saturday, the day forecasts the next month
    assert [k["month"] for k in keep_forecasts(conn, BOSS, dt.date(2025, 4, 26))] == ["2025-04"]
    assert [k["month"] for k in keep_forecasts(conn, BOSS, dt.date(2025, 4, 27))] == ["2025-05"]


def test_accuracy_sets_what_was_paid_against_the_forecasts_of_the_1st_and_15th(conn, studio):
    keep_forecasts(conn, BOSS, dt.date(2025, 4, 1))
    run_payroll(conn, "2025-04", BOSS)
    finalise_payroll(conn, "2025-04", BOSS)
    report = load_forecast_accuracy(conn, "2025-04", BOSS)
    assert list(report.rows.columns) == ACCURACY_COLUMNS
    assert report.notes[0].startswith("paid: finalised run #")
    assert report.notes[1] == "forecast of 2025-04-01: kept that day"
    assert "not kept that day" in report.notes[2]
    rows = {r["staff_id"]: r for r in report.rows.to_dict("records")}
    ploy = rows["P001"]
    # paid: 7.92 + 8 + 8 + 4 h at 100, holiday 8 h at 50, no pool (0 service charge);
    # forecast of the 1st: the four planned shifts, 32 h, and a share of the estimated pool
    assert ploy["paid"] == D("2791.67") + D("400.00")
    assert ploy["forecast_1st"] == D("3200.00") + D("400.00") + D("3000.00")
    assert ploy["error_1st"] == D("3408.33")
    assert ploy["error_1st_pct"] == D("106.79")
    total = rows["TOTAL"]
    assert total["paid"] == sum(r["paid"] for k, r in rows.items() if k != "TOTAL")


def test_accuracy_of_a_month_not_ended_exits_2(env):
    month = bangkok.month_key(bangkok.today())
    done = forecast(env, "--month", month, "--accuracy")
    assert done.returncode == 2 and "has not ended" in done.stderr


def test_accuracy_cli_prints_per_person_and_total(env):
    done = forecast(env, "--month", "2025-04", "--accuracy")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ACCURACY_COLUMNS
    assert [r["staff_id"] for r in rows] == ["P001", "P002", "TOTAL"]
    assert "is not finalised" in done.stderr


def test_forecast_notebook_is_thin_and_keeps_the_days_forecast(database_url, studio, tmp_path,
                                                               monkeypatch):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert len([c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]) == 1
    assert set(papermill.inspect_notebook(str(NOTEBOOK))) == {"as_of", "output_dir"}
    monkeypatch.setenv("BACKOFFICE_USER", BOSS)
    papermill.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "executed.ipynb"),
        parameters={"as_of": "2025-04-15", "output_dir": str(tmp_path / "outputs")},
        kernel_name="python3", cwd=str(NOTEBOOK.parent), progress_bar=False,
    )
    written = tmp_path / "outputs" / "payroll_forecast_2025-04-15.csv"
    assert [r["month"] for r in csv.DictReader(written.open(encoding="utf-8"))] == ["2025-04"]


def test_accuracy_takes_neither_an_as_of_date_nor_weeks(env):
    done = forecast(env, "--month", "2025-04", "--accuracy", "--weeks")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --accuracy takes neither --as-of nor --weeks"
