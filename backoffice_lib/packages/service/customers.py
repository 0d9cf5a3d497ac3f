"""The front desk's customers: find one by name, phone, e-mail or code, or add one (§4).

``public.customers`` belongs to the booking system in the studio; the workbench's own database
holds a copy that the front desk may add to (a walk-in buying a package). A new customer needs a
name and a phone or an e-mail (the live system's rule); the code follows the studio's pattern
``CUS00001``. Also here: what the desk opens with, and a customer's packages (with balance and
status), usage and the bookings no usage has recorded yet. Every function checks the user's
access (area ``packages``) in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.engine import Connection

from ... import access, audit, bangkok
from ...staff.service import people
from .. import queries
from ..rules import (
    CustomerError,
    compute_digits,
    compute_new_customer,
    compute_next_code,
    compute_signed_in_staff,
    parse_package_id,
)

AREA = "packages"
SEARCH_LIMIT = 20
RECENT_CUSTOMERS = 25
OPEN_BOOKING_DAYS = 14


def _customer_uuid(customer_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return uuid.UUID(str(customer_id))
    except ValueError:
        raise CustomerError(f"{customer_id!r} is not a customer id") from None


def find_customers(conn: Connection, user_email: str, text: str, *,
                   limit: int = SEARCH_LIMIT) -> list[dict]:
    """Customers whose name, phone, e-mail or code contains ``text`` (active first)."""
    access.check(conn, user_email, AREA, admin=False)
    text = (text or "").strip()
    if not text:
        return []
    return queries.load_customers_matching(conn, text, compute_digits(text), limit=limit)


def load_customer(conn: Connection, user_email: str, customer_id: uuid.UUID | str) -> dict:
    access.check(conn, user_email, AREA, admin=False)
    found = queries.load_customer(conn, _customer_uuid(customer_id))
    if found is None:
        raise CustomerError(f"no customer {customer_id}")
    return found


def create_customer(
    conn: Connection,
    user_email: str,
    customer_name: str,
    *,
    contact_number: str | None = None,
    email: str | None = None,
) -> dict:
    """A new customer with the next code; needs a name and a phone or an e-mail (audited)."""
    access.check(conn, user_email, AREA, admin=False)
    typed = compute_new_customer(customer_name, contact_number, email)
    values = {
        "customer_code": compute_next_code(queries.load_customer_codes(conn)),
        **typed,
        "is_active": True,
    }
    row = queries.save_customer(conn, values)
    audit.record(conn, user_email, "CREATE", "customers", row["id"], after=values)
    return row


def load_customer_packages(
    conn: Connection, user_email: str, customer_id: uuid.UUID | str, as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    """The customer's packages, newest first, with balance and status as of a Bangkok date."""
    access.check(conn, user_email, AREA, admin=False)
    return queries.load_customer_packages(conn, _customer_uuid(customer_id),
                                          as_of or bangkok.today())


def load_open_bookings(
    conn: Connection, user_email: str, customer_id: uuid.UUID | str, *,
    days: int = OPEN_BOOKING_DAYS,
) -> list[dict[str, Any]]:
    """The customer's confirmed bookings of the last ``days`` days that no usage records yet."""
    access.check(conn, user_email, AREA, admin=False)
    today = bangkok.today()
    return queries.load_open_bookings(conn, _customer_uuid(customer_id),
                                      today - dt.timedelta(days=days), today)


def load_front_desk(conn: Connection, user_email: str, recent: int = RECENT_CUSTOMERS) -> dict:
    """What the desk opens with: the recent customers, the package types, the staff names and
    the signed-in user's staff name (None when they are not exactly one staff member)."""
    access.check(conn, user_email, AREA, admin=False)
    return {
        "recent": queries.load_recent_customers(conn, recent),
        "types": queries.load_package_types(conn),
        "staff": list(people.load_staff(conn)["staff_name"]),
        "signed_in": compute_signed_in_staff(queries.load_staff_names_of_user(conn, user_email)),
    }


def load_customer_page(conn: Connection, user_email: str, customer_id: uuid.UUID | str) -> dict:
    """One customer's packages (newest first), their usage (newest first, with the package's
    name) and the bookings no usage has recorded yet."""
    packages = load_customer_packages(conn, user_email, customer_id)
    usage = queries.load_package_usage(conn, [parse_package_id(p["package_id"]) for p in packages])
    names = {p["package_id"]: p["package_type_name"] for p in packages}
    for row in usage:
        row["package_type_name"] = names.get(str(row["package_id"]), "")
    usage.sort(key=lambda r: (r["used_date"], r["created_at"]), reverse=True)
    return {"packages": packages, "usage": usage,
            "bookings": load_open_bookings(conn, user_email, customer_id)}
