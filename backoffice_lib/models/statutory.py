"""Tables and columns added by net pay (issue 15, migration 0009; statutory-payroll.md §1–2).

- ``statutory_rates``: dated rates (social security, income-tax deductions and brackets); a month
  is computed with the rows in force on its last day. Admins add rows; every change is audited.
- ``staff_tax_allowances``: per person and tax year, the allowances the employee declared
  (form ล.ย.01) as one amount in baht.
- New columns of ``staff`` (national ID with its check digit, title, first and last name,
  ``sso_insured``, ``joined_on``), appended to the core ``Staff`` table here so that
  ``models/core.py`` stays as it was: importing ``backoffice_lib.models`` (which any import of
  ``models.core`` does first) registers them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import MONEY, NOW, TSTZ, Staff

RATE_VALUE = Numeric(14, 4)
TITLES = ("นาย", "นาง", "นางสาว", "Mr", "Mrs", "Ms")
NATIONAL_ID_CHECK = (
    "national_id ~ '^[0-9]{13}$' AND (11 - ("
    + " + ".join(f"substr(national_id, {i}, 1)::int * {14 - i}" for i in range(1, 13))
    + ") % 11) % 10 = substr(national_id, 13, 1)::int"
)


class StatutoryRate(Base):
    __tablename__ = "statutory_rates"
    __table_args__ = (
        UniqueConstraint("rate_key", "threshold", "effective_from"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("threshold >= 0", name="threshold_not_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rate_key: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[Decimal] = mapped_column(RATE_VALUE, nullable=False)
    threshold: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default=text("0"))
    effective_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)


class StaffTaxAllowance(Base):
    __tablename__ = "staff_tax_allowances"
    __table_args__ = (
        UniqueConstraint("staff_id", "tax_year"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("tax_year BETWEEN 2000 AND 2200", name="tax_year_plausible"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(f"{SCHEMA}.staff.id", ondelete="CASCADE"), nullable=False
    )
    tax_year: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default=text("0"))
    updated_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)


# --- staff columns of the statutory filings (statutory-payroll.md §2) --------------------------
# Declared on the core Staff table from here (core.py is frozen for this issue).
Staff.national_id = mapped_column(Text)
Staff.title = mapped_column(Text)
Staff.first_name = mapped_column(Text)
Staff.last_name = mapped_column(Text)
Staff.sso_insured = mapped_column(Boolean, nullable=False, server_default=text("true"))
Staff.joined_on = mapped_column(Date)
Staff.__table__.append_constraint(
    CheckConstraint(NATIONAL_ID_CHECK, name="national_id_check_digit")
)
Staff.__table__.append_constraint(
    CheckConstraint("title IN (" + ", ".join(f"'{t}'" for t in TITLES) + ")", name="title_known")
)
Index("uq_staff_national_id", Staff.__table__.c.national_id, unique=True,
      postgresql_where=text("national_id IS NOT NULL"))
