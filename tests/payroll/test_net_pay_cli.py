"""`backoffice payroll compute | filings | certificates | set-rate` with net pay, as a person runs
them, on a database of this module with committed data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice
from openpyxl import load_workbook

from backoffice_lib import bangkok, migrate
from backoffice_lib.payroll.rules import PAY_COLUMNS
from backoffice_lib.payroll.rules.statutory import NET_PAY_COLUMNS

TWO_DECIMALS = re.compile(r"^-?\d+\.\d{2}$")
ADMIN = "netpay-admin@test.example"
CLERK = "netpay-clerk@test.example"
NEW_ID = "1101700230716"  # 110170023071 and its check digit
# code, name, national ID, title, Thai first and last name, insured, salary, from, to
PEOPLE = [
    ("NP01", "Somchai Srisuk", "1101700230708", "นาย", "สมชาย", "ศรีสุข", True, 30000,
     "2025-11-01", None),
    ("NP02", "Suda Jaidee", "3100600123450", "นางสาว", "สุดา", "ใจดี", True, 12345,
     "2025-11-01", None),
    ("NP03", "Anan Boonmee", None, None, None, None, False, 9000, "2025-11-01", None),
    ("NP04", "Malee Nobody", None, None, None, None, True, 15000, "2025-11-01", "2025-12-31"),
]


@pytest.fixture(scope="module")
def env_url(database_url):
    name = f"netpay_cli_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(database_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = database_url.set(database=name)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        migrate.upgrade(conn)
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES (:a, true), (:c, false)"), {"a": ADMIN, "c": CLERK})
        conn.execute(sa.text(
            "INSERT INTO backoffice.invoice_settings (key, value) VALUES"
            " ('company_name', 'บริษัท แฟร์เวย์ กอล์ฟ จำกัด'), ('company_tax_id', '0105566012345')"))
        conn.execute(sa.text(
            "INSERT INTO backoffice.payroll_settings (setting_key, setting_value) VALUES"
            " ('sso_employer_account', '1234567890'), ('sso_branch', '000001')"))
        for code, name_, nid, title, first, last, insured, salary, frm, to in PEOPLE:
            staff = conn.scalar(sa.text(
                "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash, national_id, title,"
                " first_name, last_name, sso_insured, joined_on)"
                " VALUES (:n, :c, 'x', :i, :t, :f, :l, :s, :j) RETURNING id"),
                {"n": name_, "c": code, "i": nid, "t": title, "f": first, "l": last,
                 "s": insured, "j": dt.date.fromisoformat(frm)})
            conn.execute(sa.text(
                "INSERT INTO backoffice.staff_compensation (staff_id, compensation_type,"
                " base_salary, effective_from, effective_to)"
                " VALUES (:s, 'salary', :b, :f, :t)"),
                {"s": staff, "b": salary, "f": dt.date.fromisoformat(frm),
                 "t": dt.date.fromisoformat(to) if to else None})
    engine.dispose()
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def env(env_url, tmp_path):
    values = dict(os.environ)
    values["BACKOFFICE_DATABASE_URL"] = env_url.render_as_string(hide_password=False)
    values["BACKOFFICE_DATA_DIR"] = str(tmp_path)
    values["BACKOFFICE_USER"] = ADMIN
    return values


def payroll(*args: str, env: dict):
    return run_backoffice("payroll", *args, env=env)


def test_net_pay_cli_compute_appends_four_columns(env):
    done = payroll("compute", "--month", "2026-01", env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == PAY_COLUMNS + NET_PAY_COLUMNS
    by_code = {r["staff_id"]: r for r in rows}
    assert {k: by_code["NP01"][k] for k in NET_PAY_COLUMNS} == {
        "sso_employee": "875.00", "sso_employer": "875.00", "withholding_tax": "164.58",
        "net_pay": "28960.42"}
    assert by_code["NP02"]["sso_employee"] == "617.00"  # 5 % of 12,345 = 617.25 → 617
    assert by_code["NP03"]["sso_employee"] == "0.00"  # not insured
    for row in rows:
        for name in NET_PAY_COLUMNS:
            assert TWO_DECIMALS.match(row[name]), (name, row[name])
        assert D(row["net_pay"]) == (D(row["total_pay"]) - D(row["sso_employee"])
                                     - D(row["withholding_tax"]))


def test_net_pay_cli_filings_blocked_by_insured_without_national_id(env, tmp_path):
    done = payroll("filings", "--month", "2025-12", "--out", str(tmp_path / "out"), env=env)
    assert done.returncode == 3
    assert "Malee Nobody (NP04)" in done.stderr and "Traceback" not in done.stderr
    assert "Anan" not in done.stderr  # not insured: no social-security line, not blocking
    assert not (tmp_path / "out").exists()


def test_net_pay_cli_filings_writes_the_four_files(env, tmp_path):
    out = tmp_path / "filings"
    done = payroll("filings", "--month", "2026-01", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "pnd1_2026-01.csv", "pnd1_2026-01.xlsx", "sso_2026-01.txt", "sso_2026-01.xlsx"]
    upload = (out / "sso_2026-01.txt").read_bytes().split(b"\r\n")
    assert [len(r) for r in upload[:-1]] == [135, 135, 135] and upload[-1] == b""
    # record type, employer account, branch, pay date 31-01-2569, period 01/2569 (B.E.)
    assert upload[0][:27] == b"1" + b"1234567890" + b"000001" + b"310169" + b"0169"
    assert upload[1][1:14] == b"1101700230708" and upload[1][14:17] == b"003"
    assert upload[2][82:96] == b"00000001234500"  # 12,345.00 (under the ceiling)
    book = load_workbook(out / "sso_2026-01.xlsx")
    assert book.sheetnames == ["Part 1 totals", "Part 2 insured"]
    part1 = {r[0]: r[1] for r in book["Part 1 totals"].values}
    assert part1["Insured employees"] == 2
    assert D(str(part1["Employee contributions"])) == D(1492)  # 875 + 617
    pnd1 = list(csv.reader(io.StringIO((out / "pnd1_2026-01.csv").read_text("utf-8-sig"))))
    assert pnd1[0][:3] == ["seq", "staff_id", "national_id"]
    assert [r[1] for r in pnd1[1:-1]] == ["NP01", "NP02", "NP03"]
    assert pnd1[-1][0] == "TOTAL" and pnd1[-1][6] == "51345.00"
    assert "NP03" in done.stderr  # a warning: paid, no national ID, not insured


def test_net_pay_cli_filings_and_certificates_are_admin_only(env, tmp_path):
    clerk = dict(env, BACKOFFICE_USER=CLERK)
    done = payroll("filings", "--month", "2026-01", "--out", str(tmp_path), env=clerk)
    assert done.returncode == 2 and "not an admin" in done.stderr
    done = payroll("certificates", "--year", "2025", "--out", str(tmp_path), env=clerk)
    assert done.returncode == 2 and "not an admin" in done.stderr


def test_net_pay_cli_certificates_one_pdf_per_person_paid(env, tmp_path):
    done = payroll("certificates", "--year", "2025", "--out", str(tmp_path / "c"), env=env)
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert files == ["50tawi_2025_NP01.pdf", "50tawi_2025_NP02.pdf", "50tawi_2025_NP03.pdf",
                     "50tawi_2025_NP04.pdf"]
    assert all((tmp_path / "c" / f).read_bytes().startswith(b"%PDF") for f in files)
    future = payroll("certificates", "--year", str(bangkok.today().year + 1), "--out",
                     str(tmp_path / "d"), env=env)
    assert future.returncode == 2 and "has ended" in future.stderr


def test_net_pay_cli_set_rate_is_audited(env):
    bad = payroll("set-rate", "--key", "sso_employee_rate", "--value", "7", "--from",
                  "2040-01-01", env=env)
    assert bad.returncode == 2 and "fraction" in bad.stderr
    done = payroll("set-rate", "--key", "sso_wage_ceiling", "--value", "30000", "--from",
                   "2040-01-01", env=env)
    assert done.returncode == 0, done.stderr
    engine = sa.create_engine(env["BACKOFFICE_DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.scalar(sa.text(
            "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'STATUTORY_RATE_SET'"
            " AND user_email = :u"), {"u": ADMIN}) == 1
    engine.dispose()
    assert Path(env["BACKOFFICE_DATA_DIR"]).is_dir()


def test_net_pay_cli_set_identity_and_allowance_unblock_and_change_the_month(env, tmp_path):
    bad = payroll("set-identity", "--staff", "NP04", "--national-id", "1234567890123", env=env)
    assert bad.returncode == 2 and "check digit" in bad.stderr
    taken = payroll("set-identity", "--staff", "NP04", "--national-id", "3100600123450", env=env)
    assert taken.returncode == 2 and "already recorded for NP02" in taken.stderr
    done = payroll("set-identity", "--staff", "NP04", "--national-id", "1-1017-00230-71-NEW"
                   .replace("NEW", NEW_ID[-1]), "--title", "นาง", "--first-name", "มาลี",
                   "--last-name", "โนบอดี", env=env)
    assert done.returncode == 0, done.stderr
    assert "national_id" in done.stdout and NEW_ID not in done.stdout + done.stderr
    unknown = payroll("set-identity", "--staff", "NOPE", "--title", "Mr", env=env)
    assert unknown.returncode == 2 and "NOPE" in unknown.stderr
    filed = payroll("filings", "--month", "2025-12", "--out", str(tmp_path / "f"), env=env)
    assert filed.returncode == 0, filed.stderr  # no longer blocked
    allowance = payroll("set-allowance", "--staff", "NP01", "--year", "2026", "--amount",
                        "60000", env=env)
    assert allowance.returncode == 0, allowance.stderr
    rows = list(csv.DictReader(io.StringIO(
        payroll("compute", "--month", "2026-01", env=env).stdout)))
    assert next(r for r in rows if r["staff_id"] == "NP01")["withholding_tax"] == "0.00"
