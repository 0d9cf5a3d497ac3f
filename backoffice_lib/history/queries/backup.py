"""The database's own facts for backups, restores and the schema dump: the server's version, the
workbench's tables with their row counts and checksums, and scratch databases."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

CHECKED_SCHEMAS = ("backoffice", "archive", "pos", "public")


def load_server_major(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000


def load_contents(conn: Connection) -> dict[str, int]:
    """Rows per non-empty workbench table: what a restore would replace."""
    return {name: count for name, (count, _) in load_counts(conn).items() if count}


def load_counts(conn: Connection, schemas=CHECKED_SCHEMAS) -> dict[str, tuple[int, None]]:
    tables = load_table_names(conn, schemas)
    if not tables:
        return {}
    union = " UNION ALL ".join(
        f"SELECT {i} AS i, count(*) AS n FROM {name}" for i, name in enumerate(tables))
    counts = dict(conn.execute(sa.text(union)).all())
    return {name: (counts[i], None) for i, name in enumerate(tables)}


def load_table_names(conn: Connection, schemas) -> list[str]:
    """Every table of the schemas (a partitioned table once, with all its partitions)."""
    return conn.execute(
        sa.text(
            "SELECT format('%I.%I', n.nspname, c.relname) AS name"
            "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
            "   AND n.nspname = ANY(:schemas) AND c.relname <> 'alembic_version'"
            " ORDER BY 1"
        ),
        {"schemas": list(schemas)},
    ).scalars().all()


def load_checksums(conn: Connection, schemas=CHECKED_SCHEMAS) -> dict[str, tuple[int, str]]:
    """Row count and md5 of every table (a partitioned table once, with all its partitions),
    to compare a database before and after a conversion or a backup round trip."""
    tables = load_table_names(conn, schemas)
    sums = {}
    for name in tables:
        row = conn.execute(
            sa.text(
                f"SELECT count(*) AS n, coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)),"
                f" '') AS md5 FROM {name} t"
            )
        ).one()
        sums[name] = (row.n, row.md5)
    return sums


@contextlib.contextmanager
def scratch_database(engine: Engine, name: str) -> Iterator[URL]:
    """A database ``name`` created on ``engine``'s server for the block, dropped after it."""
    admin = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield engine.url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- verified backups: every table's fingerprint in one snapshot ---------------------------------

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def load_every_table_name(conn: Connection) -> list[str]:
    """Every table of every schema but the system's (a partitioned table once, with its
    partitions); what a verified backup compares."""
    return conn.execute(
        sa.text(
            "SELECT format('%I.%I', n.nspname, c.relname) AS name"
            "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'"
            "   AND n.nspname <> ALL(:system) AND n.nspname NOT LIKE 'pg_temp%'"
            "   AND n.nspname NOT LIKE 'pg_toast_temp%'"
            " ORDER BY 1"
        ),
        {"system": list(SYSTEM_SCHEMAS)},
    ).scalars().all()


def load_primary_key_columns(conn: Connection) -> dict[str, list[str]]:
    """Each table's primary-key columns in key order, by the table's quoted name; a text column
    sorts in the "C" collation (byte order), so the order is the same in any database."""
    rows = conn.execute(
        sa.text(
            "SELECT format('%I.%I', n.nspname, c.relname) AS name, quote_ident(a.attname)"
            "       || CASE WHEN a.attcollation <> 0 THEN ' COLLATE \"C\"' ELSE '' END AS col"
            "  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            "  JOIN pg_namespace n ON n.oid = c.relnamespace"
            "  CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS key(attnum, position)"
            "  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = key.attnum"
            " WHERE k.contype = 'p' ORDER BY 1, key.position"
        )
    ).all()
    keys: dict[str, list[str]] = {}
    for name, column in rows:
        keys.setdefault(name, []).append(column)
    return keys


def save_stable_text_settings(conn: Connection) -> None:
    """Rows read as text the same way on any connection (time zone, date and number styles),
    for this transaction only."""
    for setting, value in (("TimeZone", "UTC"), ("DateStyle", "ISO, YMD"),
                           ("IntervalStyle", "postgres"), ("extra_float_digits", "1"),
                           ("bytea_output", "hex")):
        conn.execute(sa.text("SELECT set_config(:s, :v, true)"), {"s": setting, "v": value})


def load_table_fingerprints(conn: Connection) -> dict[str, tuple[int, str]]:
    """Row count and an md5 over every table's rows in primary-key order (rows as text; a table
    without a primary key in the order of its rows' text), in ``conn``'s snapshot."""
    save_stable_text_settings(conn)
    keys = load_primary_key_columns(conn)
    found = {}
    for name in load_every_table_name(conn):
        order = (", ".join(f"t.{column}" for column in keys.get(name, []))
                 or 't::text COLLATE "C"')
        row = conn.execute(
            sa.text(
                f"SELECT count(*) AS n, coalesce(md5(string_agg(md5(t::text), '' ORDER BY {order})),"
                f" '') AS md5 FROM {name} t"
            )
        ).one()
        found[name] = (int(row.n), row.md5)
    return found


def load_exported_snapshot(conn: Connection) -> str:
    """Export ``conn``'s snapshot (a REPEATABLE READ transaction) for pg_dump --snapshot."""
    return conn.scalar(sa.text("SELECT pg_export_snapshot()"))


@contextlib.contextmanager
def scratch_database_engine(engine: Engine, name: str) -> Iterator[Engine]:
    """An engine on a scratch database ``name`` (created for the block, dropped after it, even
    when the block fails)."""
    with scratch_database(engine, name) as url:
        scratch = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            yield scratch
        finally:
            scratch.dispose()


def load_database_names(engine: Engine, prefix: str) -> list[str]:
    """The server's databases whose name starts with ``prefix``."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :p) ORDER BY 1"),
            {"p": prefix}).scalars().all()


def save_dropped_database(engine: Engine, name: str) -> None:
    """Drop database ``name`` (its connections ended), if it is there."""
    admin = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
