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

import inspect
import os
import re
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


@pytest.fixture
def signed_in_admin(engine, monkeypatch):
    """A committed admin of ``engine``'s database, signed in (``BACKOFFICE_USER``), as
    ``access.load_user`` returns it: for dashboards whose handlers open their own transactions."""
    from backoffice_lib import access

    email = f"admin-{uuid.uuid4().hex[:6]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:e, true)"), {"e": email})
    monkeypatch.setenv("BACKOFFICE_USER", email)
    with engine.connect() as c:
        return access.load_user(c, email)


# --- kinds of tests, for a person in a hurry ---------------------------------------------------
# `make test-quick` runs what none of these marks: `-m "not (browser or serve or notebook or slow)"`.
KINDS = {
    "browser": "drives headless Chromium against a served dashboard (tests/browser)",
    "serve": "starts a `backoffice serve` or `backoffice lab` server of its own",
    "notebook": "executes a notebook in a kernel (papermill, `jobs run`, `payroll run`)",
    "slow": "takes seconds without a browser, server or notebook: a command in a process of its"
            " own, demo loads, many runs",
}
SERVE_FILES = {"workbench/test_files_serve.py", "workbench/test_lab.py"}
SERVE_FIXTURES = {"served", "header_server", "kiosk_server", "proxied"}
# A notebook runs where a test, one of its fixtures or a helper of its module calls papermill or
# a run command; a command runs in a process of its own where one of them starts a subprocess.
RUNS_A_COMMAND = re.compile(r"run_backoffice\(|subprocess\.(run|Popen|check_output|check_call)\(")
RUNS_A_NOTEBOOK = re.compile(
    r"execute_notebook\(|start_report_run\(|[\"']run(-due)?[\"'],|[\"']payroll[\"'], [\"']run[\"']")
# Files whose tests look at the whole PostgreSQL cluster (its roles, the import's staging
# databases): run one after another on one xdist worker, never beside each other.
CLUSTER_WIDE = {
    "importer/test_import_cli.py", "importer/test_import_live.py",
    "importer/test_import_killed.py",
    "security/test_import_runs_no_code.py", "security/test_analyst_role.py",
    "security/test_database_locks.py", "workbench/test_signin_roles.py",
    "explore/test_analysis_notebooks.py",
}
SLOW = {
    "workbench/test_runs_at_once.py",
    "history/test_backup_notebook.py::test_the_backup_job_runs_once_verifies_and_rotates",
    "workbench/test_runs_from_pages.py::test_a_run_started_from_a_preheated_page_kernel_finishes_with_its_files",
    "security/test_embedded_server_private.py",  # a PostgreSQL server of its own per test
    "security/test_bounded_reads.py::test_a_file_beyond_the_limits_is_refused_with_a_message",
    "core/test_demo_data.py::test_refuses_non_demo_data_and_same_seed_and_as_of_give_identical_rows",
    "core/test_demo_data.py::test_cli_refuses_in_one_line_then_forced_loads_the_rows_another_process_loads",
}


def pytest_configure(config):
    for kind, meaning in KINDS.items():
        config.addinivalue_line("markers", f"{kind}: {meaning}")


def _body(function) -> str:
    """A function's source without its decorators (a parametrize table is not what it runs)."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return ""
    start = re.search(r"^\s*(async\s+)?def ", source, re.MULTILINE)
    return source[start.start():] if start else source


def _runs(pattern: re.Pattern, item, helpers: dict) -> bool:
    """Whether the test, a fixture it uses, or a helper of its module that either calls, holds
    ``pattern`` (a papermill call, a subprocess)."""
    functions = [getattr(item, "function", None)]
    fixture_info = getattr(item, "_fixtureinfo", None)
    if fixture_info is not None:
        functions += [defs[-1].func for defs in fixture_info.name2fixturedefs.values() if defs]
    module = getattr(item, "module", None)
    key = (getattr(module, "__name__", ""), pattern.pattern)
    if module is not None and key not in helpers:
        helpers[key] = [
            name for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__
            and not name.startswith("test_") and pattern.search(_body(value))]
    called = helpers.get(key, [])
    for function in functions:
        body = _body(function)
        if pattern.search(body) or any(re.search(rf"\b{name}\(", body) for name in called):
            return True
    return False


def pytest_collection_modifyitems(config, items):
    helpers: dict[tuple[str, str], list[str]] = {}
    for item in items:
        path = Path(str(item.path)).resolve().relative_to(ROOT / "tests").as_posix()
        kinds = set()
        if path.startswith("browser/"):
            kinds.add("browser")
        if path in SERVE_FILES or SERVE_FIXTURES & set(item.fixturenames):
            kinds.add("serve")
        if _runs(RUNS_A_NOTEBOOK, item, helpers):
            kinds.add("notebook")
        if (path in SLOW or f"{path}::{item.originalname}" in SLOW
                or _runs(RUNS_A_COMMAND, item, helpers)):
            kinds.add("slow")
        for kind in sorted(kinds):
            item.add_marker(getattr(pytest.mark, kind))


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pytest-xdist is in the test extra; without it, tests run one by one
    pass
else:
    class _FileScheduling(LoadScopeScheduling):
        """A file's tests on one worker (its module databases and servers are built once); the
        files in CLUSTER_WIDE together on one, one after the other."""

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "cluster" if path.removeprefix("tests/") in CLUSTER_WIDE else path

    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "loadfile":
            return _FileScheduling(config, log)
        return None
