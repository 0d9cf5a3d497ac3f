"""SQL of ``staff`` (the people, never their PIN hash outside a write), the ``staff_status`` view
and the ``staff_audit_log`` history."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...models.core import Staff, StaffAuditLog

STAFF = Staff.__table__
# Columns that describe a person, without the PIN hash: what audit rows and listings show.
PUBLIC_COLUMNS = (
    "id",
    "staff_name",
    "staff_id",
    "is_active",
    "is_service_charge_eligible",
    "failed_attempts",
    "locked_until",
)
HISTORY_COLUMNS = [
    "created_at",
    "action_type",
    "changed_by_identifier",
    "changes_summary",
    "reason",
]


def public(row: Any) -> dict:
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return {column: mapping[column] for column in PUBLIC_COLUMNS}


def load_person(conn: Connection, *, pk: int | None = None, staff_id: str | None = None,
                lock: bool = False) -> dict | None:
    """A person by numeric id or employee ID (locked ``FOR UPDATE`` when asked), or None."""
    condition = STAFF.c.id == pk if pk is not None else STAFF.c.staff_id == staff_id
    query = sa.select(*[STAFF.c[c] for c in PUBLIC_COLUMNS]).where(condition)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return public(row) if row is not None else None


def load_staff_id_taken(conn: Connection, staff_id: str, other_than: int | None = None) -> bool:
    """Whether another person has this employee ID."""
    query = sa.select(sa.func.count()).select_from(STAFF).where(STAFF.c.staff_id == staff_id)
    if other_than is not None:
        query = query.where(STAFF.c.id != other_than)
    return bool(conn.scalar(query))


def load_staff(conn: Connection, *, include_inactive: bool = False) -> pd.DataFrame:
    """Staff with their clock state (staff_status view); inactive ones too when asked."""
    query = sa.text(
        """
        SELECT s.id, s.staff_name, s.staff_id, s.is_active, s.is_service_charge_eligible,
               s.failed_attempts, s.locked_until,
               coalesce(s.locked_until > now(), false) AS is_currently_locked,
               st.last_action, st.last_action_time,
               coalesce(st.currently_clocked_in, false) AS currently_clocked_in
          FROM backoffice.staff s
          LEFT JOIN backoffice.staff_status st ON st.id = s.id
         WHERE s.is_active OR :include_inactive
         ORDER BY s.staff_name, s.id
        """
    )
    rows = conn.execute(query, {"include_inactive": include_inactive}).mappings().all()
    columns = [
        *PUBLIC_COLUMNS,
        "is_currently_locked",
        "last_action",
        "last_action_time",
        "currently_clocked_in",
    ]
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


def save_new_person(conn: Connection, values: dict) -> dict:
    """Insert a person (``values`` with the PIN hash); the public columns of the row."""
    row = conn.execute(
        sa.insert(STAFF).values(**values).returning(*[STAFF.c[c] for c in PUBLIC_COLUMNS])
    ).first()
    return public(row)


def save_person(conn: Connection, pk: int, values: dict) -> dict:
    row = conn.execute(
        sa.update(STAFF)
        .where(STAFF.c.id == pk)
        .values(**values)
        .returning(*[STAFF.c[c] for c in PUBLIC_COLUMNS])
    ).first()
    return public(row)


def load_staff_history(conn: Connection, staff_pk: int, *, limit: int = 100) -> pd.DataFrame:
    """A person's change history from ``staff_audit_log`` (written by log_staff_changes()),
    newest first; the snapshots never hold the PIN hash."""
    table = StaffAuditLog.__table__
    rows = conn.execute(
        sa.select(*[table.c[c] for c in HISTORY_COLUMNS])
        .where(table.c.staff_id == staff_pk)
        .order_by(table.c.created_at.desc(), table.c.id.desc())
        .limit(limit)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=HISTORY_COLUMNS, dtype=object)
