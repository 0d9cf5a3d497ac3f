"""The supplier invoices dashboard's withholding parts, driven in process on committed data:
mark an invoice paid (a changed date needs a reason), a supplier's tax data with its tax ID
checked as typed, and the fields a withholding form still misses, per supplier."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backoffice_lib.invoices import invoices_dashboard as board
from backoffice_lib.invoices import rules, service

INVOICE_DAY = dt.date(2024, 3, 28)   # a past month: payment dates are never in the future


@pytest.fixture
def admin(signed_in_admin):
    return signed_in_admin


@pytest.fixture
def invoice(engine, admin):
    with engine.begin() as c:
        supplier = service.create_supplier(c, admin.email, name=f"Coach {uuid.uuid4().hex[:5]}")
        created = service.create_invoice(c, admin.email, supplier_id=supplier["id"],
                                         invoice_date=INVOICE_DAY,
                                         items=[rules.parse_item("Lessons;1;1000")],
                                         tax_rate=Decimal(3))
    return supplier, created["invoice_number"]


def _page(admin):
    return board.InvoicesDashboard(admin, INVOICE_DAY.strftime("%Y-%m"))


def _paid_on(engine, number):
    with engine.connect() as c:
        return c.scalar(sa.text("SELECT paid_on FROM backoffice.invoices"
                                " WHERE invoice_number = :n"), {"n": number})


def test_mark_paid_records_the_date_and_a_change_needs_a_reason(engine, admin, invoice):
    _, number = invoice
    page = _page(admin)
    page.picked.value = number
    page.paid_on.value = dt.date(2024, 4, 2)
    page.mark_paid.click()
    assert "paid on 2024-04-02: on the withholding filing of 2024-04" in page.action_status.value
    assert _paid_on(engine, number) == dt.date(2024, 4, 2)
    assert "2024-04-02" in page.month_table.value            # the list's "paid on" column
    page.picked.value = number
    page.paid_on.value = dt.date(2024, 4, 3)
    page.mark_paid.click()
    assert "Not marked paid" in page.action_status.value and "needs a reason" in (
        page.action_status.value)
    assert _paid_on(engine, number) == dt.date(2024, 4, 2)
    page.paid_reason.value = "bank statement says the 3rd"
    page.mark_paid.click()
    assert _paid_on(engine, number) == dt.date(2024, 4, 3)


def test_mark_paid_without_an_invoice_picked_says_so(engine, admin, invoice):
    page = _page(admin)
    page.picked.options = [("", "")]
    page.on_mark_paid()
    assert "Pick an invoice first" in page.action_status.value


def test_supplier_tax_data_checks_the_tax_id_and_shows_what_is_missing(engine, admin, invoice):
    supplier, _ = invoice
    sid = str(supplier["id"])
    page = _page(admin)
    page.tax_supplier.value = sid
    assert "still missing" in page.tax_missing.value and "payee kind" in page.tax_missing.value
    assert supplier["name"] in page.missing_all.value
    page.tax_text["tax_id"].value = "1101700230709"
    assert "its last digit should be 8" in page.tax_id_typed.value
    page.save_tax.click()
    assert "Not saved" in page.tax_status.value
    page.tax_kind.value = "individual"
    page.tax_title.value = "นาย"
    for key, value in {"tax_id": "1101700230708", "first_name": "สมชาย", "last_name": "ศรีสุข",
                       "address_line": "12 Soi 3", "subdistrict": "Khlong Tan",
                       "district": "Khlong Toei", "province": "Bangkok",
                       "postal_code": "10110"}.items():
        page.tax_text[key].value = value
    assert "✓ valid tax ID 1101700230708" in page.tax_id_typed.value
    page.save_tax.click()
    assert "saved" in page.tax_status.value, page.tax_status.value
    assert "nothing missing" in page.tax_missing.value
    assert supplier["name"] not in page.missing_all.value
    with engine.connect() as c:
        row = c.execute(sa.text("SELECT payee_kind, tax_id, title, postal_code FROM"
                                " backoffice.invoice_suppliers WHERE id = :i"), {"i": sid}).one()
        audited = c.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs WHERE"
                                   " action = 'UPDATE' AND resource_type = 'invoice_supplier'"
                                   " AND resource_id = :i"), {"i": sid})
    assert tuple(row) == ("individual", "1101700230708", "นาย", "10110")
    assert audited == 1


def test_a_bad_postal_code_is_refused_with_the_reason(engine, admin, invoice):
    supplier, _ = invoice
    page = _page(admin)
    page.tax_supplier.value = str(supplier["id"])
    page.tax_text["postal_code"].value = "1011"
    page.save_tax.click()
    assert "Not saved" in page.tax_status.value and "postal code is 5 digits" in (
        page.tax_status.value)
