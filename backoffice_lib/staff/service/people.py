"""Staff lifecycle: create, update, reset PIN, deactivate, unlock (business-rules §1, §8).

Every function here takes the caller's connection, never commits, checks access on it
(staff management is an admin area), tells the ``log_staff_changes()`` trigger who acts and why
(``audit.act_as``) and writes one ``audit_logs`` row. The PIN itself is only ever hashed
(``pins.hash_pin``); neither the PIN nor its hash reaches a log, an audit row or a snapshot.
"""

from __future__ import annotations

import secrets
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from ... import access, audit
from ..queries import people as queries
from ..rules import pins

AREA = "staff"


class StaffError(ValueError):
    """A staff change a person can fix (unknown person, missing reason, duplicate ID)."""


def _require_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise StaffError(f"{what} needs a reason")
    return reason.strip()


def resolve_staff(conn: Connection, ref: Any, *, lock: bool = False) -> dict:
    """The staff row (without pin_hash) for a person.

    An ``int`` is the numeric ``id`` (what a picker passes: never ambiguous). Text is the employee
    ID (``staff_id``) first, then, if all digits and no employee ID matches, the numeric id.
    """
    if ref is None or str(ref).strip() == "":
        raise StaffError("no staff member given")
    if isinstance(ref, int) and not isinstance(ref, bool):
        row = queries.load_person(conn, pk=ref, lock=lock)
        text = str(ref)
    else:
        text = str(ref).strip()
        row = queries.load_person(conn, staff_id=text, lock=lock)
        if row is None and text.isdigit():
            row = queries.load_person(conn, pk=int(text), lock=lock)
    if row is None:
        raise StaffError(f"no staff member {text!r} (give the employee ID or the numeric id)")
    return row


def load_staff(conn: Connection, *, include_inactive: bool = False) -> pd.DataFrame:
    """Staff with their clock state (staff_status view); inactive ones too when asked."""
    return queries.load_staff(conn, include_inactive=include_inactive)


def create_staff(
    conn: Connection,
    user_email: str,
    staff_name: str,
    pin: str,
    *,
    staff_id: str | None = None,
    is_service_charge_eligible: bool = False,
    reason: str | None = None,
) -> dict:
    """Create an active staff member with a 6-digit PIN (stored as a bcrypt hash only)."""
    access.check(conn, user_email, AREA)
    if not staff_name or not staff_name.strip():
        raise StaffError("a staff member needs a name")
    pin_hash = pins.hash_pin(pins.checked_pin(pin))
    staff_id = (staff_id or "").strip() or None
    if staff_id is not None and queries.load_staff_id_taken(conn, staff_id):
        raise StaffError(f"employee ID {staff_id!r} is already used")
    audit.act_as(conn, user_email, reason or "new staff member")
    after = queries.save_new_person(conn, {
        "staff_name": staff_name.strip(),
        "staff_id": staff_id,
        "pin_hash": pin_hash,
        "is_active": True,
        "is_service_charge_eligible": is_service_charge_eligible,
        "failed_attempts": 0,
    })
    audit.record(
        conn,
        user_email,
        "CREATE",
        "staff",
        after["id"],
        after=after,
        details={"reason": reason} if reason else None,
    )
    return after


def _update(
    conn: Connection,
    user_email: str,
    ref: Any,
    values: dict,
    action: str,
    reason: str | None,
    audit_note: dict | None = None,
) -> dict:
    access.check(conn, user_email, AREA)
    before = resolve_staff(conn, ref, lock=True)
    audit.act_as(conn, user_email, reason)
    after = queries.save_person(conn, before["id"], values)
    details = {"reason": reason} if reason else {}
    details.update(audit_note or {})
    audit.record(
        conn, user_email, action, "staff", before["id"], before=before, after=after, details=details
    )
    return after


def update_staff(
    conn: Connection,
    user_email: str,
    ref: Any,
    *,
    staff_name: str | None = None,
    staff_id: str | None = None,
    is_service_charge_eligible: bool | None = None,
    reason: str | None = None,
) -> dict:
    """Change a person's name, employee ID or service-charge flag."""
    values: dict = {}
    if staff_name is not None:
        if not staff_name.strip():
            raise StaffError("a staff member needs a name")
        values["staff_name"] = staff_name.strip()
    if staff_id is not None:
        values["staff_id"] = staff_id.strip() or None
    if is_service_charge_eligible is not None:
        values["is_service_charge_eligible"] = is_service_charge_eligible
    if not values:
        raise StaffError("nothing to change")
    if values.get("staff_id"):
        current = resolve_staff(conn, ref)
        if queries.load_staff_id_taken(conn, values["staff_id"], other_than=current["id"]):
            raise StaffError(f"employee ID {values['staff_id']!r} is already used")
    return _update(conn, user_email, ref, values, "UPDATE", reason)


def reset_pin(conn: Connection, user_email: str, ref: Any, new_pin: str, reason: str) -> dict:
    """Set a new PIN; this also clears failed attempts and any lock."""
    reason = _require_reason(reason, "resetting a PIN")
    pin_hash = pins.hash_pin(pins.checked_pin(new_pin))
    return _update(
        conn,
        user_email,
        ref,
        {"pin_hash": pin_hash, "failed_attempts": 0, "locked_until": None},
        "RESET_PIN",
        reason,
        {"pin_changed": True},
    )


def deactivate_staff(conn: Connection, user_email: str, ref: Any, reason: str) -> dict:
    """Soft delete: the person can no longer punch; their entries and history stay."""
    reason = _require_reason(reason, "deactivating a staff member")
    return _update(conn, user_email, ref, {"is_active": False}, "DEACTIVATE", reason)


def activate_staff(conn: Connection, user_email: str, ref: Any, reason: str) -> dict:
    reason = _require_reason(reason, "reactivating a staff member")
    return _update(conn, user_email, ref, {"is_active": True}, "ACTIVATE", reason)


def unlock_staff(conn: Connection, user_email: str, ref: Any, reason: str) -> dict:
    """Lift a PIN lock before it ends, and clear the failed attempts."""
    reason = _require_reason(reason, "unlocking a staff member")
    return _update(
        conn, user_email, ref, {"failed_attempts": 0, "locked_until": None}, "UNLOCK", reason
    )


def generate_pin() -> str:
    """A random 6-digit PIN (not all one digit), for an admin to hand over once."""
    while True:
        pin = f"{secrets.randbelow(1_000_000):06d}"
        if len(set(pin)) > 1:
            return pin


def load_staff_history(conn: Connection, staff_pk: int, *, limit: int = 100) -> pd.DataFrame:
    """A person's change history from ``staff_audit_log``, newest first (no PIN hash)."""
    return queries.load_staff_history(conn, staff_pk, limit=limit)
