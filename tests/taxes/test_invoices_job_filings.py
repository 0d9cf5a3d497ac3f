"""The monthly invoices report (the ``invoices-monthly`` job's notebook) writes the month's
ภ.ง.ด.3 / ภ.ง.ด.53 files and the supplier 50 ทวิ into its output folder and records the filings
in the register the tax calendar reads; a month without withholding writes none."""

from __future__ import annotations

import hashlib
from pathlib import Path

import papermill
import pytest
import sqlalchemy as sa

from backoffice_lib.taxes import service

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "invoices" / "invoices.ipynb"
ADMIN = "admin@studio.example"
MONTH = "2021-03"  # before the demo data: only this test's payment is in it
PAYER = {"company_branch_no": "00000", "company_address_line": "88/8 Sukhumvit Soi 24",
         "company_subdistrict": "Khlong Tan", "company_district": "Khlong Toei",
         "company_province": "Bangkok", "company_postal_code": "10110"}


@pytest.fixture
def paid_invoice(demo_engine):
    with demo_engine.begin() as c:
        for key, value in PAYER.items():
            c.execute(sa.text("INSERT INTO backoffice.invoice_settings (key, value)"
                              " VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = :v"),
                      {"k": key, "v": value})
        supplier = c.scalar(sa.text(
            "INSERT INTO backoffice.invoice_suppliers (name, tax_id, payee_kind, title,"
            " first_name, last_name, address_line, subdistrict, district, province, postal_code)"
            " VALUES ('Coach Somchai (test)', '1101700230708', 'individual', 'นาย', 'สมชาย',"
            " 'ศรีสุข', '12 Soi 3', 'Khlong Tan', 'Khlong Toei', 'Bangkok', '10110')"
            " RETURNING id"))
        c.execute(sa.text(
            "INSERT INTO backoffice.invoices (invoice_number, supplier_id, invoice_date, subtotal,"
            " tax_rate, tax_amount, total_amount, status, paid_on) VALUES ('T2021-0001', :s,"
            " '2021-02-26', 10000, 3, 300, 9700, 'issued', '2021-03-03')"), {"s": supplier})


def test_the_invoices_report_writes_and_records_the_months_withholding_files(
        demo_env, demo_engine, paid_invoice, tmp_path):
    out = tmp_path / "outputs"
    papermill.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "executed.ipynb"),
        parameters={"month": MONTH, "output_dir": str(out), "user": ADMIN},
        kernel_name="python3", cwd=str(NOTEBOOK.parent), progress_bar=False)
    filings = sorted(p.name for p in (out / "filings").iterdir())
    assert filings == [f"pnd3_{MONTH}.pdf", f"pnd3_{MONTH}.txt", f"pnd3_{MONTH}.xlsx"]
    assert [p.name for p in (out / "certificates").iterdir()] == ["wht50_2564-1.pdf"]
    with demo_engine.connect() as c:
        rows = {(r.duty.duty, r.duty.period): r
                for r in service.load_tax_calendar(c, ADMIN, MONTH)}
    pnd3 = rows[("pnd3", MONTH)]
    assert pnd3.state == "overdue"      # files made in 2021's month, never recorded as filed
    made = {f["name"]: f["sha256"] for f in pnd3.files}
    text = (out / "filings" / f"pnd3_{MONTH}.txt").read_bytes()
    assert made[f"pnd3_{MONTH}.txt"] == hashlib.sha256(text).hexdigest()
    assert rows[("pnd53", MONTH)].state == "nothing_to_file"


def test_a_month_without_withholding_writes_no_filing_files(demo_env, tmp_path):
    out = tmp_path / "outputs"
    papermill.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "executed.ipynb"),
        parameters={"month": "2020-02", "output_dir": str(out), "user": ADMIN},
        kernel_name="python3", cwd=str(NOTEBOOK.parent), progress_bar=False)
    assert not (out / "filings").exists() and not (out / "certificates").exists()
    assert "no withholding paid in 2020-02" in (tmp_path / "executed.ipynb").read_text("utf-8")
