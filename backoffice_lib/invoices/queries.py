"""The supplier invoices' SQL: settings, suppliers, invoices and their items, numbering.

Each function takes the caller's connection, returns rows or frames and never commits; access
checks, validation and audit rows are the service's (``service.py``).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from .. import bangkok
from ..models.core import Invoice, InvoiceItem, InvoiceSetting, InvoiceSupplier
from ..models.supplier_tax import TaxFiling, WhtCertificate
from .rules import SETTING_DEFAULTS, InvoiceError, format_invoice_number

INVOICES = Invoice.__table__
ITEMS = InvoiceItem.__table__
SUPPLIERS = InvoiceSupplier.__table__
SETTINGS = InvoiceSetting.__table__
# Advisory-lock namespace for invoice numbering (first key); the second key is YYYYMM.
NUMBERING_LOCK_KEY = 6_0001
INVOICE_COLUMNS = ["invoice_number", "invoice_date", "supplier_name", "supplier_tax_id",
                   "subtotal", "tax_rate", "tax_amount", "total_amount", "status", "pdf_file_path",
                   "paid_on"]


def numeric_number_order():
    """SQL ordering of invoice numbers that stays numeric past sequence 999 (**fix**)."""
    return (sa.func.substr(INVOICES.c.invoice_number, 1, 6), sa.func.length(INVOICES.c.invoice_number),
            INVOICES.c.invoice_number)


# --------------------------------------------------------------------------- settings


def load_invoice_settings(conn: Connection) -> dict[str, str]:
    """invoice_settings with the defaults of the rules for missing keys (a row '0' means 0)."""
    values = dict(SETTING_DEFAULTS)
    for key, value in conn.execute(sa.select(SETTINGS.c.key, SETTINGS.c.value)):
        values[key] = value
    return values


def load_setting_value(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.select(SETTINGS.c.value).where(SETTINGS.c.key == key)).scalar()


def save_setting_value(conn: Connection, key: str, value: str) -> None:
    stmt = pg_insert(SETTINGS).values(key=key, value=value)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[SETTINGS.c.key], set_={"value": stmt.excluded.value, "updated_at": sa.func.now()}
        )
    )


# --------------------------------------------------------------------------- suppliers


def load_supplier_row(conn: Connection, supplier_id) -> dict | None:
    try:
        key = uuid.UUID(str(supplier_id))
    except ValueError:
        raise InvoiceError(f"supplier id must be a UUID, not {supplier_id!r}") from None
    row = conn.execute(sa.select(SUPPLIERS).where(SUPPLIERS.c.id == key)).mappings().first()
    return dict(row) if row else None


def load_suppliers(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.select(SUPPLIERS).order_by(SUPPLIERS.c.name)).mappings()
    return [dict(r) for r in rows]


def load_tax_id_owner(conn: Connection, tax_id: str, except_id=None) -> str | None:
    """The name of the supplier holding ``tax_id`` (another than ``except_id``), or None."""
    query = sa.select(SUPPLIERS.c.name).where(SUPPLIERS.c.tax_id == tax_id)
    if except_id is not None:
        query = query.where(SUPPLIERS.c.id != except_id)
    return conn.execute(query).scalar()


def insert_supplier(conn: Connection, values: dict) -> dict:
    return dict(conn.execute(
        sa.insert(SUPPLIERS).values(**values).returning(SUPPLIERS)).mappings().one())


def count_supplier_invoices(conn: Connection, supplier_id) -> int:
    return conn.execute(
        sa.select(sa.func.count()).select_from(INVOICES).where(INVOICES.c.supplier_id == supplier_id)
    ).scalar_one()


def delete_supplier_row(conn: Connection, supplier_id) -> None:
    conn.execute(sa.delete(SUPPLIERS).where(SUPPLIERS.c.id == supplier_id))


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


def insert_invoice(conn: Connection, values: dict, lines: list[dict]):
    """The invoice row and its item lines; returns the invoice's id."""
    invoice_id = conn.execute(
        sa.insert(INVOICES).values(**values).returning(INVOICES.c.id)
    ).scalar_one()
    conn.execute(sa.insert(ITEMS), [{"invoice_id": invoice_id, **line} for line in lines])
    return invoice_id


def load_invoice_row(conn: Connection, number: str) -> dict | None:
    row = conn.execute(
        sa.select(INVOICES).where(INVOICES.c.invoice_number == str(number).strip())
    ).mappings().first()
    return None if row is None else dict(row)


def load_invoice_items(conn: Connection, invoice_id) -> list[dict]:
    """An invoice's items in creation order (items are never updated)."""
    return [
        dict(r)
        for r in conn.execute(
            sa.select(ITEMS.c.description, ITEMS.c.quantity, ITEMS.c.unit_price, ITEMS.c.line_total)
            .where(ITEMS.c.invoice_id == invoice_id)
            .order_by(sa.text("ctid"))  # insertion order; items are never updated
        ).mappings()
    ]


