"""Tables added by finance in the browser (issue 13): remembered column mappings of reconciliation
files, and the products each partner sells (what the POS side of its reconciliation counts).

- ``reconciliation_column_mappings``: for a reconciliation type (``restaurant``,
  ``coaching_BOSS``...), which header of its files is which column, as a person mapped it once
  (review dashboard or ``backoffice reconcile --columns``). One row per (type, column).
- ``partner_products``: a partner's products on the point of sale, by product category or by SKU
  (``match_on``); the POS side of that partner's reconciliation counts only these lines.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import NOW, TSTZ, uuid_pk

MAPPED_COLUMNS = ("date", "customer", "product", "sku", "quantity", "amount")
PRODUCT_MATCH_ON = ("category", "sku")


class ReconciliationColumnMapping(Base):
    __tablename__ = "reconciliation_column_mappings"
    __table_args__ = (
        CheckConstraint(
            "column_name IN ('date', 'customer', 'product', 'sku', 'quantity', 'amount')",
            name="column_known",
        ),
        CheckConstraint("btrim(header_text) <> ''", name="header_not_blank"),
        {"schema": SCHEMA},
    )

    reconciliation_type: Mapped[str] = mapped_column(Text, primary_key=True)
    column_name: Mapped[str] = mapped_column(Text, primary_key=True)
    header_text: Mapped[str] = mapped_column(Text, nullable=False)
    updated_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)


class PartnerProduct(Base):
    __tablename__ = "partner_products"
    __table_args__ = (
        CheckConstraint("match_on IN ('category', 'sku')", name="match_on_known"),
        CheckConstraint("btrim(value) <> '' AND value <> '-'", name="value_not_blank"),
        UniqueConstraint("reconciliation_type", "match_on", "value"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    reconciliation_type: Mapped[str] = mapped_column(Text, nullable=False)
    match_on: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
