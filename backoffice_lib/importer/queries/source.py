"""Reading the live system, read-only: its database URL, or a ``pg_dump`` of it.

A URL is opened with ``default_transaction_read_only`` and read in one repeatable-read
transaction (one consistent snapshot). A dump runs no code from its source (issue 22): only a
custom-format archive (``pg_dump -Fc``) is taken, a plain SQL file is refused (its psql
meta-commands would run); the archive's table of contents is judged first (``archive.py``:
tables, data, indexes, constraints and sequences of the live schemas, nothing that runs code),
then it is restored with ``pg_restore`` (never ``psql``) into a staging database on the
workbench's own server (the dump's schemas are named like the workbench's own, so they cannot
share a database) by a login role made for the run (no superuser, no CREATEROLE/CREATEDB, member
of no role, owner of the staging database only), checked, read as that role the same way, and
dropped afterwards with the role. The live database is never written to.

Every query names its columns; ``staff.clear_pin`` is never among them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from ... import settings
from ..rules.archive import ArchivePlan, compute_archive_plan, format_refusal
from ..rules.mapping import TABLES, TableSpec

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
            raise SourceUnreadable(
                f"{settings.mask_secrets(repr(source))} is not a database URL") from exc
        # the report and the audit row name the source: never its password, in the URL's
        # user part or in a password= of its query
        description = settings.mask_secrets(
            url.set(drivername="postgresql").render_as_string(hide_password=True))
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
# Created by the import's role; the staging check allows exactly these functions.
STUB_BODY = "SELECT gen_random_uuid()"
STUB_SCHEMAS = ("public", "extensions")
STAGING_STUBS = f"""
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE OR REPLACE FUNCTION public.uuid_generate_v4() RETURNS uuid
  LANGUAGE sql AS '{STUB_BODY}';
CREATE OR REPLACE FUNCTION extensions.uuid_generate_v4() RETURNS uuid
  LANGUAGE sql AS '{STUB_BODY}';
"""
ROLE_ATTRIBUTES = ("LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOINHERIT NOREPLICATION"
                   " NOBYPASSRLS CONNECTION LIMIT 4")
RESTORE_OPTIONS = ("--no-owner", "--no-privileges", "--no-comments", "--no-security-labels",
                   "--no-tablespaces", "--no-publications", "--no-subscriptions",
                   "--no-policies", "--no-statistics", "--no-password")
PLAIN_REFUSED = ("{path} is a plain SQL dump, refused: plain SQL dumps run psql commands; make a"
                 " custom-format dump with pg_dump -Fc")


def _prepare_staging(staging: URL) -> None:
    with psycopg.connect(_libpq(staging), autocommit=True) as connection:
        connection.execute(STAGING_STUBS)


@contextlib.contextmanager
def _import_role(admin: Engine) -> Iterator[tuple[str, str]]:
    """A login role made for this run: no superuser, no CREATEROLE/CREATEDB, member of nothing
    (so not of pg_execute_server_program / pg_write_server_files / pg_read_server_files); dropped
    afterwards, also after a failure."""
    name = f"live_import_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    password = secrets.token_hex(24)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE ROLE \"{name}\" {ROLE_ATTRIBUTES} PASSWORD '{password}'"))
    except sa.exc.DBAPIError as exc:
        raise SourceUnreadable("restoring a dump needs a workbench database user that may"
                               f" create roles and databases ({_first_line(exc)})") from None
    try:
        yield name, password
    finally:
        _drop_role(admin, name)


def _first_line(exc: sa.exc.DBAPIError) -> str:
    text = str(exc.orig or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def sweep_leftovers(workbench: Engine) -> None:
    """What imports killed half-way left outside the workbench's transaction (their staging
    databases, roles and restore folders) is removed; a database user that may not drop them
    leaves them (a dump import, which needs those rights, sweeps them)."""
    admin = sa.create_engine(workbench.url, isolation_level="AUTOCOMMIT")
    try:
        with contextlib.suppress(sa.exc.DBAPIError):
            _sweep_leftovers(admin)
    finally:
        admin.dispose()
    for folder in Path(tempfile.gettempdir()).glob(f"{RESTORE_FOLDER}*"):
        pid = folder.name.removeprefix(RESTORE_FOLDER).split("-")[0]
        if pid.isdigit() and not _alive(int(pid)) and folder.stat().st_uid == os.getuid():
            shutil.rmtree(folder, ignore_errors=True)


RESTORE_FOLDER = "live-import-"


def _sweep_leftovers(admin: Engine) -> None:
    """Staging databases and roles of imports whose process died (killed: its ``finally``
    never ran) are dropped; the names carry the pid (an import of this machine)."""
    with admin.connect() as conn:
        roles = conn.scalars(sa.text(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'live\\_import\\_%'")).all()
        databases = conn.scalars(sa.text(
            "SELECT datname FROM pg_database WHERE datname LIKE 'live\\_import\\_%'")).all()
    dead = [(kind, name) for kind, names in (("DATABASE", databases), ("ROLE", roles))
            for name in names if name.split("_")[2].isdigit()
            and not _alive(int(name.split("_")[2]))]
    for kind, name in dead:  # the databases first: their role owns them
        force = " WITH (FORCE)" if kind == "DATABASE" else ""
        with contextlib.suppress(sa.exc.DBAPIError), admin.connect() as conn:
            conn.execute(sa.text(f'DROP {kind} IF EXISTS "{name}"{force}'))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_role(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                             " WHERE usename = :n"), {"n": name})
        try:
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
        except sa.exc.DBAPIError:
            conn.execute(sa.text(f'DROP OWNED BY "{name}"'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))


def _read_plan(tool: str, path: Path) -> ArchivePlan:
    done = subprocess.run([tool, "--list", str(path)], capture_output=True, text=True,
                          check=False, errors="replace")
    if done.returncode != 0:
        raise SourceUnreadable(f"{path} is not a readable pg_dump archive")
    plan = compute_archive_plan(done.stdout)
    if plan.refused:
        raise SourceUnreadable(format_refusal(path.name, plan.refused))
    if not plan.restore_lines:
        raise SourceUnreadable(f"{path} holds no table of the live system")
    return plan


def _restore(tool: str, path: Path, plan: ArchivePlan, staging: URL) -> None:
    """pg_restore of the planned entries only, connected as the import's role."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGPASSWORD"] = str(staging.password)
    uri = staging.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    with tempfile.TemporaryDirectory(prefix=f"{RESTORE_FOLDER}{os.getpid()}-") as folder:
        listing = Path(folder) / "restore.list"
        listing.write_text("\n".join(plan.restore_lines) + "\n")
        done = subprocess.run([tool, *RESTORE_OPTIONS, f"--use-list={listing}",
                               f"--dbname={uri}", str(path)],
                              capture_output=True, text=True, env=env, check=False,
                              errors="replace")
    if "could not" in done.stderr and "valid archive" in done.stderr:
        raise SourceUnreadable(f"{path} is not a readable pg_dump archive")


