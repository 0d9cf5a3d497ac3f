"""Payroll on the database: loading a month, draft runs, finalising, and the finalised-month lock.

Every test uses the rolled-back ``conn``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from backoffice_lib import audit, bangkok
from backoffice_lib.access import AccessDenied
from backoffice_lib.payroll import queries
from backoffice_lib.payroll.rules.diff import compute_run_diff
from backoffice_lib.payroll.service import (
    AlreadyFinalised,
    NoFinishedRun,
    PayrollBlocked,
    finalise_payroll,
    load_month_payroll,
    run_payroll,
)

ADMIN = "payroll-admin@test.example"
CLERK = "clerk@test.example"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=bangkok.BANGKOK)


def add_staff(conn, code: str, name: str) -> int:
    return conn.scalar(sa.text(
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash) VALUES (:n, :c, 'x')"
        " RETURNING id"), {"n": name, "c": code})


def add_comp(conn, staff: int, **values) -> int:
    row = {"staff_id": staff, "compensation_type": "salary", "base_salary": D(31000),
           "hourly_rate": D(0), "ot_rate_per_hour": D(100), "holiday_rate_per_hour": D(50),
           "is_service_charge_eligible": True, "min_hours_for_allowance": 6,
           "effective_from": dt.date(2024, 1, 1), "effective_to": None, **values}
    columns = ", ".join(row)
    params = ", ".join(f":{k}" for k in row)
    return conn.scalar(sa.text(
        f"INSERT INTO backoffice.staff_compensation ({columns}) VALUES ({params}) RETURNING id"),
        row)


def punch(conn, staff: int, start: str, end: str) -> None:
    for action, moment in (("clock_in", at(start)), ("clock_out", at(end))):
        conn.execute(sa.text(
            "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
            " VALUES (:s, :a, :t)"), {"s": staff, "a": action, "t": moment})


@pytest.fixture
def world(conn):
    conn.execute(sa.text(
        "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true), (:c, false)"),
        {"a": ADMIN, "c": CLERK})
    alice = add_staff(conn, "T001", "Alice Test")
    bob = add_staff(conn, "T002", "Bob Test")
    add_comp(conn, alice)
    add_comp(conn, bob, compensation_type="hourly", base_salary=D(0), hourly_rate=D(120),
             is_service_charge_eligible=False)
    punch(conn, alice, "2025-01-06 09:00", "2025-01-06 17:00")
    punch(conn, alice, "2025-01-31 20:00", "2025-02-01 04:00")  # across the month end
    punch(conn, bob, "2025-01-07 09:00", "2025-01-07 13:30")
    conn.execute(sa.text(
        "INSERT INTO backoffice.monthly_service_charge (month_year, total_amount)"
        " VALUES ('2025-01', 1000)"))
    conn.execute(sa.text(
        "INSERT INTO backoffice.public_holidays (holiday_date, holiday_name)"
        " VALUES ('2025-01-06', 'Test day')"))
    return {"alice": alice, "bob": bob}


def test_payroll_month_from_the_database(conn, world):
    result = load_month_payroll(conn, "2025-01")
    lines = result.lines.set_index("staff_id")
    assert list(lines.index) == ["T001", "T002"]
    alice, bob = lines.loc["T001"], lines.loc["T002"]
    assert alice["total_hours"] == D("16.00") and alice["working_days"] == 2
    assert alice["holiday_hours"] == D("8.00") and alice["holiday_pay"] == D("400.00")
    assert alice["service_charge"] == D("1000.00")
    assert alice["total_pay"] == D("31000.00") + D("200.00") + D("400.00") + D("1000.00")
    assert bob["base_pay"] == D("540.00") and bob["service_charge"] == D("0.00")
    assert not result.has_blocking_errors


def test_payroll_fix_setting_zero_from_the_database(conn, world):
    conn.execute(sa.text(
        "INSERT INTO backoffice.payroll_settings (setting_key, setting_value)"
        " VALUES ('daily_allowance_thb', '0')"))
    alice = load_month_payroll(conn, "2025-01").lines.set_index("staff_id").loc["T001"]
    assert alice["daily_allowance"] == D("0.00")


def test_payroll_fix_deactivated_staff_stay_in_the_run(conn, world):
    audit.act_as(conn, ADMIN, "left")
    conn.execute(sa.text("UPDATE backoffice.staff SET is_active = false WHERE id = :i"),
                 {"i": world["bob"]})
    assert "T002" in set(load_month_payroll(conn, "2025-01").lines["staff_id"])


def test_payroll_run_saves_a_draft_and_audits(conn, world):
    report = run_payroll(conn, "2025-01", ADMIN)
    runs = queries.load_runs(conn, "2025-01")
    assert [r["status"] for r in runs] == ["draft"]
    assert runs[0]["checksum"] == report.result.checksum
    assert runs[0]["total_pay"] == report.result.totals["total_pay"]
    logged = conn.execute(sa.text(
        "SELECT user_email FROM backoffice.audit_logs WHERE action = 'PAYROLL_RUN'"
        " AND resource_id = :i"), {"i": str(report.run_id)}).scalar_one()
    assert logged == ADMIN
    assert report.previous_run is None


def test_payroll_run_refuses_a_non_admin_and_audits_it(conn, world):
    with pytest.raises(AccessDenied):
        run_payroll(conn, "2025-01", CLERK)
    assert conn.scalar(sa.text(
        "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
        " AND user_email = :u"), {"u": CLERK}) == 1


def test_payroll_diff_against_previous_run_says_who_and_why(conn, world):
    run_payroll(conn, "2025-01", ADMIN)
    punch(conn, world["bob"], "2025-01-08 09:00", "2025-01-08 11:00")
    second = run_payroll(conn, "2025-01", ADMIN)
    diff = compute_run_diff(second.previous_run["lines"], second.lines)
    assert list(diff["staff_id"]) == ["T002"]
    row = diff.iloc[0]
    assert row["delta"] == D("240.00")
    assert "hours 4.50 → 6.50" in row["why"]


def test_payroll_diff_last_month_computed_when_no_run(conn, world):
    report = run_payroll(conn, "2025-02", ADMIN)
    assert report.last_month == "2025-01"
    assert "computed now" in report.last_month_source
    assert {line["staff_id"] for line in report.last_month_lines} == {"T001", "T002"}


def test_payroll_finalise_records_who_when_totals_checksum(conn, world):
    seen = run_payroll(conn, "2025-01", ADMIN)
    summary = finalise_payroll(conn, "2025-01", ADMIN)
    assert summary["run_id"] == seen.run_id  # the run finance saw is the one locked
    run = queries.load_finalised_run(conn, "2025-01")
    assert run["finalised_by"] == ADMIN and run["finalised_at"] is not None
    assert run["checksum"] == summary["checksum"]
    assert run["total_pay"] == D(summary["totals"]["total_pay"])
    assert conn.scalar(sa.text(
        "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'PAYROLL_FINALISE'"
        " AND resource_id = :i"), {"i": str(summary["run_id"])}) == 1
    with pytest.raises(AlreadyFinalised):
        finalise_payroll(conn, "2025-01", ADMIN)


def test_payroll_finalise_refused_with_blocking_errors(conn, world):
    carl = add_staff(conn, "T003", "Carl NoPay")
    punch(conn, carl, "2025-01-09 09:00", "2025-01-09 17:00")
    with pytest.raises(PayrollBlocked, match="Carl NoPay"):
        finalise_payroll(conn, "2025-01", ADMIN)
    assert queries.load_finalised_run(conn, "2025-01") is None


def test_payroll_finalise_needs_a_finished_run_of_the_current_data(conn, world):
    with pytest.raises(NoFinishedRun, match="no run of its current data"):
        finalise_payroll(conn, "2025-01", ADMIN)  # never run
    run_payroll(conn, "2025-01", ADMIN)
    punch(conn, world["bob"], "2025-01-08 09:00", "2025-01-08 11:00")
    with pytest.raises(NoFinishedRun, match="no run of its current data"):
        finalise_payroll(conn, "2025-01", ADMIN)  # the data changed since the run
    assert queries.load_finalised_run(conn, "2025-01") is None
    again = run_payroll(conn, "2025-01", ADMIN)
    assert finalise_payroll(conn, "2025-01", ADMIN)["run_id"] == again.run_id


@pytest.mark.parametrize("job_status, refusal", [
    ("running", "still running"),
    ("failed", "failed .*kernel died.*run payroll again"),
])
def test_payroll_finalise_needs_the_notebook_run_to_have_succeeded(conn, world, job_status,
                                                                   refusal):
    run_dir = f"/runs/payroll/{job_status}"
    conn.execute(sa.text(
        "INSERT INTO backoffice.job_runs (job_name, notebook, run_dir, status, error)"
        " VALUES ('payroll', 'payroll_run.ipynb', :d, :s, :e)"),
        {"d": run_dir, "s": job_status, "e": "kernel died" if job_status == "failed" else None})
    run_payroll(conn, "2025-01", ADMIN, f"{run_dir}/outputs")
    with pytest.raises(NoFinishedRun, match=refusal):
        finalise_payroll(conn, "2025-01", ADMIN)
    conn.execute(sa.text("UPDATE backoffice.job_runs SET status = 'succeeded', error = NULL,"
                         " finished_at = now() WHERE run_dir = :d"), {"d": run_dir})
    assert finalise_payroll(conn, "2025-01", ADMIN)["status"] == "finalised"


def test_payroll_finalise_is_admin_only(conn, world):
    with pytest.raises(AccessDenied):
        finalise_payroll(conn, "2025-01", CLERK)


def _savepoint_fails(conn, statement, params=None) -> bool:
    savepoint = conn.begin_nested()
    try:
        conn.execute(sa.text(statement), params or {})
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        assert "finalised" in str(exc.orig)
        return True
    savepoint.commit()
    return False


def test_payroll_finalised_month_locks_time_entries(conn, world):
    run_payroll(conn, "2025-01", ADMIN)
    finalise_payroll(conn, "2025-01", ADMIN)
    alice = world["alice"]
    move = ("UPDATE backoffice.time_entries SET timestamp = timestamp + interval '5 minutes'"
            " WHERE staff_id = :s AND timestamp = :t")
    params = {"s": alice, "t": at("2025-01-06 17:00")}
    assert _savepoint_fails(conn, move, params)
    assert _savepoint_fails(conn, "DELETE FROM backoffice.time_entries WHERE staff_id = :s",
                            {"s": alice})
    audit.act_as(conn, CLERK, "typo")  # not an admin
    assert _savepoint_fails(conn, move, params)
    audit.act_as(conn, ADMIN, "")  # an admin without a reason
    assert _savepoint_fails(conn, move, params)
    audit.act_as(conn, ADMIN, "clock-out was keyed 5 minutes early")
    assert not _savepoint_fails(conn, move, params)


def test_payroll_finalised_month_locks_days_whose_week_ends_in_it(conn, world):
    # Monday 30 December 2024 belongs to the week ending Saturday 4 January 2025, whose
    # overtime January paid.
    run_payroll(conn, "2025-01", ADMIN)
    finalise_payroll(conn, "2025-01", ADMIN)
    assert _savepoint_fails(
        conn, "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
        " VALUES (:s, 'clock_in', :t)", {"s": world["bob"], "t": at("2024-12-30 09:00")})
    assert not _savepoint_fails(
        conn, "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
        " VALUES (:s, 'clock_in', :t)", {"s": world["bob"], "t": at("2024-12-27 09:00")})


def test_payroll_finalised_month_leaves_other_months_open(conn, world):
    run_payroll(conn, "2025-01", ADMIN)
    finalise_payroll(conn, "2025-01", ADMIN)
    # February is open: entries of a week ending in February are free.
    assert not _savepoint_fails(
        conn, "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
        " VALUES (:s, 'clock_in', :t)", {"s": world["bob"], "t": at("2025-02-10 09:00")})
    assert not _savepoint_fails(
        conn, "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
        " VALUES (:s, 'clock_out', :t)", {"s": world["bob"], "t": at("2025-02-10 17:00")})


def test_payroll_finalised_month_locks_compensation(conn, world):
    run_payroll(conn, "2025-01", ADMIN)
    finalise_payroll(conn, "2025-01", ADMIN)
    bob = world["bob"]
    assert _savepoint_fails(
        conn, "UPDATE backoffice.staff_compensation SET hourly_rate = 130 WHERE staff_id = :s",
        {"s": bob})
    assert _savepoint_fails(
        conn, "UPDATE backoffice.staff_compensation SET effective_to = '2025-01-20'"
        " WHERE staff_id = :s", {"s": bob})
    # Ending the open row after the finalised month (a raise from March) is allowed.
    assert not _savepoint_fails(
        conn, "UPDATE backoffice.staff_compensation SET effective_to = '2025-02-28'"
        " WHERE staff_id = :s", {"s": bob})
    audit.act_as(conn, ADMIN, "back-dated raise agreed in January")
    assert not _savepoint_fails(
        conn, "UPDATE backoffice.staff_compensation SET hourly_rate = 130 WHERE staff_id = :s",
        {"s": bob})
