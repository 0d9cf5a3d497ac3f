"""Runs started from a page run like scheduled runs (issue 29): a clean environment, the user
named, and a run that cannot start, stalls or loses its process says so instead of "running"."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import time
import uuid

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok, database
from backoffice_lib.workbench import runs, runs_page

ADMIN = "admin@studio.example"
PAGE_KERNEL = {
    "VOILA_PREHEAT": "True",
    "VOILA_KERNEL_ID": "3f2a",
    "VOILA_BASE_URL": "/",
    "HTTP_X_FORWARDED_EMAIL": "someone-else@studio.example",
    "QUERY_STRING": "month=2025-01",
    "SCRIPT_NAME": "/voila/render/payroll/payroll_close.ipynb",
    "BACKOFFICE_AUTH_HEADER": "X-Forwarded-Email",
    "BACKOFFICE_PROXY_SECRET": "proxy-secret",
    "BACKOFFICE_SERVE_TOKEN": "serve-token",
    "BACKOFFICE_USER": "someone-else@studio.example",
}


def test_a_run_inherits_nothing_of_the_page_that_started_it():
    machine = {"PATH": "/usr/bin", "HOME": "/home/finance", "LC_ALL": "C.UTF-8",
               "BACKOFFICE_DATABASE_URL": "postgresql://db/studio",
               "BACKOFFICE_JOBS_FILE": "/etc/backoffice/jobs.yml", "IPYTHONDIR": "/ipy"}
    env = runs_page.compute_child_environment({**machine, **PAGE_KERNEL}, ADMIN)
    assert env == {**machine, "BACKOFFICE_USER": ADMIN}


def test_a_run_kernel_never_sees_voila_or_request_variables(monkeypatch):
    for key, value in PAGE_KERNEL.items():
        monkeypatch.setenv(key, value)
    with runs.kernel_environment():
        seen = dict(os.environ)
    assert not [k for k in seen if k.startswith(("VOILA_", "HTTP_"))]
    assert "QUERY_STRING" not in seen and "SCRIPT_NAME" not in seen
    assert os.environ["VOILA_PREHEAT"] == "True"  # the caller's own environment is restored


def _cell(status: str, started: str | None = None, source: str = "x = 1") -> dict:
    papermill = {"status": status, **({"start_time": started} if started else {})}
    return {"cell_type": "code", "source": source, "metadata": {"papermill": papermill}}


@pytest.mark.parametrize(("seconds", "said"), [
    (5, ""),
    (300, "cell 2 (run = report.prepare_payroll_run(month, output_dir)) has been running for 300 s"),
])
def test_a_stalled_cell_is_named_with_how_long_it_runs(seconds, said):
    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    started = (now - dt.timedelta(seconds=seconds)).isoformat()
    notebook = {"cells": [_cell("completed"), {"cell_type": "markdown", "source": "# x"},
                          _cell("running", started,
                                "run = report.prepare_payroll_run(month, output_dir)\nx")]}
    assert runs_page.compute_stall_note(*runs_page.compute_running_cell(notebook, now)) == said


def _insert_run(conn, *, pid: int | None, started_at: dt.datetime, host: str | None = None):
    run_id = uuid.uuid4()
    conn.execute(sa.text(
        "INSERT INTO backoffice.job_runs (id, job_name, notebook, run_dir, status, started_at,"
        " pid, host) VALUES (:i, 'payroll', 'payroll_run.ipynb', '/runs/x', 'running', :s, :p,"
        " :h)"), {"i": run_id, "s": started_at, "p": pid, "h": host or socket.gethostname()})
    return run_id


def _status(conn, run_id) -> tuple[str, str | None]:
    row = conn.execute(sa.text("SELECT status, error FROM backoffice.job_runs WHERE id = :i"),
                       {"i": run_id}).one()
    return row.status, row.error


def test_a_run_whose_process_is_gone_is_failed_not_running(conn):
    ended = subprocess.Popen(["true"])
    ended.wait()
    now = dt.datetime.now(dt.UTC)
    dead = _insert_run(conn, pid=ended.pid, started_at=now)
    alive = _insert_run(conn, pid=os.getpid(), started_at=now)
    reused = _insert_run(conn, pid=os.getpid(), started_at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    elsewhere = _insert_run(conn, pid=ended.pid, started_at=now, host="another-machine")
    unknown = _insert_run(conn, pid=None, started_at=now)
    assert set(runs.save_abandoned_runs(conn)) == {dead, reused}
    assert _status(conn, dead) == ("failed", runs.ABANDONED_REASON)
    assert _status(conn, reused)[0] == "failed"
    for still in (alive, elsewhere, unknown):
        assert _status(conn, still) == ("running", None)


@pytest.fixture
def demo_runs(demo_env, tmp_path, monkeypatch):
    """Runs started here go to the demo database and a private data dir of the test."""
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))
    database.database_url.cache_clear()  # resolved anew from BACKOFFICE_DATABASE_URL
    yield
    database.database_url.cache_clear()


def _follow(run_id, engine, seconds: float = 180) -> runs_page.RunProgress:
    started = time.monotonic()
    progress = runs_page.load_run_progress(run_id, engine=engine, started=started)
    while not progress.finished and time.monotonic() - started < seconds:
        time.sleep(0.3)
        progress = runs_page.load_run_progress(run_id, engine=engine, started=started)
    return progress


def test_a_run_that_cannot_start_says_why(demo_runs, demo_engine):
    run_id = runs_page.start_report_run("payroll/no_such_report.ipynb", {}, ADMIN)
    progress = _follow(run_id, demo_engine, 60)
    assert progress.status == "failed" and progress.run is None
    assert "the run could not start" in progress.note and "no notebook at" in progress.note


def test_a_run_started_from_a_preheated_page_kernel_finishes_with_its_files(
        demo_runs, demo_engine, monkeypatch):
    """The dashboard's kernel believes it waits for a page; the run it starts must not."""
    for key, value in PAGE_KERNEL.items():
        monkeypatch.setenv(key, value)
    month = bangkok.previous_month(bangkok.month_key(bangkok.today()))
    runner = runs_page.notebook_runner("payroll/payroll_run.ipynb")
    run_id = runner.start({"month": month}, ADMIN)
    progress = _follow(run_id, demo_engine)
    assert progress.status == "succeeded", (progress.note, progress.run and progress.run["error"])
    assert progress.cells_done == progress.cells_total == 13
    names = {f["name"] for f in runner.files(progress.run)}
    assert any(n.startswith("payroll_") and n.endswith(".xlsx") for n in names), names
    with database.transaction(demo_engine) as conn:
        created_by = conn.scalar(sa.text(
            "SELECT created_by FROM backoffice.payroll_runs WHERE month = :m"
            " ORDER BY created_at DESC LIMIT 1"), {"m": month})
    assert created_by == ADMIN  # the user named by the page, not a header of the kernel
