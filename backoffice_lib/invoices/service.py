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
from .rules import SETTING_DEFAULTS, SUPPLIER_FIELDS, InvoiceError, ItemInput, withholding

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
    value = withholding.compute_payer_setting(key, value)
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
    """A new supplier; ``fields`` may hold the invoice fields (rules.SUPPLIER_FIELDS) and the
    payee data of the withholding forms (withholding.TAX_FIELDS)."""
    access.check(conn, email, AREA)
    tax_fields = {k: fields.pop(k) for k in list(fields)
                  if k in withholding.TAX_FIELDS and k not in SUPPLIER_FIELDS}
    values = rules.compute_supplier_fields({"name": name, **fields})
    values.update({k: v for k, v in withholding.compute_supplier_tax_fields(tax_fields).items()
                   if v is not None})
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
    """Void instead of delete: the invoice and its number stay, status becomes 'void'. A paid
    invoice loses its payment date and its issued 50 ทวิ is voided (written again as ยกเลิก by the
    next `invoice certificates` of its month)."""
    user = access.check(conn, email, AREA)
    if not (reason or "").strip():
        raise InvoiceError("voiding an invoice needs a reason")
    invoice = load_invoice(conn, number)
    if invoice["status"] == "void":
        raise InvoiceError(f"invoice {number} is already void")
    queries.update_invoice_void(conn, invoice["id"], user.id)
    before, after = {"status": invoice["status"]}, {"status": "void"}
    details = {"invoice_number": number, "reason": reason.strip()}
    if invoice.get("paid_on") is not None:  # its payment is undone (supplier-tax.md §4)
        queries.update_invoice_paid_on(conn, invoice["id"], None, user.id)
        before["paid_on"], after["paid_on"] = invoice["paid_on"], None
        voided = queries.void_issued_certificate(conn, invoice["id"], email,
                                                 f"invoice voided: {reason.strip()}")
        if voided:
            details["certificate_voided"] = f"{voided['book']}-{voided['number']}"
    audit.record(conn, email, "VOID", "invoice", invoice["id"], before=before, after=after,
                 details=details)
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


# --------------------------------------------------------------------------- withholding tax
# supplier-tax.md: the payment date, the payee data, what a month's forms and certificates hold


class MissingFields(InvoiceError):
    """Fields a withholding form needs are missing: ``missing`` is [(supplier, field)]."""

    def __init__(self, missing: list[tuple[str, str]]):
        self.missing = missing
        super().__init__("; ".join(f"{who}: {field} is missing" for who, field in missing))


def mark_invoice_paid(conn: Connection, email: str, number: str, paid_on: dt.date,
                      reason: str | None = None) -> dict:
    """Record the Bangkok date the studio paid invoice ``number`` (the month of its filing).

    A void invoice cannot be paid; a date already recorded is changed only with a reason, and
    the invoice's issued certificate, if made, is voided (the next one made replaces it).
    """
    user = access.check(conn, email, AREA)
    try:
        bangkok.check_business_date(paid_on, "payment date")
    except bangkok.BadDate as exc:
        raise InvoiceError(str(exc)) from None
    if paid_on > bangkok.today():
        raise InvoiceError(f"payment date {paid_on} is in the future; record a payment once made")
    invoice = load_invoice(conn, number)
    if invoice["status"] == "void":
        raise InvoiceError(f"invoice {invoice['invoice_number']} is void and cannot be paid")
    before = invoice.get("paid_on")
    reason = (reason or "").strip()
    if before == paid_on:
        return invoice
    if before is not None and not reason:
        raise InvoiceError(f"invoice {invoice['invoice_number']} is already paid on {before}; "
                           "changing the payment date needs a reason (--reason)")
    queries.update_invoice_paid_on(conn, invoice["id"], paid_on, user.id)
    details = {"invoice_number": invoice["invoice_number"]}
    if reason:
        details["reason"] = reason
    if before is not None:
        voided = queries.void_issued_certificate(
            conn, invoice["id"], email, f"payment date changed from {before} to {paid_on}: {reason}")
        if voided:
            details["certificate_voided"] = f"{voided['book']}-{voided['number']}"
    audit.record(conn, email, "UPDATE", "invoice", invoice["id"], before={"paid_on": before},
                 after={"paid_on": paid_on}, details=details)
    return load_invoice(conn, invoice["invoice_number"])


def set_supplier_tax_data(conn: Connection, email: str, supplier_id, **fields) -> dict:
    """Change only the given payee fields of a supplier (withholding.TAX_FIELDS, and ``name``:
    a juristic person's registered name); audited with the values before and after."""
    access.check(conn, email, AREA)
    supplier = load_supplier(conn, supplier_id)
    name = fields.pop("name", None)
    values = withholding.compute_supplier_tax_fields(fields)
    if name is not None:
        values.update(rules.compute_supplier_fields({"name": name}))
        if "|" in values["name"]:
            raise withholding.WithholdingError("name must not contain '|' (the filing's "
                                               "field separator)")
    _check_tax_id_free(conn, values.get("tax_id"), except_id=supplier["id"])
    changed = {k: v for k, v in values.items() if supplier.get(k) != v}
    if not changed:
        return supplier
    row = queries.update_supplier_row(conn, supplier["id"], changed)
    audit.record(conn, email, "UPDATE", "invoice_supplier", supplier["id"],
                 before={k: supplier.get(k) for k in changed}, after=changed)
    return row


