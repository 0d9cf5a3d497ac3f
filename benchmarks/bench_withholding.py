"""Supplier withholding: `python -m benchmarks.bench_withholding [--invoices 500] [--suppliers 120]`.

Target (supplier-tax.md, issue 24): the month's filings (ภ.ง.ด.3 and ภ.ง.ด.53: text file, workbook,
PDF attachment, registered) and certificates (one 50 ทวิ PDF per payment, numbers allocated) for a
month of 500 paid invoices in under 5 s.

Runs on a scratch database of the selected server (created, migrated and dropped here): suppliers
with complete payee data (a quarter of them companies), 500 invoices paid in the month. Measures
the filings, the certificates made the first time (numbers allocated) and again (a rerun, same
numbers), and one certificate's rendering alone. Prints figures and ratios, asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from backoffice_lib import money
from backoffice_lib.invoices import rules, service
from backoffice_lib.invoices.reports import certificates as certificate_files
from backoffice_lib.invoices.reports import withholding as filing_files

from .bench_payroll import _drop, _scratch

MONTH = "2025-07"
TARGET_S = 5.0
BENCH_ADMIN = "bench-admin@bench.example"
PAYER = {"company_name": "Fairway Golf Studio Co., Ltd.", "company_tax_id": "0105566012344",
         "company_branch_no": "00000", "company_address_line": "88/8 ถนนสุขุมวิท ซอย 24",
         "company_subdistrict": "คลองตัน", "company_district": "คลองเตย",
         "company_province": "กรุงเทพมหานคร", "company_postal_code": "10110"}


def _tax_id(n: int, first: str) -> str:
    twelve = f"{first}{n:011d}"
    return twelve + str(rules.compute_tax_id_check_digit(twelve))


def generate(engine: sa.engine.Engine, invoices: int, suppliers: int) -> None:
    """The payer's settings, ``suppliers`` complete payees and ``invoices`` invoices of the month
    before, each paid in MONTH."""
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) "
                             "VALUES (:e, true)"), {"e": BENCH_ADMIN})
        for key, value in PAYER.items():
            service.save_invoice_setting(conn, BENCH_ADMIN, key, value)
        supplier_rows = []
        for n in range(suppliers):
            juristic = n % 4 == 0
            supplier_rows.append({
                "id": uuid.uuid4(), "name": f"บริษัท ผู้รับจ้าง {n} จำกัด" if juristic else f"Coach {n}",
                "tax_id": _tax_id(n + 1, "0" if juristic else "1"),
                "payee_kind": "juristic" if juristic else "individual",
                "title": None if juristic else ("นาย" if n % 2 else "นางสาว"),
                "first_name": None if juristic else f"ชื่อ{n}",
                "last_name": None if juristic else "นามสกุล",
                "address_line": f"{n}/1 ซอยอารีย์", "subdistrict": "สามเสนใน",
                "district": "พญาไท", "province": "กรุงเทพมหานคร", "postal_code": "10400"})
        conn.execute(sa.text(
            "INSERT INTO backoffice.invoice_suppliers (id, name, tax_id, payee_kind, title,"
            " first_name, last_name, address_line, subdistrict, district, province, postal_code)"
            " VALUES (:id, :name, :tax_id, :payee_kind, :title, :first_name, :last_name,"
            " :address_line, :subdistrict, :district, :province, :postal_code)"), supplier_rows)
        year, month = (int(x) for x in MONTH.split("-"))
        invoice_rows = []
        for n in range(invoices):
            subtotal = money.round_money(Decimal(1500 + (n * 137) % 20000))
            tax = money.round_money(subtotal * Decimal("0.03"))
            invoice_rows.append({
                "number": f"{year}{month - 1:02d}{n + 1:03d}",
                "supplier": supplier_rows[n % suppliers]["id"],
                "day": dt.date(year, month - 1, 1 + n % 28), "subtotal": subtotal, "tax": tax,
                "total": subtotal - tax, "paid": dt.date(year, month, 1 + (n * 7) % 31)})
        conn.execute(sa.text(
            "INSERT INTO backoffice.invoices (invoice_number, supplier_id, invoice_date, subtotal,"
            " tax_rate, tax_amount, total_amount, status, paid_on) VALUES (:number, :supplier,"
            " :day, :subtotal, 3.00, :tax, :total, 'issued', :paid)"), invoice_rows)


def _timed(engine, fn, folder: Path) -> tuple[float, float, int]:
    """(wall-clock s, CPU s of this process, files written)."""
    with engine.begin() as conn:
        clock, cpu = time.perf_counter(), time.process_time()
        paths = fn(conn, BENCH_ADMIN, MONTH, folder)
        return time.perf_counter() - clock, time.process_time() - cpu, len(paths)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--suppliers", type=int, default=120)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall-clock "
          "figures include waiting for the CPU; the CPU figures are this process's own)")
    engine, name = _scratch("bench_withholding")
    try:
        generate(engine, args.invoices, args.suppliers)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            filings_s, filings_cpu, filings_n = _timed(
                engine, filing_files.write_withholding_filings, folder / "filings")
            first_s, first_cpu, certs_n = _timed(
                engine, certificate_files.write_withholding_certificates, folder / "first")
            again_s, again_cpu, _ = _timed(
                engine, certificate_files.write_withholding_certificates, folder / "again")
    finally:
        _drop(engine, name)
    total = filings_s + first_s
    print(f"month {MONTH}: {args.invoices} paid invoices of {args.suppliers} suppliers")
    print(f"  filings (ภ.ง.ด.3 + ภ.ง.ด.53, {filings_n} files): {filings_s:7.2f} s "
          f"({filings_cpu:.2f} s CPU)")
    print(f"  certificates, first making ({certs_n} PDFs): {first_s:7.2f} s "
          f"({first_cpu:.2f} s CPU, {first_cpu / max(certs_n, 1) * 1000:.0f} ms CPU each)")
    print(f"  certificates, rerun (same numbers):      {again_s:7.2f} s ({again_cpu:.2f} s CPU)")
    print(f"  filings + certificates: {total:.2f} s (target < {TARGET_S:.0f} s: "
          f"{total / TARGET_S:.2f} of target)")


if __name__ == "__main__":
    main()
