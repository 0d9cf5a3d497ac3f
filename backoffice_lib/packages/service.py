"""Customer hour packages (business-rules §4): selling, usage, transfers, extensions, balances.

Pure rules (``compute_*``) take plain values; SQL lives in ``load_*``/``save_*``; the services
(``sell_package``, ``record_usage``, ``transfer_package``, ``extend_package_expiry``) check access,
validate, write and audit on the caller's connection and never commit.

The same usage rules are enforced in the database by ``validate_package_usage()`` (migration
0004), so the booking system and imports obey them too; the library checks first only to give a
clear reason before anything is written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import access, audit, bangkok, spreadsheets
from ..models.core import Package, PackageType, PackageUsage
from ..money import round_money, to_decimal
from .rules import (  # noqa: F401 - the rules, re-exported for callers
    HOUR_COLUMNS,
    STATUS_COLUMNS,
    STATUSES,
    USABLE_STATUSES,
    compute_package_status,
    compute_remaining_hours,
    compute_usage_refusal,
    format_status_row,
)

PACKAGES = Package.__table__
PACKAGE_TYPES = PackageType.__table__
PACKAGE_USAGE = PackageUsage.__table__

AREA = "packages"
class PackageRefused(ValueError):
    """A package operation that the rules refuse; the message says why, for a person."""


# --- data access --------------------------------------------------------------------------------

USAGE_TOTALS_SQL = """
SELECT package_id, sum(used_hours) AS used_hours
  FROM backoffice.package_usage
 GROUP BY package_id
"""

STATUS_FROM = f"""
  FROM backoffice.packages p
  JOIN backoffice.package_types pt ON pt.id = p.package_type_id
  LEFT JOIN ({USAGE_TOTALS_SQL}) u ON u.package_id = p.id