STAGING_CHECKS = {
    "function": "SELECT n.nspname || '.' || p.proname FROM pg_proc p"
                " JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
                " AND NOT (p.proname = 'uuid_generate_v4' AND n.nspname = ANY(%(stubs)s)"
                "          AND p.prosrc = %(body)s AND p.prolang = (SELECT oid FROM pg_language"
                "          WHERE lanname = 'sql') AND NOT p.prosecdef)",
    "extension": "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'",
    "event trigger": "SELECT evtname FROM pg_event_trigger",
    "trigger": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    "rule or view": "SELECT r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')",
    "policy": "SELECT polname FROM pg_policy",
    "operator": "SELECT o.oprname FROM pg_operator o JOIN pg_namespace n"
                " ON n.oid = o.oprnamespace WHERE n.nspname <> 'pg_catalog'",
}


def _check_staging(staging: URL, path: Path) -> None:
    """After the restore (the listing's labels are the archive writer's word): the staging
    database holds nothing that runs code, else the import is refused."""
    found = []
    with psycopg.connect(_libpq(staging), autocommit=True) as connection:
        for kind, sql in STAGING_CHECKS.items():
            rows = connection.execute(sql, {"stubs": list(STUB_SCHEMAS), "body": STUB_BODY})
            found += [f"{kind} {name}" for (name,) in rows.fetchall()]
    if found:
        raise SourceUnreadable(format_refusal(path.name, found))


@contextlib.contextmanager
def _staging_database(path: Path, workbench: Engine) -> Iterator[URL]:
    """A staging database restored from a custom-format dump by a role made for the run (the
    URL yielded connects as that role); refused before anything is created when the archive's
    table of contents holds anything but the live shape. Dropped afterwards with the role."""
    from ...history.service.backup import BackupError, find_tool

    with path.open("rb") as handle:
        kind = compute_dump_format(handle.read(64))
    if kind == "plain":
        raise SourceUnreadable(PLAIN_REFUSED.format(path=path))
    if kind is None:
        raise SourceUnreadable(f"{path} is neither a pg_dump archive nor an SQL dump (make a"
                               " custom-format dump with pg_dump -Fc)")
    admin = sa.create_engine(workbench.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            major = int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000
        try:
            tool = find_tool("pg_restore", major)
        except BackupError as exc:
            raise SourceUnreadable(str(exc)) from exc
        plan = _read_plan(tool, path)
        _sweep_leftovers(admin)
        with _import_role(admin) as (role, password):
            name = f"live_import_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            try:
                try:
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'CREATE DATABASE "{name}" OWNER "{role}"'))
                        conn.execute(sa.text(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC'))
                except sa.exc.DBAPIError as exc:
                    raise SourceUnreadable(
                        "restoring a dump needs a workbench database user that may create"
                        f" databases owned by another role ({_first_line(exc)})") from None
                staging = workbench.url.set(database=name, username=role, password=password)
                _prepare_staging(staging)
                _restore(tool, path, plan, staging)
                _check_staging(staging, path)
                yield staging
            finally:
                with contextlib.suppress(Exception), admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
