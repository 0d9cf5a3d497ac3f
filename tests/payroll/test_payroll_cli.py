"""`backoffice payroll …` as a person runs it: exit codes, the compute contract, and the finance
notebook executed end to end (papermill) on the demo data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok, migrate
from backoffice_lib.payroll.rules import PAY_COLUMNS
from backoffice_lib.payroll.rules.statutory import NET_PAY_COLUMNS
from backoffice_lib.payroll.service import load_month_payroll, run_payroll

BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))
TWO_DECIMALS = re.compile(r"^-?\d+\.\d{2}$")
ADMIN = "admin@studio.example"


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([BACKOFFICE, "payroll", *args], capture_output=True, text=True, check=False,
                          env=env or dict(os.environ), timeout=300)


def demo_month() -> str:
    """The last full month of the demo data (six months up to today)."""
    return bangkok.previous_month(bangkok.month_key(bangkok.today()))


@pytest.fixture(scope="module")
def private_url(database_url):
    """A database of this module with committed data: a person with sessions and no pay."""
    name = f"payroll_cli_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(database_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = database_url.set(database=name)
    engine = sa.create_engine(url, connect_args={"options": "-c timezone=Asia/Bangkok"})
    with engine.begin() as conn:
        migrate.upgrade(conn)
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES ('boss@test.example', true), ('clerk@test.example', false)"))
        paid = conn.scalar(sa.text("INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash)"
                                   " VALUES ('Paid Person', 'P001', 'x') RETURNING id"))
        unpaid = conn.scalar(sa.text("INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash)"
                                     " VALUES ('Unpaid Person', 'P002', 'x') RETURNING id"))
        conn.execute(sa.text(
            "INSERT INTO backoffice.staff_compensation (staff_id, compensation_type, base_salary,"
            " effective_from) VALUES (:s, 'salary', 20000, '2024-01-01')"), {"s": paid})
        for staff in (paid, unpaid):
            for month in ("2025-03", "2025-04"):
                for action, hour in (("clock_in", 9), ("clock_out", 17)):
                    conn.execute(sa.text(
                        "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                        " VALUES (:s, :a, :t)"),
                        {"s": staff, "a": action,
                         "t": dt.datetime.fromisoformat(f"{month}-10 {hour:02d}:00").replace(
                             tzinfo=bangkok.BANGKOK)})
        conn.execute(sa.text(
            "DELETE FROM backoffice.time_entries WHERE staff_id = :s"
            " AND timestamp >= '2025-04-01'"), {"s": unpaid})
    engine.dispose()
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def private_env(private_url, tmp_path):
    env = dict(os.environ)
    env["BACKOFFICE_DATABASE_URL"] = private_url.render_as_string(hide_password=False)
    env["BACKOFFICE_DATA_DIR"] = str(tmp_path)
    env.pop("BACKOFFICE_USER", None)
    return env


@pytest.mark.parametrize("month", ["2025-13", "2025-1", "January", "2025/01", ""])
def test_payroll_cli_malformed_month_exits_2(month):
    done = cli("compute", "--month", month)
    assert done.returncode == 2
    assert "YYYY-MM" in done.stderr
    assert "Traceback" not in done.stderr


def test_payroll_cli_compute_csv_contract_on_demo_data(demo_env, demo_engine):
    month = demo_month()
    done = cli("compute", "--month", month, "--user", ADMIN, env=demo_env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == PAY_COLUMNS + NET_PAY_COLUMNS  # 13 columns, then net pay appended
    assert [r["staff_id"] for r in rows] == sorted(r["staff_id"] for r in rows)
    for row in rows:
        for name in PAY_COLUMNS[4:] + NET_PAY_COLUMNS:
            assert TWO_DECIMALS.match(row[name]), (name, row[name])
        total = sum(D(row[c]) for c in ("base_pay", "daily_allowance", "overtime_pay",
                                        "holiday_pay", "service_charge"))
        assert D(row["total_pay"]) == total
        assert D(row["net_pay"]) == total - D(row["sso_employee"]) - D(row["withholding_tax"])
    with demo_engine.connect() as conn:
        expected = load_month_payroll(conn, month).lines
    assert len(rows) == len(expected)
    assert {r["staff_id"]: D(r["total_pay"]) for r in rows} == dict(
        zip(expected["staff_id"], expected["total_pay"])
    )


def test_payroll_cli_compute_json_to_file(demo_env, tmp_path):
    out = tmp_path / "pay.json"
    done = cli("compute", "--month", demo_month(), "--format", "json", "--out", str(out),
               "--user", ADMIN, env=demo_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    rows = json.loads(out.read_text())
    assert rows and list(rows[0]) == PAY_COLUMNS + NET_PAY_COLUMNS
    assert all(TWO_DECIMALS.match(r["total_pay"]) for r in rows)


def test_payroll_cli_blocking_errors_exit_3(private_env):
    done = cli("compute", "--month", "2025-03", "--user", "boss@test.example", env=private_env)
    assert done.returncode == 3
    assert "Unpaid Person" in done.stderr and "Traceback" not in done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["staff_id"] for r in rows] == ["P001", "P002"]


def test_payroll_cli_finalise_and_reopen_with_a_reason(private_env, private_url):
    refused = cli("finalise", "--month", "2025-04", "--user", "clerk@test.example",
                  env=private_env)
    assert refused.returncode == 2 and "not an admin" in refused.stderr
    blocked = cli("finalise", "--month", "2025-03", "--user", "boss@test.example",
                  env=private_env)
    assert blocked.returncode == 3 and "Unpaid Person" in blocked.stderr
    not_run = cli("finalise", "--month", "2025-04", "--user", "boss@test.example",
                  env=private_env)
    assert not_run.returncode == 2 and "run payroll first" in not_run.stderr
    engine = sa.create_engine(private_url)
    with engine.begin() as conn:
        run_payroll(conn, "2025-04", "boss@test.example")
    engine.dispose()
    done = cli("finalise", "--month", "2025-04", "--user", "boss@test.example", env=private_env)
    assert done.returncode == 0, done.stderr
    assert "finalised payroll 2025-04" in done.stdout
    again = cli("finalise", "--month", "2025-04", "--user", "boss@test.example",
                env=private_env)
    assert again.returncode == 2 and "already finalised" in again.stderr
    no_reason = cli("reopen", "--month", "2025-04", "--reason", " ", "--user",
                    "boss@test.example", env=private_env)
    assert no_reason.returncode == 2 and "needs a reason" in no_reason.stderr
    not_admin = cli("reopen", "--month", "2025-04", "--reason", "late punch", "--user",
                    "clerk@test.example", env=private_env)
    assert not_admin.returncode == 2 and "not an admin" in not_admin.stderr
    reopened = cli("reopen", "--month", "2025-04", "--reason", "late punch", "--user",
                   "boss@test.example", env=private_env)
    assert reopened.returncode == 0, reopened.stderr
    assert "reopened payroll 2025-04" in reopened.stdout
    nothing = cli("reopen", "--month", "2025-04", "--reason", "again", "--user",
                  "boss@test.example", env=private_env)
    assert nothing.returncode == 2 and "not finalised" in nothing.stderr
    refinalised = cli("finalise", "--month", "2025-04", "--user", "boss@test.example",
                      env=private_env)
    assert refinalised.returncode == 0, refinalised.stderr


@pytest.fixture
def demo_run_env(demo_env, demo_engine, tmp_path):
    """The demo database for a payroll run; what the runs add is removed afterwards."""
    with demo_engine.begin() as conn:
        started = conn.scalar(sa.text("SELECT clock_timestamp()"))
    env = dict(demo_env)
    env["BACKOFFICE_DATA_DIR"] = str(tmp_path)
    env["BACKOFFICE_USER"] = ADMIN
    yield env
    with demo_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM backoffice.payroll_runs WHERE created_at >= :t"),
                     {"t": started})
        conn.execute(sa.text("DELETE FROM backoffice.audit_logs WHERE timestamp >= :t"
                             " AND action IN ('PAYROLL_RUN', 'ACCESS_DENIED')"), {"t": started})
        conn.execute(sa.text("DELETE FROM backoffice.job_runs WHERE started_at >= :t"
                             " AND job_name = 'payroll'"), {"t": started})


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_payroll_run_notebook_end_to_end_on_demo_data(demo_run_env):
    month = demo_month()
    first = cli("run", "--month", month, env=demo_run_env)
    assert first.returncode == 0, first.stderr
    run_dir = Path(first.stdout.strip())
    outputs = run_dir / "outputs"
    assert (run_dir / "payroll_run.ipynb").is_file()
    manifest = json.loads((outputs / "manifest.json").read_text())
    assert manifest["parameters"] == {"month": month}
    assert manifest["status"] == "draft" and len(manifest["data_checksum"]) == 64
    slips = sorted((outputs / "payslips").glob("*.pdf"))
    assert len(slips) == manifest["people"] > 0
    assert (outputs / f"payroll_{month}.xlsx").stat().st_size > 0
    assert sorted(p.name for p in (outputs / "filings").iterdir()) == [
        f"pnd1_{month}.csv", f"pnd1_{month}.xlsx", f"sso_{month}.txt", f"sso_{month}.xlsx"]
    executed = json.loads((run_dir / "payroll_run.ipynb").read_text())
    text = json.dumps(executed)
    assert "No blocking errors" in text and "First run of" in text

    second = cli("run", "--month", month, env=demo_run_env)
    assert second.returncode == 0, second.stderr
    again = Path(second.stdout.strip())
    assert again != run_dir
    assert _files(again / "outputs") == _files(outputs)  # same data, same bytes
    assert "No change since run #" in (again / "payroll_run.ipynb").read_text()


def test_payroll_run_refuses_without_a_user(private_env):
    done = cli("run", "--month", "2025-04", env=private_env)
    assert done.returncode == 2 and "no user given" in done.stderr