"""
STATUS_ORDER = " ORDER BY p.purchase_date, p.id"
# Hours are numeric(8,2) and their sums keep 2 decimals; the report casts to numeric(12,2) so the
# listing always shows exactly 2 (business-rules §0: hours are reported with 2 decimals).
STATUS_EXPRESSIONS = {
    "package_id": "p.id",
    "customer_name": "p.customer_name",
    "package_type_name": "pt.name",
    "package_category": "pt.type::text",
    "purchase_date": "p.purchase_date",
    "first_use_date": "p.first_use_date",
    "expiration_date": "p.expiration_date",
    "total_hours": "CAST(pt.hours AS numeric(12,2))",
    "used_hours": "CAST(coalesce(u.used_hours, 0) AS numeric(12,2))",
    "remaining_hours": "CAST(CASE WHEN pt.hours IS NOT NULL"
                       " THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END"
                       " AS numeric(12,2))",
    "package_status": "backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours,"
                      " u.used_hours, {as_of})",
}
STATUS_TEXT_COLUMNS = ("customer_name", "package_type_name")
STATUS_SQL = (
    "SELECT "
    + ", ".join(f"{e.format(as_of='CAST(:as_of AS date)')} AS {c}"
                for c, e in STATUS_EXPRESSIONS.items())
    + STATUS_FROM + STATUS_ORDER
)


def compute_status_copy_sql(as_of: dt.date) -> str:
    """COPY of the status listing as CSV (header, empty cells for nulls) for one Bangkok date.

    COPY takes no bind parameters; the date is inlined from a ``datetime.date``, never from text.
    """
    if not isinstance(as_of, dt.date):
        raise TypeError("as_of must be a date")
    literal = f"DATE '{as_of.isoformat()}'"
    select = (  # names typed by people: formula-like text made inert (spreadsheets.inert_sql)
        "SELECT " + ", ".join(
            f"{spreadsheets.inert_sql(e) if c in STATUS_TEXT_COLUMNS else e.format(as_of=literal)}"
            f" AS {c}" for c, e in STATUS_EXPRESSIONS.items())
        + STATUS_FROM + STATUS_ORDER
    )
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)"


STATUS_JSON_SQL = (
    "SELECT json_build_object("
    + ", ".join(f"'{c}', {e.format(as_of='CAST(:as_of AS date)')}"
                for c, e in STATUS_EXPRESSIONS.items())
    + ")::text" + STATUS_FROM + STATUS_ORDER
)


def iter_package_status(
    conn: Connection, as_of: dt.date | None = None, *, batch_size: int = 5000
) -> Iterator[dict[str, Any]]:
    """Every package with its balance and status as of a Bangkok date (default today), sorted by
    purchase_date, package_id: one query, streamed in batches (a server-side cursor)."""
    as_of = as_of or bangkok.today()
    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(
        sa.text(STATUS_SQL), {"as_of": as_of}
    )
    for row in result.mappings():
        yield format_status_row(row)


def copy_package_status_csv(conn: Connection, as_of: dt.date, out) -> int:
    """Stream the status listing as CSV straight from PostgreSQL (COPY) into ``out`` (a text
    stream); return the number of characters written."""
    written = 0
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(compute_status_copy_sql(as_of)) as copy:
            for chunk in copy:
                text = bytes(chunk).decode("utf-8")
                out.write(text)
                written += len(text)
    finally:
        cursor.close()
    return written


def iter_package_status_json(
    conn: Connection, as_of: dt.date, *, batch_size: int = 5000
) -> Iterator[str]:
    """The status listing as one JSON object (text) per package, built by PostgreSQL: numbers stay
    exact (10.00), nulls are null."""
    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(
        sa.text(STATUS_JSON_SQL), {"as_of": as_of}
    )
    for (obj,) in result:
        yield obj


def load_package_status(conn: Connection, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    return list(iter_package_status(conn, as_of))


def load_package_type(conn: Connection, package_type: int | str) -> dict[str, Any]:
    column = PACKAGE_TYPES.c.id if isinstance(package_type, int) else PACKAGE_TYPES.c.name
    row = conn.execute(sa.select(PACKAGE_TYPES).where(column == package_type)).mappings().first()
    if row is None:
        raise PackageRefused(f"no package type {package_type!r}")
    return dict(row)


def load_package(conn: Connection, package_id: uuid.UUID | str, *, lock: bool = False) -> dict[str, Any]:
    """One package with its type and usage totals; ``lock`` takes the row FOR UPDATE."""
    package_id = _package_uuid(package_id)
    query = sa.text(
        """
        SELECT p.*, pt.name AS package_type_name, pt.type::text AS package_category,
               pt.hours AS total_hours, pt.validity_period,
               (SELECT coalesce(sum(u.used_hours), 0) FROM backoffice.package_usage u
                 WHERE u.package_id = p.id) AS used_hours
          FROM backoffice.packages p
          JOIN backoffice.package_types pt ON pt.id = p.package_type_id
         WHERE p.id = :id
        """
        + (" FOR UPDATE OF p" if lock else "")
    )
    row = conn.execute(query, {"id": package_id}).mappings().first()
    if row is None:
        raise PackageRefused(f"no package {package_id}")
    package = dict(row)
    package["remaining_hours"] = compute_remaining_hours(package["total_hours"], package["used_hours"])
    return package


def load_package_usage(conn: Connection, package_ids: list) -> list[dict[str, Any]]:
    """Usage history of some packages, oldest first, with the linked booking's start time."""
    if not package_ids:
        return []
    rows = conn.execute(
        sa.text(
            """
            SELECT u.package_id, u.used_date, u.used_hours, u.employee_name, u.booking_id,
                   b.start_time AS booking_start_time, u.created_at
              FROM backoffice.package_usage u
              LEFT JOIN public.bookings b ON b.id = u.booking_id
             WHERE u.package_id = ANY(:ids)
             ORDER BY u.package_id, u.used_date, u.created_at
            """
        ),
        {"ids": [_package_uuid(i) for i in package_ids]},
    ).mappings()
    return [dict(r) for r in rows]


def _package_uuid(package_id: uuid.UUID | str) -> uuid.UUID:
    if isinstance(package_id, uuid.UUID):
        return package_id
    try:
        return uuid.UUID(str(package_id).strip())
    except ValueError:
        raise PackageRefused(f"{package_id!r} is not a package id") from None


def _package_snapshot(package: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "customer_name", "customer_id", "stable_hash_id", "package_type_id", "purchase_date",
        "first_use_date", "expiration_date", "employee_name", "discount_amount",
    )
    return {k: package.get(k) for k in keys}


