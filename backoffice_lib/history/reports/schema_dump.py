"""``docs/schema.sql``: the schema at head as ``pg_dump --schema-only``, one place to read the
current definition of every table, view and trigger function.

``run_schema_dump`` migrates a scratch database of the selected server to head, dumps it with
the server's own pg_dump (embedded first, like backups) and drops it; ``backoffice db
schema-dump`` writes the text to ``docs/schema.sql`` and a test keeps that file equal to head.

The text is made stable: the monthly partitions of ``time_entries`` and ``audit_logs`` (created
around the month the migration runs in) are left out, the ``DEFAULT`` partitions kept; the lines
that change with every run or version (pg_dump's ``\\restrict`` token, the version comments) are
dropped.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

from sqlalchemy.engine import URL, Engine

from ... import database, migrate
from ..queries.backup import load_server_major, scratch_database
from ..service import backup

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "schema.sql"
REGENERATE = "backoffice db schema-dump"
# Monthly partitions (time_entries_2026_11, audit_logs_2026_11): they depend on the date.
MONTHLY_PARTITIONS = ("backoffice.time_entries_[0-9]*", "backoffice.audit_logs_[0-9]*")
VOLATILE_LINE = re.compile(
    r"^(\\restrict |\\unrestrict |-- Dumped from database version|-- Dumped by pg_dump version)"
)


class SchemaDumpError(RuntimeError):
    """pg_dump failed or is missing; the message says which."""


def compute_schema_text(dump: str) -> str:
    """pg_dump's text without the lines that vary between runs, ending in one newline."""
    lines = [line for line in dump.splitlines() if not VOLATILE_LINE.match(line)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n"


def load_schema_dump(url: URL) -> str:
    """``pg_dump --schema-only`` of the database at ``url``, made stable (compute_schema_text)."""
    uri, env = backup._libpq(url)
    engine = database.get_engine(url.render_as_string(hide_password=False))
    try:
        tool = backup.find_tool("pg_dump", load_server_major(engine))
    except backup.BackupError as exc:
        raise SchemaDumpError(str(exc)) from None
    command = [tool, "--schema-only", "--no-owner", "--no-privileges", f"--dbname={uri}"]
    for pattern in MONTHLY_PARTITIONS:
        command.append(f"--exclude-table={pattern}")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SchemaDumpError(f"pg_dump failed: {done.stderr.strip()[:300]}")
    return compute_schema_text(done.stdout)


def run_schema_dump(engine: Engine | None = None) -> str:
    """The schema at head: a scratch database of the selected server, migrated, dumped, dropped."""
    engine = engine or database.get_engine()
    database.check_connection(engine)
    name = f"backoffice_schema_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with scratch_database(engine, name) as url:
        scratch = database.get_engine(url.render_as_string(hide_password=False))
        try:
            with scratch.begin() as conn:
                migrate.upgrade(conn)
        finally:
            scratch.dispose()
        return load_schema_dump(url)


def save_schema_file(text: str, path: Path = SCHEMA_FILE) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
