"""The audit trail: every change made for a user writes ``audit_logs`` in the same transaction.

Callers pass the connection of the transaction that makes the change, so the change and its audit
row commit together or not at all (business-rules §8).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .models.core import AuditLog

AUDIT_LOGS = AuditLog.__table__


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (dt.timedelta,)):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def record(
    conn: Connection,
    user_email: str,
    action: str,
    resource_type: str,
    resource_id: Any = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    details: dict | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> None:
    """Write one audit row on ``conn`` (the caller's transaction). Never pass a PIN or its hash."""
    payload = dict(details or {})
    if before is not None:
        payload["before"] = before
    if after is not None:
        payload["after"] = after
    payload = _jsonable(payload)
    # A belt-and-braces guard: PINs and their hashes never reach the audit trail.
    text = json.dumps(payload)
    if "pin_hash" in text or '"pin"' in text:
        raise ValueError("audit details must not contain a PIN or PIN hash")
    # Through the database's function (migration 0018): a role that is not the schema's owner
    # may not INSERT into audit_logs; the row is stamped with the real database role (db_role).
    conn.execute(
        sa.text(
            "SELECT backoffice.write_audit(:user_email, :action, :resource_type, :resource_id,"
            " CAST(:details AS jsonb), :ip_address, :user_agent)"
        ),
        {
            "user_email": user_email,
            "action": action,
            "resource_type": resource_type,
            "resource_id": None if resource_id is None else str(resource_id),
            "details": text,
            "ip_address": ip_address,
            "user_agent": user_agent,
        },
    )


def act_as(conn: Connection, user_email: str | None, reason: str | None = None) -> None:
    """Tell the database who acts, and why, for this transaction: the settings the
    log_staff_changes() trigger records and, on the schema owner's connection only, a correction
    of a finalised month (``backoffice.begin_correction``, migration 0018) that the payroll lock
    lets through when the actor is an admin with a reason. Another role's settings open no lock."""
    conn.execute(
        sa.text("SELECT backoffice.set_actor(:actor, :reason)"),
        {"actor": user_email or "", "reason": reason or ""},
    )
