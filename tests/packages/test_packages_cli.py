"""The CLI contract of `backoffice packages status|use` and `backoffice coaching earnings`.

The commands commit, so they run against a scratch database of this module (never the shared test
database, never the demo database).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from backoffice_lib import database, migrate, spreadsheets
from backoffice_lib.cli import cli
from backoffice_lib.packages import service as package_service

ROOT = Path(__file__).resolve().parents[2]
BACKOFFICE = [sys.executable, "-m", "backoffice_lib.cli"]
ADMIN = "cli-admin@studio.example"
COACH = "cli-coach@studio.example"
STATUS_HEADER = ("package_id,customer_name,package_type_name,package_category,purchase_date,"
                 "first_use_date,expiration_date,total_hours,used_hours,remaining_hours,"
                 "package_status")


@pytest.fixture(scope="module")
def cli_db(database_url):
    name = f"pkgcli_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(database_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = database_url.set(database=name)
    engine = sa.create_engine(url)
    with engine.begin() as c:
        migrate.upgrade(c)
        c.execute(sa.text(
            "INSERT INTO backoffice.allowed_users (email, is_admin, is_coach, coach_code) VALUES"
            " (:a, true, false, NULL), (:c, false, true, 'BOSS')"), {"a": ADMIN, "c": COACH})
        c.execute(sa.text(
            "INSERT INTO backoffice.package_types (id, name, type, hours, validity_period) VALUES"
            " (901, 'Ten Hours', 'Monthly', 10, '1 month'),"
            " (902, 'Open Month', 'Unlimited', NULL, '1 month')"))
        c.execute(sa.text(
            "INSERT INTO backoffice.packages (id, customer_name, package_type_id, purchase_date)"
            " VALUES ('00000000-0000-0000-0000-000000000002', 'Khun Bee', 901, '2025-03-01'),"
            " ('00000000-0000-0000-0000-000000000001', 'Khun Anan', 902, '2025-02-01'),"
            " ('00000000-0000-0000-0000-000000000003', 'Khun Chai', 901, '2025-03-01')"))
        c.execute(sa.text(
            "INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours, used_date)"
            " VALUES ('00000000-0000-0000-0000-000000000002', 'Ploy', 1.5, '2025-03-02'),"
            " ('00000000-0000-0000-0000-000000000002', 'Ploy', 2, '2025-03-03')"))
        c.execute(sa.text(
            "INSERT INTO backoffice.coach_rates VALUES ('Individual, 1 PAX', 800)"))
        c.execute(sa.text(
            "INSERT INTO public.bookings (id, customer_name, date, start_time, duration,"
            " number_of_people, booking_type, status) VALUES"
            " ('CB-1', 'Khun Anan', '2025-03-05', '10:00', 1.5, 1, 'Coaching (Boss)', 'confirmed'),"
            " ('CB-2', 'Khun Bee', '2025-03-06', '11:00', 1, 2, 'Coaching (Min)', 'confirmed')"))
    engine.dispose()
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(cli_db, *args, user=ADMIN):
    """The real command in a subprocess (as a person or a cron job runs it)."""
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=cli_db.render_as_string(hide_password=False))
    env.pop("BACKOFFICE_USER", None)
    if user:
        env["BACKOFFICE_USER"] = user
    return subprocess.run([*BACKOFFICE, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          check=False,
                          timeout=120)


@pytest.fixture
def invoke(cli_db, monkeypatch):
    """The same command in this process (a subprocess costs seconds of imports)."""
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", cli_db.render_as_string(hide_password=False))
    database.database_url.cache_clear()
    database.get_engine.cache_clear()

    def call(*args, user=ADMIN):
        if user:
            monkeypatch.setenv("BACKOFFICE_USER", user)
        else:
            monkeypatch.delenv("BACKOFFICE_USER", raising=False)
        result = CliRunner().invoke(cli, list(args), prog_name="backoffice")
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    yield call
    monkeypatch.undo()
    database.database_url.cache_clear()
    database.get_engine.cache_clear()


def test_status_csv_contract(cli_db):
    result = run(cli_db, "packages", "status", "--as-of", "2025-03-10")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == STATUS_HEADER
    assert lines[1:4] == [
        ("00000000-0000-0000-0000-000000000001,Khun Anan,Open Month,Unlimited,2025-02-01,,,,0.00,,"
        "not_activated"),
        ("00000000-0000-0000-0000-000000000002,Khun Bee,Ten Hours,Monthly,2025-03-01,2025-03-02,"
        "2025-04-01,10.00,3.50,6.50,active"),
        ("00000000-0000-0000-0000-000000000003,Khun Chai,Ten Hours,Monthly,2025-03-01,,,10.00,0.00,"
        "10.00,not_activated"),
    ]


AWKWARD_NAMES = ['Khun "Ploy", Jr.', "สมชาย ใจดี", " two\nlines ", "=SUM(A1)"]


def test_status_csv_from_postgresql_reads_back_as_the_rows(cli_db, invoke):
    """The CSV comes from COPY (fast for 100k packages): quoting of commas, quotes, line breaks
    and Thai names must read back exactly as the rows the library computes."""
    engine = sa.create_engine(cli_db)
    try:
        with engine.begin() as c:
            for number, name in enumerate(AWKWARD_NAMES, start=11):
                c.execute(sa.text(
                    "INSERT INTO backoffice.packages (id, customer_name, package_type_id,"
                    " purchase_date) VALUES (:id, :name, 901, '2025-01-01')"),
                    {"id": f"00000000-0000-0000-0000-0000000000{number}", "name": name})
            expected = [  # issue 22: a name that could run as a formula is text ('=SUM(A1))
                {k: "" if v is None else str(spreadsheets.inert_value(v)) for k, v in row.items()}
                for row in package_service.iter_package_status(c, dt.date(2025, 3, 10))
            ]
        result = invoke("packages", "status", "--as-of", "2025-03-10")
        assert result.returncode == 0, result.stderr
        assert list(csv.DictReader(io.StringIO(result.stdout))) == expected
        assert {r["customer_name"] for r in expected} >= set(AWKWARD_NAMES) - {"=SUM(A1)"}
        assert "'=SUM(A1)" in {r["customer_name"] for r in expected}
    finally:
        with engine.begin() as c:
            c.execute(sa.text("DELETE FROM backoffice.packages WHERE customer_name = ANY(:n)"),
                      {"n": AWKWARD_NAMES})
        engine.dispose()


def test_status_as_of_judges_expiry_on_that_day(invoke):
    on_expiry = invoke("packages", "status", "--as-of", "2025-04-01", "--format", "json")
    after = invoke("packages", "status", "--as-of", "2025-04-02", "--format", "json")
    status = {r["customer_name"]: r for r in json.loads(on_expiry.stdout)}
    assert status["Khun Bee"]["package_status"] == "active"
    assert status["Khun Bee"]["remaining_hours"] == 6.5
    assert status["Khun Anan"]["first_use_date"] is None
    assert {r["customer_name"]: r["package_status"] for r in json.loads(after.stdout)}["Khun Bee"] \
        == "expired"


@pytest.mark.parametrize(
    "case, args, message",
    [
        ("over-use refused", ["--hours", "7", "--date", "2025-03-20"], "only 6.50 h remain"),
        ("usage before purchase refused", ["--hours", "1", "--date", "2025-02-01"],
         "before the purchase"),
        ("usage after expiry refused", ["--hours", "1", "--date", "2025-04-02"], "expired"),
        ("zero hours refused", ["--hours", "0", "--date", "2025-03-20"], "more than 0"),
        ("hours must be a number", ["--hours", "abc", "--date", "2025-03-20"], "--hours"),
    ],
)
def test_use_refused_with_reason_and_exit_2(invoke, case, args, message):
    result = invoke("packages", "use", "--package", "00000000-0000-0000-0000-000000000002",
                 "--employee", "Ploy", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_sell_then_first_use_activates(invoke):
    sold = invoke("packages", "sell", "--customer", "Khun Dao", "--type", "Ten Hours", "--date",
                  "2025-07-01")
    assert sold.returncode == 0, sold.stderr
    result = invoke("packages", "use", "--package", sold.stdout.strip(),
                    "--hours", "2", "--date", "2025-07-05", "--employee", "Ploy")
    assert result.returncode == 0, result.stderr
    assert "8.00 h remain" in result.stdout and "expires 2025-08-04" in result.stdout


def test_status_needs_an_allowed_user(invoke):
    result = invoke("packages", "status", user=None)
    assert result.returncode == 2 and "no user given" in result.stderr


def test_coach_earnings_csv_and_own_rows_only(invoke):
    admin = invoke("coaching", "earnings", "--from", "2025-03-01", "--to", "2025-03-31",
                   "--format", "csv")
    assert admin.returncode == 0, admin.stderr
    rows = list(csv.DictReader(io.StringIO(admin.stdout)))
    assert [(r["booking_id"], r["coach_code"], r["coach_earnings"], r["error"]) for r in rows] == [
        ("CB-1", "BOSS", "1200.00", ""),
        ("CB-2", "MIN", "", 'no coach rate for rate type "Individual, 2 PAX"'),
    ]
    assert "no coach rate" in admin.stderr
    coach = invoke("coaching", "earnings", "--from", "2025-03-01", "--to", "2025-03-31",
                   "--format", "csv", user=COACH)
    assert [r["booking_id"] for r in csv.DictReader(io.StringIO(coach.stdout))] == ["CB-1"]
    other = invoke("coaching", "earnings", "--from", "2025-03-01", "--to", "2025-03-31",
                   "--coach", "MIN", user=COACH)
    assert other.returncode == 2 and "only their own" in other.stderr


def test_use_refusal_from_the_real_command(cli_db):
    result = run(cli_db, "packages", "use", "--package", "00000000-0000-0000-0000-000000000001",
                 "--hours", "1", "--date", "2025-01-01", "--employee", "Ploy")
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: usage refused: usage on 2025-01-01 is before the"
                                     " purchase on 2025-02-01")


def test_two_usages_at_once_cannot_overdraw(cli_db):
    """validate_package_usage() locks the package row: the second writer waits, then sees the
    first one's hours and is refused."""
    import threading
    import time

    engine = sa.create_engine(cli_db)
    package = "00000000-0000-0000-0000-000000000009"
    insert = sa.text("INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours,"
                     " used_date) VALUES (:p, :who, :h, '2025-05-03')")
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.packages (id, customer_name, package_type_id,"
                          " purchase_date) VALUES (:p, 'Khun Race', 901, '2025-05-01')"), {"p": package})
        c.execute(sa.text("INSERT INTO backoffice.package_usage (package_id, employee_name,"
                          " used_hours, used_date) VALUES (:p, 'Ploy', 8, '2025-05-02')"), {"p": package})
    outcome: dict[str, str] = {}

    def second_writer():
        try:
            with engine.begin() as c:
                c.execute(insert, {"p": package, "who": "second", "h": D(1)})
            outcome["second"] = "recorded"
        except sa.exc.DBAPIError as exc:
            outcome["second"] = str(exc.orig)

    with engine.connect() as first:
        tx = first.begin()
        first.execute(insert, {"p": package, "who": "first", "h": D("1.5")})
        thread = threading.Thread(target=second_writer)
        thread.start()
        with engine.connect() as probe:  # wait (bounded) until the second writer waits for the lock
            for _ in range(300):
                waiting = probe.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'")).scalar_one()
                if waiting or not thread.is_alive():
                    break
                time.sleep(0.1)
        tx.commit()
    thread.join(60)
    engine.dispose()
    assert "only 0.50 h remain" in outcome["second"]
