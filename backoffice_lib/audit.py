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
    conn.execute(
        sa.insert(AUDIT_LOGS).values(
            user_email=user_email,
            action=action,
            resource_type=resource_type,
            resource_id=None if resource_id is None else str(resource_id),
            details=payload,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    )


def act_as(conn: Connection, user_email: str | None, reason: str | None = None) -> None:
    """Tell the database triggers (log_staff_changes) who acts, and why, for this transaction."""
    conn.execute(
        sa.text("SELECT set_config('backoffice.actor', :actor, true),"
                " set_config('backoffice.reason', :reason, true)"),
        {"actor": user_email or "", "reason": reason or ""},
    )