def update_invoice_void(conn: Connection, invoice_id, user_id) -> None:
    conn.execute(
        sa.update(INVOICES)
        .where(INVOICES.c.id == invoice_id)
        .values(status="void", updated_by=user_id, updated_at=sa.func.now())
    )


def load_invoices(conn: Connection, month: str | None = None, *, include_void: bool = True):
    """Invoices (one row each, with supplier name) of a month ``YYYY-MM`` or all, numeric order."""
    query = (
        sa.select(
            INVOICES.c.invoice_number, INVOICES.c.invoice_date, SUPPLIERS.c.name.label("supplier_name"),
            SUPPLIERS.c.tax_id.label("supplier_tax_id"), INVOICES.c.subtotal, INVOICES.c.tax_rate,
            INVOICES.c.tax_amount, INVOICES.c.total_amount, INVOICES.c.status,
            INVOICES.c.pdf_file_path, INVOICES.c.paid_on,
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
    return pd.DataFrame(rows, columns=INVOICE_COLUMNS)


def load_invoice_months(conn: Connection) -> list[str]:
    """The months (YYYY-MM) that have invoices, newest first."""
    month = sa.func.to_char(INVOICES.c.invoice_date, "YYYY-MM")
    return list(conn.execute(sa.select(month).group_by(month).order_by(month.desc())).scalars())


# --------------------------------------------------------------------------- withholding tax
# (supplier-tax.md: the payment date, the supplier's payee data, the 50 ทวิ register, the
# filing register)

CERTIFICATES = WhtCertificate.__table__
FILINGS = TaxFiling.__table__
# Advisory-lock namespace of certificate numbering (first key); the second key is the book.
CERTIFICATE_LOCK_KEY = 6_0002
PAYEE_COLUMNS = ("name", "payee_kind", "tax_id", "branch_no", "title", "first_name", "last_name",
                 "address_line", "subdistrict", "district", "province", "postal_code",
                 "income_type_code", "income_type_label")


def update_supplier_row(conn: Connection, supplier_id, values: dict) -> dict:
    return dict(conn.execute(
        sa.update(SUPPLIERS).where(SUPPLIERS.c.id == supplier_id)
        .values(**values, updated_at=sa.func.now()).returning(SUPPLIERS)).mappings().one())


def update_invoice_paid_on(conn: Connection, invoice_id, paid_on: dt.date | None,
                           user_id) -> None:
    conn.execute(
        sa.update(INVOICES).where(INVOICES.c.id == invoice_id)
        .values(paid_on=paid_on, updated_by=user_id, updated_at=sa.func.now())
    )


def _payments_query():
    """Paid, not void invoices with tax, with their supplier's payee columns."""
    return (
        sa.select(
            INVOICES.c.id.label("invoice_id"), INVOICES.c.invoice_number, INVOICES.c.paid_on,
            INVOICES.c.tax_rate, INVOICES.c.subtotal, INVOICES.c.tax_amount,
            SUPPLIERS.c.id.label("supplier_id"),
            *[SUPPLIERS.c[name] for name in PAYEE_COLUMNS],
        )
        .join(SUPPLIERS, SUPPLIERS.c.id == INVOICES.c.supplier_id)
        .where(INVOICES.c.status != "void", INVOICES.c.paid_on.is_not(None),
               INVOICES.c.tax_amount > 0)
    )


def load_month_payments(conn: Connection, month: str) -> list[dict]:
    """The payments of a month (by ``paid_on``) that go on a withholding form."""
    first, last = bangkok.month_days(month)
    query = _payments_query().where(INVOICES.c.paid_on.between(first, last))
    return [dict(r) for r in conn.execute(query.order_by(INVOICES.c.paid_on,
                                                         *numeric_number_order())).mappings()]


def load_month_certificates(conn: Connection, month: str) -> list[dict]:
    """Every certificate (issued or void) dated in the month, with its invoice's number and the
    number of the certificate it replaces."""
    first, last = bangkok.month_days(month)
    replaced = CERTIFICATES.alias("replaced")
    query = (
        sa.select(CERTIFICATES, INVOICES.c.invoice_number,
                  replaced.c.book.label("replaces_book"),
                  replaced.c.number.label("replaces_number"))
        .join(INVOICES, INVOICES.c.id == CERTIFICATES.c.invoice_id)
        .outerjoin(replaced, replaced.c.id == CERTIFICATES.c.replaces_id)
        .where(CERTIFICATES.c.paid_on.between(first, last))
        .order_by(CERTIFICATES.c.book, CERTIFICATES.c.number)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def load_invoice_certificates(conn: Connection, invoice_ids: list) -> list[dict]:
    """The certificates of some invoices (any month), newest number last."""
    if not invoice_ids:
        return []
    query = (sa.select(CERTIFICATES).where(CERTIFICATES.c.invoice_id.in_(invoice_ids))
             .order_by(CERTIFICATES.c.book, CERTIFICATES.c.number))
    return [dict(r) for r in conn.execute(query).mappings()]


def load_certificate_payments(conn: Connection, invoice_ids: list) -> list[dict]:
    """The payee columns of the invoices of some certificates (a void invoice included)."""
    if not invoice_ids:
        return []
    query = (
        sa.select(
            INVOICES.c.id.label("invoice_id"), INVOICES.c.invoice_number, INVOICES.c.paid_on,
            INVOICES.c.tax_rate, INVOICES.c.subtotal, INVOICES.c.tax_amount,
            SUPPLIERS.c.id.label("supplier_id"), *[SUPPLIERS.c[n] for n in PAYEE_COLUMNS])
        .join(SUPPLIERS, SUPPLIERS.c.id == INVOICES.c.supplier_id)
        .where(INVOICES.c.id.in_(invoice_ids))
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def lock_certificate_books(conn: Connection, books: list[int]) -> dict[int, int]:
    """Lock numbering of the books (transaction-level advisory locks, in book order) and return
    each book's last number given (0 for a new book)."""
    for book in sorted(set(books)):
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:ns, :book)"),
                     {"ns": CERTIFICATE_LOCK_KEY, "book": book})
    if not books:
        return {}
    rows = conn.execute(
        sa.select(CERTIFICATES.c.book, sa.func.max(CERTIFICATES.c.number))
        .where(CERTIFICATES.c.book.in_(sorted(set(books)))).group_by(CERTIFICATES.c.book))
    last = {book: 0 for book in books}
    last.update({book: number for book, number in rows})
    return last


def insert_certificates(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(sa.insert(CERTIFICATES), rows)


def void_issued_certificate(conn: Connection, invoice_id, by: str, reason: str) -> dict | None:
    """Mark the invoice's issued certificate void; returns it (None when there was none)."""
    row = conn.execute(
        sa.update(CERTIFICATES)
        .where(CERTIFICATES.c.invoice_id == invoice_id, CERTIFICATES.c.state == "issued")
        .values(state="void", voided_at=sa.func.now(), voided_by=by, void_reason=reason)
        .returning(CERTIFICATES)).mappings().first()
    return None if row is None else dict(row)


def load_last_void_certificate(conn: Connection, invoice_id) -> dict | None:
    """The invoice's most recent void certificate (what a new one replaces), or None."""
    row = conn.execute(
        sa.select(CERTIFICATES)
        .where(CERTIFICATES.c.invoice_id == invoice_id, CERTIFICATES.c.state == "void")
        .order_by(CERTIFICATES.c.voided_at.desc(), CERTIFICATES.c.book.desc(),
                  CERTIFICATES.c.number.desc()).limit(1)).mappings().first()
    return None if row is None else dict(row)


def save_filing_files(conn: Connection, duty: str, period: str, files: list[dict],
                      by: str) -> dict | None:
    """Record the files made for a duty and period (the filing register); returns the row, or
    None when the duty is recorded as filed (it keeps the files it was filed with)."""
    stmt = pg_insert(FILINGS).values(duty=duty, period=period, files=files,
                                     files_made_at=sa.func.now(), files_made_by=by)
    stmt = stmt.on_conflict_do_update(
        index_elements=[FILINGS.c.duty, FILINGS.c.period],
        set_={"files": stmt.excluded.files, "files_made_at": stmt.excluded.files_made_at,
              "files_made_by": stmt.excluded.files_made_by},
        where=FILINGS.c.filed_on.is_(None))
    row = conn.execute(stmt.returning(FILINGS)).mappings().first()
    return dict(row) if row is not None else None


def load_filing(conn: Connection, duty: str, period: str) -> dict | None:
    row = conn.execute(sa.select(FILINGS).where(FILINGS.c.duty == duty,
                                                FILINGS.c.period == period)).mappings().first()
    return None if row is None else dict(row)


def load_supplier_emails(conn: Connection, supplier_ids: list) -> dict[str, str | None]:
    """supplier id (text) -> its e-mail (where its 50 ทวิ goes; delivery)."""
    if not supplier_ids:
        return {}
    rows = conn.execute(sa.select(SUPPLIERS.c.id, SUPPLIERS.c.email)
                        .where(SUPPLIERS.c.id.in_(list({str(i) for i in supplier_ids}))))
    return {str(r.id): r.email for r in rows}
