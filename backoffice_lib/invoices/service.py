"""Supplier invoices (business-rules §6): suppliers, invoices with items, numbering, void, PDFs.

What the CLI, the notebook and the dashboard call: each function checks the person's access,
validates with ``rules``, reads and writes with ``queries`` and audits, in the caller's
transaction (it never commits). The arithmetic is always done here (``rules``), never taken from
the caller.

Numbering: ``YYYYMM`` of the invoice date + a 3-digit sequence (202501001); after 999 the sequence
grows to 4 digits (2025011000) and every listing orders numerically (**fix**). A transaction-level
advisory lock per month serialises numbering, so two concurrent creations never collide.

Invoices are voided, never deleted; a supplier with invoices cannot be deleted (and the foreign key
is RESTRICT as a second guard).

A supplier's tax ID is a Thai tax identification number: 13 digits, the last a check digit
(``rules.validate_tax_id``); typed with spaces or dashes it is stored as the 13 digits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from sqlalchemy.engine import Connection

from .. import access, audit, bangkok, settings
from . import queries, rules
from .rules import SETTING_DEFAULTS, SUPPLIER_FIELDS, InvoiceError, ItemInput

AREA = "invoices"


# --------------------------------------------------------------------------- settings


def default_wht_rate(conn: Connection) -> Decimal:
    raw = queries.load_invoice_settings(conn)["default_wht_rate"]
    try:
        return rules.validate_tax_rate(raw)
    except InvoiceError as exc:
        raise InvoiceError(f"invoice_settings.default_wht_rate is invalid: {exc}") from None


def save_invoice_setting(conn: Connection, email: str, key: str, value: str) -> None:
    access.check(conn, email, AREA)
    if key not in SETTING_DEFAULTS:
        raise InvoiceError(f"unknown invoice setting {key!r}; known: {', '.join(SETTING_DEFAULTS)}")
    if key == "default_wht_rate":
        rules.validate_tax_rate(value)
    before = queries.load_setting_value(conn, key)
    queries.save_setting_value(conn, key, str(value))
    audit.record(conn, email, "UPDATE", "invoice_settings", key,
                 before={"value": before}, after={"value": str(value)})


# --------------------------------------------------------------------------- suppliers


def load_supplier(conn: Connection, supplier_id) -> dict:
    row = queries.load_supplier_row(conn, supplier_id)
    if row is None:
        raise InvoiceError(f"no supplier with id {supplier_id}")
    return row


def _check_tax_id_free(conn: Connection, tax_id: str | None, except_id=None) -> None:
    if not tax_id:
        return
    other = queries.load_tax_id_owner(conn, tax_id, except_id)
    if other is not None:
        raise InvoiceError(f"tax id {tax_id} already belongs to supplier {other!r}")


def create_supplier(conn: Connection, email: str, *, name: str, **fields) -> dict:
    access.check(conn, email, AREA)
    values = rules.compute_supplier_fields({"name": name, **fields})
    _check_tax_id_free(conn, values.get("tax_id"))
    row = queries.insert_supplier(conn, values)
    audit.record(conn, email, "CREATE", "invoice_supplier", row["id"], after=values)
    return row


def delete_supplier(conn: Connection, email: str, supplier_id) -> None:
    """Delete a supplier that has no invoices; one with invoices (even void ones) is refused."""
    access.check(conn, email, AREA)
    before = load_supplier(conn, supplier_id)
    count = queries.count_supplier_invoices(conn, before["id"])
    if count:
        raise InvoiceError(
            f"supplier {before['name']!r} has {count} invoice(s) and cannot be deleted"
        )
    queries.delete_supplier_row(conn, before["id"])
    audit.record(conn, email, "DELETE", "invoice_supplier", before["id"],
                 before={k: before[k] for k in SUPPLIER_FIELDS})


# --------------------------------------------------------------------------- invoices


def create_invoice(
    conn: Connection,
    email: str,
    *,
    supplier_id,
    invoice_date: dt.date,
    items: list[ItemInput],
    tax_rate=None,
) -> dict:
    """Create an issued invoice; amounts and number are computed here. Returns load_invoice()."""
    user = access.check(conn, email, AREA)
    try:
        bangkok.check_business_date(invoice_date, "invoice date")  # an invoice in year 1: a typo
    except bangkok.BadDate as exc:
        raise InvoiceError(str(exc)) from None
    supplier = load_supplier(conn, supplier_id)
    rate = default_wht_rate(conn) if tax_rate is None else tax_rate
    amounts = rules.compute_invoice_amounts(items, rate)
    number = queries.next_invoice_number(conn, invoice_date)
    invoice_id = queries.insert_invoice(conn, {
        "invoice_number": number,
        "supplier_id": supplier["id"],
        "invoice_date": invoice_date,
        "subtotal": amounts["subtotal"],
        "tax_rate": amounts["tax_rate"],
        "tax_amount": amounts["tax_amount"],
        "total_amount": amounts["total_amount"],
        "created_by": user.id,
        "updated_by": user.id,
        "status": "issued",
    }, amounts["items"])
    audit.record(
        conn, email, "CREATE", "invoice", invoice_id,
        after={"invoice_number": number, "supplier_id": supplier["id"],
               "invoice_date": invoice_date, **amounts},
    )
    return load_invoice(conn, number)


def load_invoice(conn: Connection, number: str) -> dict:
    """One invoice by number, with its supplier and items (in creation order)."""
    invoice = queries.load_invoice_row(conn, number)
    if invoice is None:
        raise InvoiceError(f"no invoice numbered {number}")
    invoice["supplier"] = load_supplier(conn, invoice["supplier_id"])
    invoice["items"] = queries.load_invoice_items(conn, invoice["id"])
    return invoice


def void_invoice(conn: Connection, email: str, number: str, reason: str) -> dict:
    """Void instead of delete: the invoice and its number stay, status becomes 'void'."""
    user = access.check(conn, email, AREA)
    if not (reason or "").strip():
        raise InvoiceError("voiding an invoice needs a reason")
    invoice = load_invoice(conn, number)
    if invoice["status"] == "void":
        raise InvoiceError(f"invoice {number} is already void")
    queries.update_invoice_void(conn, invoice["id"], user.id)
    audit.record(conn, email, "VOID", "invoice", invoice["id"],
                 before={"status": invoice["status"]}, after={"status": "void"},
                 details={"invoice_number": number, "reason": reason.strip()})
    return load_invoice(conn, number)


def load_invoice_pdf(conn: Connection, email: str, number: str) -> tuple[str, bytes]:
    """(file name, PDF bytes) of one invoice, as issued or void; the download is audited."""
    from .reports import pdf  # fpdf only when a PDF is made

    access.check(conn, email, AREA)
    invoice = load_invoice(conn, number)
    content = pdf.render_invoice_pdf(invoice, queries.load_invoice_settings(conn))
    name = f"invoice_{invoice['invoice_number']}.pdf"
    audit.record(conn, email, "DOWNLOAD", "invoice", invoice["id"],
                 details={"invoice_number": invoice["invoice_number"], "file_name": name,
                          "bytes": len(content)})
    return name, content


def load_month_invoices(conn: Connection, email: str, month: str) -> pd.DataFrame:
    """A month's invoices for a person allowed into invoices (the dashboard's month)."""
    access.check(conn, email, AREA)
    return queries.load_invoices(conn, month)


def load_form_choices(conn: Connection, email: str) -> tuple[list[dict], Decimal, list[str]]:
    """The suppliers, the default withholding rate and the months with invoices: what the
    dashboard's form offers a person allowed into invoices."""
    access.check(conn, email, AREA)
    return (queries.load_suppliers(conn), default_wht_rate(conn),
            queries.load_invoice_months(conn))


def save_month_pdfs(conn: Connection, email: str, month: str, out_dir) -> list[str]:
    """Write the PDF of every invoice of a month into ``out_dir``; return the paths."""
    from .reports import pdf  # fpdf only when a PDF is made

    access.check(conn, email, AREA)
    folder = settings.private_dir(out_dir, narrow_existing=False)
    company = queries.load_invoice_settings(conn)
    paths = []
    for number in queries.load_invoices(conn, month)["invoice_number"]:
        path = folder / f"invoice_{number}.pdf"
        path.write_bytes(pdf.render_invoice_pdf(load_invoice(conn, number), company))
        paths.append(str(path))
    return paths
