"""Supplier invoices (business-rules §6): suppliers, invoices with items, numbering, void, totals.

The arithmetic is pure (``compute_*``) and always done here, never taken from the caller:
line_total = quantity × unit_price; subtotal = Σ line_total; tax_amount = subtotal × tax_rate / 100;
total_amount = subtotal − tax_amount (net paid to the supplier, the withholding tax is remitted by the
studio). Each is rounded to 2 decimals, half up, by ``money.round_money``.

Numbering: ``YYYYMM`` of the invoice date + a 3-digit sequence (202501001); after 999 the sequence
grows to 4 digits (2025011000) and every listing orders numerically (**fix**). A transaction-level
advisory lock per month serialises numbering, so two concurrent creations never collide.

Invoices are voided, never deleted; a supplier with invoices cannot be deleted (and the foreign key
is RESTRICT as a second guard). Every write is audited in the caller's transaction.

A supplier's tax ID is a Thai tax identification number: 13 digits, the last a check digit
(``validate_tax_id``); typed with spaces or dashes it is stored as the 13 digits.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import access, audit, bangkok, money, settings
from ..models.core import Invoice, InvoiceItem, InvoiceSetting, InvoiceSupplier

INVOICES = Invoice.__table__
ITEMS = InvoiceItem.__table__
SUPPLIERS = InvoiceSupplier.__table__
SETTINGS = InvoiceSetting.__table__

DEFAULT_WHT_RATE = Decimal("3.00")
SETTING_DEFAULTS = {
    "default_wht_rate": "3.00",
    "company_name": "Golf Studio Bangkok",
    "company_tax_id": "",
    "company_address_line1": "",
    "company_address_line2": "",
    "bank_name": "",
    "bank_account_number": "",
}
# Advisory-lock namespace for invoice numbering (first key); the second key is YYYYMM.
NUMBERING_LOCK_KEY = 6_0001
SUPPLIER_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "tax_id",
    "default_description",
    "default_unit_price",
    "bank_name",
    "bank_account",
)


class InvoiceError(ValueError):
    """Input a person can fix (bad item, unknown supplier, refused deletion); one clear line."""


@dataclass(frozen=True)
class ItemInput:
    description: str
    quantity: Decimal
    unit_price: Decimal


# --------------------------------------------------------------------------- pure arithmetic


def _decimal(value, what: str) -> Decimal:
    if isinstance(value, float):
        raise InvoiceError(f"{what} must be exact (a string or Decimal), not a float")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise InvoiceError(f"{what} is not a number: {value!r}") from None
    if not number.is_finite():
        raise InvoiceError(f"{what} is not a number: {value!r}")
    return number


def parse_item(text: str) -> ItemInput:
    """``"desc;qty;unit_price"`` (the CLI form) -> ItemInput; a description may contain ';'."""
    parts = text.rsplit(";", 2)
    if len(parts) != 3:
        raise InvoiceError(f'item must look like "description;quantity;unit_price", not {text!r}')
    return make_item(*parts)


def make_item(description, quantity, unit_price) -> ItemInput:
    description = (description or "").strip()
    if not description:
        raise InvoiceError("an item needs a description")
    qty = _decimal(quantity, f"quantity of {description!r}")
    price = _decimal(unit_price, f"unit price of {description!r}")
    if qty <= 0:
        raise InvoiceError(f"quantity of {description!r} must be more than 0, not {qty}")
    if price < 0:
        raise InvoiceError(f"unit price of {description!r} must not be negative, not {price}")
    for value, what in ((qty, "quantity"), (price, "unit price")):
        if value != value.quantize(money.CENT):
            raise InvoiceError(f"{what} of {description!r} has more than 2 decimals: {value}")
    return ItemInput(description, qty, price)


def validate_tax_rate(value) -> Decimal:
    rate = _decimal(value, "tax rate")
    if rate < 0 or rate > 100:
        raise InvoiceError(f"tax rate is a percent from 0 to 100, not {rate}")
    if rate != rate.quantize(money.CENT):
        raise InvoiceError(f"tax rate has more than 2 decimals: {rate}")
    return rate


def compute_invoice_amounts(items: list[ItemInput], tax_rate) -> dict:
    """Line totals, subtotal, withholding tax and net total of an invoice (business-rules §6)."""
    if not items:
        raise InvoiceError("an invoice needs at least one item")
    rate = validate_tax_rate(tax_rate)
    lines = [
        {
            "description": item.description,
            "quantity": item.quantity,
            "unit_price": item.unit_price,
            "line_total": money.round_money(item.quantity * item.unit_price),
        }
        for item in items
    ]
    subtotal = sum((line["line_total"] for line in lines), money.ZERO)
    tax_amount = money.round_money(subtotal * rate / Decimal(100))
    return {
        "items": lines,
        "subtotal": subtotal,
        "tax_rate": rate,
        "tax_amount": tax_amount,
        "total_amount": subtotal - tax_amount,
    }


def format_invoice_number(invoice_date: dt.date, sequence: int) -> str:
    """``YYYYMM`` + the sequence with at least 3 digits: 202501001 … 202501999, 2025011000."""
    if sequence < 1:
        raise ValueError("invoice sequence starts at 1")
    return f"{invoice_date.year:04d}{invoice_date.month:02d}{sequence:03d}"


def invoice_number_sort_key(number: str) -> tuple[int, int, str]:
    """Numeric order of invoice numbers: by month, then by sequence as a number."""
    if re.fullmatch(r"\d{7,}", number or ""):
        return int(number[:6]), int(number[6:]), number
    return 0, 0, number or ""


def numeric_number_order():
    """SQL ordering of invoice numbers that stays numeric past sequence 999 (**fix**)."""
    return (sa.func.substr(INVOICES.c.invoice_number, 1, 6), sa.func.length(INVOICES.c.invoice_number),
            INVOICES.c.invoice_number)


TAX_ID_LENGTH = 13


def compute_tax_id_check_digit(first_twelve: str) -> int:
    """The check digit of a Thai tax ID: (11 − Σ dᵢ·(13 − i) mod 11) mod 10, i = 0…11."""
    total = sum(int(digit) * (TAX_ID_LENGTH - i) for i, digit in enumerate(first_twelve))
    return (11 - total % 11) % 10


def validate_tax_id(value) -> str | None:
    """A Thai tax ID as its 13 digits (spaces and dashes as typed are dropped); None when empty.

    Raises InvoiceError for anything else: not 13 digits, or a wrong check digit (a typo).
    """
    text = re.sub(r"[\s\-]", "", str(value or ""))
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise InvoiceError(f"a tax ID is 13 digits, not {str(value).strip()!r}")
    if len(text) != TAX_ID_LENGTH:
        raise InvoiceError(f"a tax ID is 13 digits; {text} has {len(text)}")
    expected = compute_tax_id_check_digit(text[:12])
    if int(text[12]) != expected:
        raise InvoiceError(
            f"tax ID {text} is not valid: its last digit should be {expected} (check digit); "
            "look for a typo"
        )
    return text


# --------------------------------------------------------------------------- settings


def load_invoice_settings(conn: Connection) -> dict[str, str]:
    """invoice_settings with the defaults of the rules for missing keys (a row '0' means 0)."""
    values = dict(SETTING_DEFAULTS)
    for key, value in conn.execute(sa.select(SETTINGS.c.key, SETTINGS.c.value)):
        values[key] = value
    return values


def default_wht_rate(conn: Connection) -> Decimal:
    raw = load_invoice_settings(conn)["default_wht_rate"]
    try:
        return validate_tax_rate(raw)
    except InvoiceError as exc:
        raise InvoiceError(f"invoice_settings.default_wht_rate is invalid: {exc}") from None


def save_invoice_setting(conn: Connection, email: str, key: str, value: str) -> None:
    access.check(conn, email, "invoices")
    if key not in SETTING_DEFAULTS:
        raise InvoiceError(f"unknown invoice setting {key!r}; known: {', '.join(SETTING_DEFAULTS)}")
    if key == "default_wht_rate":
        validate_tax_rate(value)
    before = conn.execute(sa.select(SETTINGS.c.value).where(SETTINGS.c.key == key)).scalar()
    stmt = sa.dialects.postgresql.insert(SETTINGS).values(key=key, value=str(value))
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[SETTINGS.c.key], set_={"value": stmt.excluded.value, "updated_at": sa.func.now()}
        )
    )
    audit.record(conn, email, "UPDATE", "invoice_settings", key,
                 before={"value": before}, after={"value": str(value)})


# --------------------------------------------------------------------------- suppliers


def _supplier_row(conn: Connection, supplier_id) -> dict | None:
    try:
        key = uuid.UUID(str(supplier_id))
    except ValueError:
        raise InvoiceError(f"supplier id must be a UUID, not {supplier_id!r}") from None
    row = conn.execute(sa.select(SUPPLIERS).where(SUPPLIERS.c.id == key)).mappings().first()
    return dict(row) if row else None


def load_supplier(conn: Connection, supplier_id) -> dict:
    row = _supplier_row(conn, supplier_id)
    if row is None:
        raise InvoiceError(f"no supplier with id {supplier_id}")
    return row


def load_suppliers(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.select(SUPPLIERS).order_by(SUPPLIERS.c.name)).mappings()
    return [dict(r) for r in rows]


def _clean_supplier_fields(fields: dict) -> dict:
    unknown = set(fields) - set(SUPPLIER_FIELDS)
    if unknown:
        raise InvoiceError(f"unknown supplier fields: {', '.join(sorted(unknown))}")
    clean = {}
    for key, value in fields.items():
        if isinstance(value, str):
            value = value.strip() or None
        if key == "default_unit_price" and value is not None:
            value = _decimal(value, "default unit price")
        if key == "tax_id":
            value = validate_tax_id(value)
        clean[key] = value
    if "name" in clean and not clean["name"]:
        raise InvoiceError("a supplier needs a name")
    return clean


def _check_tax_id_free(conn: Connection, tax_id: str | None, except_id=None) -> None:
    if not tax_id:
        return
    query = sa.select(SUPPLIERS.c.name).where(SUPPLIERS.c.tax_id == tax_id)
    if except_id is not None:
        query = query.where(SUPPLIERS.c.id != except_id)
    other = conn.execute(query).scalar()
    if other is not None:
        raise InvoiceError(f"tax id {tax_id} already belongs to supplier {other!r}")


def create_supplier(conn: Connection, email: str, *, name: str, **fields) -> dict:
    access.check(conn, email, "invoices")
    values = _clean_supplier_fields({"name": name, **fields})
    _check_tax_id_free(conn, values.get("tax_id"))
    row = conn.execute(sa.insert(SUPPLIERS).values(**values).returning(SUPPLIERS)).mappings().one()
    row = dict(row)
    audit.record(conn, email, "CREATE", "invoice_supplier", row["id"], after=values)
    return row


def delete_supplier(conn: Connection, email: str, supplier_id) -> None:
    """Delete a supplier that has no invoices; one with invoices (even void ones) is refused."""
    access.check(conn, email, "invoices")
    before = load_supplier(conn, supplier_id)
    count = conn.execute(
        sa.select(sa.func.count()).select_from(INVOICES).where(INVOICES.c.supplier_id == before["id"])
    ).scalar_one()
    if count:
        raise InvoiceError(
            f"supplier {before['name']!r} has {count} invoice(s) and cannot be deleted"
        )
    conn.execute(sa.delete(SUPPLIERS).where(SUPPLIERS.c.id == before["id"]))
    audit.record(conn, email, "DELETE", "invoice_supplier", before["id"],
                 before={k: before[k] for k in SUPPLIER_FIELDS})


# --------------------------------------------------------------------------- invoices


def next_invoice_number(conn: Connection, invoice_date: dt.date) -> str:
    """The next number of the invoice date's month, under a transaction-level advisory lock."""
    month = invoice_date.year * 100 + invoice_date.month
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:ns, :month)"),
                 {"ns": NUMBERING_LOCK_KEY, "month": month})
    prefix = f"{month:06d}"
    last = conn.execute(
        sa.select(sa.func.max(sa.cast(sa.func.substr(INVOICES.c.invoice_number, 7), sa.BigInteger)))
        .where(INVOICES.c.invoice_number.op("~")(f"^{prefix}[0-9]{{3,}}$"))
    ).scalar()
    return format_invoice_number(invoice_date, (last or 0) + 1)


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
    user = access.check(conn, email, "invoices")
    try:
        bangkok.check_business_date(invoice_date, "invoice date")  # an invoice in year 1: a typo
    except bangkok.BadDate as exc:
        raise InvoiceError(str(exc)) from None
    supplier = load_supplier(conn, supplier_id)
    rate = default_wht_rate(conn) if tax_rate is None else tax_rate
    amounts = compute_invoice_amounts(items, rate)
    number = next_invoice_number(conn, invoice_date)
    invoice_id = conn.execute(
        sa.insert(INVOICES)
        .values(
            invoice_number=number,
            supplier_id=supplier["id"],
            invoice_date=invoice_date,
            subtotal=amounts["subtotal"],
            tax_rate=amounts["tax_rate"],
            tax_amount=amounts["tax_amount"],
            total_amount=amounts["total_amount"],
            created_by=user.id,
            updated_by=user.id,
            status="issued",
        )
        .returning(INVOICES.c.id)
    ).scalar_one()
    conn.execute(sa.insert(ITEMS), [{"invoice_id": invoice_id, **line} for line in amounts["items"]])
    audit.record(
        conn, email, "CREATE", "invoice", invoice_id,
        after={"invoice_number": number, "supplier_id": supplier["id"],
               "invoice_date": invoice_date, **amounts},
    )
    return load_invoice(conn, number)


