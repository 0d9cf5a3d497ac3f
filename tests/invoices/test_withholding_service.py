"""Supplier withholding on the database (supplier-tax.md): payments, the month's forms written and
registered, certificates numbered once, a void undoing a payment, refusals."""

from __future__ import annotations

import datetime as dt
import stat

import pytest
import sqlalchemy as sa

from backoffice_lib import access
from backoffice_lib.invoices import queries, rules, service
from backoffice_lib.invoices.reports import (
    write_withholding_certificates,
    write_withholding_filings,
)
from backoffice_lib.invoices.rules import withholding

PAYER = {"company_name": "บริษัท แฟร์เวย์ กอล์ฟ สตูดิโอ จำกัด", "company_tax_id": "0105566012344",
         "company_branch_no": "00000", "company_address_line": "88/8 ถนนสุขุมวิท ซอย 24",
         "company_subdistrict": "คลองตัน", "company_district": "คลองเตย",
         "company_province": "กรุงเทพมหานคร", "company_postal_code": "10110"}
ADDRESS = {"address_line": "12/3 ซอยอารีย์ 4", "subdistrict": "สามเสนใน", "district": "พญาไท",
           "province": "กรุงเทพมหานคร", "postal_code": "10400"}


def tax_id(n: int, first: str = "1") -> str:
    twelve = f"{first}{n:011d}"
    return twelve + str(rules.compute_tax_id_check_digit(twelve))


@pytest.fixture
def admin(conn, users):
    for key, value in PAYER.items():
        service.save_invoice_setting(conn, users, key, value)
    return users


def coach(conn, admin, n: int, **overrides) -> dict:
    fields = {"payee_kind": "individual", "tax_id": tax_id(n), "title": "นาย",
              "first_name": f"ผู้สอน{n}", "last_name": "ใจดี", **ADDRESS, **overrides}
    return service.create_supplier(conn, admin, name=f"Coach {n}", **fields)


def company(conn, admin, n: int) -> dict:
    return service.create_supplier(conn, admin, name=f"บริษัท ที่ {n} จำกัด",
                                   payee_kind="juristic", tax_id=tax_id(n, "0"), **ADDRESS)


def invoice(conn, admin, supplier, day: dt.date, paid: dt.date | None = None,
            subtotal: str = "10000") -> str:
    created = service.create_invoice(conn, admin, supplier_id=supplier["id"], invoice_date=day,
                                     items=[rules.make_item("ค่าสอนกอล์ฟ", "1", subtotal)])
    if paid:
        service.mark_invoice_paid(conn, admin, created["invoice_number"], paid)
    return created["invoice_number"]


def lines(folder, name) -> list[list[str]]:
    return [line.split("|") for line in
            (folder / name).read_bytes().decode("utf-8").split("\r\n") if line]


# --------------------------------------------------------------------------- paying

def test_an_invoice_dated_in_april_and_paid_in_may_is_on_mays_form_only(conn, admin, tmp_path):
    supplier = coach(conn, admin, 1)
    invoice(conn, admin, supplier, dt.date(2025, 4, 30), paid=dt.date(2025, 5, 3))
    assert write_withholding_filings(conn, admin, "2025-04", tmp_path / "april") == []
    written = write_withholding_filings(conn, admin, "2025-05", tmp_path / "may")
    assert sorted(p.name for p in written) == ["pnd3_2025-05.pdf", "pnd3_2025-05.txt",
                                               "pnd3_2025-05.xlsx"]
    assert lines(tmp_path / "may", "pnd3_2025-05.txt")[0][11] == "03052568"


