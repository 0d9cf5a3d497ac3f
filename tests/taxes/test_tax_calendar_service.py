"""The tax calendar on the database: holidays and the extension setting from their tables, the
states from the payroll, the paid invoices and the register, 'record as filed' audited and its
refusals, the recorded files found among the runs' outputs. Dates pinned (``today=``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import pytest
import sqlalchemy as sa
from timeclock_fixtures import ADMIN, MANAGER

from backoffice_lib.access import AccessDenied
from backoffice_lib.taxes import service
from backoffice_lib.taxes.rules import BadFiling

D = dt.date


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


def add_holiday(conn, day: dt.date, active: bool = True) -> None:
    sql(conn, "INSERT INTO backoffice.public_holidays (holiday_date, holiday_name, is_active)"
              " VALUES (:d, 'test holiday', :a)", d=day, a=active)


def add_paid_invoice(conn, kind: str | None, paid_on: dt.date | None, *, tax="30.00",
                     status="issued", number=None) -> None:
    supplier = sql(conn, "INSERT INTO backoffice.invoice_suppliers (name, payee_kind)"
                         " VALUES (:n, :k) RETURNING id", n=f"S {uuid.uuid4()}", k=kind).scalar()
    sql(conn, "INSERT INTO backoffice.invoices (invoice_number, supplier_id, invoice_date,"
              " subtotal, tax_rate, tax_amount, total_amount, status, paid_on)"
              " VALUES (:no, :s, :d, 1000, 3, :t, 970, :st, :p)",
        no=number or f"T-{uuid.uuid4().hex[:8]}", s=supplier,
        d=(paid_on or D(2026, 5, 1)) - dt.timedelta(days=3), t=tax, st=status, p=paid_on)


def calendar(conn, month: str, today: dt.date) -> dict:
    return {(r.duty.duty, r.duty.period): r
            for r in service.load_tax_calendar(conn, ADMIN, month, today=today)}


def test_due_dates_come_past_the_weekend_and_the_active_holidays_of_the_table(conn, users):
    add_holiday(conn, D(2026, 2, 9))                  # the Monday after Saturday 7 February
    add_holiday(conn, D(2026, 2, 16), active=False)   # an inactive holiday moves nothing
    row = calendar(conn, "2026-01", D(2026, 1, 20))[("pnd1", "2026-01")]
    assert (row.duty.paper_due, row.duty.online_due) == (D(2026, 2, 10), D(2026, 2, 16))


def test_the_extension_ends_on_the_date_its_setting_says(conn, users):
    assert service.load_extension_until(conn) == D(2027, 1, 31)   # no row: the default
    before = calendar(conn, "2026-12", D(2026, 12, 20))[("pnd3", "2026-12")]
    assert before.duty.online_due == D(2027, 1, 15)
    sql(conn, "INSERT INTO backoffice.payroll_settings (setting_key, setting_value)"
              " VALUES ('online_filing_extension_until', '2026-12-31')")
    after = calendar(conn, "2026-12", D(2026, 12, 20))[("pnd3", "2026-12")]
    assert after.duty.online_due == after.duty.paper_due == D(2027, 1, 7)


def test_the_supplier_forms_follow_the_payments_of_the_month_by_payee_kind(conn, users):
    add_paid_invoice(conn, "individual", D(2026, 5, 3))
    add_paid_invoice(conn, "individual", D(2026, 4, 30))             # April's
    add_paid_invoice(conn, "juristic", D(2026, 5, 10), status="void")  # void: on none
    add_paid_invoice(conn, "juristic", None)                          # unpaid: on none
    add_paid_invoice(conn, "juristic", D(2026, 5, 12), tax="0.00")   # no tax: on none
    rows = calendar(conn, "2026-05", D(2026, 6, 1))
    assert rows[("pnd3", "2026-05")].state == "files_not_made"
    assert rows[("pnd53", "2026-05")].state == "nothing_to_file"
    # past the online due date (Monday 15 June) and not filed: overdue; pnd53 never is
    rows = calendar(conn, "2026-05", D(2026, 6, 16))
    assert rows[("pnd3", "2026-05")].state == "overdue"
    assert rows[("pnd53", "2026-05")].state == "nothing_to_file"


def test_a_payment_to_a_supplier_without_a_payee_kind_counts_on_both_forms(conn, users):
    add_paid_invoice(conn, None, D(2026, 5, 3))
    rows = calendar(conn, "2026-05", D(2026, 6, 1))
    assert rows[("pnd3", "2026-05")].state == rows[("pnd53", "2026-05")].state == "files_not_made"
    assert "without a payee kind" in rows[("pnd53", "2026-05")].note


def test_payroll_duties_stand_until_a_finalised_payroll_says_there_is_nothing(conn, users):
    rows = calendar(conn, "2026-05", D(2026, 6, 1))
    assert rows[("sso", "2026-05")].state == rows[("pnd1", "2026-05")].state == "files_not_made"
    sql(conn, "INSERT INTO backoffice.payroll_runs (month, status, checksum, people, totals,"
              " finalised_by, finalised_at) VALUES ('2026-05', 'finalised', 'x', 3,"
              " CAST(:t AS jsonb), :a, now())",
        t=json.dumps({"sso_employee": "2625.00", "withholding_tax": "0.00"}), a=ADMIN)
    rows = calendar(conn, "2026-05", D(2026, 6, 1))
    assert rows[("sso", "2026-05")].state == "files_not_made"
    assert rows[("pnd1", "2026-05")].state == "nothing_to_file"


def test_recording_a_filing_is_audited_and_makes_the_duty_filed(conn, users):
    add_paid_invoice(conn, "individual", D(2026, 5, 3))
    done = service.record_filed(conn, ADMIN, "pnd3", "2026-05", D(2026, 6, 16), " RD-123 ",
                                today=D(2026, 6, 20))
    assert done["receipt_no"] == "RD-123"
    row = calendar(conn, "2026-05", D(2026, 6, 20))[("pnd3", "2026-05")]
    assert (row.state, row.filed_on, row.receipt_no, row.filed_by) == (
        "filed", D(2026, 6, 16), "RD-123", ADMIN)
    audit = sql(conn, "SELECT user_email, resource_id, details FROM backoffice.audit_logs"
                      " WHERE action = 'TAX_FILED'").one()
    assert audit.user_email == ADMIN and audit.resource_id == "pnd3/2026-05"
    assert audit.details["after"] == {"filed_on": "2026-06-16", "receipt_no": "RD-123"}


def test_a_filing_recorded_again_needs_a_reason_and_keeps_the_before_in_the_audit(conn, users):
    service.record_filed(conn, ADMIN, "sso", "2026-05", D(2026, 6, 10), "S-1",
                         today=D(2026, 6, 20))
    with pytest.raises(BadFiling, match="give a reason"):
        service.record_filed(conn, ADMIN, "sso", "2026-05", D(2026, 6, 11), "S-2",
                             today=D(2026, 6, 20))
    service.record_filed(conn, ADMIN, "sso", "2026-05", D(2026, 6, 11), "S-2",
                         reason="typo in the receipt", today=D(2026, 6, 20))
    last = sql(conn, "SELECT details FROM backoffice.audit_logs WHERE action = 'TAX_FILED'"
                     " AND details ? 'reason'").scalar()
    assert last["before"] == {"filed_on": "2026-06-10", "receipt_no": "S-1"}
    assert last["reason"] == "typo in the receipt"


def test_a_yearly_duty_is_recorded_for_its_year(conn, users):
    service.record_filed(conn, ADMIN, "pnd1a", "2026", D(2027, 2, 20), "Y-1",
                         today=D(2027, 2, 21))
    rows = calendar(conn, "2027-01", D(2027, 2, 21))
    assert rows[("pnd1a", "2026")].state == "filed"
    assert rows[("wht50_employees", "2026")].state == "files_not_made"


@pytest.mark.parametrize("duty, period, filed_on, error", [
    ("pnd2", "2026-05", D(2026, 6, 10), "unknown duty"),
    ("sso", "2026", D(2026, 6, 10), "monthly"),
    ("sso", "2026-05", D(2026, 6, 21), "in the future"),
    ("sso", "2026-05", D(2026, 5, 20), "not after the period"),
])
def test_recording_a_filing_refuses_bad_values_and_writes_nothing(conn, users, duty, period,
                                                                   filed_on, error):
    with pytest.raises(BadFiling, match=error):
        service.record_filed(conn, ADMIN, duty, period, filed_on, "R-1", today=D(2026, 6, 20))
    assert sql(conn, "SELECT count(*) FROM backoffice.tax_filings").scalar() == 0


def test_only_an_admin_sees_the_calendar_or_records_a_filing_and_refusals_are_audited(conn,
                                                                                     users):
    with pytest.raises(AccessDenied):
        service.load_tax_calendar(conn, MANAGER, "2026-05", today=D(2026, 6, 1))
    with pytest.raises(AccessDenied):
        service.record_filed(conn, MANAGER, "sso", "2026-05", D(2026, 6, 10), "R-1",
                             today=D(2026, 6, 20))
    assert sql(conn, "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
                     " AND resource_type = 'taxes' AND user_email = :m", m=MANAGER).scalar() == 2


def test_recorded_files_are_found_among_the_runs_outputs_by_checksum(conn, users):
    sha, other = "a" * 64, "b" * 64
    sql(conn, "INSERT INTO backoffice.tax_filings (duty, period, files, files_made_at,"
              " files_made_by) VALUES ('sso', '2026-05', CAST(:f AS jsonb), now(), :a)",
        f=json.dumps([{"name": "sso_2026-05.txt", "sha256": sha, "bytes": 270},
                      {"name": "sso_2026-05.xlsx", "sha256": other, "bytes": 9000}]), a=ADMIN)
    run_id = sql(conn, "INSERT INTO backoffice.job_runs (job_name, notebook, run_dir, status,"
                       " outputs, finished_at) VALUES ('payroll-monthly', 'payroll/x.ipynb',"
                       " '/tmp/x', 'succeeded', CAST(:o AS jsonb), now()) RETURNING id",
                 o=json.dumps({"filings/sso_2026-05.txt": sha, "payroll.xlsx": other})).scalar()
    rows = service.load_tax_calendar(conn, ADMIN, "2026-05", today=D(2026, 6, 1))
    assert [r.state for r in rows if r.duty.duty == "sso"] == ["files_made"]
    files = service.load_downloads(conn, ADMIN, rows)[("sso", "2026-05")]
    assert [(f["name"], f["run_id"], f["path"]) for f in files] == [
        ("sso_2026-05.txt", run_id, "filings/sso_2026-05.txt"),
        ("sso_2026-05.xlsx", None, None)]   # same bytes under another name: not this file


def test_payroll_files_made_are_recorded_until_the_duty_is_filed(conn, users, tmp_path):
    from backoffice_lib.payroll.reports.filings import describe_files
    from backoffice_lib.payroll.service.filings import record_files_made

    first = tmp_path / "50tawi_2025_E001.pdf"
    first.write_bytes(b"%PDF-1 first")
    files = describe_files([first])
    assert files == [{"name": first.name, "sha256": hashlib.sha256(b"%PDF-1 first").hexdigest(),
                      "bytes": 12}]
    assert record_files_made(conn, ADMIN, "wht50_employees", "2025", files)
    rows = calendar(conn, "2026-01", D(2026, 2, 1))
    assert rows[("wht50_employees", "2025")].state == "files_made"
    service.record_filed(conn, ADMIN, "wht50_employees", "2025", D(2026, 2, 1), "handed out",
                         today=D(2026, 2, 1))
    first.write_bytes(b"%PDF-1 again")
    assert not record_files_made(conn, ADMIN, "wht50_employees", "2025", describe_files([first]))
    kept = calendar(conn, "2026-01", D(2026, 2, 1))[("wht50_employees", "2025")]
    assert (kept.state, kept.files) == ("filed", files)
    assert sql(conn, "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'TAX_FILES_MADE'"
                     ).scalar() == 1


def test_payroll_files_made_need_an_admin_and_a_payroll_duty(conn, users):
    from backoffice_lib.payroll.service.filings import record_files_made

    with pytest.raises(AccessDenied):
        record_files_made(conn, MANAGER, "sso", "2026-05", [])
    with pytest.raises(ValueError, match="not a payroll duty"):
        record_files_made(conn, ADMIN, "pnd3", "2026-05", [])


def test_certificates_of_a_year_still_running_are_not_recorded_as_made(tmp_path):
    from backoffice_lib.payroll.reports.certificates import record_certificates_made

    notes = record_certificates_made(ADMIN, 2026, {}, today=D(2026, 12, 6))
    assert notes == ["the certificates of 2026 are not recorded as made: the year has not ended"]


def test_supplier_filing_files_are_kept_once_the_duty_is_filed(conn, users):
    from backoffice_lib.invoices.service import record_filing_files

    first = [{"name": "pnd3_2026-05.txt", "sha256": "e" * 64, "bytes": 10}]
    assert record_filing_files(conn, ADMIN, "pnd3", "2026-05", first) is not None
    service.record_filed(conn, ADMIN, "pnd3", "2026-05", D(2026, 6, 10), "RD-1",
                         today=D(2026, 6, 20))
    again = [{"name": "pnd3_2026-05.txt", "sha256": "f" * 64, "bytes": 11}]
    assert record_filing_files(conn, ADMIN, "pnd3", "2026-05", again) is None
    assert calendar(conn, "2026-05", D(2026, 6, 20))[("pnd3", "2026-05")].files == first
