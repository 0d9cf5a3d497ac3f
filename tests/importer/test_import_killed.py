"""An import killed half-way (SIGKILL of ``backoffice import live``, its rows already going into
the workbench's tables) leaves the workbench as it was, and the rerun completes with the counts of
a clean import. The import is one transaction of the workbench's (its stage tables are temporary
and dropped with it); a dump's staging database and role, which live outside it, are dropped by
the next import when the process that made them is gone."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from live_fixture import libpq, live_database, run_live

from backoffice_lib.history.service.backup import find_tool
from backoffice_lib.importer import service

ADMIN = "admin@studio.example"
POS_LINES = 50_000  # enough rows that the import is still at work when it is killed
KILL_WHEN_STAGED = "lengolf_sales"  # the POS is imported after staff, time, packages...


@pytest.fixture(scope="module")
def live_url():
    with live_database() as url:
        run_live(url, "INSERT INTO pos.lengolf_sales (id, date, sales_timestamp, receipt_number,"
                      " sku_number, item_cnt, item_price_incl_vat, product_name)"
                      " SELECT 100000 + g, date '2026-01-01' + g %% 28,"
                      " timestamp '2026-01-01 05:00' + g * interval '1 minute',"
                      " 'R' || (100 + g / 3), 'SKU-' || g %% 50, 1 + g %% 3, 90 + g %% 400,"
                      " 'item ' || g %% 50 FROM generate_series(1, %s) g", (POS_LINES,))
        yield url


@pytest.fixture(scope="module")
def workbench(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES (:e, true)"), {"e": ADMIN})
    return engine


def _state(engine) -> dict[str, tuple[int, str]]:
    """Every table of the workbench: its row count and an md5 over its rows."""
    with engine.connect() as conn:
        tables = conn.scalars(sa.text(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
            " AND NOT c.relispartition AND n.nspname IN ('backoffice', 'public', 'pos')"
            " ORDER BY 1")).all()
        return {t: tuple(conn.execute(sa.text(
            f"SELECT count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), ''))"
            f" FROM {t} r")).one()) for t in tables}


def _counts(report) -> dict:
    return {t["table"]: tuple(t[k] for k in service.COUNT_KEYS) for t in report["tables"]}


def _staged(engine, table: str) -> bool:
    """The import's session is at work on ``table``'s stage (its uncommitted stage table is
    invisible to others; its statements are not)."""
    with engine.connect() as conn:
        return bool(conn.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND query LIKE :q"),
            {"q": f"%import_stage_{table}%"}))


def _import_gone(engine) -> bool:
    """No session of this database still holds the import's lock (the killed one's ended)."""
    with engine.connect() as conn:
        return not conn.scalar(sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7316"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))


def _wait(condition, what: str, process: subprocess.Popen | None = None, limit: float = 300):
    deadline = time.monotonic() + limit  # a bound on waiting, not a timing assert
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the import ended before {what}: {process.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {what}")
        time.sleep(0.02)


def _kill_half_way(source: str, database_url) -> int:
    """``backoffice import live`` killed (SIGKILL) while it imports the POS, the tables before
    it already written in its transaction; returns its pid."""
    env = {**os.environ, "BACKOFFICE_DATABASE_URL":
           database_url.render_as_string(hide_password=False)}
    engine = sa.create_engine(database_url)
    # The import waits at the POS's stage (it needs pos.sales, locked here) until it is killed:
    # the earlier tables are written in its transaction, whatever the machine's speed.
    blocker = engine.connect()
    blocker.begin()
    blocker.execute(sa.text("LOCK TABLE pos.sales IN ACCESS EXCLUSIVE MODE"))
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "backoffice_lib.cli", "import", "live", "--source", source,
             "--user", ADMIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        try:
            _wait(lambda: _staged(engine, KILL_WHEN_STAGED), "the POS being staged", process)
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            assert process.returncode == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        blocker.rollback()
        _wait(lambda: _import_gone(engine), "the killed import's session end")
    finally:
        blocker.close()
        engine.dispose()
    return process.pid


def _leftovers(engine, pid: int) -> list[str]:
    prefix = f"live_import_{pid}_"
    with engine.connect() as conn:
        names = conn.scalars(sa.text(
            "SELECT datname FROM pg_database UNION ALL SELECT rolname FROM pg_roles")).all()
    return [n for n in names if n.startswith(prefix)]


def test_an_import_killed_half_way_leaves_the_workbench_as_before_and_the_rerun_completes(
        workbench, live_url, database_url):
    source = live_url.render_as_string(hide_password=False)
    clean = service.import_live(source, ADMIN, dry_run=True, engine=workbench)  # same work
    before = _state(workbench)

    _kill_half_way(source, database_url)

    assert _state(workbench) == before

    again = service.import_live(source, ADMIN, engine=workbench)
    assert _counts(again) == _counts(clean)
    assert again["totals"]["imported"] == clean["totals"]["imported"] > POS_LINES
    with workbench.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM pos.sales")) == POS_LINES + 4
        assert conn.execute(sa.text(
            "SELECT count(*), count(*) FILTER (WHERE status = 'finished')"
            " FROM backoffice.import_runs")).one() == (1, 1)  # the killed run left no row


def test_a_dump_import_killed_half_way_leaves_its_staging_to_the_next_import(
        workbench, live_url, database_url, tmp_path):
    with sa.create_engine(live_url).connect() as conn:
        major = int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000
    dump = tmp_path / "live.dump"
    subprocess.run([find_tool("pg_dump", major), "--format=custom", "--no-owner",
                    f"--file={dump}", f"--dbname={libpq(live_url)}"], check=True)
    before = _state(workbench)
    counts = _counts(service.import_live(str(dump), ADMIN, dry_run=True, engine=workbench))

    pid = _kill_half_way(str(dump), database_url)

    assert _state(workbench) == before
    left = _leftovers(workbench, pid)  # its staging database and role: outside the transaction
    assert sorted(re.sub(r"_[0-9a-f]{8}$", "", n) for n in left) == [f"live_import_{pid}"] * 2
    again = service.import_live(str(dump), ADMIN, dry_run=True, engine=workbench)
    assert _counts(again) == counts
    assert _leftovers(workbench, pid) == []
    assert not list(Path(tempfile.gettempdir()).glob(f"live-import-{pid}-*"))