def test_an_unpaid_and_a_void_invoice_are_on_no_form(conn, admin, tmp_path):
    supplier = coach(conn, admin, 2)
    invoice(conn, admin, supplier, dt.date(2025, 5, 2))
    paid = invoice(conn, admin, supplier, dt.date(2025, 5, 2), paid=dt.date(2025, 5, 9))
    service.void_invoice(conn, admin, paid, "typed twice")
    assert service.load_month_payments(conn, "2025-05") == []
    assert write_withholding_filings(conn, admin, "2025-05", tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_an_invoice_without_tax_is_on_no_form(conn, admin):
    supplier = coach(conn, admin, 3)
    created = service.create_invoice(conn, admin, supplier_id=supplier["id"],
                                     invoice_date=dt.date(2025, 5, 2), tax_rate="0",
                                     items=[rules.make_item("ค่าสอน", "1", "500")])
    service.mark_invoice_paid(conn, admin, created["invoice_number"], dt.date(2025, 5, 4))
    assert service.load_month_payments(conn, "2025-05") == []


def test_a_void_invoice_cannot_be_paid(conn, admin):
    number = invoice(conn, admin, coach(conn, admin, 4), dt.date(2025, 5, 2))
    service.void_invoice(conn, admin, number, "wrong supplier")
    with pytest.raises(rules.InvoiceError, match="void and cannot be paid"):
        service.mark_invoice_paid(conn, admin, number, dt.date(2025, 5, 4))


def test_changing_a_payment_date_needs_a_reason_and_is_audited(conn, admin):
    number = invoice(conn, admin, coach(conn, admin, 5), dt.date(2025, 5, 2),
                     paid=dt.date(2025, 5, 4))
    with pytest.raises(rules.InvoiceError, match="needs a reason"):
        service.mark_invoice_paid(conn, admin, number, dt.date(2025, 5, 6))
    paid = service.mark_invoice_paid(conn, admin, number, dt.date(2025, 5, 6), "bank date")
    assert paid["paid_on"] == dt.date(2025, 5, 6)
    details = conn.execute(sa.text(
        "SELECT details FROM backoffice.audit_logs WHERE resource_type = 'invoice'"
        " AND action = 'UPDATE' AND details ? 'reason'")).scalar_one()
    assert details["reason"] == "bank date"
    assert (details["before"]["paid_on"], details["after"]["paid_on"]) == ("2025-05-04",
                                                                          "2025-05-06")


def test_paying_is_for_admins_only(conn, admin):
    from timeclock_fixtures import MANAGER

    number = invoice(conn, admin, coach(conn, admin, 6), dt.date(2025, 5, 2))
    with pytest.raises(access.AccessDenied):
        service.mark_invoice_paid(conn, MANAGER, number, dt.date(2025, 5, 4))


# --------------------------------------------------------------------------- the forms

def test_a_juristic_payee_is_on_pnd53_only_and_files_are_registered_owner_only(conn, admin,
                                                                              tmp_path):
    invoice(conn, admin, company(conn, admin, 7), dt.date(2025, 6, 1), paid=dt.date(2025, 6, 5))
    written = write_withholding_filings(conn, admin, "2025-06", tmp_path)
    assert sorted(p.name for p in written) == ["pnd53_2025-06.pdf", "pnd53_2025-06.txt",
                                               "pnd53_2025-06.xlsx"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)
    assert queries.load_filing(conn, "pnd3", "2025-06") is None
    filing = queries.load_filing(conn, "pnd53", "2025-06")
    assert {f["name"] for f in filing["files"]} == {p.name for p in written}
    assert filing["files_made_by"] == admin and filing["files_made_at"] is not None
    import hashlib
    assert {f["name"]: f["sha256"] for f in filing["files"]} == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in written}


def test_four_payments_of_a_supplier_make_two_rows_and_the_workbook_a_line_each(conn, admin,
                                                                             tmp_path):
    supplier = coach(conn, admin, 8)
    for day in (2, 9, 16, 23):
        invoice(conn, admin, supplier, dt.date(2025, 7, 1), paid=dt.date(2025, 7, day))
    write_withholding_filings(conn, admin, "2025-07", tmp_path)
    assert [row[0] for row in lines(tmp_path, "pnd3_2025-07.txt")] == ["1", "1", "1", "2"]
    from openpyxl import load_workbook
    sheet = load_workbook(tmp_path / "pnd3_2025-07.xlsx").active
    assert sheet.max_row == 1 + 4 + 1  # header, the payment lines, the total


