"""Test fixtures: a real PostgreSQL (the embedded one), one fresh database per test module.

No test depends on what a test of another module committed: each module gets its own copies,
made from two template databases built once per pytest session (PostgreSQL copies a database
from a template in well under a second).

- ``engine``: this module's database, migrated to head, dropped after the module.
- ``conn``: a connection inside a transaction that is rolled back after each test. Library
  functions take this connection and never commit, so tests see their writes and leave nothing.
- ``database_url``: the URL of that database, also exported as BACKOFFICE_DATABASE_URL so that
  CLI subprocesses and papermill kernels use it.
- ``demo_engine`` / ``demo_database_url``: this module's copy of a database with the demo data
  committed (seed 42), for tests that read demo data through the CLI, notebooks or dashboards.
- ``empty_database_url``: a fresh, empty database (no schema) for one test.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("BACKOFFICE_DATA_DIR", str(ROOT / ".backoffice"))

from backoffice_lib import database, migrate


def _server_url() -> sa.engine.URL:
    """The admin URL of the server the tests run on (embedded unless BACKOFFICE_DATABASE_URL)."""
    return database.database_url().set(database="postgres")


def _create_database(name: str) -> sa.engine.URL:
    admin = sa.create_engine(_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _server_url().set(database=name)


def _drop_database(name: str) -> None:
    admin = sa.create_engine(_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _engine_for(url: sa.engine.URL) -> sa.engine.Engine:
    return database.get_engine(url.render_as_string(hide_password=False))


def _copy_database(template: str, prefix: str) -> tuple[str, sa.engine.URL]:
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return name, _server_url().set(database=name)


@pytest.fixture(scope="session")
def _migrated_template():
    """A database migrated to head, never used directly: each module gets a copy."""
    name = f"tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = _engine_for(_create_database(name))
    with engine.begin() as c:
        migrate.upgrade(c)
    engine.dispose()
    yield name
    _drop_database(name)


@pytest.fixture(scope="session")
def _demo_template(_migrated_template):
    """A copy of the migrated template with the demo data (seed 42) committed."""
    from backoffice_lib import demo_data

    name, url = _copy_database(_migrated_template, "tmpldemo")
    engine = _engine_for(url)
    demo_data.run_demo_load(seed=42, scale=1, engine=engine)
    engine.dispose()
    yield name
    _drop_database(name)


@pytest.fixture(scope="module")
def database_url(_migrated_template):
    name, url = _copy_database(_migrated_template, "test")
    previous = os.environ.get("BACKOFFICE_DATABASE_URL")
    os.environ["BACKOFFICE_DATABASE_URL"] = url.render_as_string(hide_password=False)
    database.database_url.cache_clear()
    database.get_engine.cache_clear()  # get_engine() without a URL must mean this module's
    yield url
    if previous is None:
        os.environ.pop("BACKOFFICE_DATABASE_URL", None)
    else:
        os.environ["BACKOFFICE_DATABASE_URL"] = previous
    database.database_url.cache_clear()
    _engine_for(url).dispose()
    database.get_engine.cache_clear()
    _drop_database(name)


@pytest.fixture
def empty_database_url():
    """A fresh, empty database (no schema) for migration and CLI tests; dropped afterwards."""
    name = f"empty_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = _create_database(name)
    yield url
    database.get_engine.cache_clear()
    _drop_database(name)


@pytest.fixture(scope="module")
def engine(database_url):
    return _engine_for(database_url)


@pytest.fixture
def conn(engine):
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


@pytest.fixture(scope="module")
def demo_database_url(_demo_template):
    name, url = _copy_database(_demo_template, "demo")
    yield url
    _engine_for(url).dispose()
    _drop_database(name)


@pytest.fixture(scope="module")
def demo_engine(demo_database_url):
    return _engine_for(demo_database_url)


@pytest.fixture
def demo_env(demo_database_url, monkeypatch):
    """Environment for a subprocess (CLI, papermill kernel, Voilà) that reads the demo database."""
    monkeypatch.setenv(
        "BACKOFFICE_DATABASE_URL", demo_database_url.render_as_string(hide_password=False)
    )
    return dict(os.environ)


@pytest.fixture
def demo_conn(demo_engine):
    """A rolled-back transaction on this module's copy of the demo database."""
    with demo_engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


@pytest.fixture
def users(conn):
    """Two allowed users in ``conn``'s transaction: ``timeclock_fixtures.ADMIN`` (an admin) and
    ``MANAGER`` (allowed, not an admin); returns the admin's e-mail. A module that needs other
    users (a coach, a stranger) defines its own ``users``."""
    from timeclock_fixtures import ADMIN, add_users

    add_users(conn)
    return ADMIN
