"""docs/schema.sql is the schema at head (issue 21 item 5), and a later migration restores an
earlier definition from the earlier migration's own text (migrate.migration_sql), not a copy."""

from __future__ import annotations

import difflib
import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from backoffice_lib import migrate
from backoffice_lib.cli import cli
from backoffice_lib.history.reports import schema_dump


@pytest.mark.parametrize(
    ("dump", "text"),
    [
        ("\\restrict AbC123\nSET a = 1;\n\\unrestrict AbC123\n", "SET a = 1;\n"),
        ("-- Dumped from database version 18.6\n-- Dumped by pg_dump version 18.6\n\nX;\n",
         "X;\n"),
        ("A;\n\n\n\nB;", "A;\n\nB;\n"),
    ],
)
def test_schema_text_drops_the_lines_that_change_from_run_to_run(dump, text):
    assert schema_dump.compute_schema_text(dump) == text


def test_docs_schema_sql_is_the_schema_at_head(database_url):
    head = schema_dump.load_schema_dump(database_url)
    written = schema_dump.SCHEMA_FILE.read_text(encoding="utf-8")
    if written != head:
        diff = "\n".join(list(difflib.unified_diff(
            written.splitlines(), head.splitlines(), "docs/schema.sql", "head", lineterm="",
        ))[:40])
        pytest.fail(f"docs/schema.sql is not the schema at head: regenerate it with"
                    f" `{schema_dump.REGENERATE}` and commit it.\n{diff}")
    assert "CREATE FUNCTION backoffice.log_staff_changes()" in written
    assert not re.search(r"time_entries_20[0-9]{2}_[0-9]{2}", written)  # no dated partitions


def test_schema_dump_command_regenerates_the_file(database_url, tmp_path):
    """What the failure message says to run writes exactly what the test above expects."""
    out = tmp_path / "schema.sql"
    result = CliRunner().invoke(
        cli, ["db", "schema-dump", "--out", str(out)],
        env={"BACKOFFICE_DATABASE_URL": database_url.render_as_string(hide_password=False)},
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == schema_dump.load_schema_dump(database_url)


def _body(sql_text: str) -> str:
    return sql_text[sql_text.index("$$") + 2:sql_text.rindex("$$")]


def test_downgrades_restore_the_functions_as_0001_and_0003_wrote_them(empty_database_url):
    """0009 and 0008 undone: log_staff_changes(), validate_time_entry() and the payroll lock's
    row trigger are again exactly what migrations 0001 and 0003 created."""
    rules = migrate.migration_module("0001_foundation_schema").RULES_SQL
    wanted = {name: _body(next(s for s in rules if f"CREATE FUNCTION backoffice.{name}()" in s))
              for name in ("log_staff_changes", "validate_time_entry")}
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            migrate.upgrade(conn, "0009")
            migrate.downgrade(conn, "0007")
            for name, body in wanted.items():
                assert conn.scalar(sa.text(
                    "SELECT prosrc FROM pg_proc WHERE oid = CAST(:f AS regprocedure)"),
                    {"f": f"backoffice.{name}()"}) == body, name
            trigger = conn.scalar(sa.text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger"
                " WHERE tgname = 'time_entries_payroll_lock'"))
            assert "BEFORE INSERT OR DELETE OR UPDATE" in trigger
    finally:
        engine.dispose()