def test_seven_payees_make_a_pdf_of_two_sheets(conn, admin, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    for n in range(10, 17):
        invoice(conn, admin, coach(conn, admin, n), dt.date(2025, 8, 1), paid=dt.date(2025, 8, 4))
    write_withholding_filings(conn, admin, "2025-08", tmp_path)
    reader = pypdf.PdfReader(tmp_path / "pnd3_2025-08.pdf")
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    for number, text in ((1, first), (2, second)):
        assert f"แผ่นที่ {number} ใน" in text and "2 แผ่น" in text
        assert "0105566012344" in text and "สาขาที่ 00000" in text  # the payer on each sheet
    assert "60,000.00" in first and "1,800.00" in first  # the first sheet's six rows
    assert "10,000.00" in second and "70,000.00" in second and "2,100.00" in second  # and all
    assert [row[0] for row in lines(tmp_path, "pnd3_2025-08.txt")] == [str(n) for n in
                                                                       range(1, 8)]


def test_a_missing_address_refuses_both_forms_and_writes_nothing(conn, admin, tmp_path):
    invoice(conn, admin, company(conn, admin, 20), dt.date(2025, 9, 1), paid=dt.date(2025, 9, 3))
    invoice(conn, admin, coach(conn, admin, 21, district=None), dt.date(2025, 9, 1),
            paid=dt.date(2025, 9, 3))
    with pytest.raises(service.MissingFields) as refused:
        write_withholding_filings(conn, admin, "2025-09", tmp_path / "out")
    assert refused.value.missing == [("Coach 21", "district")]
    assert not (tmp_path / "out").exists()
    assert queries.load_filing(conn, "pnd53", "2025-09") is None
    assert service.missing_supplier_fields(conn, "2025-09") == [("Coach 21", "district")]


def test_a_supplier_without_payee_kind_is_named(conn, admin):
    supplier = service.create_supplier(conn, admin, name="Someone", tax_id=tax_id(22))
    invoice(conn, admin, supplier, dt.date(2025, 9, 1), paid=dt.date(2025, 9, 3))
    assert ("Someone", "payee_kind") in service.missing_supplier_fields(conn, "2025-09")


def test_supplier_set_changes_only_the_fields_given_and_checks_the_tax_id(conn, admin):
    supplier = coach(conn, admin, 23)
    row = service.set_supplier_tax_data(conn, admin, supplier["id"], district="บางรัก",
                                        branch_no="2")
    assert (row["district"], row["branch_no"], row["subdistrict"]) == ("บางรัก", "00002",
                                                                       "สามเสนใน")
    with pytest.raises(rules.InvoiceError, match="check digit"):
        service.set_supplier_tax_data(conn, admin, supplier["id"], tax_id="1000000000000")


def test_the_database_refuses_a_tax_id_with_a_wrong_check_digit(conn, admin):
    supplier = coach(conn, admin, 24)
    with pytest.raises(sa.exc.IntegrityError, match="tax_id_check_digit"), conn.begin_nested():
        conn.execute(sa.text("UPDATE backoffice.invoice_suppliers SET tax_id = '1000000000000'"
                             " WHERE id = :id"), {"id": supplier["id"]})


# --------------------------------------------------------------------------- certificates

def test_certificate_numbers_are_stable_across_reruns_and_never_reused(conn, admin, tmp_path):
    supplier = coach(conn, admin, 30)
    late = invoice(conn, admin, supplier, dt.date(2025, 10, 1), paid=dt.date(2025, 10, 20))
    early = invoice(conn, admin, supplier, dt.date(2025, 10, 2), paid=dt.date(2025, 10, 6))
    first = write_withholding_certificates(conn, admin, "2025-10", tmp_path / "a")
    again = write_withholding_certificates(conn, admin, "2025-10", tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in again] == [
        "wht50_2568-1.pdf", "wht50_2568-2.pdf"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    numbers = {c["invoice_id"]: c["number"] for c in queries.load_month_certificates(conn,
                                                                                       "2025-10")}
    by_number = {queries.load_invoice_row(conn, n)["id"]: n for n in (early, late)}
    assert {by_number[k]: v for k, v in numbers.items()} == {early: 1, late: 2}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in first)


def test_a_changed_payment_date_voids_the_certificate_and_the_next_replaces_it(conn, admin,
                                                                             tmp_path):
    number = invoice(conn, admin, coach(conn, admin, 31), dt.date(2025, 11, 1),
                     paid=dt.date(2025, 11, 3))
    write_withholding_certificates(conn, admin, "2025-11", tmp_path / "a")
    service.mark_invoice_paid(conn, admin, number, dt.date(2025, 11, 4), "bank value date")
    written = write_withholding_certificates(conn, admin, "2025-11", tmp_path / "b")
    assert [p.name for p in written] == ["wht50_2568-1.pdf", "wht50_2568-2.pdf"]
    certificates = queries.load_month_certificates(conn, "2025-11")
    assert [(c["number"], c["state"], c["replaces_number"]) for c in certificates] == [
        (1, "void", None), (2, "issued", 1)]
    assert "bank value date" in certificates[0]["void_reason"]
    pypdf = pytest.importorskip("pypdf")
    void, replacement = (pypdf.PdfReader(p).pages[0].extract_text() for p in written)
    assert "ยกเลิก" in void and "bank value date" in void
    assert "ใบแทน ฉบับเลขที่ 2568-1" in replacement and "ยกเลิก" not in replacement


def test_voiding_a_paid_invoice_undoes_its_payment_and_voids_its_certificate(conn, admin,
                                                                            tmp_path):
    number = invoice(conn, admin, coach(conn, admin, 32), dt.date(2025, 12, 1),
                     paid=dt.date(2025, 12, 5))
    write_withholding_certificates(conn, admin, "2025-12", tmp_path / "a")
    voided = service.void_invoice(conn, admin, number, "paid to the wrong account")
    assert voided["paid_on"] is None and voided["status"] == "void"
    written = write_withholding_certificates(conn, admin, "2025-12", tmp_path / "b")
    assert [p.name for p in written] == ["wht50_2568-1.pdf"]
    (cert,) = queries.load_month_certificates(conn, "2025-12")
    assert cert["state"] == "void" and "paid to the wrong account" in cert["void_reason"]
    assert write_withholding_filings(conn, admin, "2025-12", tmp_path / "f") == []


def test_a_certificate_shows_its_form_row_and_the_tax_in_thai_words(conn, admin, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    invoice(conn, admin, coach(conn, admin, 33), dt.date(2025, 3, 1), paid=dt.date(2025, 3, 2),
            subtotal="1234.56")
    certificates, _ = service.prepare_withholding_certificates(conn, admin, "2025-03")
    assert [(c["form"], c["row_no"], c["payment"].tax) for c in certificates] == [
        ("pnd3", 1, rules.money.round_money("37.04"))]
    (path,) = write_withholding_certificates(conn, admin, "2025-03", tmp_path)
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 2  # ฉบับที่ 1 and ฉบับที่ 2
    for copy, page in enumerate(reader.pages, 1):
        text = page.extract_text()
        assert f"ฉบับที่ {copy}" in text and "เล่มที่ 2568" in text and "เลขที่ 1" in text
        assert "ดับที่ 1 ในแบบ" in text  # ลำดับที่: the row on the month's ภ.ง.ด.3
        assert "1,234.56" in text and "37.04" in text and "สามสิบเจ็ดบาทสี่สตางค์" in text
        assert "ยกเลิก" not in text and "ใบแทน" not in text
    assert withholding.FORM_LABELS["pnd3"] == "ภ.ง.ด.3"


# --------------------------------------------------------------------------- the demo studio

def test_the_demo_studio_files_its_withholding_without_a_missing_field(demo_conn, tmp_path):
    """The demo's suppliers are complete (coaches individuals, companies juristic): the month of
    its latest payment makes both forms and a certificate per payment."""
    admin = "admin@studio.example"
    month = demo_conn.execute(sa.text(
        "SELECT to_char(max(paid_on), 'YYYY-MM') FROM backoffice.invoices")).scalar_one()
    assert service.missing_supplier_fields(demo_conn, month) == []
    payments = service.load_month_payments(demo_conn, month)
    written = write_withholding_filings(demo_conn, admin, month, tmp_path / "filings")
    forms = {p.name.split("_")[0] for p in written}
    assert forms == {p.payee.form for p in payments}
    certificates = write_withholding_certificates(demo_conn, admin, month, tmp_path / "certs")
    assert len(certificates) == len(payments)


def test_making_files_is_audited_in_the_same_transaction(conn, admin, tmp_path):
    invoice(conn, admin, coach(conn, admin, 34), dt.date(2025, 2, 1), paid=dt.date(2025, 2, 3))
    write_withholding_filings(conn, admin, "2025-02", tmp_path / "f")
    write_withholding_certificates(conn, admin, "2025-02", tmp_path / "c")
    write_withholding_certificates(conn, admin, "2025-02", tmp_path / "c2")  # no new number
    rows = conn.execute(sa.text(
        "SELECT action, resource_type, resource_id FROM backoffice.audit_logs"
        " WHERE resource_type IN ('tax_filing', 'wht_certificate', 'wht_certificate_files')"
        " ORDER BY action, resource_type")).all()
    assert [tuple(r) for r in rows] == [
        ("CREATE", "wht_certificate", "2568-1"),
        ("EXPORT", "wht_certificate_files", "2025-02"),
        ("EXPORT", "wht_certificate_files", "2025-02"),
        ("TAX_FILES_MADE", "tax_filing", "pnd3/2025-02")]
