"""The quarantine of the live import: reading it, grouping it for review, marking rows done.

A quarantined row keeps its live table and key, the rule that refused it, the database's (or the
mapping's) message, the converted row as JSON and the import it came from. Rows refused together
(a clock-in and its clock-out) share a ``group_key``; rows refused because their parent is
quarantined name it in ``depends_on``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from ..rules.mapping import TableSpec
from .staging import describe_refusal, target_sql

COLUMNS = ("id", "import_id", "table_name", "live_key", "rule", "message", "row", "row_hash",
           "group_key", "depends_on", "status", "resolution", "resolved_by", "resolved_at",
           "created_at")


SELECT_COLUMNS = ", ".join(f'q."{c}"' for c in COLUMNS)


class QuarantineError(ValueError):
    """A review action that cannot be done; the message says why, for a person."""


def load_quarantine(conn: Connection, *, status: str | None = "pending",
                    limit: int | None = None) -> list[dict[str, Any]]:
    sql = f"SELECT {SELECT_COLUMNS} FROM backoffice.import_quarantine q"
    params: dict[str, Any] = {}
    if status:
        sql += " WHERE q.status = :status"
        params["status"] = status
    sql += " ORDER BY q.rule, q.table_name, q.id"
    if limit:
        sql += " LIMIT :limit"
        params["limit"] = limit
    return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def load_last_import(conn: Connection) -> dict | None:
    """The last import that finished (dry runs are rolled back: never here): id, snapshot, user,
    time and its report (the per-table counts)."""
    row = conn.execute(sa.text(
        "SELECT id, snapshot, user_email, finished_at, report FROM backoffice.import_runs"
        " WHERE status = 'finished' ORDER BY id DESC LIMIT 1")).mappings().first()
    return dict(row) if row else None


def load_quarantine_row(conn: Connection, quarantine_id: int, *, lock: bool = False) -> dict:
    row = conn.execute(sa.text(
        "SELECT * FROM backoffice.import_quarantine WHERE id = :id"
        + (" FOR UPDATE" if lock else "")), {"id": quarantine_id}).mappings().first()
    if row is None:
        raise QuarantineError(f"no quarantined row {quarantine_id}")
    return dict(row)


def load_group(conn: Connection, row: dict) -> list[dict]:
    """The pending rows refused together with ``row`` (itself included), in insertion order."""
    if not row.get("group_key"):
        return [row]
    rows = conn.execute(sa.text(
        "SELECT * FROM backoffice.import_quarantine WHERE group_key = :g AND status = 'pending'"
        " ORDER BY id FOR UPDATE"), {"g": row["group_key"]}).mappings().all()
    return [dict(r) for r in rows] or [row]


def load_dependants(conn: Connection, row: dict) -> list[dict]:
    rows = conn.execute(sa.text(
        "SELECT * FROM backoffice.import_quarantine WHERE depends_on = :d AND status = 'pending'"
        " ORDER BY id"), {"d": f"{row['table_name']}:{row['live_key']}"}).mappings().all()
    return [dict(r) for r in rows]


def save_decision(conn: Connection, rows: list[dict], status: str, resolution: str,
                  user_email: str) -> None:
    conn.execute(sa.text(
        "UPDATE backoffice.import_quarantine SET status = :status, resolution = :resolution,"
        " resolved_by = :user, resolved_at = :at WHERE id = ANY(:ids)"),
        {"status": status, "resolution": resolution, "user": user_email,
         "at": dt.datetime.now(dt.UTC), "ids": [r["id"] for r in rows]})


def save_versions_of(conn: Connection, rows: list[dict], target_keys: dict | None = None) -> None:
    """Imported by a fix: remember the live fingerprint, so the next import sees it unchanged."""
    for row in rows:
        conn.execute(sa.text(
            "INSERT INTO backoffice.import_row_versions"
            " (table_name, live_key, target_key, row_hash, import_id)"
            " VALUES (:t, :k, :target, :h, :i) ON CONFLICT (table_name, live_key) DO UPDATE"
            " SET target_key = EXCLUDED.target_key, row_hash = EXCLUDED.row_hash,"
            " import_id = EXCLUDED.import_id"),
            {"t": row["table_name"], "k": row["live_key"], "h": row["row_hash"],
             "i": row["import_id"],
             "target": (target_keys or {}).get(row["id"], row["live_key"])})


# --- pure: what the review shows -----------------------------------------------------------------


def load_entry_before(conn: Connection, staff_id: int, moment: dt.datetime) -> dict | None:
    """A person's time entry just before ``moment`` (id, staff_id, action, timestamp), or None."""
    row = conn.execute(sa.text(
        "SELECT id, staff_id, action, timestamp FROM backoffice.time_entries"
        " WHERE staff_id = :s AND timestamp < :t ORDER BY timestamp DESC LIMIT 1"),
        {"s": staff_id, "t": moment}).mappings().first()
    return None if row is None else dict(row)


