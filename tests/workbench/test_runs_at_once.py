"""Runs that never collide (issue 23): ten notebook runs started at once all finish right, each
kernel's sockets in a folder of its own under the data dir (never the notebooks' folder), at most
BACKOFFICE_MAX_RUNS running while the others wait; a killed run is "interrupted", and the period's
job runs again; a person's browser reports are limited, the command line never is."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok, database
from backoffice_lib.workbench import catalog, runs_page

BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))
ADMIN = "admin@studio.example"


def _months(count: int) -> list[str]:
    months = [bangkok.previous_month(bangkok.month_key(bangkok.today()))]
    while len(months) < count:
        months.append(bangkok.previous_month(months[-1]))
    return months


@pytest.fixture
def run_env(demo_env, tmp_path):
    return {**demo_env, "BACKOFFICE_DATA_DIR": str(tmp_path / "data"), "BACKOFFICE_USER": ADMIN,
            "BACKOFFICE_MAX_RUNS": "2"}


def _sockets_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_socket() or "-ipc" in p.name]


def test_ten_runs_at_once_all_finish_and_never_share_sockets(run_env, demo_engine, tmp_path):
    months = _months(3)
    today = bangkok.today().isoformat()
    commands = [
        *(["jobs", "run", "payroll-monthly", "-p", f"month={m}"] for m in months),
        *(["jobs", "run", "invoices-monthly", "-p", f"month={m}"] for m in months[:2]),
        ["jobs", "run", "coach-earnings-monthly", "-p", f"month={months[0]}"],
        ["jobs", "run", "coach-earnings-monthly", "-p", f"month={months[0]}", "-p", "coach=MIN"],
        ["jobs", "run", "package-alerts", "-p", f"as_of={today}"],
        ["jobs", "run", "package-alerts", "-p", f"as_of={today}"],
        ["payroll", "run", "--month", months[1]],
    ]
    assert len(commands) == 10
    started = dt.datetime.now(dt.UTC)
    processes = [subprocess.Popen([BACKOFFICE, *c], env=run_env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for c in commands]
    answers = [p.communicate(timeout=600) for p in processes]
    for command, process, (out, err) in zip(commands, processes, answers):
        assert process.returncode == 0, (command, out, err)
    with demo_engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT status, started_at, finished_at, duration_seconds FROM backoffice.job_runs"
            " WHERE started_at >= :s"), {"s": started}).all()
    assert len(rows) == 10 and {r.status for r in rows} == {"succeeded"}
    # never more than two running at once: count overlaps of the notebook parts
    spans = sorted((r.finished_at - dt.timedelta(seconds=float(r.duration_seconds)),
                    r.finished_at) for r in rows)
    for start, _ in spans:
        assert sum(1 for s, e in spans if s <= start < e) <= 2
    data = tmp_path / "data"
    assert not [p for p in (data / "runtime" / "runs").iterdir()]  # each run cleaned up
    assert _sockets_in(catalog.notebooks_dir()) == []


def test_a_killed_run_is_interrupted_and_its_period_runs_again(run_env, demo_engine):
    """SIGKILL mid-run: the next jobs command marks it failed "interrupted"; run-due runs it."""
    month = _months(1)[0]
    env = {**run_env, "BACKOFFICE_MAX_RUNS": "1"}
    process = subprocess.Popen([BACKOFFICE, "jobs", "run", "payroll-monthly", "-p",
                                f"month={month}"], env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    run_id = None
    while run_id is None and time.monotonic() < deadline:
        time.sleep(0.3)
        with demo_engine.connect() as conn:
            run_id = conn.scalar(sa.text(
                "SELECT id FROM backoffice.job_runs WHERE status = 'running' AND pid = :p"),
                {"p": process.pid})
    assert run_id is not None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    listing = subprocess.run([BACKOFFICE, "jobs", "list", "--limit", "3"], check=False, env=env,
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    with demo_engine.connect() as conn:
        status, error = conn.execute(sa.text(
            "SELECT status, error FROM backoffice.job_runs WHERE id = :i"), {"i": run_id}).one()
    assert status == "failed" and error.startswith("interrupted")


@pytest.fixture
def demo_runs(demo_env, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(runs_page.MAX_REPORTS_ENV, "1")
    database.database_url.cache_clear()
    yield
    database.database_url.cache_clear()


def test_a_person_has_a_limited_number_of_reports_in_flight(demo_runs, demo_engine):
    with demo_engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO backoffice.job_runs (id, job_name, notebook, run_dir, status,"
            " requested_by, trigger, pid, host) VALUES (:i, 'payroll-monthly',"
            " 'payroll/payroll_run.ipynb', '/runs/x', 'running', :u, 'manual', :p, :h)"),
            {"i": uuid.uuid4(), "u": ADMIN, "p": os.getpid(), "h": os.uname().nodename})
    runner = runs_page.notebook_runner("payroll/payroll_run.ipynb")
    with pytest.raises(runs_page.ReportRefused, match="already have 1 reports running"):
        runner.start({"month": _months(1)[0]}, ADMIN)
    assert runs_page.load_reports_in_flight("manager@studio.example") == 0
    with demo_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM backoffice.job_runs WHERE requested_by = :u"
                             " AND run_dir = '/runs/x'"), {"u": ADMIN})
