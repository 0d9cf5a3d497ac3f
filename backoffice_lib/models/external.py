"""Tables the back office reads but does not own: the booking system's and the point of sale's.

The workbench creates them when absent (demo data fills them) and otherwise only reads them.
``public`` is PostgreSQL's default schema, so those tables are declared without a schema (Alembic
reflects the default schema as none).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    Text,
    Time,
    text,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP, UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

TSTZ = TIMESTAMP(timezone=True)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    customer_code: Mapped[str | None] = mapped_column(Text, unique=True)
    customer_name: Mapped[str] = mapped_column(Text, nullable=False)
    contact_number: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=text("now()"))


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (Index(None, "date"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("customers.id")
    )
    customer_name: Mapped[str | None] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date)
    start_time: Mapped[dt.time | None] = mapped_column(Time)
    duration: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    number_of_people: Mapped[int | None] = mapped_column(SmallInteger)
    booking_type: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=text("now()"))


class PosSale(Base):
    __tablename__ = "sales"
    __table_args__ = (Index(None, "sale_date", "sku_number"), {"schema": "pos"})

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    receipt_number: Mapped[str | None] = mapped_column(Text)
    sale_date: Mapped[dt.date | None] = mapped_column(Date)
    sale_time: Mapped[dt.datetime | None] = mapped_column(TSTZ)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    customer_name: Mapped[str | None] = mapped_column(Text)
    product_name: Mapped[str | None] = mapped_column(Text)
    product_category: Mapped[str | None] = mapped_column(Text)
    sku_number: Mapped[str | None] = mapped_column(Text)
    item_cnt: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    item_price_incl_vat: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    is_voided: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