def load_invoice(conn: Connection, number: str) -> dict:
    """One invoice by number, with its supplier and items (in creation order)."""
    row = conn.execute(
        sa.select(INVOICES).where(INVOICES.c.invoice_number == str(number).strip())
    ).mappings().first()
    if row is None:
        raise InvoiceError(f"no invoice numbered {number}")
    invoice = dict(row)
    invoice["supplier"] = load_supplier(conn, invoice["supplier_id"])
    invoice["items"] = [
        dict(r)
        for r in conn.execute(
            sa.select(ITEMS.c.description, ITEMS.c.quantity, ITEMS.c.unit_price, ITEMS.c.line_total)
            .where(ITEMS.c.invoice_id == invoice["id"])
            .order_by(sa.text("ctid"))  # insertion order; items are never updated
        ).mappings()
    ]
    return invoice


def void_invoice(conn: Connection, email: str, number: str, reason: str) -> dict:
    """Void instead of delete: the invoice and its number stay, status becomes 'void'."""
    user = access.check(conn, email, "invoices")
    if not (reason or "").strip():
        raise InvoiceError("voiding an invoice needs a reason")
    invoice = load_invoice(conn, number)
    if invoice["status"] == "void":
        raise InvoiceError(f"invoice {number} is already void")
    conn.execute(
        sa.update(INVOICES)
        .where(INVOICES.c.id == invoice["id"])
        .values(status="void", updated_by=user.id, updated_at=sa.func.now())
    )
    audit.record(conn, email, "VOID", "invoice", invoice["id"],
                 before={"status": invoice["status"]}, after={"status": "void"},
                 details={"invoice_number": number, "reason": reason.strip()})
    return load_invoice(conn, number)


