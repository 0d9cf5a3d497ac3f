"""Tables and columns added by supplier withholding tax (migration 0019; supplier-tax.md).

- New columns of ``invoice_suppliers`` (§2): payee kind, branch, an individual's title / first /
  last name, the structured address, the income type (code and Thai label); the tax ID gets its
  check digit checked by ``backoffice.thai_tax_id_valid(text)``.
- ``invoices.paid_on``: the Bangkok date the studio paid (§1: the month of the filing).
- ``wht_certificates``: the supplier 50 ทวิ register (§4): book (Buddhist year of the payment) and
  a running number within it, never reused; at most one issued certificate per invoice; a void one
  stays, a replacement points at the one it replaces.
- ``tax_filings``: the filing register of the month's duties (§5, shared with payroll's): the files
  made with their checksums, then the filed date and receipt number.

Appended to the core tables from here (as ``statutory.py`` does for ``staff``), so ``core.py``
stays as it was.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import NOW, TSTZ, Invoice, InvoiceSupplier, uuid_pk

PAYEE_KINDS = ("individual", "juristic")
CERTIFICATE_STATES = ("issued", "void")
FORMS = ("pnd3", "pnd53")
DUTIES = ("sso", "pnd1", "pnd3", "pnd53", "pnd1a", "wht50_employees")
DEFAULT_INCOME_TYPE_CODE = "40(8)"
DEFAULT_INCOME_TYPE_LABEL = "ค่าบริการ / ค่าจ้างทำของ"
TAX_ID_CHECK = "tax_id IS NULL OR backoffice.thai_tax_id_valid(tax_id)"


# --- invoice_suppliers: the payee data of the forms (supplier-tax.md §2) ------------------------
InvoiceSupplier.payee_kind = mapped_column(Text)
InvoiceSupplier.branch_no = mapped_column(Text, nullable=False, server_default=text("'00000'"))
InvoiceSupplier.title = mapped_column(Text)
InvoiceSupplier.first_name = mapped_column(Text)
InvoiceSupplier.last_name = mapped_column(Text)
InvoiceSupplier.address_line = mapped_column(Text)
InvoiceSupplier.subdistrict = mapped_column(Text)
InvoiceSupplier.district = mapped_column(Text)
InvoiceSupplier.province = mapped_column(Text)
InvoiceSupplier.postal_code = mapped_column(Text)
InvoiceSupplier.income_type_code = mapped_column(
    Text, nullable=False, server_default=text(f"'{DEFAULT_INCOME_TYPE_CODE}'"))
InvoiceSupplier.income_type_label = mapped_column(
    Text, nullable=False, server_default=text(f"'{DEFAULT_INCOME_TYPE_LABEL}'"))
for _check, _name in (
    ("payee_kind IN ('individual', 'juristic')", "payee_kind_known"),
    ("branch_no ~ '^[0-9]{5}$'", "branch_no_five_digits"),
    ("postal_code ~ '^[0-9]{5}$'", "postal_code_five_digits"),
    (TAX_ID_CHECK, "tax_id_check_digit"),
):
    InvoiceSupplier.__table__.append_constraint(CheckConstraint(_check, name=_name))

# --- invoices: the payment (supplier-tax.md §1) -------------------------------------------------
Invoice.paid_on = mapped_column(Date)
Index("ix_invoices_paid_on", Invoice.__table__.c.paid_on)


class WhtCertificate(Base):
    """A supplier 50 ทวิ: one per payment (a paid invoice with tax), numbered book/number."""

    __tablename__ = "wht_certificates"
    __table_args__ = (
        UniqueConstraint("book", "number"),
        CheckConstraint("state IN ('issued', 'void')", name="state_known"),
        CheckConstraint("form IN ('pnd3', 'pnd53')", name="form_known"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint(
            "state <> 'void' OR (voided_at IS NOT NULL AND voided_by IS NOT NULL"
            " AND btrim(coalesce(void_reason, '')) <> '')",
            name="void_has_who_when_why",
        ),
        Index(
            "uq_wht_certificates_one_issued_per_invoice",
            "invoice_id",
            unique=True,
            postgresql_where=text("state = 'issued'"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    book: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    invoice_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.invoices.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'issued'"))
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.wht_certificates.id", ondelete="RESTRICT")
    )
    form: Mapped[str] = mapped_column(Text, nullable=False)
    paid_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    voided_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)
    voided_by: Mapped[str | None] = mapped_column(Text)
    void_reason: Mapped[str | None] = mapped_column(Text)


class TaxFiling(Base):
    """One duty of one period (``YYYY-MM``, or ``YYYY`` for the yearly ones): files made, filed."""

    __tablename__ = "tax_filings"
    __table_args__ = (
        UniqueConstraint("duty", "period"),
        CheckConstraint(
            "duty IN ('sso', 'pnd1', 'pnd3', 'pnd53', 'pnd1a', 'wht50_employees')",
            name="duty_known",
        ),
        CheckConstraint(r"period ~ '^\d{4}(-(0[1-9]|1[0-2]))?$'", name="period_format"),
        CheckConstraint("jsonb_typeof(files) = 'array'", name="files_is_a_list"),
        CheckConstraint(
            "filed_on IS NULL OR (filed_by IS NOT NULL AND filed_at IS NOT NULL)",
            name="filed_has_who_and_when",
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    duty: Mapped[str] = mapped_column(Text, nullable=False)
    period: Mapped[str] = mapped_column(Text, nullable=False)
    files: Mapped[list] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    files_made_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)
    files_made_by: Mapped[str | None] = mapped_column(Text)
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    receipt_no: Mapped[str | None] = mapped_column(Text)
    filed_by: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)
