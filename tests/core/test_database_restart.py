"""The database restarted while dashboards are open: the next action on an open page works (the
pool pings a connection before use and reconnects; a transaction whose first statement meets a
dead connection runs once more), or says plainly that the database restarted and nothing was
saved. The pool's part ends this module's connections with pg_terminate_backend (what a restart
does to them); the restart itself runs against a private embedded server of its own (the shared
one is never stopped), whose socket moves to a new folder when it starts again."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from backoffice_lib import access, database, ui
from backoffice_lib.reconciliation.reconciliation_dashboard import ReconciliationDashboard

ROOT = Path(__file__).resolve().parents[2]
KILL_MYSELF = "SELECT pg_terminate_backend(pg_backend_pid())"


def _end_connections(engine, database_name: str) -> int:
    """What a restart does to the pool's connections: the server ends them."""
    admin = sa.create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": database_name}).all())
    finally:
        admin.dispose()


@pytest.fixture
def pool(database_url):
    return database.get_engine(database_url.render_as_string(hide_password=False))


def test_after_the_database_ended_every_connection_the_next_dashboard_action_works(
        pool, database_url):
    email = f"rec-admin-{uuid.uuid4().hex[:6]}@studio.example"
    with pool.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES (:e, true)"), {"e": email})
        user = access.load_user(conn, email)
    view = ReconciliationDashboard(user)  # opened: its connections wait in the pool
    assert "session(s)" in view.status.value
    assert _end_connections(pool, database_url.database) >= 1
    view.status.value = ""
    view.load()  # the Refresh button
    assert "session(s)" in view.status.value, view.status.value


def test_a_transaction_whose_first_statement_meets_a_dead_connection_runs_once_more(pool):
    attempts = []

    def work(conn):
        attempts.append(1)
        if len(attempts) == 1:  # the database goes away as the first statement arrives
            conn.execute(sa.text(KILL_MYSELF))
        return conn.scalar(sa.text("SELECT 42"))

    assert ui.form_action(work, engine=pool) == (42, None)
    assert len(attempts) == 2


def test_a_transaction_cut_after_it_wrote_is_not_redone_and_says_the_database_restarted(pool):
    attempts = []

    def work(conn):
        attempts.append(1)
        conn.execute(sa.text("INSERT INTO backoffice.public_holidays (holiday_date, holiday_name)"
                             " VALUES ('2031-07-01', 'restart test')"))
        conn.execute(sa.text(KILL_MYSELF))

    result, message = ui.form_action(work, engine=pool)
    assert result is None and len(attempts) == 1
    assert message == "the database restarted or cannot be reached: nothing was saved; try again"
    with pool.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.public_holidays"
                                   " WHERE holiday_name = 'restart test'")) == 0


def test_a_page_read_cut_by_a_restart_says_so_instead_of_an_error(pool, monkeypatch):
    email = f"page-admin-{uuid.uuid4().hex[:6]}@studio.example"
    with pool.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES (:e, true)"), {"e": email})
    monkeypatch.setenv("BACKOFFICE_USER", email)

    def build(_user):
        with pool.connect() as conn:
            conn.execute(sa.text(KILL_MYSELF))

    panel = ui.guarded_dashboard("payroll", build)
    assert "The database restarted" in panel.value and "reload the page" in panel.value


def test_a_run_whose_slot_connection_the_restart_ended_still_finishes(pool, database_url):
    from backoffice_lib.workbench import runs

    with runs.run_slot(pool):  # a run holds its slot on a connection of its own
        assert _end_connections(pool, database_url.database) >= 1
    with runs.run_slot(pool) as slot:  # the slot went with that session: free again
        assert slot == 0


# --- a real restart, on a private server ------------------------------------------------------------

RESTART = """
import json, subprocess, sys
import sqlalchemy as sa
from backoffice_lib import access, database, migrate, ui
from backoffice_lib.reconciliation.reconciliation_dashboard import ReconciliationDashboard

def started_at(conn):
    return conn.scalar(sa.text("SELECT pg_postmaster_start_time()::text"))

def in_another_process(call):
    done = subprocess.run([sys.executable, "-c", "from backoffice_lib import database; " + call],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr

url = database.database_url()  # starts this data dir's server; a page's kernel keeps this URL
with database.transaction() as conn:
    migrate.upgrade(conn)
    conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                         " VALUES ('admin@studio.example', true)"))
    user = access.load_user(conn, "admin@studio.example")
view = ReconciliationDashboard(user)  # an open page
first, _ = ui.form_action(started_at)
in_another_process("print(database.stop_embedded_server())")
stopped = ui.form_action(started_at)
in_another_process("database.database_url()")  # started again: its socket is elsewhere now
view.status.value = ""
view.load()  # the page's Refresh button, after the restart
second = ui.form_action(started_at)
print(json.dumps({"url_socket": url.query["host"], "first": first, "stopped": stopped,
                  "second": second, "page": view.status.value,
                  "socket": str(database._running(database.settings.data_dir() / "pgdata")
                                .socket_dir)}))
in_another_process("print(database.stop_embedded_server())")
"""


@pytest.fixture
def private_data_dir():
    """A data dir of its own, under a path too long for the socket to sit in PGDATA (so the
    socket folder changes at each start), passable by the server's account."""
    base = Path(tempfile.mkdtemp(prefix="bo-restart-", dir="/tmp"))
    deep = base / ("r" * 60) / ("s" * 40)
    deep.mkdir(parents=True)
    for folder in (base, deep.parent, deep):
        folder.chmod(0o711)
    yield deep / "data"
    shutil.rmtree(base, ignore_errors=True)


def test_after_the_embedded_server_restarted_an_open_page_reconnects_to_its_new_socket(
        private_data_dir):
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("BACKOFFICE_DATABASE_URL", "XDG_RUNTIME_DIR") and not k.startswith("PG")}
    env["BACKOFFICE_DATA_DIR"] = str(private_data_dir)
    done = subprocess.run([sys.executable, "-c", RESTART], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["first"] is not None
    assert seen["stopped"] == [
        None, "the database restarted or cannot be reached: nothing was saved; try again"]
    assert seen["socket"] != seen["url_socket"]  # the URL the process holds names the old one
    result, refusal = seen["second"]
    assert refusal is None and result != seen["first"]  # the new server answered
    assert "0 session(s)" in seen["page"], seen["page"]  # the open page's next action worked
