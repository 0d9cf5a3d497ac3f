"""SQL of ``allowed_users`` (who may sign in) and of the records that keep a user."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...models.core import AllowedUser
from .refusals import in_savepoint

USERS = AllowedUser.__table__
COLUMNS = ["id", "email", "is_admin", "is_coach", "coach_code", "coach_name", "created_at"]


def load_allowed_users(conn: Connection) -> pd.DataFrame:
    rows = conn.execute(
        sa.select(*[USERS.c[c] for c in COLUMNS]).order_by(
            USERS.c.is_admin.desc(), USERS.c.is_coach.desc(), USERS.c.email
        )
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS, dtype=object)


def load_allowed_user(conn: Connection, email: str, *, lock: bool = False) -> Any:
    """The row of a (lower-case) e-mail, locked ``FOR UPDATE`` when asked; None if absent."""
    query = sa.select(*[USERS.c[c] for c in COLUMNS]).where(sa.func.lower(USERS.c.email) == email)
    return conn.execute(query.with_for_update() if lock else query).first()


def load_admin_ids(conn: Connection) -> list:
    """Every admin's id, the rows locked (two admins cannot demote each other at once)."""
    return list(conn.execute(
        sa.select(USERS.c.id).where(USERS.c.is_admin.is_(True)).with_for_update()
    ).scalars().all())


def load_coach_code_owner(conn: Connection, code: str, other_than: Any = None) -> str | None:
    """The e-mail of another user with this coach code, or None."""
    return conn.execute(
        sa.select(USERS.c.email).where(USERS.c.coach_code == code,
                                       USERS.c.id.is_distinct_from(other_than))
    ).scalar()


def load_user_has_records(conn: Connection, user_id: Any) -> bool:
    """Whether invoices or reconciliations name the user (they keep the row)."""
    return bool(conn.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM backoffice.invoices"
            " WHERE created_by = :i OR updated_by = :i)"
            " OR EXISTS (SELECT 1 FROM backoffice.reconciliation_sessions WHERE admin_user_id = :i)"
        ),
        {"i": user_id},
    ).scalar())


def save_new_allowed_user(conn: Connection, values: dict) -> Any:
    """Insert a user (in a savepoint: a refusal of the database is ``DatabaseRefused``)."""
    return in_savepoint(conn, lambda: conn.execute(
        sa.insert(USERS).values(**values).returning(*[USERS.c[c] for c in COLUMNS])).first())


def save_allowed_user(conn: Connection, user_id: Any, values: dict) -> Any:
    return in_savepoint(conn, lambda: conn.execute(
        sa.update(USERS).where(USERS.c.id == user_id).values(**values)
        .returning(*[USERS.c[c] for c in COLUMNS])).first())


def delete_allowed_user(conn: Connection, user_id: Any) -> None:
    in_savepoint(conn, lambda: conn.execute(
        sa.delete(USERS).where(USERS.c.id == user_id).returning(USERS.c.id)).first())
