"""Reading the live system, read-only: its database URL, or a ``pg_dump`` of it.

A URL is opened with ``default_transaction_read_only`` and read in one repeatable-read
transaction (one consistent snapshot). A dump (pg_dump custom or plain format) is restored into
a staging database created for the import on the workbench's own server (the dump's schemas are
named ``backoffice``, ``public`` and ``pos`` like the workbench's own, so they cannot share a
database with them), with the ``pg_restore`` / ``psql`` of the embedded PostgreSQL, read the same
way, and dropped afterwards. The live database is never written to.

Every query names its columns; ``staff.clear_pin`` is never among them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from .mapping import TABLES, TableSpec

READ_BATCH = 20_000


class SourceUnreadable(RuntimeError):
    """The source cannot be read or is not shaped like the live system (one line for a person)."""


@dataclasses.dataclass
class LiveSource:
    """An open, read-only connection to a live-shaped database."""

    connection: psycopg.Connection
    description: str
    snapshot: str
    columns: dict[str, set[str]] = dataclasses.field(default_factory=dict)

    def has_table(self, spec: TableSpec) -> bool:
        return spec.source in self.columns

    def read_columns(self, spec: TableSpec) -> list[str]:
        """The spec's live columns that this source has (the required ones are checked)."""
        present = self.columns.get(spec.source, set())
        return [c for c in spec.read if c in present]

    def _fingerprint_sql(self, spec: TableSpec) -> str:
        """The live server's fingerprint of a row as read: a rerun converts only what changed."""
        return "md5(ROW(" + ", ".join(f'"{c}"' for c in self.read_columns(spec)) + ")::text)"

    def iter_fingerprints(self, spec: TableSpec) -> Iterator[tuple[str, str]]:
        """(live key, fingerprint) of every row: cheap to read, to find what changed."""
        schema, table = spec.source.split(".")
        sql = (f'SELECT "{spec.key}"::text, {self._fingerprint_sql(spec)}'
               f' FROM "{schema}"."{table}"')
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            yield from cursor.fetchall()

    def iter_rows(self, spec: TableSpec, keys: list[str] | None = None) -> Iterator[dict]:
        """The live rows of ``spec`` (only those of ``keys`` when given) as dicts of the columns
        read plus ``_live_hash``, in insertion order."""
        columns = self.read_columns(spec)
        present = set(columns)
        select = ", ".join(
            f'"{c}"::{spec.casts[c]} AS "{c}"' if c in spec.casts else f'"{c}"' for c in columns
        )
        order = ", ".join(f'"{c}"' for c in _source_order(spec) if c in present) or "1"
        schema, table = spec.source.split(".")
        where = f' WHERE "{spec.key}"::text = ANY(%s)' if keys is not None else ""
        sql = (f"SELECT {select}, {self._fingerprint_sql(spec)} AS _live_hash"
               f' FROM "{schema}"."{table}"{where} ORDER BY {order}')
        names = [*columns, "_live_hash"]
        with self.connection.cursor(name=f"read_{spec.name}") as cursor:
            cursor.execute(sql, (keys,) if keys is not None else None)
            while batch := cursor.fetchmany(READ_BATCH):
                for values in batch:
                    yield dict(zip(names, values))

    def count_rows(self, spec: TableSpec) -> int:
        schema, table = spec.source.split(".")
        with self.connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            return cursor.fetchone()[0]


def _source_order(spec: TableSpec) -> tuple[str, ...]:
    """The insertion order in live column names (bookings' and POS' dates are named otherwise)."""
    renamed = {"sale_date": "date"}
    return tuple(renamed.get(c, c) for c in spec.order)


def compute_shape_problems(columns: dict[str, set[str]]) -> list[str]:
    """What a live-shaped database lacks: required tables, and required columns of any table."""
    problems = []
    for spec in TABLES:
        present = columns.get(spec.source)
        if present is None:
            if spec.required:
                problems.append(f"no table {spec.source}")
            continue
        missing = [c for c in spec.required_columns if c not in present]
        if missing:
            problems.append(f"{spec.source} lacks {', '.join(missing)}")
    return problems


