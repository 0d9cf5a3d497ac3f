"""The front desk's customers: find one by name, phone, e-mail or code, or add one (§4).

``public.customers`` belongs to the booking system in the studio; the workbench's own database
holds a copy that the front desk may add to (a walk-in buying a package). A new customer needs a
name and a phone or an e-mail (the live system's rule); the code follows the studio's pattern
``CUS00001``. Also here: a customer's packages (with balance and status) and their bookings that
no usage has recorded yet, for the usage form.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import access, audit, bangkok
from ..models.external import Customer
from . import service

CUSTOMERS = Customer.__table__
AREA = "packages"
SEARCH_LIMIT = 20
CODE_PATTERN = re.compile(r"^CUS(\d+)$")
CODE_LOCK = 140_014  # advisory lock: one new customer code at a time
CUSTOMER_COLUMNS = ["id", "customer_code", "customer_name", "contact_number", "email", "is_active"]


class CustomerError(ValueError):
    """A customer the front desk cannot add as typed; the message says why."""


def find_customers(conn: Connection, text: str, *, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Customers whose name, phone, e-mail or code contains ``text`` (active first)."""
    text = (text or "").strip()
    if not text:
        return []
    pattern = f"%{text}%"
    digits = re.sub(r"\D", "", text)
    conditions = [
        CUSTOMERS.c.customer_name.ilike(pattern),
        CUSTOMERS.c.email.ilike(pattern),
        CUSTOMERS.c.customer_code.ilike(pattern),
        CUSTOMERS.c.contact_number.ilike(pattern),
    ]
    if len(digits) >= 3:
        conditions.append(
            sa.func.regexp_replace(CUSTOMERS.c.contact_number, r"\D", "", "g").like(f"%{digits}%")
        )
    rows = conn.execute(
        sa.select(*[CUSTOMERS.c[c] for c in CUSTOMER_COLUMNS])
        .where(sa.or_(*conditions))
        .order_by(CUSTOMERS.c.is_active.desc(), CUSTOMERS.c.customer_name, CUSTOMERS.c.id)
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def load_customer(conn: Connection, customer_id: uuid.UUID | str) -> dict:
    row = conn.execute(
        sa.select(*[CUSTOMERS.c[c] for c in CUSTOMER_COLUMNS]).where(
            CUSTOMERS.c.id == uuid.UUID(str(customer_id))
        )
    ).mappings().first()
    if row is None:
        raise CustomerError(f"no customer {customer_id}")
    return dict(row)


def compute_next_code(codes: list[str]) -> str:
    """The next ``CUS00001``-style code after the highest one in use."""
    numbers = [int(m.group(1)) for c in codes if c and (m := CODE_PATTERN.match(c))]
    return f"CUS{max(numbers, default=0) + 1:05d}"


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
    name = (customer_name or "").strip()
    phone = (contact_number or "").strip() or None
    mail = (email or "").strip() or None
    if not name:
        raise CustomerError("a customer needs a name")
    if phone is None and mail is None:
        raise CustomerError("a customer needs a phone number or an e-mail")
    if mail is not None and not re.match(r"^[^@\s]+@[^@\s]+$", mail):
        raise CustomerError(f"{mail!r} is not an e-mail address")
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": CODE_LOCK})
    codes = conn.execute(
        sa.select(CUSTOMERS.c.customer_code).where(CUSTOMERS.c.customer_code.like("CUS%"))
    ).scalars().all()
    values = {
        "customer_code": compute_next_code(list(codes)),
        "customer_name": name,
        "contact_number": phone,
        "email": mail,
        "is_active": True,
    }
    row = conn.execute(
        sa.insert(CUSTOMERS).values(**values).returning(*[CUSTOMERS.c[c] for c in CUSTOMER_COLUMNS])
    ).mappings().one()
    audit.record(conn, user_email, "CREATE", "customers", row["id"], after=values)
    return dict(row)


CUSTOMER_PACKAGES_SQL = (
    "SELECT "
    + ", ".join(
        f"{e.format(as_of='CAST(:as_of AS date)')} AS {c}"
        for c, e in service.STATUS_EXPRESSIONS.items()
    )
    + ", p.discount_amount, p.employee_name"
    + service.STATUS_FROM
    + " WHERE p.customer_id = :customer_id"
    + " ORDER BY p.purchase_date DESC, p.id"
)


def load_customer_packages(
    conn: Connection, customer_id: uuid.UUID | str, as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    """The customer's packages, newest first, with balance and status as of a Bangkok date."""
    rows = conn.execute(
        sa.text(CUSTOMER_PACKAGES_SQL),
        {"customer_id": uuid.UUID(str(customer_id)), "as_of": as_of or bangkok.today()},
    ).mappings()
    return [service.format_status_row(r) for r in rows]


def load_open_bookings(
    conn: Connection, customer_id: uuid.UUID | str, *, days: int = 14
) -> list[dict[str, Any]]:
    """The customer's confirmed bookings of the last ``days`` days that no usage records yet."""
    rows = conn.execute(
        sa.text(
            """
            SELECT b.id, b.date, b.start_time, b.duration, b.booking_type
              FROM public.bookings b
             WHERE b.customer_id = :c AND b.status = 'confirmed'
               AND b.date BETWEEN CAST(:since AS date) AND CAST(:today AS date)
               AND NOT EXISTS (SELECT 1 FROM backoffice.package_usage u WHERE u.booking_id = b.id)
             ORDER BY b.date DESC, b.start_time DESC
            """
        ),
        {
            "c": uuid.UUID(str(customer_id)),
            "since": bangkok.today() - dt.timedelta(days=days),
            "today": bangkok.today(),
        },
    ).mappings()
    return [dict(r) for r in rows]