def load_invoice_pdf(conn: Connection, email: str, number: str) -> tuple[str, bytes]:
    """(file name, PDF bytes) of one invoice, as issued or void; the download is audited."""
    from . import pdf

    access.check(conn, email, "invoices")
    invoice = load_invoice(conn, number)
    content = pdf.render_invoice_pdf(invoice, load_invoice_settings(conn))
    name = f"invoice_{invoice['invoice_number']}.pdf"
    audit.record(conn, email, "DOWNLOAD", "invoice", invoice["id"],
                 details={"invoice_number": invoice["invoice_number"], "file_name": name,
                          "bytes": len(content)})
    return name, content


def load_invoices(conn: Connection, month: str | None = None, *, include_void: bool = True):
    """Invoices (one row each, with supplier name) of a month ``YYYY-MM`` or all, numeric order."""
    import pandas as pd

    query = (
        sa.select(
            INVOICES.c.invoice_number, INVOICES.c.invoice_date, SUPPLIERS.c.name.label("supplier_name"),
            SUPPLIERS.c.tax_id.label("supplier_tax_id"), INVOICES.c.subtotal, INVOICES.c.tax_rate,
            INVOICES.c.tax_amount, INVOICES.c.total_amount, INVOICES.c.status,
            INVOICES.c.pdf_file_path,
        )
        .join(SUPPLIERS, SUPPLIERS.c.id == INVOICES.c.supplier_id)
        .order_by(*numeric_number_order())
    )
    if month:
        first, last = bangkok.month_days(month)
        query = query.where(INVOICES.c.invoice_date.between(first, last))
    if not include_void:
        query = query.where(INVOICES.c.status != "void")
    rows = [dict(r) for r in conn.execute(query).mappings()]
    columns = ["invoice_number", "invoice_date", "supplier_name", "supplier_tax_id", "subtotal",
               "tax_rate", "tax_amount", "total_amount", "status", "pdf_file_path"]
    return pd.DataFrame(rows, columns=columns)