# --- the review's fixes ---------------------------------------------------------------------------


def insert_row(conn: Connection, spec: TableSpec, values: dict) -> None:
    """A quarantined row put in through the real constraints and triggers (its id kept)."""
    columns = ", ".join(f'"{c}"' for c in spec.columns)
    target = target_sql(spec)
    conn.execute(
        sa.text(f"INSERT INTO {target} ({columns}) SELECT {columns}"
                f" FROM jsonb_populate_record(NULL::{target}, :row)")
        .bindparams(sa.bindparam("row", type_=JSONB)),
        {"row": values},
    )


def save_staff_active(conn: Connection, staff_id: int, active: bool) -> bool:
    """Set a person active or not; True when activating changed the row."""
    if not active:
        conn.execute(sa.text("UPDATE backoffice.staff SET is_active = false WHERE id = :s"),
                     {"s": staff_id})
        return False
    return bool(conn.execute(sa.text(
        "UPDATE backoffice.staff SET is_active = true WHERE id = :s AND is_active IS NOT TRUE"
        " RETURNING id"), {"s": staff_id}).first())


def load_overlapping_pay_rates(conn: Connection, staff_id: int, starts: dt.date,
                               ends: dt.date | None) -> list[dict]:
    """A person's pay-rate rows overlapping [starts, ends], locked for the fix."""
    return [dict(r) for r in conn.execute(sa.text(
        "SELECT id, effective_from, effective_to FROM backoffice.staff_compensation"
        " WHERE staff_id = :s AND daterange(effective_from, effective_to, '[]')"
        "  && daterange(:f, :t, '[]') ORDER BY effective_from FOR UPDATE"),
        {"s": staff_id, "f": starts, "t": ends}).mappings()]


def save_pay_rate_end(conn: Connection, compensation_id: int, ends: dt.date) -> None:
    conn.execute(sa.text(
        "UPDATE backoffice.staff_compensation SET effective_to = :to WHERE id = :id"),
        {"to": ends, "id": compensation_id})


def load_package_balance(conn: Connection, package_id) -> dict | None:
    """A package's hours and the hours used (locked for the fix), or None when unknown."""
    row = conn.execute(sa.text(
        "SELECT pt.hours, (SELECT coalesce(sum(u.used_hours), 0) FROM backoffice.package_usage u"
        "  WHERE u.package_id = p.id) AS used"
        "  FROM backoffice.packages p JOIN backoffice.package_types pt"
        "    ON pt.id = p.package_type_id WHERE p.id = :p FOR UPDATE OF p"),
        {"p": package_id}).mappings().first()
    return None if row is None else dict(row)


@contextlib.contextmanager
def savepoint(conn: Connection, refused: type[Exception]) -> Iterator[None]:
    """A SAVEPOINT around a fix: all of it is kept, or none of it and ``refused`` says what the
    database refused (its rule, for a person)."""
    try:
        with conn.begin_nested():
            yield
    except sa.exc.DBAPIError as exc:
        raise refused(describe_refusal(exc)[1]) from None
