"""Audit rows never hold a secret (issue 27): whoever writes them, old rows included."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

MIGRATION = (Path(__file__).resolve().parents[2] / "backoffice_lib" / "migrations" / "versions"
             / "0017_analysts.py")
SECRET = {"pin": "123456", "pin_hash": "$2b$12$abc", "national_id": "1101700203451",
          "bank_account": "123-4-56789-0"}
DETAILS = {"before": {"staff_name": "A", **SECRET}, "after": {"items": [{"staff_name": "B",
                                                                        **SECRET}]},
           **SECRET, "reason": "typo"}
CLEAN = {"before": {"staff_name": "A"}, "after": {"items": [{"staff_name": "B"}]},
         "reason": "typo"}


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0017", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _insert_audit(conn, details) -> str:
    return conn.scalar(sa.text(
        "INSERT INTO backoffice.audit_logs (user_email, action, resource_type, details)"
        " VALUES ('script@x', 'UPDATE', 'staff', CAST(:d AS jsonb)) RETURNING id::text"),
        {"d": json.dumps(details)})


def _insert_staff_log(conn, snapshot) -> int:
    return conn.scalar(sa.text(
        "INSERT INTO backoffice.staff_audit_log (action_type, changed_by_type,"
        " changed_by_identifier, old_data_snapshot, new_data_snapshot)"
        " VALUES ('updated', 'admin', 'script@x', CAST(:d AS jsonb), CAST(:d AS jsonb))"
        " RETURNING id"), {"d": json.dumps(snapshot)})


def test_a_secret_written_to_audit_logs_by_any_writer_is_dropped(conn):
    row = _insert_audit(conn, DETAILS)
    stored = conn.scalar(sa.text("SELECT details FROM backoffice.audit_logs WHERE id::text = :i"),
                         {"i": row})
    assert stored == CLEAN


def test_a_secret_written_to_the_staff_audit_log_is_dropped(conn):
    row = _insert_staff_log(conn, DETAILS)
    old, new = conn.execute(sa.text(
        "SELECT old_data_snapshot, new_data_snapshot FROM backoffice.staff_audit_log"
        " WHERE id = :i"), {"i": row}).one()
    assert old == new == CLEAN


@pytest.mark.parametrize("table", ["audit_logs", "staff_audit_log"])
def test_old_rows_holding_secrets_are_scrubbed_by_the_migration(conn, table):
    trigger = f"{table}_scrub_secrets"
    conn.execute(sa.text(f"ALTER TABLE backoffice.{table} DISABLE TRIGGER {trigger}"))
    if table == "audit_logs":
        row = _insert_audit(conn, DETAILS)
        query = "SELECT details FROM backoffice.audit_logs WHERE id::text = :i"
    else:
        row = _insert_staff_log(conn, DETAILS)
        query = "SELECT new_data_snapshot FROM backoffice.staff_audit_log WHERE id = :i"
    assert conn.scalar(sa.text(query), {"i": row}) == DETAILS  # an old row, as it was
    conn.execute(sa.text(f"ALTER TABLE backoffice.{table} ENABLE TRIGGER {trigger}"))
    conn.exec_driver_sql(_migration().SCRUB_OLD_ROWS_SQL)
    assert conn.scalar(sa.text(query), {"i": row}) == CLEAN