def _payment(row: dict) -> withholding.Payment:
    payee = withholding.Payee(
        supplier_id=str(row["supplier_id"]),
        **{k: row[k] for k in queries.PAYEE_COLUMNS})
    return withholding.Payment(
        invoice_id=str(row["invoice_id"]), invoice_number=row["invoice_number"],
        paid_on=row["paid_on"], rate=row["tax_rate"], amount_paid=row["subtotal"],
        tax=row["tax_amount"], payee=payee)


def load_month_payments(conn: Connection, month: str) -> list[withholding.Payment]:
    """The payments of a month (by payment date) that go on a withholding form."""
    return [_payment(row) for row in queries.load_month_payments(conn, month)]


def missing_supplier_fields(conn: Connection, month: str) -> list[tuple[str, str]]:
    """(supplier name, field) for every field the month's forms need that a paid supplier lacks
    (what `invoice filings` refuses with exit 3; the dashboard shows the same list)."""
    payees = {p.payee.supplier_id: p.payee for p in load_month_payments(conn, month)}
    return withholding.compute_missing_fields(payees.values())


def missing_supplier_data(conn: Connection, supplier_id) -> list[tuple[str, str]]:
    """(supplier name, field) for each field the forms need that this supplier lacks."""
    supplier = load_supplier(conn, supplier_id)
    payee = withholding.Payee(supplier_id=str(supplier["id"]),
                              **{k: supplier[k] for k in queries.PAYEE_COLUMNS})
    return withholding.compute_missing_fields([payee])


def prepare_withholding_forms(conn: Connection, email: str, month: str
                              ) -> tuple[dict[str, withholding.Attachment], dict]:
    """The month's attachments by form ({} when nothing was withheld) and the payer's settings;
    raises MissingFields (nothing is written) when a payee or the payer lacks a field."""
    access.check(conn, email, AREA)
    bangkok.parse_month(month)
    payments = load_month_payments(conn, month)
    company = queries.load_invoice_settings(conn)
    missing = withholding.compute_missing_fields({p.payee.supplier_id: p.payee
                                                  for p in payments}.values())
    if payments:
        missing += withholding.compute_missing_payer_fields(company, address=False)
    if missing:
        raise MissingFields(missing)
    return withholding.compute_attachments(month, payments), company


def record_filing_files(conn: Connection, email: str, form: str, month: str,
                        files: list[dict]) -> dict | None:
    """The filing register: the files made for ``form`` (duty pnd3 / pnd53) and ``month``, with
    their checksums; audited. None when the duty is recorded as filed: the register keeps the
    files it was filed with (the tax calendar)."""
    access.check(conn, email, AREA)
    before = queries.load_filing(conn, form, month)
    row = queries.save_filing_files(conn, form, month, files, email)
    if row is None:
        return None
    audit.record(conn, email, "TAX_FILES_MADE", "tax_filing", f"{form}/{month}",  # as payroll's
                 before={"files": before["files"]} if before else None, after={"files": files})
    return row


def prepare_withholding_certificates(conn: Connection, email: str, month: str) -> tuple[
        list[dict], dict]:
    """Every certificate of the month's payments (numbers allocated now for payments without an
    issued one, audited) and the month's void ones, each with its payment, form and row number
    on that month's attachment; and the payer's settings. Raises MissingFields first."""
    attachments, company = prepare_withholding_forms(conn, email, month)
    missing = withholding.compute_missing_payer_fields(company, address=True)
    payments = [p for a in attachments.values() for p in a.payments]
    if payments and missing:
        raise MissingFields(missing)
    # the books' numbering locked first: a concurrent making of the same month waits, then sees
    # the certificates the other one made
    last = queries.lock_certificate_books(conn, [withholding.book_of(p.paid_on) for p in payments])
    ids = [p.invoice_id for p in payments]
    issued = {str(c["invoice_id"]) for c in queries.load_invoice_certificates(conn, ids)
              if c["state"] == "issued"}
    needing = [p for p in payments if p.invoice_id not in issued]
    new_rows = []
    for payment, book, number in withholding.compute_new_certificate_numbers(needing, last):
        replaced = queries.load_last_void_certificate(conn, payment.invoice_id)
        new_rows.append({"book": book, "number": number, "invoice_id": payment.invoice_id,
                         "form": payment.payee.form, "paid_on": payment.paid_on,
                         "created_by": email,
                         "replaces_id": replaced["id"] if replaced else None})
    queries.insert_certificates(conn, new_rows)
    for row in new_rows:
        audit.record(conn, email, "CREATE", "wht_certificate", f"{row['book']}-{row['number']}",
                     after={k: row[k] for k in ("book", "number", "invoice_id", "form",
                                                "paid_on", "replaces_id")})
    return _month_certificates(conn, month, attachments), company


def _month_certificates(conn: Connection, month: str,
                        attachments: dict[str, withholding.Attachment]) -> list[dict]:
    certificates = queries.load_month_certificates(conn, month)
    payments = {str(r["invoice_id"]): _payment(r) for r in queries.load_certificate_payments(
        conn, [c["invoice_id"] for c in certificates])}
    out = []
    for cert in certificates:
        payment = payments[str(cert["invoice_id"])]
        # the certificate's own date: a void invoice has lost its payment date
        payment = withholding.Payment(payment.invoice_id, payment.invoice_number, cert["paid_on"],
                                      payment.rate, payment.amount_paid, payment.tax,
                                      payment.payee)
        attachment = attachments.get(cert["form"])
        row_no = attachment.row_of(payment.invoice_id) if attachment and \
            cert["state"] == "issued" else None
        out.append({**cert, "payment": payment, "row_no": row_no})
    return out
