"""Pure rules of the live import: which live columns are read, how a live row becomes a
workbench row, and which rows are likely to be refused (so they are tried on their own).

Nothing here touches a database. ``live-system.md`` describes the live tables; every conversion
rule has a test in ``tests/importer/test_import_mapping.py``.

Never read: ``staff.clear_pin`` (the PIN in clear text). No list below names it, so no query of
the importer selects it; ``strip_secrets`` removes it (and ``pin_hash``) from any JSON snapshot
that reaches an audit row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ...invoices.rules import thai_id_check_digit_valid
from ...money import round_hours, round_money, to_decimal

UTC = dt.UTC
SECRET_KEYS = frozenset({"clear_pin", "pin_hash", "pin"})


class RowRefused(ValueError):
    """A live row the mapping itself cannot convert; it goes to the quarantine with ``rule``."""

    def __init__(self, rule: str, message: str, columns: tuple[str, ...] = ()):
        super().__init__(message)
        self.rule = rule
        self.columns = columns  # the live columns that could not be read


# --- conversions of single values ----------------------------------------------------------------


def to_aware(moment: dt.datetime | None) -> dt.datetime | None:
    """Live ``timestamp`` columns without a zone hold UTC (the hosted database's clock)."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_START_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def parse_start_time(value: Any) -> dt.time | None:
    """Bookings' text start time ('14:00', '9:30', '14:00:00') as a time of day."""
    if value is None or isinstance(value, dt.time):
        return value
    text = str(value)
    if not text.strip():
        return None
    match = _START_TIME.match(text)
    if match:
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour < 24 and minute < 60 and second < 60:
            return dt.time(hour, minute, second)
    raise RowRefused("booking_start_time_unreadable",
                     f"start_time {text!r} is not a time like 14:00", ("start_time",))


def hours_from_real(value: Any) -> Decimal | None:
    """Bookings' ``duration`` is a real (float) number of hours: 2 decimals, exactly."""
    if value is None:
        return None
    return round_hours(Decimal(repr(value)) if isinstance(value, float) else to_decimal(value))


_COACHING = re.compile(r"^Coaching \((.+)\)$")


def compute_coach_code(booking_type: str | None) -> str | None:
    """'Coaching (Boss)' -> BOSS; 'Coaching (Boss - Ratchavin)' -> RATCHAVIN (the name after the
    dash); anything that is not a coaching booking -> None."""
    match = _COACHING.match((booking_type or "").strip())
    if not match:
        return None
    name = match[1].split(" - ")[-1].strip()
    return name.upper() or None


def convert_booking_type(booking_type: str | None) -> str | None:
    """The workbench reads the coach from ``Coaching (<Coach>)``: a two-name lesson is stored
    with the coach after the dash, so the coach_earnings view finds that coach's code."""
    match = _COACHING.match((booking_type or "").strip())
    if not match or " - " not in match[1]:
        return booking_type
    return f"Coaching ({match[1].split(' - ')[-1].strip()})"


def sku_or_none(sku: str | None) -> str | None:
    """The point of sale writes '-' (or nothing) when a line has no SKU."""
    if sku is None:
        return None
    text = sku.strip()
    return None if text in ("", "-") else text


def voided_flag(value: bool | None) -> bool:
    """``is_voided`` NULL means not voided."""
    return bool(value)


def strip_secrets(value: Any) -> Any:
    """A JSON value without clear PINs or PIN hashes, at any depth."""
    if isinstance(value, dict):
        return {k: strip_secrets(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [strip_secrets(v) for v in value]
    return value


def compute_discount_amount(purchase_price: Any, discount_percentage: Any) -> Decimal | None:
    """The live package's price and discount percent as the workbench's discount in THB."""
    if purchase_price is None or not discount_percentage:
        return None
    return round_money(to_decimal(purchase_price) * to_decimal(discount_percentage) / 100)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- row conversions (live row dict -> workbench row dict) ----------------------------------------


def convert_staff(row: dict) -> dict:
    return {
        "id": row["id"], "staff_name": row["staff_name"], "staff_id": row.get("staff_id"),
        "pin_hash": row["pin_hash"], "is_active": bool(row.get("is_active", True)),
        "is_service_charge_eligible": bool(row.get("is_service_charge_eligible")),
        "failed_attempts": row.get("failed_attempts") or 0,
        "locked_until": to_aware(row.get("locked_until")),
        "created_at": to_aware(row.get("created_at")), "updated_at": to_aware(row.get("updated_at")),
    }


def convert_time_entry(row: dict) -> dict:
    return {
        "id": row["id"], "staff_id": row["staff_id"], "action": row["action"],
        "timestamp": to_aware(row["timestamp"]), "photo_url": row.get("photo_url"),
        "photo_captured": bool(row.get("photo_captured")), "camera_error": row.get("camera_error"),
        "device_info": row.get("device_info"),
    }


def convert_compensation(row: dict) -> dict:
    out = {k: row.get(k) for k in (
        "id", "staff_id", "compensation_type", "base_salary", "hourly_rate", "ot_rate_per_hour",
        "holiday_rate_per_hour", "min_hours_for_allowance", "effective_from", "effective_to")}
    out["is_service_charge_eligible"] = bool(row.get("is_service_charge_eligible"))
    return out


def convert_customer(row: dict) -> dict:
    return {
        "id": row["id"], "customer_code": row.get("customer_code"),
        "customer_name": row.get("customer_name"), "contact_number": row.get("contact_number"),
        "email": row.get("email"),
        "is_active": True if row.get("is_active") is None else bool(row["is_active"]),
        "created_at": to_aware(row.get("created_at")),
    }


def convert_booking(row: dict) -> dict:
    return {
        "id": row["id"], "customer_id": row.get("customer_id"), "customer_name": row.get("name"),
        "date": row.get("date"), "start_time": parse_start_time(row.get("start_time")),
        "duration": hours_from_real(row.get("duration")),
        "number_of_people": row.get("number_of_people"),
        "booking_type": convert_booking_type(row.get("booking_type")),
        "status": row.get("status"), "created_at": to_aware(row.get("created_at")),
    }


def convert_package(row: dict) -> dict:
    discount = row.get("discount_amount")
    if discount is None:
        discount = compute_discount_amount(row.get("purchase_price"), row.get("discount_percentage"))
    return {
        "id": row["id"], "customer_name": row["customer_name"],
        "package_type_id": row["package_type_id"], "purchase_date": row["purchase_date"],
        "first_use_date": row.get("first_use_date"), "expiration_date": row.get("expiration_date"),
        "employee_name": row.get("employee_name"), "stable_hash_id": row.get("stable_hash_id"),
        "customer_id": row.get("customer_id"), "created_at": to_aware(row.get("created_at")),
        "discount_amount": discount,
    }


def convert_usage(row: dict) -> dict:
    return {
        "id": row["id"], "package_id": row["package_id"], "employee_name": row["employee_name"],
        "used_hours": row["used_hours"], "used_date": row["used_date"],
        "customer_signature_path": row.get("customer_signature_path"),
        "created_at": to_aware(row.get("created_at")), "updated_at": to_aware(row.get("updated_at")),
        "booking_id": row.get("booking_id"),
    }


def convert_pos_line(row: dict, *, archived: bool = False) -> dict:
    """A ``pos.lengolf_sales`` line (or a line of its voided archive) as a ``pos.sales`` row."""
    return {
        "id": row["id"], "receipt_number": row.get("receipt_number"),
        "sale_date": row.get("date"), "sale_time": to_aware(row.get("sales_timestamp")),
        "customer_id": row.get("customer_id"), "customer_name": row.get("customer_name"),
        "product_name": row.get("product_name"), "product_category": row.get("product_category"),
        "sku_number": sku_or_none(row.get("sku_number")),
        "item_cnt": row.get("item_cnt"), "item_price_incl_vat": row.get("item_price_incl_vat"),
        "is_voided": True if archived else voided_flag(row.get("is_voided")),
    }


def convert_archived_pos_line(row: dict) -> dict:
    return convert_pos_line(row, archived=True)


STAFF_AUDIT_SHAPE = ("action_type", "changed_by_type", "changed_by_identifier",
                     "old_data_snapshot", "new_data_snapshot", "reason")


def convert_audit_row(row: dict) -> dict:
    """An ``audit_logs`` row; one written in the staff_audit_log shape (its seed columns empty)
    gets them from that shape: user = changed_by_identifier, action = ACTION_TYPE, resource =
    staff, details = before/after snapshots (without PINs), reason and who changed."""
    details = strip_secrets(row.get("details") or {})
    out = {
        "id": row["id"], "user_email": row.get("user_email"), "action": row.get("action"),
        "resource_type": row.get("resource_type"), "resource_id": row.get("resource_id"),
        "details": details, "ip_address": row.get("ip_address"),
        "user_agent": row.get("user_agent"), "timestamp": to_aware(row.get("timestamp")),
    }
    other_shape = any(not _blank(row.get(k)) for k in STAFF_AUDIT_SHAPE)
    if other_shape and (_blank(out["user_email"]) or _blank(out["action"])
                        or _blank(out["resource_type"])):
        converted = dict(details)
        if row.get("old_data_snapshot") is not None:
            converted["before"] = strip_secrets(row["old_data_snapshot"])
        if row.get("new_data_snapshot") is not None:
            converted["after"] = strip_secrets(row["new_data_snapshot"])
        for key in ("reason", "changed_by_type"):
            if not _blank(row.get(key)):
                converted[key] = row[key]
        converted["converted_from"] = "staff_audit_log shape"
        snapshot = row.get("new_data_snapshot") or row.get("old_data_snapshot") or {}
        out["user_email"] = out["user_email"] if not _blank(out["user_email"]) else row.get(
            "changed_by_identifier")
        out["action"] = out["action"] if not _blank(out["action"]) else (
            (row.get("action_type") or "").upper() or None)
        out["resource_type"] = out["resource_type"] if not _blank(out["resource_type"]) else "staff"
        if _blank(out["resource_id"]) and isinstance(snapshot, dict) and snapshot.get("id"):
            out["resource_id"] = str(snapshot["id"])
        out["details"] = converted
    if out["timestamp"] is None:
        out["timestamp"] = to_aware(row.get("created_at"))
    return out


def convert_staff_audit_row(row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "staff_id", "action_type", "changed_by_type",
                                   "changed_by_identifier", "changes_summary", "reason")}
    out["old_data_snapshot"] = strip_secrets(row.get("old_data_snapshot"))
    out["new_data_snapshot"] = strip_secrets(row.get("new_data_snapshot"))
    out["created_at"] = to_aware(row.get("created_at"))
    return out


def convert_supplier(row: dict) -> dict:
    """A supplier as the live system holds it; a tax ID typed with spaces or dashes keeps its 13
    digits when they pass the check digit. One that fails the check stays as it is: the database
    refuses it and the supplier waits in the quarantine with its invoices, named, for a person
    to correct (the workbench never guesses a tax ID, nor drops one)."""
    converted = _copy(_SUPPLIERS, ("created_at", "updated_at"))(row)
    tax_id = converted.get("tax_id")
    if isinstance(tax_id, str):
        digits = re.sub(r"[\s-]", "", tax_id)
        if digits != tax_id and thai_id_check_digit_valid(digits):
            converted["tax_id"] = digits
        elif not digits:
            converted["tax_id"] = None
    return converted


def _copy(columns: Iterable[str], aware: Iterable[str] = ()) -> Callable[[dict], dict]:
    columns, aware = tuple(columns), frozenset(aware)

    def convert(row: dict) -> dict:
        return {c: to_aware(row.get(c)) if c in aware else row.get(c) for c in columns}

    return convert


# --- the tables, in the order the rules need -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TableSpec:
    """One live table and where it goes.

    ``read``: the live columns selected (explicitly; the key first); ``required_columns``: those
    without which the table is not the live shape; ``columns``: the workbench columns written;
    ``order``: insertion order (rules that look at earlier rows need it); ``parents``: (column,
    parent table name) pairs: a row whose parent is quarantined is quarantined with it.
    """

    name: str
    source: str
    target: str
    read: tuple[str, ...]
    columns: tuple[str, ...]
    convert: Callable[[dict], dict]
    required_columns: tuple[str, ...] = ()
    key: str = "id"
    pk: str = "id"
    keep_ids: bool = True
    required: bool = False
    order: tuple[str, ...] = ("id",)
    parents: tuple[tuple[str, str], ...] = ()
    jsonb: tuple[str, ...] = ()
    casts: dict = dataclasses.field(default_factory=dict)


STAFF_COLUMNS = ("id", "staff_name", "staff_id", "pin_hash", "is_active",
                 "is_service_charge_eligible", "failed_attempts", "locked_until", "created_at",
                 "updated_at")
POS_READ = ("id", "date", "sales_timestamp", "receipt_number", "sku_number", "item_cnt",
            "item_price_incl_vat", "is_voided", "customer_id", "customer_name", "product_name",
            "product_category")
POS_COLUMNS = ("id", "receipt_number", "sale_date", "sale_time", "customer_id", "customer_name",
               "product_name", "product_category", "sku_number", "item_cnt",
               "item_price_incl_vat", "is_voided")

_ALLOWED_USERS = ("id", "email", "is_admin", "is_coach", "coach_name", "coach_display_name",
                  "coach_phone", "coach_code", "created_at", "updated_at")
_WEEKLY = ("id", "staff_id", "day_of_week", "start_time", "end_time", "location", "is_active")
_SHIFTS = ("id", "staff_id", "schedule_date", "start_time", "end_time", "location", "notes",
           "created_by")
_COMP = ("id", "staff_id", "compensation_type", "base_salary", "hourly_rate", "ot_rate_per_hour",
         "holiday_rate_per_hour", "is_service_charge_eligible", "min_hours_for_allowance",
         "effective_from", "effective_to")
_TIME = ("id", "staff_id", "action", "timestamp", "photo_url", "photo_captured", "camera_error",
         "device_info")
_PACKAGE_TYPES = ("id", "name", "display_name", "type", "hours", "validity_period", "pax",
                  "display_order")
_PACKAGES_OUT = ("id", "customer_name", "package_type_id", "purchase_date", "first_use_date",
                 "expiration_date", "employee_name", "stable_hash_id", "customer_id", "created_at",
                 "discount_amount")
_USAGE = ("id", "package_id", "employee_name", "used_hours", "used_date",
          "customer_signature_path", "created_at", "updated_at", "booking_id")
_SUPPLIERS = ("id", "name", "address_line1", "address_line2", "tax_id", "default_description",
              "default_unit_price", "bank_name", "bank_account", "created_at", "updated_at")
_INVOICES = ("id", "invoice_number", "supplier_id", "invoice_date", "subtotal", "tax_rate",
             "tax_amount", "total_amount", "pdf_file_path", "created_by", "updated_by", "status",
             "created_at", "updated_at")
_ITEMS = ("id", "invoice_id", "description", "quantity", "unit_price", "line_total")
_AUDIT = ("id", "user_email", "action", "resource_type", "resource_id", "details", "ip_address",
          "user_agent", "timestamp")
_SESSIONS = ("id", "admin_user_id", "reconciliation_type", "file_name", "date_range_start",
             "date_range_end", "total_invoice_items", "total_pos_records", "matched_items",
             "match_rate", "variance_amount", "status", "total_invoice_amount",
             "total_pos_amount", "variance_percentage", "error_message", "created_at",
             "completed_at")
_RECONCILED = ("id", "session_id", "item_type", "match_type", "confidence", "invoice_data",
               "pos_data", "amount_variance", "quantity_variance", "status", "resolution_notes",
               "resolved_by", "resolved_at", "created_at")
_STAFF_AUDIT = ("id", "staff_id", "action_type", "changed_by_type", "changed_by_identifier",
                "changes_summary", "old_data_snapshot", "new_data_snapshot", "reason", "created_at")

TABLES: tuple[TableSpec, ...] = (
    TableSpec("allowed_users", "backoffice.allowed_users", "backoffice.allowed_users",
              _ALLOWED_USERS, _ALLOWED_USERS, _copy(_ALLOWED_USERS, ("created_at", "updated_at")),
              required_columns=("id", "email")),
    TableSpec("staff", "backoffice.staff", "backoffice.staff", STAFF_COLUMNS, STAFF_COLUMNS,
              convert_staff, required_columns=("id", "staff_name", "pin_hash"), required=True),
    TableSpec("staff_compensation", "backoffice.staff_compensation",
              "backoffice.staff_compensation", _COMP, _COMP, convert_compensation,
              required_columns=("id", "staff_id", "effective_from"), required=True,
              order=("staff_id", "effective_from", "id"), parents=(("staff_id", "staff"),)),
    TableSpec("staff_weekly_schedules", "backoffice.staff_weekly_schedules",
              "backoffice.staff_weekly_schedules", _WEEKLY, _WEEKLY, _copy(_WEEKLY),
              required_columns=("id", "staff_id"), parents=(("staff_id", "staff"),)),
    TableSpec("staff_schedules", "backoffice.staff_schedules", "backoffice.staff_schedules",
              _SHIFTS, _SHIFTS, _copy(_SHIFTS), required_columns=("id", "staff_id"),
              order=("staff_id", "schedule_date", "start_time", "id"),
              parents=(("staff_id", "staff"),)),
    TableSpec("time_entries", "backoffice.time_entries", "backoffice.time_entries", _TIME, _TIME,
              convert_time_entry, required_columns=("id", "staff_id", "action", "timestamp"),
              required=True, order=("staff_id", "timestamp", "id"),
              parents=(("staff_id", "staff"),), jsonb=("device_info",)),
    TableSpec("public_holidays", "backoffice.public_holidays", "backoffice.public_holidays",
              ("id", "holiday_date", "holiday_name", "is_active"),
              ("id", "holiday_date", "holiday_name", "is_active"),
              _copy(("id", "holiday_date", "holiday_name", "is_active"))),
    TableSpec("payroll_settings", "backoffice.payroll_settings", "backoffice.payroll_settings",
              ("id", "setting_key", "setting_value", "description", "updated_at"),
              ("id", "setting_key", "setting_value", "description", "updated_at"),
              _copy(("id", "setting_key", "setting_value", "description", "updated_at"),
                    ("updated_at",))),
    TableSpec("monthly_service_charge", "backoffice.monthly_service_charge",
              "backoffice.monthly_service_charge",
              ("id", "month_year", "total_amount", "updated_at"),
              ("id", "month_year", "total_amount", "updated_at"),
              _copy(("id", "month_year", "total_amount", "updated_at"), ("updated_at",))),
    TableSpec("package_types", "backoffice.package_types", "backoffice.package_types",
              _PACKAGE_TYPES, _PACKAGE_TYPES, _copy(_PACKAGE_TYPES),
              required_columns=("id", "name"), required=True,
              casts={"type": "text"}),
    TableSpec("customers", "public.customers", "public.customers",
              ("id", "customer_code", "customer_name", "contact_number", "email", "is_active",
               "created_at"),
              ("id", "customer_code", "customer_name", "contact_number", "email", "is_active",
               "created_at"),
              convert_customer, required_columns=("id", "customer_name"), required=True),
    TableSpec("bookings", "public.bookings", "public.bookings",
              ("id", "customer_id", "name", "date", "start_time", "duration", "number_of_people",
               "booking_type", "status", "created_at"),
              ("id", "customer_id", "customer_name", "date", "start_time", "duration",
               "number_of_people", "booking_type", "status", "created_at"),
              convert_booking, required_columns=("id", "name", "start_time"), required=True,
              order=("date", "id"), parents=(("customer_id", "customers"),),
              casts={"start_time": "text", "duration": "float8"}),
    TableSpec("packages", "backoffice.packages", "backoffice.packages",
              (*_PACKAGES_OUT[:-1], "purchase_price", "discount_percentage", "discount_amount"),
              _PACKAGES_OUT, convert_package,
              required_columns=("id", "package_type_id", "purchase_date"), required=True,
              order=("purchase_date", "id"),
              parents=(("package_type_id", "package_types"), ("customer_id", "customers"))),
    TableSpec("package_usage", "backoffice.package_usage", "backoffice.package_usage",
              _USAGE, _USAGE, convert_usage,
              required_columns=("id", "package_id", "used_hours", "used_date"), required=True,
              order=("package_id", "used_date", "created_at", "id"),
              parents=(("package_id", "packages"), ("booking_id", "bookings"))),
    TableSpec("coach_rates", "backoffice.coach_rates", "backoffice.coach_rates",
              ("rate_type", "rate"), ("rate_type", "rate"), _copy(("rate_type", "rate")),
              key="rate_type", pk="rate_type", order=("rate_type",)),
    TableSpec("invoice_settings", "backoffice.invoice_settings", "backoffice.invoice_settings",
              ("key", "value", "updated_at"), ("key", "value", "updated_at"),
              _copy(("key", "value", "updated_at"), ("updated_at",)), key="key", pk="key",
              order=("key",)),
    TableSpec("invoice_suppliers", "backoffice.invoice_suppliers", "backoffice.invoice_suppliers",
              _SUPPLIERS, _SUPPLIERS, convert_supplier),
    TableSpec("invoices", "backoffice.invoices", "backoffice.invoices", _INVOICES, _INVOICES,
              _copy(_INVOICES, ("created_at", "updated_at")), order=("invoice_date", "id"),
              parents=(("supplier_id", "invoice_suppliers"),)),
    TableSpec("invoice_items", "backoffice.invoice_items", "backoffice.invoice_items", _ITEMS,
              _ITEMS, _copy(_ITEMS), parents=(("invoice_id", "invoices"),)),
    # a reconciliation's sessions and items with their statuses (an item's review decision:
    # unresolved, approved, disputed, adjusted; who resolved it, when, and the notes)
    TableSpec("reconciliation_sessions", "backoffice.reconciliation_sessions",
              "backoffice.reconciliation_sessions", _SESSIONS, _SESSIONS,
              _copy(_SESSIONS, ("created_at", "completed_at")),
              required_columns=("id", "reconciliation_type", "status"),
              order=("created_at", "id"), parents=(("admin_user_id", "allowed_users"),)),
    TableSpec("reconciliation_items", "backoffice.reconciliation_items",
              "backoffice.reconciliation_items", _RECONCILED, _RECONCILED,
              _copy(_RECONCILED, ("resolved_at", "created_at")),
              required_columns=("id", "session_id", "item_type", "status"),
              order=("session_id", "created_at", "id"),
              parents=(("session_id", "reconciliation_sessions"),),
              jsonb=("invoice_data", "pos_data")),
    TableSpec("lengolf_sales", "pos.lengolf_sales", "pos.sales", POS_READ, POS_COLUMNS,
              convert_pos_line, required_columns=("id", "date", "item_price_incl_vat"),
              required=True),
    TableSpec("lengolf_sales_voided_archive", "pos.lengolf_sales_voided_archive", "pos.sales",
              POS_READ, POS_COLUMNS, convert_archived_pos_line,
              required_columns=("id", "date", "item_price_incl_vat")),
    TableSpec("audit_logs", "backoffice.audit_logs", "backoffice.audit_logs",
              (*_AUDIT, "created_at", *STAFF_AUDIT_SHAPE), _AUDIT, convert_audit_row,
              required_columns=("id",), order=("timestamp", "id"), jsonb=("details",)),
    TableSpec("staff_audit_log", "backoffice.staff_audit_log", "backoffice.staff_audit_log",
              _STAFF_AUDIT, _STAFF_AUDIT, convert_staff_audit_row, required_columns=("id",),
              keep_ids=False, order=("created_at", "id"), parents=(("staff_id", "staff"),),
              jsonb=("old_data_snapshot", "new_data_snapshot")),
)

TABLES_BY_NAME = {spec.name: spec for spec in TABLES}


# --- planning: groups that stand or fall together, and rows likely refused -------------------------

FIVE_MINUTES = dt.timedelta(minutes=5)
ONE_MINUTE = dt.timedelta(minutes=1)


@dataclasses.dataclass
class Plan:
    """Per row (in insertion order): its group number and the rule it will probably break."""

    groups: list[int]
    suspects: list[str | None]


def plan_time_entries(rows: list[dict], last_known: dict | None = None,
                      now: dt.datetime | None = None) -> Plan:
    """Rows sorted by (staff_id, timestamp). A clock_in and the clock_out that follows it form
    one group (a session is imported whole or not at all). A group is suspect when one of its
    entries repeats the previous accepted action, lies within 1 minute of the previous accepted
    entry, or lies more than 5 minutes in the future. ``last_known``: staff_id -> (action,
    timestamp) already in the workbench."""
    now = now or dt.datetime.now(UTC)
    last_known = dict(last_known or {})
    groups: list[int] = []
    suspects: list[str | None] = []
    group = -1
    previous_staff = object()
    for index, row in enumerate(rows):
        starts = (row["staff_id"] != previous_staff or row["action"] != "clock_out"
                  or rows[index - 1]["action"] != "clock_in")
        if starts:
            group += 1
        previous_staff = row["staff_id"]
        groups.append(group)
        suspects.append(None)
    # judge each group against the entries accepted before it
    start = 0
    while start < len(rows):
        end = start
        while end + 1 < len(rows) and groups[end + 1] == groups[start]:
            end += 1
        staff = rows[start]["staff_id"]
        last = last_known.get(staff)
        rule = None
        for row in rows[start:end + 1]:
            if row["action"] not in ("clock_in", "clock_out"):
                rule = "time_entry_action_unknown"
            elif row["timestamp"] > now + FIVE_MINUTES:
                rule = "time_entry_in_future"
            elif last is not None and last[0] == row["action"]:
                rule = "time_entry_alternation"
            elif last is not None and abs(row["timestamp"] - last[1]) < ONE_MINUTE:
                rule = "time_entry_within_one_minute"
            if rule:
                break
            last = (row["action"], row["timestamp"])
        if rule:
            for i in range(start, end + 1):
                suspects[i] = rule
        else:
            last_known[staff] = last
        start = end + 1
    return Plan(groups, suspects)


def plan_compensation(rows: list[dict], existing: dict | None = None) -> Plan:
    """Rows sorted by (staff_id, effective_from). A row overlapping a row accepted before it (or
    one already in the workbench: ``existing`` staff_id -> [(from, to)]) is suspect."""
    accepted: dict[Any, list[tuple[dt.date, dt.date | None]]] = {
        k: list(v) for k, v in (existing or {}).items()}
    suspects: list[str | None] = []
    for row in rows:
        start, end = row["effective_from"], row["effective_to"]
        rule = None
        for other_start, other_end in accepted.get(row["staff_id"], []):
            if start <= (other_end or dt.date.max) and other_start <= (end or dt.date.max):
                rule = "pay_rate_overlap"
                break
        if rule is None:
            accepted.setdefault(row["staff_id"], []).append((start, end))
        suspects.append(rule)
    return Plan(list(range(len(rows))), suspects)


def plan_package_usage(rows: list[dict], packages: dict, bookings: set | None = None,
                       used_bookings: set | None = None) -> Plan:
    """Rows sorted by (package_id, used_date). ``packages``: package_id -> dict(hours,
    purchase_date, expiration_date, used) with what the workbench already holds. A usage beyond
    the balance, before the purchase, after the expiry, or of a booking already used or unknown
    is suspect."""
    used = {k: v.get("used") or Decimal(0) for k, v in packages.items()}
    seen_bookings = set(used_bookings or ())
    suspects: list[str | None] = []
    for row in rows:
        package = packages.get(row["package_id"])
        rule = None
        hours = row["used_hours"]
        if package is None:
            rule = "missing_reference"
        elif hours is None or hours <= 0:
            rule = "check_failed"
        elif row["used_date"] < package["purchase_date"]:
            rule = "package_usage_before_purchase"
        elif package.get("expiration_date") and row["used_date"] > package["expiration_date"]:
            rule = "package_usage_after_expiry"
        elif package.get("hours") is not None and hours > package["hours"] - used[row["package_id"]]:
            rule = "package_overuse"
        elif row.get("booking_id") and row["booking_id"] in seen_bookings:
            rule = "booking_used_twice"
        elif row.get("booking_id") and bookings is not None and row["booking_id"] not in bookings:
            rule = "booking_missing"
        if rule is None:
            used[row["package_id"]] = used[row["package_id"]] + hours
            if row.get("booking_id"):
                seen_bookings.add(row["booking_id"])
        suspects.append(rule)
    return Plan(list(range(len(rows))), suspects)


def plan_audit_rows(rows: list[dict]) -> Plan:
    """Audit rows without user, action or resource type are refused by NOT NULL."""
    suspects = [
        "audit_row_incomplete" if any(_blank(r.get(k)) for k in ("user_email", "action",
                                                                   "resource_type", "timestamp"))
        else None
        for r in rows
    ]
    return Plan(list(range(len(rows))), suspects)


# --- refusals: the database's message as a rule and a fix ------------------------------------------

RULE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"already has a (clock_in|clock_out) before", "time_entry_alternation"),
    (r"within 1 minute", "time_entry_within_one_minute"),
    (r"is inactive", "staff_inactive"),
    (r"in the future", "time_entry_in_future"),
    (r"h requested but only .* h remain", "package_overuse"),
    (r"expired on", "package_usage_after_expiry"),
    (r"before the purchase", "package_usage_before_purchase"),
    (r"would end the package", "package_usage_before_first_use"),
    (r"payroll for the month|finalised payroll month", "payroll_month_finalised"),
    (r"ex_staff_compensation_no_overlap", "pay_rate_overlap"),
    (r"ex_staff_schedules_no_overlap", "shift_overlap"),
    (r"uq_package_usage_booking_id", "booking_used_twice"),
    (r"fk_package_usage_booking_id", "booking_missing"),
    (r"month_year", "month_out_of_range"),
    (r"tax_id_check_digit", "tax_id_check_digit"),
)
SQLSTATE_RULES = {
    "23502": "missing_required_value", "23505": "duplicate_value", "23503": "missing_reference",
    "23514": "check_failed", "23P01": "overlap", "22007": "bad_value", "22008": "bad_value",
    "22P02": "bad_value", "22003": "bad_value", "42501": "payroll_month_finalised",
}

FIXES = {
    "time_entry_alternation": ("add_missing_clock_out", "add the missing clock-out"),
    "pay_rate_overlap": ("close_pay_rate", "close the overlapping pay-rate row"),
    "package_overuse": ("accept_overuse", "accept the over-use as an adjustment"),
}


def compute_rule(sqlstate: str | None, message: str, constraint: str | None = None) -> str:
    """The rule a database refusal stands for (a name a reviewer can group by)."""
    text = f"{message} {constraint or ''}"
    for pattern, rule in RULE_PATTERNS:
        if re.search(pattern, text):
            return rule
    return SQLSTATE_RULES.get(sqlstate or "", "refused")


def compute_fix(rule: str) -> tuple[str, str] | None:
    """(fix id, label) the workbench offers for a rule, else None (retry or dismiss)."""
    return FIXES.get(rule)
