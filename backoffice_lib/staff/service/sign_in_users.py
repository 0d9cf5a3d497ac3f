"""Who may sign in to the workbench: ``allowed_users`` (business-rules §5, §8).

Admins add and remove users and set the admin and coach flags; a coach needs a unique coach code
(upper case: it is how ``coach_earnings`` links a coach to their bookings). **The last admin cannot
be removed or demoted**: checked here with the admins locked (so two admins cannot demote each
other at once), and by the database trigger ``guard_last_admin`` (migration 0013) for every writer.

Service functions take the caller's connection, check access, never commit, and audit each change.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ... import access, audit
from ...models.core import AllowedUser

USERS = AllowedUser.__table__
AREA = "allowed_users"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COACH_CODE = re.compile(r"^[A-Z0-9_]{2,20}$")
COLUMNS = ["id", "email", "is_admin", "is_coach", "coach_code", "coach_name", "created_at"]
SNAPSHOT = ("email", "is_admin", "is_coach", "coach_code", "coach_name")


class SignInUserError(ValueError):
    """A change to who may sign in that a person can fix; the message says why."""


def _snapshot(row: Any) -> dict:
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return {k: mapping[k] for k in SNAPSHOT}


def compute_email(value: str) -> str:
    email = (value or "").strip().lower()
    if not EMAIL.match(email):
        raise SignInUserError(f"{value!r} is not an e-mail address")
    return email


def parse_coach_code(value: str | None) -> str | None:
    """A coach code as typed ('boss ' -> 'BOSS', '' -> None), refused unless 2-20 letters,
    digits or _ (not the coach code read from a booking type: importer.mapping)."""
    code = (value or "").strip().upper() or None
    if code is not None and not COACH_CODE.match(code):
        raise SignInUserError(
            f"a coach code is 2-20 letters, digits or _ (such as BOSS), not {value!r}"
        )
    return code


def load_allowed_users(conn: Connection) -> pd.DataFrame:
    rows = conn.execute(
        sa.select(*[USERS.c[c] for c in COLUMNS]).order_by(
            USERS.c.is_admin.desc(), USERS.c.is_coach.desc(), USERS.c.email
        )
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS, dtype=object)


def _load(conn: Connection, email: str) -> Any:
    row = conn.execute(
        sa.select(*[USERS.c[c] for c in COLUMNS])
        .where(sa.func.lower(USERS.c.email) == compute_email(email))
        .with_for_update()
    ).first()
    if row is None:
        raise SignInUserError(f"{email} is not an allowed user")
    return row


def _refuse_last_admin(conn: Connection, target: Any, what: str) -> None:
    """Lock every admin row, then refuse if ``target`` is the only admin left."""
    admins = conn.execute(
        sa.select(USERS.c.id).where(USERS.c.is_admin.is_(True)).with_for_update()
    ).scalars().all()
    if target.is_admin and list(admins) == [target.id]:
        raise SignInUserError(
            f"{target.email} is the last admin and cannot be {what}: make another user an admin"
            " first"
        )


def _check_coach(conn: Connection, is_coach: bool, code: str | None, user_id: Any = None) -> None:
    if is_coach and code is None:
        raise SignInUserError("a coach needs a coach code (such as BOSS)")
    if code is not None:
        taken = conn.execute(
            sa.select(USERS.c.email).where(USERS.c.coach_code == code, USERS.c.id.is_distinct_from(user_id))
        ).scalar()
        if taken:
            raise SignInUserError(f"coach code {code} is already used by {taken}")


def _write(conn: Connection, statement) -> Any:
    try:
        with conn.begin_nested():
            return conn.execute(statement).first()
    except sa.exc.DBAPIError as exc:
        diag = getattr(exc.orig, "diag", None)
        raise SignInUserError(
            getattr(diag, "message_primary", None) or str(exc.orig).splitlines()[0]
        ) from None


def add_allowed_user(
    conn: Connection,
    user_email: str,
    email: str,
    *,
    is_admin: bool = False,
    is_coach: bool = False,
    coach_code: str | None = None,
    coach_name: str | None = None,
) -> dict:
    access.check(conn, user_email, AREA, admin=True)
    email = compute_email(email)
    code = parse_coach_code(coach_code)
    if conn.execute(sa.select(USERS.c.id).where(sa.func.lower(USERS.c.email) == email)).first():
        raise SignInUserError(f"{email} may already sign in")
    _check_coach(conn, is_coach, code)
    row = _write(
        conn,
        sa.insert(USERS)
        .values(
            email=email,
            is_admin=bool(is_admin),
            is_coach=bool(is_coach),
            coach_code=code,
            coach_name=(coach_name or "").strip() or None,
        )
        .returning(*[USERS.c[c] for c in COLUMNS]),
    )
    after = _snapshot(row)
    audit.record(conn, user_email, "CREATE", "allowed_users", row.id, after=after)
    return after


def update_allowed_user(
    conn: Connection,
    user_email: str,
    email: str,
    *,
    is_admin: bool,
    is_coach: bool,
    coach_code: str | None = None,
    coach_name: str | None = None,
) -> dict:
    """Set a user's admin and coach flags, coach code and name."""
    access.check(conn, user_email, AREA, admin=True)
    target = _load(conn, email)
    if target.is_admin and not is_admin:
        _refuse_last_admin(conn, target, "demoted")
    code = parse_coach_code(coach_code)
    _check_coach(conn, is_coach, code, target.id)
    row = _write(
        conn,
        sa.update(USERS)
        .where(USERS.c.id == target.id)
        .values(
            is_admin=bool(is_admin),
            is_coach=bool(is_coach),
            coach_code=code,
            coach_name=(coach_name or "").strip() or None,
        )
        .returning(*[USERS.c[c] for c in COLUMNS]),
    )
    before, after = _snapshot(target), _snapshot(row)
    audit.record(
        conn, user_email, "UPDATE", "allowed_users", target.id, before=before, after=after
    )
    return after


def remove_allowed_user(conn: Connection, user_email: str, email: str) -> dict:
    """The user can no longer sign in (their past audit rows keep their e-mail)."""
    access.check(conn, user_email, AREA, admin=True)
    target = _load(conn, email)
    _refuse_last_admin(conn, target, "removed")
    referenced = conn.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM backoffice.invoices"
            " WHERE created_by = :i OR updated_by = :i)"
            " OR EXISTS (SELECT 1 FROM backoffice.reconciliation_sessions WHERE admin_user_id = :i)"
        ),
        {"i": target.id},
    ).scalar()
    if referenced:
        raise SignInUserError(
            f"{target.email} created invoices or reconciliations and stays on their records;"
            " remove their admin and coach flags instead"
        )
    _write(conn, sa.delete(USERS).where(USERS.c.id == target.id).returning(USERS.c.id))
    before = _snapshot(target)
    audit.record(conn, user_email, "DELETE", "allowed_users", target.id, before=before)
    return before