def _column_total(frame, column: str) -> Decimal:
    return sum((Decimal(v) for v in frame[column]), money.ZERO) if len(frame) else money.ZERO


def compute_month_totals(invoices) -> dict:
    """Totals of a month's invoices, void ones excluded: what is paid and the WHT to remit."""
    live = invoices[invoices["status"] != "void"] if len(invoices) else invoices
    return {
        "invoices": len(live),
        "void_invoices": len(invoices) - len(live),
        "subtotal": _column_total(live, "subtotal"),
        "withholding_tax_to_remit": _column_total(live, "tax_amount"),
        "net_paid": _column_total(live, "total_amount"),
    }


def compute_withholding_by_supplier(invoices):
    """Withholding tax to remit per supplier (tax id), void invoices excluded."""
    import pandas as pd

    columns = ["supplier_name", "supplier_tax_id", "invoices", "subtotal", "tax_amount",
               "total_amount"]
    live = invoices[invoices["status"] != "void"] if len(invoices) else invoices
    rows = []
    for (name, tax_id), group in live.groupby(["supplier_name", "supplier_tax_id"], dropna=False,
                                              sort=True):
        rows.append({
            "supplier_name": name, "supplier_tax_id": tax_id, "invoices": len(group),
            "subtotal": sum(group["subtotal"], money.ZERO),
            "tax_amount": sum(group["tax_amount"], money.ZERO),
            "total_amount": sum(group["total_amount"], money.ZERO),
        })
    return pd.DataFrame(rows, columns=columns)


def save_month_pdfs(conn: Connection, email: str, month: str, out_dir) -> list[str]:
    """Write the PDF of every invoice of a month into ``out_dir``; return the paths."""
    from . import pdf

    access.check(conn, email, "invoices")
    folder = settings.private_dir(out_dir, narrow_existing=False)
    company = load_invoice_settings(conn)
    paths = []
    for number in load_invoices(conn, month)["invoice_number"]:
        path = folder / f"invoice_{number}.pdf"
        path.write_bytes(pdf.render_invoice_pdf(load_invoice(conn, number), company))
        paths.append(str(path))
    return paths
