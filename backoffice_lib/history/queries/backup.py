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
