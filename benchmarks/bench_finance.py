"""Finance in the browser: run payroll to files listed, a payslip download, saving the pool.

    .venv/bin/python -m benchmarks.bench_finance [--month 2026-10] [--repeat 3]

- run payroll -> files listed: what the payroll close dashboard does on **Run payroll**
  (``runs_page.start_report_run`` in its own process, then ``load_run_progress`` every 0.5 s until
  the run has finished and its files are listed);
- payslip download: GET of one payslip through a real ``backoffice serve`` (token mode), audited;
- save service charge: ``service.close.save_service_charge`` in its transaction (the form's action),
  rolled back so that the data is unchanged.

Targets (issue 13): run -> files < 15 s; payslip download < 1 s; save service charge < 1 s.
Uses the database in use (BACKOFFICE_DATABASE_URL, else the embedded one: `make demo` first) and
acts as BACKOFFICE_USER (default admin@studio.example, the demo admin).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from backoffice_lib import bangkok, database
from backoffice_lib.payroll.service import close
from backoffice_lib.workbench import runs_page

from .bench_serve import TOKEN, _start, _stop

TARGETS = {"run_to_files": 15.0, "payslip_download": 1.0, "save_service_charge": 1.0}


def _ratio(name: str, seconds: float) -> str:
    return f"{name:<22} {seconds:7.3f} s   target < {TARGETS[name]:.0f} s   " \
           f"ratio {seconds / TARGETS[name]:.2f}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_run_to_files(month: str, user: str) -> tuple[float, dict]:
    cpu = _children_cpu()
    clock = time.perf_counter()
    run_id = runs_page.start_report_run("payroll/payroll_run.ipynb", {"month": month}, user)
    progress = runs_page.load_run_progress(run_id)
    while not progress.finished:
        time.sleep(0.5)
        progress = runs_page.load_run_progress(run_id)
    listed = runs_page.files.compute_run_files(progress.run)
    seconds = time.perf_counter() - clock
    for _ in range(240):  # the run's process (and kernel) must end and be reaped to count
        time.sleep(0.25)
        if _children_cpu() > cpu:
            break
    if progress.status != "succeeded":
        raise SystemExit(f"the payroll run failed: {progress.run['error']}")
    return seconds, {"run": progress.run, "files": listed, "cells": progress.cells_total,
                     "cpu": _children_cpu() - cpu}


def bench_save_service_charge(month: str, user: str, repeat: int) -> list[float]:
    engine = database.get_engine()
    times = []
    for index in range(repeat):
        with engine.connect() as conn:
            outer = conn.begin()
            clock = time.perf_counter()
            close.save_service_charge(conn, month, f"{45000 + index}.00", user)
            times.append(time.perf_counter() - clock)
            outer.rollback()
    return times


def bench_download(base: str, url: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        clock = time.perf_counter()
        with urllib.request.urlopen(f"{base}{url}?token={TOKEN}", timeout=30) as answer:
            data = answer.read()
            assert answer.headers["Content-Type"] == "application/pdf", answer.headers
        times.append(time.perf_counter() - clock)
    assert data.startswith(b"%PDF")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--month", default=bangkok.previous_month(
        bangkok.month_key(bangkok.today())))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    user = os.environ.setdefault("BACKOFFICE_USER", "admin@studio.example")
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
          + f" on {os.cpu_count()} cores")

    seconds, run = bench_run_to_files(args.month, user)
    slips = [f for f in run["files"] if f["name"].startswith("payslips/")]
    print(f"payroll {args.month}: {len(slips)} payslips, {run['cells']} cells, "
          f"run {run['run']['duration_seconds']} s inside papermill")
    print(_ratio("run_to_files", seconds)
          + f"   (CPU of the run's processes {run['cpu']:.1f} s: the wall time on an idle"
          " machine is about that plus the notebook's database waits)")

    saves = bench_save_service_charge(args.month, user, args.repeat)
    print(_ratio("save_service_charge", statistics.median(saves))
          + f"   (median of {len(saves)}, max {max(saves):.3f} s)")

    with tempfile.TemporaryDirectory() as folder:
        process, base = _start(0, Path(folder) / "serve.log")
        try:
            urllib.request.urlopen(f"{base}/?token={TOKEN}", timeout=30).read()
            downloads = bench_download(base, slips[0]["url"], args.repeat)
        finally:
            _stop(process)
    print(_ratio("payslip_download", statistics.median(downloads))
          + f"   (median of {len(downloads)}, first {downloads[0]:.3f} s)")


if __name__ == "__main__":
    main()
