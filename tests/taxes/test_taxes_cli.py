"""`backoffice taxes calendar | filed` as a person runs them on the demo data, and the payroll's
filings command recording the files it makes in the filing register."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice

from backoffice_lib import bangkok

ADMIN = "admin@studio.example"
MONTH = "2020-05"   # long past on any day: every duty not filed is overdue


def taxes(env, *args, user=ADMIN):
    return run_backoffice("taxes", *args, "--user", user, env=env)


def test_calendar_lists_every_duty_with_both_due_dates_and_state(demo_env):
    done = taxes(demo_env, "calendar", "--month", MONTH, "--format", "json")
    assert done.returncode == 0, done.stderr
    duties = {d["duty"]: d for d in json.loads(done.stdout)["duties"]}
    assert list(duties) == ["sso", "pnd1", "pnd3", "pnd53"]
    assert (duties["pnd1"]["paper_due"], duties["pnd1"]["online_due"]) == (
        "2020-06-08", "2020-06-15")   # 7 June 2020 a Sunday
    assert duties["sso"]["state"] == "overdue"
    text = taxes(demo_env, "calendar", "--month", MONTH)
    assert text.returncode == 0 and "paper 2020-06-08  online 2020-06-15  overdue" in text.stdout


def test_filed_records_the_filing_audited_and_the_calendar_shows_it(demo_env, demo_engine):
    done = taxes(demo_env, "filed", "--duty", "sso", "--month", MONTH, "--date", "2020-06-12",
                 "--receipt", "SSO-778")
    assert done.returncode == 0, done.stderr
    assert "sso 2020-05: filed on 2020-06-12, receipt SSO-778" in done.stdout
    duties = {d["duty"]: d for d in json.loads(taxes(
        demo_env, "calendar", "--month", MONTH, "--format", "json").stdout)["duties"]}
    assert (duties["sso"]["state"], duties["sso"]["receipt_no"]) == ("filed", "SSO-778")
    with demo_engine.connect() as c:
        assert c.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs WHERE"
                                " action = 'TAX_FILED' AND resource_id = :r"),
                        {"r": f"sso/{MONTH}"}) == 1
    again = taxes(demo_env, "filed", "--duty", "sso", "--month", MONTH, "--date", "2020-06-13",
                  "--receipt", "SSO-779")
    assert again.returncode == 2 and "give a reason" in again.stderr


TOMORROW = (bangkok.today() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("args, message", [
    (["--duty", "vat", "--month", MONTH, "--date", "2020-06-12"], "unknown duty 'vat'"),
    (["--duty", "pnd3", "--month", MONTH, "--date", "12/06/2020"], "YYYY-MM-DD"),
    (["--duty", "pnd3", "--month", MONTH, "--date", TOMORROW], "in the future"),
    (["--duty", "pnd1a", "--month", MONTH, "--date", "2020-06-12"], "yearly"),
    (["--duty", "pnd3", "--date", "2020-06-12"], "give --month YYYY-MM"),
])
def test_filed_refuses_in_one_line_with_exit_2(demo_env, args, message):
    done = taxes(demo_env, "filed", *args, "--receipt", "R-1")
    assert done.returncode == 2, done.stdout
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_a_non_admin_is_refused_with_exit_2(demo_env):
    done = taxes(demo_env, "calendar", "--month", MONTH, user="nobody@studio.example")
    assert done.returncode == 2 and "access refused" in done.stderr


def test_payroll_filings_record_their_files_in_the_register(demo_env, demo_engine, tmp_path):
    month = bangkok.previous_month(bangkok.month_key(bangkok.today()))
    made = run_backoffice("payroll", "filings", "--month", month, "--out", str(tmp_path),
                          "--user", ADMIN, env=demo_env)
    if made.returncode == 3:   # an insured person of the demo without a national ID
        pytest.skip(made.stderr.strip().splitlines()[-1])
    assert made.returncode == 0, made.stderr
    with demo_engine.connect() as c:
        rows = dict(c.execute(sa.text(
            "SELECT duty, files FROM backoffice.tax_filings WHERE period = :m"),
            {"m": month}).all())
    assert {f["name"] for f in rows["sso"]} == {f"sso_{month}.txt", f"sso_{month}.xlsx"}
    assert {f["name"] for f in rows["pnd1"]} == {f"pnd1_{month}.csv", f"pnd1_{month}.xlsx"}
    for f in rows["sso"] + rows["pnd1"]:
        data = (tmp_path / f["name"]).read_bytes()
        assert (f["sha256"], f["bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))