def _load_columns(connection: psycopg.Connection) -> dict[str, set[str]]:
    wanted = sorted({spec.source for spec in TABLES})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema || '.' || table_name, column_name"
            "  FROM information_schema.columns"
            " WHERE table_schema || '.' || table_name = ANY(%s)",
            (wanted,),
        )
        columns: dict[str, set[str]] = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, set()).add(column)
    return columns


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def looks_like_url(source: str) -> bool:
    return source.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


@contextlib.contextmanager
def _connect(conninfo: str, description: str, snapshot: str) -> Iterator[LiveSource]:
    try:
        connection = psycopg.connect(
            conninfo, connect_timeout=10,
            options="-c default_transaction_read_only=on -c timezone=UTC",
        )
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceUnreadable(f"cannot read the live database {description}: {reason}") from exc
    try:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        columns = _load_columns(connection)
        problems = compute_shape_problems(columns)
        if problems:
            raise SourceUnreadable(
                f"{description} is not the live system's shape: {'; '.join(problems[:4])}"
            )
        yield LiveSource(connection, description, snapshot, columns)
    finally:
        connection.close()


@contextlib.contextmanager
def open_source(source: str, workbench: Engine) -> Iterator[LiveSource]:
    """A read-only live source from a URL, or from a dump restored into a staging database of
    the workbench's server (dropped when the block ends)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if looks_like_url(source):
        try:
            url = make_url(source)
        except sa.exc.ArgumentError as exc:
            raise SourceUnreadable(f"{source!r} is not a database URL") from exc
        description = url.set(drivername="postgresql").render_as_string(hide_password=True)
        with _connect(_libpq(url), description, f"{description} read at {stamp}") as live:
            yield live
        return
    path = Path(source)
    if not path.is_file():
        raise SourceUnreadable(f"no file {path} (give a live database URL or a pg_dump file)")
    with _staging_database(path, workbench) as staging_url:
        digest = _file_digest(path)
        with _connect(_libpq(staging_url), str(path.resolve()),
                      f"{path.name} (sha256 {digest[:12]}) restored at {stamp}") as live:
            yield live


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def compute_dump_format(head: bytes) -> str | None:
    """'custom' for pg_dump -Fc, 'plain' for an SQL script, None for anything else."""
    if head.startswith(b"PGDMP"):
        return "custom"
    text = head.decode("utf-8", errors="replace").lstrip()
    if text.startswith(("--", "SET ", "CREATE ", "BEGIN", "\\")):
        return "plain"
    return None


# The hosted live database has uuid-ossp (Supabase installs it in schema "extensions"); the
# embedded server has not: table defaults naming uuid_generate_v4() would fail to restore.
STAGING_STUBS = """
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE OR REPLACE FUNCTION public.uuid_generate_v4() RETURNS uuid
  LANGUAGE sql AS 'SELECT gen_random_uuid()';
CREATE OR REPLACE FUNCTION extensions.uuid_generate_v4() RETURNS uuid
  LANGUAGE sql AS 'SELECT gen_random_uuid()';
"""


def _prepare_staging(staging: URL) -> None:
    with psycopg.connect(_libpq(staging), autocommit=True) as connection:
        connection.execute(STAGING_STUBS)


@contextlib.contextmanager
def _staging_database(path: Path, workbench: Engine) -> Iterator[URL]:
    from ..history.backup import BackupError, find_tool

    with path.open("rb") as handle:
        kind = compute_dump_format(handle.read(64))
    if kind is None:
        raise SourceUnreadable(f"{path} is neither a pg_dump archive nor an SQL dump")
    name = f"live_import_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(workbench.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            major = int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        staging = workbench.url.set(database=name)
        _prepare_staging(staging)
        env = dict(os.environ)
        if staging.password:
            env["PGPASSWORD"] = str(staging.password)
        uri = staging.set(drivername="postgresql", password=None).render_as_string(
            hide_password=False)
        try:
            if kind == "custom":
                command = [find_tool("pg_restore", major), "--no-owner", "--no-privileges",
                           f"--dbname={uri}", str(path)]
            else:
                command = [find_tool("psql", major), "--no-psqlrc", "--quiet",
                           f"--dbname={uri}", f"--file={path}"]
        except BackupError as exc:
            raise SourceUnreadable(str(exc)) from exc
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if kind == "custom" and "could not" in done.stderr and "valid archive" in done.stderr:
            raise SourceUnreadable(f"{path} is not a readable pg_dump archive")
        yield staging
    finally:
        with contextlib.suppress(Exception), admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
