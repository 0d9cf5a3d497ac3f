"""The 21 tables of ``backoffice-schema.md``, with the columns of ``schema-additions.md``.

Column names, types, nullability and defaults follow the schema document. Where the document says
``timestamp`` the column is ``timestamptz`` (business-rules §0: timestamps are stored as timestamptz).
Where it says ``uuid_generate_v4()`` the default is core PostgreSQL's ``gen_random_uuid()``.
Rules that need SQL (exclusion constraints, triggers, views) live in the migrations.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Interval,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP, UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base

TSTZ = TIMESTAMP(timezone=True)
MONEY = Numeric(12, 2)
HOURS = Numeric(8, 2)
NOW = text("now()")
RANDOM_UUID = text("gen_random_uuid()")

PACKAGE_TYPE = Enum("Monthly", "Coaching", "Unlimited", name="package_type", schema=SCHEMA)


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=RANDOM_UUID)


class AllowedUser(Base):
    __tablename__ = "allowed_users"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    is_admin: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    is_coach: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    coach_name: Mapped[str | None] = mapped_column(Text)
    coach_display_name: Mapped[str | None] = mapped_column(Text)
    coach_phone: Mapped[str | None] = mapped_column(Text)
    coach_code: Mapped[str | None] = mapped_column(Text, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    updated_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    # issue 27 (migration 0017): may start `backoffice lab` (as admins may)
    is_analyst: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_name: Mapped[str] = mapped_column(Text, nullable=False)
    staff_id: Mapped[str | None] = mapped_column(Text, unique=True)
    pin_hash: Mapped[str] = mapped_column(Text, nullable=False)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=text("true"))
    is_service_charge_eligible: Mapped[bool | None] = mapped_column(
        Boolean, server_default=text("false")
    )
    failed_attempts: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[dt.datetime | None] = mapped_column(TSTZ)
    created_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)
    updated_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)


class PackageType(Base):
    __tablename__ = "package_types"
    __table_args__ = (
        CheckConstraint("hours IS NULL OR hours > 0", name="hours_positive"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    display_name: Mapped[str | None] = mapped_column(String)
    type: Mapped[str | None] = mapped_column(PACKAGE_TYPE)
    hours: Mapped[Decimal | None] = mapped_column(HOURS)
    validity_period: Mapped[dt.timedelta | None] = mapped_column(Interval)
    pax: Mapped[int | None] = mapped_column(SmallInteger)
    display_order: Mapped[int | None] = mapped_column(SmallInteger)


class Package(Base):
    __tablename__ = "packages"
    __table_args__ = (
        Index(None, "customer_id", "expiration_date"),
        CheckConstraint(
            "discount_amount IS NULL OR discount_amount >= 0", name="discount_not_negative"
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    customer_name: Mapped[str] = mapped_column(String, nullable=False)
    package_type_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(f"{SCHEMA}.package_types.id"), nullable=False
    )
    purchase_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    first_use_date: Mapped[dt.date | None] = mapped_column(Date)
    expiration_date: Mapped[dt.date | None] = mapped_column(Date)
    employee_name: Mapped[str | None] = mapped_column(String)
    stable_hash_id: Mapped[str | None] = mapped_column(String)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("customers.id")
    )
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    discount_amount: Mapped[Decimal | None] = mapped_column(MONEY)


class PackageUsage(Base):
    __tablename__ = "package_usage"
    __table_args__ = (
        CheckConstraint("used_hours > 0", name="used_hours_positive"),
        Index(None, "package_id", "used_date"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    package_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.packages.id"), nullable=False
    )
    employee_name: Mapped[str] = mapped_column(String, nullable=False)
    used_hours: Mapped[Decimal] = mapped_column(HOURS, nullable=False)
    used_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    customer_signature_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    updated_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    booking_id: Mapped[str | None] = mapped_column(
        Text, ForeignKey("bookings.id"), unique=True
    )


class TimeEntry(Base):
    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("action IN ('clock_in', 'clock_out')", name="action_known"),
        Index(None, "staff_id", "timestamp"),
        # Monthly partitions (migration 0007, backoffice_lib/history/partitions.py): the key includes
        # the partition column.
        {"schema": SCHEMA, "postgresql_partition_by": 'RANGE ("timestamp")'},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[int | None] = mapped_column(Integer, ForeignKey(f"{SCHEMA}.staff.id"))
    action: Mapped[str] = mapped_column(Text, nullable=False)
    timestamp: Mapped[dt.datetime] = mapped_column(
        TSTZ, primary_key=True, nullable=False, server_default=NOW
    )
    photo_url: Mapped[str | None] = mapped_column(Text)
    photo_captured: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    camera_error: Mapped[str | None] = mapped_column(Text)
    device_info: Mapped[dict | None] = mapped_column(JSONB)


class StaffSchedule(Base):
    __tablename__ = "staff_schedules"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        Index(None, "staff_id", "schedule_date"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    staff_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(f"{SCHEMA}.staff.id"), nullable=False
    )
    schedule_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    start_time: Mapped[dt.time] = mapped_column(Time, nullable=False)
    end_time: Mapped[dt.time] = mapped_column(Time, nullable=False)
    location: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(Text)


class StaffWeeklySchedule(Base):
    __tablename__ = "staff_weekly_schedules"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        CheckConstraint("day_of_week BETWEEN 0 AND 6", name="day_of_week_0_to_6"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    staff_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(f"{SCHEMA}.staff.id"), nullable=False
    )
    day_of_week: Mapped[int] = mapped_column(Integer, nullable=False)
    start_time: Mapped[dt.time] = mapped_column(Time, nullable=False)
    end_time: Mapped[dt.time] = mapped_column(Time, nullable=False)
    location: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=text("true"))


class StaffCompensation(Base):
    __tablename__ = "staff_compensation"
    __table_args__ = (
        CheckConstraint("compensation_type IN ('salary', 'hourly')", name="type_known"),
        CheckConstraint(
            "compensation_type <> 'salary' OR base_salary > 0", name="salary_has_base_salary"
        ),
        CheckConstraint(
            "compensation_type <> 'hourly' OR hourly_rate > 0", name="hourly_has_hourly_rate"
        ),
        CheckConstraint(
            "base_salary >= 0 AND coalesce(hourly_rate, 0) >= 0 AND ot_rate_per_hour >= 0"
            " AND holiday_rate_per_hour >= 0",
            name="rates_not_negative",
        ),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="period_ordered"
        ),
        CheckConstraint(
            "min_hours_for_allowance IS NULL OR min_hours_for_allowance >= 0",
            name="min_hours_not_negative",
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(f"{SCHEMA}.staff.id"), nullable=False, index=True
    )
    compensation_type: Mapped[str | None] = mapped_column(Text, server_default=text("'salary'"))
    base_salary: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default=text("0"))
    hourly_rate: Mapped[Decimal | None] = mapped_column(MONEY, server_default=text("0"))
    ot_rate_per_hour: Mapped[Decimal] = mapped_column(
        MONEY, nullable=False, server_default=text("0")
    )
    holiday_rate_per_hour: Mapped[Decimal] = mapped_column(
        MONEY, nullable=False, server_default=text("0")
    )
    is_service_charge_eligible: Mapped[bool | None] = mapped_column(
        Boolean, server_default=text("false")
    )
    min_hours_for_allowance: Mapped[int | None] = mapped_column(Integer, server_default=text("6"))
    effective_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)


class InvoiceSupplier(Base):
    __tablename__ = "invoice_suppliers"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    address_line1: Mapped[str | None] = mapped_column(Text)
    address_line2: Mapped[str | None] = mapped_column(Text)
    tax_id: Mapped[str | None] = mapped_column(Text, unique=True)
    default_description: Mapped[str | None] = mapped_column(Text)
    default_unit_price: Mapped[Decimal | None] = mapped_column(MONEY)
    bank_name: Mapped[str | None] = mapped_column(Text)
    bank_account: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)
    updated_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(
            "subtotal >= 0 AND tax_amount >= 0 AND total_amount >= 0", name="amounts_not_negative"
        ),
        CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate_percent"),
        CheckConstraint("status IN ('draft', 'issued', 'void')", name="status_known"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    invoice_number: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    # RESTRICT: a supplier with invoices cannot be deleted (business-rules §6).
    supplier_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.invoice_suppliers.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    invoice_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    subtotal: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default=text("0"))
    tax_rate: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), nullable=False, server_default=text("3.00")
    )
    tax_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default=text("0"))
    total_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default=text("0"))
    pdf_file_path: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.allowed_users.id")
    )
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.allowed_users.id")
    )
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'issued'"))
    created_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)
    updated_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)


class InvoiceItem(Base):
    __tablename__ = "invoice_items"
    __table_args__ = (
        CheckConstraint(
            "quantity >= 0 AND unit_price >= 0 AND line_total >= 0", name="amounts_not_negative"
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    invoice_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.invoices.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    description: Mapped[str] = mapped_column(Text, nullable=False)
    quantity: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), nullable=False, server_default=text("1")
    )
    unit_price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    line_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)


class ReconciliationSession(Base):
    __tablename__ = "reconciliation_sessions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('processing', 'completed', 'failed')", name="status_known"
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    admin_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.allowed_users.id")
    )
    reconciliation_type: Mapped[str] = mapped_column(Text, nullable=False)
    file_name: Mapped[str] = mapped_column(Text, nullable=False)
    date_range_start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    date_range_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    total_invoice_items: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    total_pos_records: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    matched_items: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    match_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    variance_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'processing'"))
    total_invoice_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    total_pos_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    variance_percentage: Mapped[Decimal | None] = mapped_column(Numeric(9, 2))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)
    completed_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)


class ReconciliationItem(Base):
    __tablename__ = "reconciliation_items"
    __table_args__ = (
        CheckConstraint(
            "item_type IN ('matched', 'invoice_only', 'pos_only')", name="item_type_known"
        ),
        CheckConstraint(
            "status IN ('unresolved', 'approved', 'disputed', 'adjusted')", name="status_known"
        ),
        CheckConstraint("confidence IS NULL OR confidence BETWEEN 0 AND 1", name="confidence_0_1"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.reconciliation_sessions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    item_type: Mapped[str] = mapped_column(Text, nullable=False)
    match_type: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    invoice_data: Mapped[dict | None] = mapped_column(JSONB)
    pos_data: Mapped[dict | None] = mapped_column(JSONB)
    amount_variance: Mapped[Decimal | None] = mapped_column(MONEY)
    quantity_variance: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'unresolved'"))
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)
    created_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        Index(None, "timestamp"),
        Index(None, "user_email", "timestamp"),
        Index(None, "resource_type", "resource_id"),
        # Monthly partitions (migration 0007): the key includes the partition column.
        {"schema": SCHEMA, "postgresql_partition_by": 'RANGE ("timestamp")'},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_email: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    resource_type: Mapped[str] = mapped_column(Text, nullable=False)
    resource_id: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    ip_address: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    # the database role that wrote the row (migration 0018's trigger, never the writer)
    db_role: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[dt.datetime] = mapped_column(
        TSTZ, primary_key=True, nullable=False, server_default=NOW
    )


class PayrollSetting(Base):
    __tablename__ = "payroll_settings"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    setting_key: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    setting_value: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)


class PublicHoliday(Base):
    __tablename__ = "public_holidays"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holiday_date: Mapped[dt.date] = mapped_column(Date, nullable=False, unique=True)
    holiday_name: Mapped[str] = mapped_column(Text, nullable=False)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=text("true"))


class MonthlyServiceCharge(Base):
    __tablename__ = "monthly_service_charge"
    __table_args__ = (
        CheckConstraint(r"month_year ~ '^\d{4}-(0[1-9]|1[0-2])$'", name="month_year_format"),
        CheckConstraint("total_amount >= 0", name="total_not_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month_year: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    total_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default=text("0"))
    updated_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)


class CoachRate(Base):
    __tablename__ = "coach_rates"
    __table_args__ = (
        CheckConstraint("rate >= 0", name="rate_not_negative"),
        {"schema": SCHEMA},
    )

    rate_type: Mapped[str] = mapped_column(Text, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)


class InvoiceSetting(Base):
    __tablename__ = "invoice_settings"
    __table_args__ = {"schema": SCHEMA}

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)


class StaffAuditLog(Base):
    __tablename__ = "staff_audit_log"
    __table_args__ = (
        CheckConstraint(
            "action_type IN ('created', 'updated', 'pin_changed', 'activated', 'deactivated',"
            " 'locked', 'unlocked', 'deleted')",
            name="action_type_known",
        ),
        CheckConstraint("changed_by_type IN ('admin', 'system')", name="changed_by_type_known"),
        Index(None, "staff_id", "created_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey(f"{SCHEMA}.staff.id", ondelete="SET NULL")
    )
    action_type: Mapped[str] = mapped_column(Text, nullable=False)
    changed_by_type: Mapped[str] = mapped_column(Text, nullable=False)
    changed_by_identifier: Mapped[str] = mapped_column(Text, nullable=False)
    changes_summary: Mapped[str | None] = mapped_column(Text)
    old_data_snapshot: Mapped[dict | None] = mapped_column(JSONB)
    new_data_snapshot: Mapped[dict | None] = mapped_column(JSONB)
    db_role: Mapped[str | None] = mapped_column(Text)  # migration 0018: the writing role
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime | None] = mapped_column(TSTZ, server_default=NOW)



class OwnedExternalTable(Base):
    """Tables of other systems (bookings, POS) that this workbench created because they were
    absent; only these may be dropped when the schema is downgraded."""

    __tablename__ = "owned_external_tables"
    __table_args__ = {"schema": SCHEMA}

    qualified_name: Mapped[str] = mapped_column(Text, primary_key=True)
