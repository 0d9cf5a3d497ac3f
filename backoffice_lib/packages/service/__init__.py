"""Package services (business-rules §4): selling, usage, transfers, extensions, balances.

What the CLI, the notebooks, the jobs and the forms call. Each checks access, validates with
``rules``, reads and writes with ``queries`` and audits, on the caller's connection; none commits.
``service.alerts`` raises the daily alerts, ``service.coaching`` reads coach earnings,
``service.customers`` finds and adds customers (the front desk), ``service.monitor`` reads the
package monitor.

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

from sqlalchemy.engine import Connection

from ... import access, audit, bangkok
from ...money import round_money, to_decimal
from .. import queries
from ..rules import (  # noqa: F401 - the rules callers of the service use, re-exported
    STATUS_COLUMNS,
    USABLE_STATUSES,
    PackageRefused,
    compute_package_snapshot,
    compute_package_status,
    compute_remaining_hours,
    compute_usage_refusal,
    parse_package_id,
)

AREA = "packages"


# --- reads --------------------------------------------------------------------------------------


def iter_package_status(
    conn: Connection, as_of: dt.date | None = None, *, batch_size: int = 5000
) -> Iterator[dict[str, Any]]:
    """Every package with its balance and status as of a Bangkok date (default today), sorted by
    purchase_date, package_id; streamed."""
    return queries.iter_package_status(conn, as_of or bangkok.today(), batch_size=batch_size)


def load_package_status(conn: Connection, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    return list(iter_package_status(conn, as_of))


def copy_package_status_csv(conn: Connection, as_of: dt.date, out) -> int:
    """The status listing as CSV straight from PostgreSQL (COPY) into ``out``; characters written."""
    return queries.copy_package_status_csv(conn, as_of, out)


def load_package(conn: Connection, package_id: uuid.UUID | str, *, lock: bool = False) -> dict[str, Any]:
    """One package with its type, usage total and remaining hours; an unknown id is refused."""
    package_id = parse_package_id(package_id)
    package = queries.load_package(conn, package_id, lock=lock)
    if package is None:
        raise PackageRefused(f"no package {package_id}")
    package["remaining_hours"] = compute_remaining_hours(package["total_hours"], package["used_hours"])
    return package


def load_package_usage(conn: Connection, package_ids: list) -> list[dict[str, Any]]:
    """Usage history of some packages, oldest first, with the linked booking's start time."""
    return queries.load_package_usage(conn, [parse_package_id(i) for i in package_ids])


def load_package_type(conn: Connection, package_type: int | str) -> dict[str, Any]:
    found = queries.load_package_type(conn, package_type)
    if found is None:
        raise PackageRefused(f"no package type {package_type!r}")
    return found


def load_customer_id(conn: Connection, customer_name: str) -> uuid.UUID:
    """The id of the one customer with this name; an unknown or ambiguous name is refused (a
    package must never be left without its customer)."""
    ids = queries.load_customer_ids(conn, customer_name)
    if not ids:
        raise PackageRefused(f"no customer named {customer_name!r}; add the customer first")
    if len(ids) > 1:
        raise PackageRefused(f"several customers are named {customer_name!r}; give the customer id")
    return ids[0]


def _plausible(day: dt.date | None, what: str) -> None:
    """Business dates in the plausible window (bangkok.check_business_date), as a refusal."""
    if day is None:
        return
    try:
        bangkok.check_business_date(day, what)
    except bangkok.BadDate as exc:
        raise PackageRefused(str(exc)) from None


# --- writes -------------------------------------------------------------------------------------


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
    package = queries.save_package(conn, {
        "customer_name": customer_name,
        "customer_id": customer_id,
        "stable_hash_id": stable_hash_id,
        "package_type_id": package_type_row["id"],
        "purchase_date": purchase_date,
        "employee_name": employee_name,
        "discount_amount": discount_amount,
    })
    audit.record(conn, user_email, "CREATE", "packages", package["id"],
                 after=compute_package_snapshot(package))
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
        linked = queries.load_booking_link(conn, booking_id)
        if linked.booking_exists is None:
            raise PackageRefused(f"no booking {booking_id}")
        if linked.used_by is not None:
            raise PackageRefused(f"booking {booking_id} is already recorded on package {linked.used_by}")
    usage, refusal = queries.save_usage(conn, {
        "package_id": package["id"],
        "used_hours": hours,
        "used_date": used_date,
        "employee_name": employee_name.strip(),
        "booking_id": booking_id or None,
        "customer_signature_path": customer_signature_path,
    })
    if refusal:  # the database's own rule (validate_package_usage), e.g. a concurrent usage
        raise PackageRefused(refusal)
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
    return {**usage, "package": after}


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
        to_customer_name = queries.load_customer_name(conn, to_customer_id)
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
    before = compute_package_snapshot(package)
    queries.save_package_changes(conn, package["id"], customer_name=to_customer_name,
                                 customer_id=to_customer_id, stable_hash_id=None)
    after = compute_package_snapshot(load_package(conn, package["id"]))
    audit.record(
        conn, user_email, "TRANSFER", "packages", package["id"],
        before=before, after=after, details={"reason": reason},
    )
    return after


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
    before = compute_package_snapshot(package)
    queries.save_package_changes(conn, package["id"], expiration_date=new_expiration_date)
    after = compute_package_snapshot(load_package(conn, package["id"]))
    audit.record(
        conn, user_email, "EXTEND_EXPIRY", "packages", package["id"],
        before=before, after=after, details={"reason": reason},
    )
    return after


def preview_usage(
    conn: Connection, user_email: str, package_id: uuid.UUID | str, *, hours: Decimal | str,
    used_date: dt.date,
) -> dict[str, Any]:
    """What recording usage would do, before anything is saved: the balance and expiry now and
    after, whether it activates the package, or the reason it is refused (the same rule as
    ``record_usage``). Reads only."""
    access.check(conn, user_email, AREA)
    package = load_package(conn, package_id)
    hours = to_decimal(hours)
    refusal = compute_usage_refusal(package, hours, used_date)
    remaining = package["remaining_hours"]
    activates = package["first_use_date"] is None
    expiration = package["expiration_date"]
    if activates and expiration is None and package["validity_period"] is not None:
        expiration = queries.load_expiry_after_first_use(conn, package["id"], used_date)
    return {
        "package": package,
        "remaining_hours": remaining,
        "remaining_after": None if remaining is None else max(remaining - hours, Decimal(0)),
        "expiration_date": expiration,
        "activates": activates,
        "refusal": refusal,
    }
