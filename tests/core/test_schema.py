"""The migrated database against the schema document and its additions (docs/reference/specs/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "specs" / "backoffice-schema.md"

# Documented type -> information_schema.columns.data_type. "timestamp" is stored as timestamptz
# (business-rules §0; see docs/reference/decisions.md).
DATA_TYPES = {
    "uuid": "uuid",
    "text": "text",
    "integer": "integer",
    "smallint": "smallint",
    "boolean": "boolean",
    "timestamp": "timestamp with time zone",
    "jsonb": "jsonb",
    "numeric": "numeric",
    "varchar": "character varying",
    "date": "date",
    "time": "time without time zone",
    "interval": "interval",
    "enum": "USER-DEFINED",
}


def documented_columns() -> list[tuple[str, str, str, bool, str]]:
    """(table, column, type, nullable, default) for every column table of the document."""
    rows, table = [], None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### \d+\. \*\*(\w+)\*\*", line)
        if heading:
            table = heading.group(1)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if table and len(cells) == 5 and cells[1] in DATA_TYPES and cells[0] != "Column":
            rows.append((table, cells[0], cells[1], cells[2] == "YES", cells[3]))
    return rows


DOCUMENTED = documented_columns()
DOCUMENTED_TABLES = sorted(
    {
        m.group(1)
        for m in re.finditer(r"^### \d+\. \*\*(\w+)\*\*", DOC.read_text("utf-8"), re.MULTILINE)
    }
)


def test_document_parsed_fully():
    assert len(DOCUMENTED_TABLES) == 21
    assert len({t for t, *_ in DOCUMENTED}) == 16  # the document gives columns for 16 tables
    assert len(DOCUMENTED) == 131


def test_all_21_documented_tables_exist(conn):
    present = set(
        conn.scalars(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'backoffice'")
        )
    )
    assert set(DOCUMENTED_TABLES) <= present


def _column(conn, table, column):
    return conn.execute(
        sa.text(
            "SELECT data_type, udt_name, is_nullable, column_default"
            "  FROM information_schema.columns"
            " WHERE table_schema = 'backoffice' AND table_name = :t AND column_name = :c"
        ),
        {"t": table, "c": column},
    ).first()


def _expected_default(documented: str) -> str | None:
    """A regular expression that the column_default must match, or None for no default."""
    if documented in ("-", ""):
        return None
    return {
        "nextval()": r"^nextval\(",
        "uuid_generate_v4()": r"^gen_random_uuid\(\)$",
        "gen_random_uuid()": r"^gen_random_uuid\(\)$",
        "now()": r"^now\(\)$",
        "false": r"^false$",
        "true": r"^true$",
        "0": r"^0$",
        "1": r"^1$",
        "6": r"^6$",
        "3.00": r"^3\.00$",
        "'salary'": r"^'salary'::text$",
        "'processing'": r"^'processing'::text$",
        "{}": r"^'\{\}'::jsonb$",
    }[documented]


@pytest.mark.parametrize(
    "table,column,doc_type,nullable,default",
    DOCUMENTED,
    ids=[f"{t}.{c}" for t, c, *_ in DOCUMENTED],
)
def test_documented_column(conn, table, column, doc_type, nullable, default):
    found = _column(conn, table, column)
    assert found is not None, f"{table}.{column} is missing"
    assert found.data_type == DATA_TYPES[doc_type]
    if doc_type == "enum":
        assert found.udt_name == "package_type"
    assert (found.is_nullable == "YES") == nullable
    pattern = _expected_default(default)
    if pattern is None:
        assert found.column_default is None
    else:
        assert found.column_default is not None and re.match(pattern, found.column_default), (
            f"{table}.{column} default {found.column_default!r} is not {default}"
        )


ADDITIONS = {
    "coach_rates": ["rate_type", "rate"],
    "invoice_suppliers": [
        "id", "name", "address_line1", "address_line2", "tax_id", "default_description",
        "default_unit_price", "bank_name", "bank_account", "created_at", "updated_at",
    ],
    "invoice_settings": ["key", "value", "updated_at"],
    "reconciliation_items": [
        "id", "session_id", "item_type", "match_type", "confidence", "invoice_data", "pos_data",
        "amount_variance", "quantity_variance", "status", "resolution_notes", "resolved_by",
        "resolved_at", "created_at",
    ],
    "staff_audit_log": [
        "id", "staff_id", "action_type", "changed_by_type", "changed_by_identifier",
        "changes_summary", "old_data_snapshot", "new_data_snapshot", "reason", "created_at",
    ],
    "reconciliation_sessions": [
        "total_invoice_amount", "total_pos_amount", "variance_percentage", "error_message",
        "created_at", "completed_at",
    ],
    "invoices": ["status", "created_at", "updated_at"],
    "package_usage": ["booking_id"],
    "packages": ["discount_amount"],
}


@pytest.mark.parametrize("table", sorted(ADDITIONS))
def test_columns_of_schema_additions(conn, table):
    for column in ADDITIONS[table]:
        assert _column(conn, table, column) is not None, f"{table}.{column} is missing"


def test_package_type_enum_values(conn):
    labels = conn.scalars(
        sa.text("SELECT unnest(enum_range(NULL::backoffice.package_type))::text")
    ).all()
    assert labels == ["Monthly", "Coaching", "Unlimited"]


@pytest.mark.parametrize(
    "qualified", ["public.customers", "public.bookings", "pos.sales"]
)
def test_tables_read_from_other_systems_exist(conn, qualified):
    assert conn.scalar(sa.text("SELECT to_regclass(:t)"), {"t": qualified}) is not None


@pytest.mark.parametrize(
    "table,columns",
    [
        ("staff_schedules", "staff_id, schedule_date"),
        ("time_entries", "staff_id, \"timestamp\""),
        ("packages", "customer_id, expiration_date"),
    ],
)
def test_documented_indexes(conn, table, columns):
    definitions = conn.scalars(
        sa.text("SELECT indexdef FROM pg_indexes WHERE schemaname = 'backoffice' AND tablename = :t"),
        {"t": table},
    ).all()
    assert any(f"({columns})" in d for d in definitions), definitions


@pytest.mark.parametrize("view", ["customer_active_packages", "coach_earnings", "staff_status"])
def test_documented_views_exist(conn, view):
    assert conn.scalar(sa.text("SELECT to_regclass(:v)"), {"v": f"backoffice.{view}"})


@pytest.mark.parametrize(
    "function", ["calculate_package_expiration", "log_staff_changes", "validate_time_entry"]
)
def test_documented_trigger_functions_exist(conn, function):
    assert conn.scalar(
        sa.text(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'backoffice' AND p.proname = :f"
        ),
        {"f": function},
    ) == 1
