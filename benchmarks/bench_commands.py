"""Whole-process figures for the commands people run, beside the in-process ones (issue 17).

    .venv/bin/python -m benchmarks.bench_commands [--packages N --usage M] [--staff N]
        [--parts help,packages,payroll,reconcile] [--demo-database NAME]

A person waits for the whole process: start-up, imports, connection, work, output. Each command
is timed as a subprocess (median of runs) beside what the same work takes inside a process:

- ``backoffice --help`` against ``python -c "import psycopg, click"``: target <= 2x;
- ``backoffice packages status`` over 100,000 packages and 1,000,000 usage rows: target < 2 s
  (in process: the one streamed COPY, bench_packages);
- ``backoffice payroll compute`` for 1,000 staff: target <= 3x a bare psycopg read of the month's
  entries, both as whole processes (in process: bench_payroll's load + compute and read);
- ``backoffice reconcile`` of a restaurant file on demo data (in process: the same
  ``reconcile_file`` call).

Scratch databases are created and dropped here; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from backoffice_lib import bangkok, database, migrate

from . import bench_packages, bench_payroll

ROOT = Path(__file__).resolve().parents[1]
BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))
ADMIN = "bench-commands@studio.example"
RESTAURANT_FILE = ROOT / "tests" / "files" / "restaurant_currency.csv"
PARTS = ("help", "packages", "payroll", "reconcile")


def _url_text(url: sa.engine.URL) -> str:
    return url.render_as_string(hide_password=False)


def whole_process(args: list[str], *, url: sa.engine.URL | None = None, runs: int = 3,
                  check: bool = True) -> float:
    """Median wall-clock seconds of ``args`` run as a fresh process."""
    env = dict(os.environ, BACKOFFICE_USER=ADMIN)
    if url is not None:
        env["BACKOFFICE_DATABASE_URL"] = _url_text(url)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, env=env, check=check, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _ratio(label: str, seconds: float, reference: float, target: float, against: str) -> str:
    ratio = seconds / reference
    return (f"{label}: {seconds:.2f} s = {ratio:.2f}x {against} ({reference:.2f} s); target <="
            f" {target:.0f}x, ratio {ratio / target:.2f}")


def _add_admin(engine: sa.engine.Engine) -> None:
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"
                          " ON CONFLICT (email) DO NOTHING"), {"e": ADMIN})


def bench_help() -> None:
    bare = whole_process([sys.executable, "-c", "import psycopg, click"], runs=5)
    full = whole_process([BACKOFFICE, "--help"], runs=5)
    print(_ratio("`backoffice --help`", full, bare, 2.0, 'python -c "import psycopg, click"'))


def bench_packages_status(packages: int, usage: int) -> None:
    name = f"bench_commands_packages_{uuid.uuid4().hex[:6]}"
    url = bench_packages.create_scratch(name)
    engine = sa.create_engine(url, connect_args={"options": "-c timezone=Asia/Bangkok"})
    try:
        with engine.begin() as c:
            migrate.upgrade(c)
        loaded = bench_packages.load_data(engine, packages, usage)
        _add_admin(engine)
        inside, rows = bench_packages.time_in_process(engine)
        full = whole_process([BACKOFFICE, "packages", "status"], url=url)
        target = bench_packages.TARGET_SECONDS
        print(f"`backoffice packages status`, {packages:,} packages / {usage:,} usage rows"
              f" (loaded in {loaded:.0f} s): whole process {full:.2f} s (target < {target:.0f} s,"
              f" ratio {full / target:.2f}); in process {inside:.2f} s for {rows:,} rows")
    finally:
        engine.dispose()
        bench_packages.drop_scratch(name)


BARE_READ = (
    "import sys, psycopg\n"
    "with psycopg.connect(sys.argv[1]) as c:\n"
    "    c.execute('SELECT id, staff_id, action, timestamp FROM backoffice.time_entries"
    " WHERE timestamp >= %s AND timestamp < %s', (sys.argv[2], sys.argv[3])).fetchall()\n"
)


def bench_payroll_compute(staff: int) -> None:
    engine, name = bench_payroll._scratch("bench_commands_payroll")
    try:
        entries = bench_payroll.generate(engine, staff)
        _add_admin(engine)
        read_s, compute_s, _, people = bench_payroll.bench_month(engine)
        first, end = bangkok.month_bounds(bench_payroll.MONTH)
        libpq = _url_text(engine.url).replace("postgresql+psycopg://", "postgresql://", 1)
        bare = whole_process([sys.executable, "-c", BARE_READ, libpq, first.isoformat(),
                              end.isoformat()])
        full = whole_process([BACKOFFICE, "payroll", "compute", "--month", bench_payroll.MONTH],
                             url=engine.url)
        print(_ratio(f"`backoffice payroll compute`, {staff:,} staff ({entries:,} entries,"
                     f" {people} pay lines)", full, bare, bench_payroll.TARGET_RATIO,
                     "a bare psycopg read of the month's entries as a process"))
        print(f"  in process: load + compute {compute_s:.3f} s = {compute_s / read_s:.2f}x the"
              f" read {read_s:.3f} s")
        # What the engine's stack costs before any work: pandas and SQLAlchemy imported.
        floor = whole_process([sys.executable, "-c", "import pandas, sqlalchemy, psycopg"])
        print(f"  floor: python -c \"import pandas, sqlalchemy, psycopg\" {floor:.2f} s ="
              f" {floor / bare:.2f}x the bare read before any work")
    finally:
        bench_payroll._drop(engine, name)


def bench_reconcile(demo_database: str | None) -> None:
    from backoffice_lib import demo_data
    from backoffice_lib.reconciliation import service

    name = demo_database or f"bench_commands_demo_{uuid.uuid4().hex[:6]}"
    url = (database.database_url().set(database=name) if demo_database
           else bench_packages.create_scratch(name))
    engine = database.get_engine(_url_text(url))
    try:
        if not demo_database:
            with engine.begin() as c:
                migrate.upgrade(c)
            demo_data.run_demo_load(seed=42, scale=1, engine=engine)
        _add_admin(engine)
        args = ["--type", "restaurant", "--file", str(RESTAURANT_FILE)]
        full = whole_process([BACKOFFICE, "reconcile", *args], url=url, check=False)
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            result = service.reconcile_file(ADMIN, "restaurant", RESTAURANT_FILE, engine=engine)
            timings.append(time.perf_counter() - started)
        inside = statistics.median(timings)
        print(f"`backoffice reconcile --type restaurant` ({RESTAURANT_FILE.name},"
              f" {result['total_invoice_items']} rows against {result['total_pos_records']} POS"
              f" records, demo data): whole process {full:.2f} s; in process {inside:.2f} s"
              f" (start-up and imports {full - inside:.2f} s)")
    finally:
        engine.dispose()
        if not demo_database:
            bench_packages.drop_scratch(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=100_000)
    parser.add_argument("--usage", type=int, default=1_000_000)
    parser.add_argument("--staff", type=int, default=1000)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"of {', '.join(PARTS)}")
    parser.add_argument("--demo-database", help="a database with demo data to reconcile against")
    args = parser.parse_args()
    parts = args.parts.split(",")
    print(f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (whole processes: median of"
          " 3 runs, 5 for --help)", flush=True)
    if "help" in parts:
        bench_help()
    if "payroll" in parts:
        bench_payroll_compute(args.staff)
    if "reconcile" in parts:
        bench_reconcile(args.demo_database)
    if "packages" in parts:
        bench_packages_status(args.packages, args.usage)


if __name__ == "__main__":
    main()
