"""Who may sign in to the workbench: ``allowed_users`` (business-rules §5, §8).

Admins add and remove users and set the admin and coach flags; a coach needs a unique coach code
(upper case: it is how ``coach_earnings`` links a coach to their bookings). **The last admin cannot
be removed or demoted**: checked here with the admins locked (so two admins cannot demote each
other at once), and by the database trigger ``guard_last_admin`` (migration 0013) for every writer.

Service functions take the caller's connection, check access, never commit, and audit each change.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from ... import access, audit
from ..queries import sign_in_users as queries
from ..queries.refusals import DatabaseRefused
from ..rules.sign_in_users import SignInUserError, parse_coach_code, parse_email

AREA = "allowed_users"
SNAPSHOT = ("email", "is_admin", "is_coach", "coach_code", "coach_name")


def _snapshot(row: Any) -> dict:
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return {k: mapping[k] for k in SNAPSHOT}


def load_allowed_users(conn: Connection) -> pd.DataFrame:
    return queries.load_allowed_users(conn)


def _load(conn: Connection, email: str) -> Any:
    row = queries.load_allowed_user(conn, parse_email(email), lock=True)
    if row is None:
        raise SignInUserError(f"{email} is not an allowed user")
    return row


def _refuse_last_admin(conn: Connection, target: Any, what: str) -> None:
    """Lock every admin row, then refuse if ``target`` is the only admin left."""
    if target.is_admin and queries.load_admin_ids(conn) == [target.id]:
        raise SignInUserError(
            f"{target.email} is the last admin and cannot be {what}: make another user an admin"
            " first"
        )


def _check_coach(conn: Connection, is_coach: bool, code: str | None, user_id: Any = None) -> None:
    if is_coach and code is None:
        raise SignInUserError("a coach needs a coach code (such as BOSS)")
    if code is not None:
        taken = queries.load_coach_code_owner(conn, code, user_id)
        if taken:
            raise SignInUserError(f"coach code {code} is already used by {taken}")


def _write(write, *args) -> Any:
    try:
        return write(*args)
    except DatabaseRefused as exc:
        raise SignInUserError(str(exc)) from None


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
    email = parse_email(email)
    code = parse_coach_code(coach_code)
    if queries.load_allowed_user(conn, email) is not None:
        raise SignInUserError(f"{email} may already sign in")
    _check_coach(conn, is_coach, code)
    row = _write(queries.save_new_allowed_user, conn, {
        "email": email,
        "is_admin": bool(is_admin),
        "is_coach": bool(is_coach),
        "coach_code": code,
        "coach_name": (coach_name or "").strip() or None,
    })
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
    row = _write(queries.save_allowed_user, conn, target.id, {
        "is_admin": bool(is_admin),
        "is_coach": bool(is_coach),
        "coach_code": code,
        "coach_name": (coach_name or "").strip() or None,
    })
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
    if queries.load_user_has_records(conn, target.id):
        raise SignInUserError(
            f"{target.email} created invoices or reconciliations and stays on their records;"
            " remove their admin and coach flags instead"
        )
    _write(queries.delete_allowed_user, conn, target.id)
    before = _snapshot(target)
    audit.record(conn, user_email, "DELETE", "allowed_users", target.id, before=before)
    return before
