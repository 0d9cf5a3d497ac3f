"""The ``archive`` schema (migration 0007): archived time entries and expired packages.

- ``archive.time_entries`` has the columns of ``backoffice.time_entries`` and is partitioned the
  same way: archiving a finalised payroll month detaches that month's partition from the live
  table and attaches it here; restoring does the reverse (``backoffice_lib/history/archive.py``).
- ``archive.packages`` / ``archive.package_usage``: expired packages with their usage, moved row
  by row; ``alerts`` keeps the package's ``package_alerts`` rows as JSON for a restore.
- Views (not declared here): ``archive.time_entries_all``, ``archive.packages_all``,
  ``archive.package_usage_all`` = live ∪ archived; ``backoffice.coach_earnings`` reads the last
  two, so a coaching booking keeps its package rate after the package is archived.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import HOURS, MONEY, NOW, TSTZ

ARCHIVE_SCHEMA = "archive"


class ArchivedTimeEntry(Base):
    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("action IN ('clock_in', 'clock_out')", name="action_known"),
        Index(None, "staff_id", "timestamp"),
        {"schema": ARCHIVE_SCHEMA, "postgresql_partition_by": 'RANGE ("timestamp")'},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    staff_id: Mapped[int | None] = mapped_column(Integer, ForeignKey(f"{SCHEMA}.staff.id"))
    action: Mapped[str] = mapped_column(Text, nullable=False)
    timestamp: Mapped[dt.datetime] = mapped_column(TSTZ, primary_key=True, nullable=False)
    photo_url: Mapped[str | None] = mapped_column(Text)
    photo_captured: Mapped[bool | None] = mapped_column(Boolean)
    camera_error: Mapped[str | None] = mapped_column(Text)
    device_info: Mapped[dict | None] = mapped_column(JSONB)


class ArchivedPackage(Base):
    __tablename__ = "packages"
    __table_args__ = (
        CheckConstraint(
            "discount_amount IS NULL OR discount_amount >= 0", name="discount_not_negative"
        ),
        Index(None, "expiration_date"),
        {"schema": ARCHIVE_SCHEMA},
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_name: Mapped[str] = mapped_column(String, nullable=False)
    package_type_id: Mapped[int] = mapped_column(Integer, nullable=False)
    purchase_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    first_use_date: Mapped[dt.date | None] = mapped_column(Date)
    expiration_date: Mapped[dt.date | None] = mapped_column(Date)
    employee_name: Mapped[str | None] = mapped_column(String)
    stable_hash_id: Mapped[str | None] = mapped_column(String)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False)
    discount_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    alerts: Mapped[list] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    archived_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    archived_by: Mapped[str] = mapped_column(Text, nullable=False)


class ArchivedPackageUsage(Base):
    __tablename__ = "package_usage"
    __table_args__ = (
        CheckConstraint("used_hours > 0", name="used_hours_positive"),
        Index(None, "package_id", "used_date"),
        Index(None, "booking_id"),
        {"schema": ARCHIVE_SCHEMA},
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    package_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{ARCHIVE_SCHEMA}.packages.id", ondelete="CASCADE"),
        nullable=False,
    )
    employee_name: Mapped[str] = mapped_column(String, nullable=False)
    used_hours: Mapped[Decimal] = mapped_column(HOURS, nullable=False)
    used_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    customer_signature_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False)
    booking_id: Mapped[str | None] = mapped_column(Text)