def _refusal_from_database(exc: sa.exc.DBAPIError) -> PackageRefused | None:
    """The trigger's 'package usage refused: ...' (check_violation) as a PackageRefused."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) not in ("23514", "23505", "23503"):
        return None
    message = str(getattr(getattr(orig, "diag", None), "message_primary", None) or orig)
    return PackageRefused(message.removeprefix("package usage refused: "))


# --- services -----------------------------------------------------------------------------------


def sell_package(
    conn: Connection,
    user_email: str,
    *,
    customer_name: str,
    package_type: int | str,
    purchase_date: dt.date | None = None,
    employee_name: str | None = None,
    customer_id: uuid.UUID | None = None,
    stable_hash_id: str | None = None,
    discount_amount: Decimal | str | None = None,
) -> dict[str, Any]:
    """Record a sale: the package starts unactivated (no first use, no expiry)."""
    access.check(conn, user_email, AREA)
    customer_name = (customer_name or "").strip()
    if not customer_name:
        raise PackageRefused("a package needs a customer name")
    purchase_date = purchase_date or bangkok.today()
    _plausible(purchase_date, "purchase date")
    if purchase_date > bangkok.today():
        raise PackageRefused(f"purchase date {purchase_date} is in the future")
    if discount_amount is not None:
        discount_amount = round_money(discount_amount)
        if discount_amount < 0:
            raise PackageRefused("a discount cannot be negative")
    package_type_row = load_package_type(conn, package_type)
    values = {
        "customer_name": customer_name,
        "customer_id": customer_id,
        "stable_hash_id": stable_hash_id,
        "package_type_id": package_type_row["id"],
        "purchase_date": purchase_date,
        "employee_name": employee_name,
        "discount_amount": discount_amount,
    }
    row = conn.execute(sa.insert(PACKAGES).values(**values).returning(PACKAGES)).mappings().one()
    package = dict(row)
    audit.record(conn, user_email, "CREATE", "packages", package["id"], after=_package_snapshot(package))
    return package


def record_usage(
    conn: Connection,
    user_email: str,
    package_id: uuid.UUID | str,
    *,
    hours: Decimal | str,
    used_date: dt.date,
    employee_name: str,
    booking_id: str | None = None,
    customer_signature_path: str | None = None,
) -> dict[str, Any]:
    """Record usage, or raise PackageRefused with the reason (§4). The first usage activates the
    package (first_use_date = used_date; the expiry follows from it)."""
    access.check(conn, user_email, AREA)
    hours = to_decimal(hours)
    if not (employee_name or "").strip():
        raise PackageRefused("the employee who records the usage must be named")
    _plausible(used_date, "usage date")
    package = load_package(conn, package_id, lock=True)
    reason = compute_usage_refusal(package, hours, used_date)
    if reason:
        raise PackageRefused(reason)
    if booking_id:
        linked = conn.execute(
            sa.text(
                "SELECT (SELECT 1 FROM public.bookings WHERE id = :b) AS booking_exists,"
                " (SELECT package_id FROM backoffice.package_usage WHERE booking_id = :b) AS used_by"
            ),
            {"b": booking_id},
        ).one()
        if linked.booking_exists is None:
            raise PackageRefused(f"no booking {booking_id}")
        if linked.used_by is not None:
            raise PackageRefused(f"booking {booking_id} is already recorded on package {linked.used_by}")
    try:
        with conn.begin_nested():
            usage = conn.execute(
                sa.insert(PACKAGE_USAGE)
                .values(
                    package_id=package["id"],
                    used_hours=hours,
                    used_date=used_date,
                    employee_name=employee_name.strip(),
                    booking_id=booking_id or None,
                    customer_signature_path=customer_signature_path,
                )
                .returning(PACKAGE_USAGE)
            ).mappings().one()
    except sa.exc.DBAPIError as exc:
        refusal = _refusal_from_database(exc)
        if refusal is None:
            raise
        raise refusal from None
    after = load_package(conn, package["id"])
    details = {
        "package_id": package["id"],
        "used_hours": hours,
        "used_date": used_date,
        "booking_id": booking_id,
        "remaining_hours": after["remaining_hours"],
    }
    if package["first_use_date"] != after["first_use_date"]:
        details["activated"] = {
            "first_use_date": after["first_use_date"],
            "expiration_date": after["expiration_date"],
        }
    audit.record(conn, user_email, "CREATE", "package_usage", usage["id"], after=details)
    return {**dict(usage), "package": after}


def transfer_package(
    conn: Connection,
    user_email: str,
    package_id: uuid.UUID | str,
    *,
    to_customer_name: str | None = None,
    to_customer_id: uuid.UUID | None = None,
    reason: str,
) -> dict[str, Any]:
    """Move a package, with its balance and history, to another customer (admins, with a reason).

    An expired or depleted package has nothing left to give and is not transferred.
    """
    access.check(conn, user_email, AREA, admin=True)
    reason = (reason or "").strip()
    if not reason:
        raise PackageRefused("a transfer needs a reason")
    package = load_package(conn, package_id, lock=True)
    if to_customer_id is not None and not to_customer_name:
        to_customer_name = conn.scalar(
            sa.text("SELECT customer_name FROM public.customers WHERE id = :i"), {"i": to_customer_id}
        )
        if to_customer_name is None:
            raise PackageRefused(f"no customer {to_customer_id}")
    to_customer_name = (to_customer_name or "").strip()
    if not to_customer_name:
        raise PackageRefused("a transfer needs the new customer's name or id")
    if to_customer_id is None:
        to_customer_id = load_customer_id(conn, to_customer_name)
    if to_customer_name == package["customer_name"] and to_customer_id == package["customer_id"]:
        raise PackageRefused("the package already belongs to that customer")
    status = compute_package_status(
        package["first_use_date"], package["expiration_date"], package["total_hours"],
        package["used_hours"], bangkok.today(),
    )
    if status in ("expired", "depleted"):
        raise PackageRefused(f"the package is {status}; there is nothing left to transfer")
    before = _package_snapshot(package)
    conn.execute(
        sa.update(PACKAGES)
        .where(PACKAGES.c.id == package["id"])
        .values(customer_name=to_customer_name, customer_id=to_customer_id, stable_hash_id=None)
    )
    after = _package_snapshot(load_package(conn, package["id"]))
    audit.record(
        conn, user_email, "TRANSFER", "packages", package["id"],
        before=before, after=after, details={"reason": reason},
    )
    return after


def _plausible(day: dt.date | None, what: str) -> None:
    """Business dates in the plausible window (bangkok.check_business_date), as a refusal."""
    if day is None:
        return
    try:
        bangkok.check_business_date(day, what)
    except bangkok.BadDate as exc:
        raise PackageRefused(str(exc)) from None


def load_customer_id(conn: Connection, customer_name: str) -> uuid.UUID:
    """The id of the one customer with this name; an unknown or ambiguous name is refused (a
    package must never be left without its customer)."""
    ids = conn.execute(
        sa.text("SELECT id FROM public.customers WHERE lower(customer_name) = lower(:n)"
                " ORDER BY is_active DESC NULLS LAST, created_at LIMIT 2"),
        {"n": customer_name.strip()},
    ).scalars().all()
    if not ids:
        raise PackageRefused(f"no customer named {customer_name!r}; add the customer first")
    if len(ids) > 1:
        raise PackageRefused(f"several customers are named {customer_name!r}; give the customer id")
    return ids[0]


def extend_package_expiry(
    conn: Connection,
    user_email: str,
    package_id: uuid.UUID | str,
    *,
    new_expiration_date: dt.date,
    reason: str,
) -> dict[str, Any]:
    """Give an activated package a later expiration date (admins, with a reason). The new date is
    a manual expiry: calculate_package_expiration() keeps it."""
    access.check(conn, user_email, AREA, admin=True)
    reason = (reason or "").strip()
    if not reason:
        raise PackageRefused("an extension needs a reason")
    package = load_package(conn, package_id, lock=True)
    if package["first_use_date"] is None:
        raise PackageRefused("the package is not activated yet and does not expire until first use")
    current = package["expiration_date"]
    if current is None:
        raise PackageRefused("the package has no expiration date to extend")
    _plausible(new_expiration_date, "new expiration date")
    if new_expiration_date <= current:
        raise PackageRefused(
            f"the new expiration {new_expiration_date} is not after the current one, {current}"
        )
    before = _package_snapshot(package)
    conn.execute(
        sa.update(PACKAGES)
        .where(PACKAGES.c.id == package["id"])
        .values(expiration_date=new_expiration_date)
    )
    after = _package_snapshot(load_package(conn, package["id"]))
    audit.record(
        conn, user_email, "EXTEND_EXPIRY", "packages", package["id"],
        before=before, after=after, details={"reason": reason},
    )
    return after


def preview_usage(
    conn: Connection, package_id: uuid.UUID | str, *, hours: Decimal | str, used_date: dt.date
) -> dict[str, Any]:
    """What recording usage would do, before anything is saved: the balance and expiry now and
    after, whether it activates the package, or the reason it is refused (the same rule as
    ``record_usage``). Reads only."""
    package = load_package(conn, package_id)
    hours = to_decimal(hours)
    refusal = compute_usage_refusal(package, hours, used_date)
    remaining = package["remaining_hours"]
    activates = package["first_use_date"] is None
    expiration = package["expiration_date"]
    if activates and expiration is None and package["validity_period"] is not None:
        # calculate_package_expiration(): first use + validity − 1 day, with PostgreSQL's own
        # interval arithmetic on the stored interval (a month is not 30 days)
        expiration = conn.scalar(
            sa.text(
                "SELECT (CAST(:d AS date) + pt.validity_period - interval '1 day')::date"
                "  FROM backoffice.packages p"
                "  JOIN backoffice.package_types pt ON pt.id = p.package_type_id WHERE p.id = :id"
            ),
            {"d": used_date, "id": package["id"]},
        )
    return {
        "package": package,
        "remaining_hours": remaining,
        "remaining_after": None if remaining is None else max(remaining - hours, Decimal(0)),
        "expiration_date": expiration,
        "activates": activates,
        "refusal": refusal,
    }
