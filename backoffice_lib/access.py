"""One access check for every entry point (CLI, notebooks, dashboards): business-rules §8.

Only ``allowed_users`` may use the workbench; admin areas (payroll, invoices, reconciliation,
audit) need ``is_admin``; a coach sees only their own coaching data. A refusal is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import audit, database
from .models.core import AllowedUser

ADMIN_AREAS = frozenset({"payroll", "invoices", "reconciliation", "audit", "staff", "archive"})


class AccessDenied(PermissionError):
    """The acting user may not do this; the message says why, for a person."""


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    is_admin: bool
    is_coach: bool
    coach_code: str | None


def load_user(conn: Connection, email: str | None) -> User | None:
    if not email:
        return None
    table = AllowedUser.__table__
    row = conn.execute(
        sa.select(table.c.id, table.c.email, table.c.is_admin, table.c.is_coach, table.c.coach_code)
        .where(sa.func.lower(table.c.email) == email.strip().lower())
    ).first()
    if row is None:
        return None
    return User(row.id, row.email, bool(row.is_admin), bool(row.is_coach), row.coach_code)


def check(conn: Connection, email: str | None, area: str, *, admin: bool | None = None) -> User:
    """Return the user allowed into ``area``; otherwise audit the refusal on ``conn`` and raise.

    ``admin`` defaults to whether ``area`` is one of the admin areas.
    """
    needs_admin = area in ADMIN_AREAS if admin is None else admin
    user = load_user(conn, email)
    if user is None:
        reason = (
            "no user given: pass --user EMAIL or set BACKOFFICE_USER"
            if not email
            else f"{email} is not an allowed user of the workbench"
        )
    elif needs_admin and not user.is_admin:
        reason = f"{user.email} is not an admin; {area} is for admins only"
    else:
        return user
    audit.record(
        conn,
        email or "(anonymous)",
        "ACCESS_DENIED",
        area,
        details={"reason": reason},
    )
    raise AccessDenied(f"access refused: {reason}")


def require(
    email: str | None, area: str, *, admin: bool | None = None, engine: Engine | None = None
) -> User:
    """``check`` in a transaction of its own, so that a refusal's audit row is kept."""
    refusal: AccessDenied | None = None
    with database.transaction(engine) as conn:
        try:
            return check(conn, email, area, admin=admin)
        except AccessDenied as denied:
            refusal = denied
    raise refusal
