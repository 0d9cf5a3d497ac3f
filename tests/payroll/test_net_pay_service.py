"""Net pay on the database: the seeded rates, admin edits (audited), the national ID kept out of
logs and audit details, a month's net pay, the filings and the certificates' figures.

Every test uses the rolled-back ``conn``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from test_payroll_service import add_comp, add_staff, punch

from backoffice_lib.access import AccessDenied
from backoffice_lib.payroll import queries
from backoffice_lib.payroll.rules.filings import (
    FilingsBlocked,
    compute_certificates,
    months_of_year,
)
from backoffice_lib.payroll.rules.statutory import BadStatutoryValue, rates_in_force
from backoffice_lib.payroll.service import load_month_payroll
from backoffice_lib.payroll.service.filings import prepare_filings
from backoffice_lib.payroll.service.statutory import (
    load_staff_statutory_for_admin,
    set_declared_allowances,
    set_staff_statutory,
    set_statutory_rate,
)

ADMIN = "net-admin@test.example"
CLERK = "net-clerk@test.example"
ALICE_ID = "1101700230708"
BOB_ID = "3100600123450"


@pytest.fixture
def people(conn):
    conn.execute(sa.text(
        "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true), (:c, false)"),
        {"a": ADMIN, "c": CLERK})
    alice = add_staff(conn, "N001", "Alice Net")
    bob = add_staff(conn, "N002", "Bob Net")
    add_comp(conn, alice, base_salary=D(30000), is_service_charge_eligible=False)
    add_comp(conn, bob, compensation_type="hourly", base_salary=D(0), hourly_rate=D(100),
             is_service_charge_eligible=False)
    punch(conn, bob, "2026-01-06 09:00", "2026-01-06 17:00")
    return {"alice": alice, "bob": bob}


def test_net_pay_migration_seeds_the_spec_rates(conn):
    rates = rates_in_force(queries.load_rate_rows(conn), dt.date(2026, 1, 31))
    assert (rates.sso_employee_rate, rates.sso_wage_floor, rates.sso_wage_ceiling) == (
        D("0.05"), D(1650), D(17500))
    assert rates_in_force(queries.load_rate_rows(conn), dt.date(2025, 12, 31)).sso_wage_ceiling == D(
        15000)
    assert rates.brackets[1] == (D(150000), D("0.05")) and len(rates.brackets) == 8


def test_net_pay_month_from_the_database_worked_example(conn, people):
    result = load_month_payroll(conn, "2026-01")
    alice = result.lines[result.lines["staff"] == people["alice"]].iloc[0]
    assert alice["total_pay"] == D("30000.00")
    assert (alice["sso_employee"], alice["withholding_tax"], alice["net_pay"]) == (
        D("875.00"), D("164.58"), D("28960.42"))
    bob = result.lines[result.lines["staff"] == people["bob"]].iloc[0]
    assert bob["sso_employee"] == D("83.00")  # 800 baht of pay: the floor 1,650 counts
    assert result.totals["sso_employer"] == D("958.00")


def test_net_pay_rate_row_added_by_an_admin_is_audited_and_applies(conn, people):
    set_statutory_rate(conn, ADMIN, "sso_employee_rate", "0.03", dt.date(2026, 1, 1),
                       note="temporary cut")
    result = load_month_payroll(conn, "2026-01")
    alice = result.lines[result.lines["staff"] == people["alice"]].iloc[0]
    assert alice["sso_employee"] == D("525.00") and alice["sso_employer"] == D("875.00")
    row = conn.execute(sa.text(
        "SELECT user_email, details FROM backoffice.audit_logs"
        " WHERE action = 'STATUTORY_RATE_SET' ORDER BY timestamp DESC LIMIT 1")).one()
    assert row.user_email == ADMIN and row.details["after"]["value"] == "0.03"


def test_net_pay_rates_are_admin_only(conn, people):
    with pytest.raises(AccessDenied):
        set_statutory_rate(conn, CLERK, "sso_employee_rate", "0.03", dt.date(2026, 1, 1))
    with pytest.raises(BadStatutoryValue):
        set_statutory_rate(conn, ADMIN, "sso_employee_rate", "5", dt.date(2026, 1, 1))
    with pytest.raises(BadStatutoryValue):
        set_statutory_rate(conn, ADMIN, "vat", "0.07", dt.date(2026, 1, 1))


def test_net_pay_declared_allowances_per_year(conn, people):
    set_declared_allowances(conn, ADMIN, people["alice"], 2026, "20000")
    alice = load_month_payroll(conn, "2026-01").lines.set_index("staff").loc[people["alice"]]
    assert alice["declared_allowances"] == D("20000.00")
    assert alice["withholding_tax"] == D("81.25")
    set_declared_allowances(conn, ADMIN, people["alice"], 2026, "0")
    alice = load_month_payroll(conn, "2026-01").lines.set_index("staff").loc[people["alice"]]
    assert alice["withholding_tax"] == D("164.58")


def test_net_pay_national_id_validated_admin_only_never_in_logs(conn, people):
    with pytest.raises(BadStatutoryValue, match="check digit"):
        set_staff_statutory(conn, ADMIN, people["alice"], national_id="1101700230705")
    with pytest.raises(AccessDenied):
        set_staff_statutory(conn, CLERK, people["alice"], national_id=ALICE_ID)
    set_staff_statutory(conn, ADMIN, people["alice"], national_id=ALICE_ID, title="นางสาว",
                        first_name="อลิซ", last_name="เน็ต")
    assert set_staff_statutory(conn, ADMIN, people["alice"], national_id=ALICE_ID) == {}
    assert load_staff_statutory_for_admin(conn, ADMIN, people["alice"])["national_id"] == ALICE_ID
    with pytest.raises(AccessDenied):
        load_staff_statutory_for_admin(conn, CLERK, people["alice"])
    trail = conn.execute(sa.text(
        "SELECT changes_summary, old_data_snapshot, new_data_snapshot, changed_by_identifier"
        " FROM backoffice.staff_audit_log WHERE staff_id = :s ORDER BY id"),
        {"s": people["alice"]}).all()
    assert "national_id" in trail[-1].changes_summary
    assert trail[-1].changed_by_identifier == ADMIN
    audits = conn.execute(sa.text(
        "SELECT details FROM backoffice.audit_logs WHERE action = 'STAFF_STATUTORY_SET'")).all()
    assert audits
    everything = json.dumps([list(r) for r in trail], default=str) + json.dumps(
        [r.details for r in audits])
    assert ALICE_ID not in everything


def test_net_pay_database_refuses_a_bad_check_digit(conn, people):
    with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
        conn.execute(sa.text("UPDATE backoffice.staff SET national_id = '1101700230705'"
                             " WHERE id = :s"), {"s": people["alice"]})


def test_net_pay_filings_blocked_by_insured_without_national_id(conn, people):
    with pytest.raises(FilingsBlocked) as refused:
        prepare_filings(conn, "2026-01", ADMIN)
    assert "Alice Net (N001)" in str(refused.value) and "Bob Net (N002)" in str(refused.value)
    set_staff_statutory(conn, ADMIN, people["alice"], national_id=ALICE_ID, title="นางสาว")
    set_staff_statutory(conn, ADMIN, people["bob"], sso_insured=False)
    filings = prepare_filings(conn, "2026-01", ADMIN)
    assert filings.sso_totals == {"employees": 1, "wages": D("17500.00"),
                                  "employee_contributions": D("875.00"),
                                  "employer_contributions": D("875.00"),
                                  "contributions": D("1750.00")}
    assert filings.pnd1_totals == {"people": 2, "income_paid": D("30800.00"),
                                   "tax_withheld": D("164.58")}
    with pytest.raises(AccessDenied):
        prepare_filings(conn, "2026-01", CLERK)


def test_net_pay_certificates_add_up_the_months(conn, people):
    assert months_of_year(2026, dt.date(2026, 3, 15)) == ["2026-01", "2026-02"]
    monthly = []
    for month in ("2026-01", "2026-02"):
        lines = load_month_payroll(conn, month).lines
        monthly.append([{**r, "month": month} for r in lines.to_dict("records")])
    found = compute_certificates(2026, monthly, queries.load_staff_identities(conn))
    alice = next(c for c in found if c.staff_id == "N001")
    assert (alice.income, alice.tax, alice.sso) == (D("60000.00"), D("329.16"), D("1750.00"))
    assert alice.months == ["2026-01", "2026-02"]
    assert [c.staff_id for c in found] == ["N001", "N002"]  # Bob was paid in January only
