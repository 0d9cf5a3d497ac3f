"""`backoffice packages status` over 100,000 packages and 1,000,000 usage rows (target < 2 s),
and the package monitor's first-render queries on the same data.

Runs in a scratch database on the selected server (created and dropped here):

    .venv/bin/python -m benchmarks.bench_packages [--packages N] [--usage M] [--keep]

Figures printed: the one-query status listing streamed as CSV in this process (what the command
does after start-up), the real command end to end (a subprocess, start-up and imports included),
the bare start-up of the command, and the dashboard's three aggregated queries.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa

from backoffice_lib import bangkok, database, migrate

TARGET_SECONDS = 2.0
USER = "bench@studio.example"


def create_scratch(name: str) -> sa.engine.URL:
    admin = sa.create_engine(database.database_url().set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return database.database_url().set(database=name)


def drop_scratch(name: str) -> None:
    admin = sa.create_engine(database.database_url().set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def load_data(engine: sa.engine.Engine, packages: int, usage: int) -> float:
    """Bulk rows straight in SQL. Triggers are bypassed for the load (session_replication_role):
    the rows are valid by construction (first use = purchase + 1, ≤ 8 h used of ≥ 10 h)."""
    started = time.perf_counter()
    with engine.begin() as c:
        c.execute(sa.text("SET LOCAL session_replication_role = replica"))
        c.execute(sa.text(
            "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:u, true)"), {"u": USER})
        c.execute(sa.text(
            "INSERT INTO backoffice.package_types (id, name, type, hours, validity_period) VALUES"
            " (1, 'Ten Hours', 'Monthly', 10, '1 month'), (2, 'Twenty Hours', 'Monthly', 20,"
            " '3 months'), (3, 'Coaching 10', 'Coaching', 10, '6 months'),"
            " (4, 'Unlimited Month', 'Unlimited', NULL, '1 month')"))
        c.execute(sa.text(
            """
            INSERT INTO backoffice.packages (id, customer_name, package_type_id, purchase_date,
                                             first_use_date, expiration_date, employee_name)
            SELECT gen_random_uuid(), 'Customer ' || g, 1 + g % 4,
                   date '2024-01-01' + (g % 700),
                   CASE WHEN g % 10 = 0 THEN NULL ELSE date '2024-01-01' + (g % 700) + 1 END,
                   CASE WHEN g % 10 = 0 THEN NULL
                        ELSE date '2024-01-01' + (g % 700) + 1 + (30 * (1 + g % 4)) END,
                   'Bench'
              FROM generate_series(1, :n) g
            """
        ), {"n": packages})
        c.execute(sa.text(
            """
            CREATE TEMP TABLE activated ON COMMIT DROP AS
            SELECT id, first_use_date, row_number() OVER (ORDER BY id) - 1 AS rn
              FROM backoffice.packages WHERE first_use_date IS NOT NULL
            """
        ))
        c.execute(sa.text(
            """
            INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours, used_date)
            SELECT a.id, 'Bench', 0.25, a.first_use_date + (u % 20)
              FROM generate_series(0, :m - 1) u
              JOIN activated a ON a.rn = u % (SELECT count(*) FROM activated)
            """
        ), {"m": usage})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("VACUUM ANALYZE backoffice.packages"))
        c.execute(sa.text("VACUUM ANALYZE backoffice.package_usage"))
    return time.perf_counter() - started


def time_in_process(engine: sa.engine.Engine, runs: int = 3) -> tuple[float, int]:
    from backoffice_lib.packages import service as package_service

    timings, count = [], 0
    for _ in range(runs):
        sink = io.StringIO()
        started = time.perf_counter()
        with engine.connect() as conn, conn.begin():
            package_service.copy_package_status_csv(conn, bangkok.today(), sink)
        timings.append(time.perf_counter() - started)
        count = sink.getvalue().count("\n") - 1  # minus the header
    return statistics.median(timings), count


def time_command(url: sa.engine.URL, args: list[str], runs: int = 3) -> float:
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=url.render_as_string(hide_password=False),
               BACKOFFICE_USER=USER)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "backoffice_lib.cli", *args], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def time_dashboard_queries(engine: sa.engine.Engine, runs: int = 3) -> float:
    from backoffice_lib.packages.service import monitor

    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with engine.connect() as conn, conn.begin():
            monitor.load_monitor(conn, USER, bangkok.today())
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=100_000)
    parser.add_argument("--usage", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", metavar="NAME", help="time a scratch database kept earlier")
    options = parser.parse_args()

    name = options.reuse or f"bench_packages_{uuid.uuid4().hex[:6]}"
    url = database.database_url().set(database=name) if options.reuse else create_scratch(name)
    engine = sa.create_engine(url, connect_args={"options": "-c timezone=Asia/Bangkok"})
    try:
        if not options.reuse:
            with engine.begin() as c:
                migrate.upgrade(c)
            load = load_data(engine, options.packages, options.usage)
            print(f"scratch database {name}: {options.packages:,} packages, {options.usage:,}"
                  f" usage rows loaded in {load:.1f} s")
        seconds, rows = time_in_process(engine)
        print(f"packages status, one query streamed as CSV by COPY (in process): {seconds:.2f} s for"
              f" {rows:,} rows; target {TARGET_SECONDS:.0f} s; ratio {seconds / TARGET_SECONDS:.2f}")
        full = time_command(url, ["packages", "status"])
        startup = time_command(url, ["packages", "--help"])
        print(f"`backoffice packages status` end to end (subprocess): {full:.2f} s;"
              f" ratio {full / TARGET_SECONDS:.2f} (of which start-up and imports,"
              f" `backoffice packages --help`: {startup:.2f} s)")
        dash = time_dashboard_queries(engine)
        print(f"package monitor first-render queries (3 aggregated queries): {dash:.2f} s")
    finally:
        engine.dispose()
        if not (options.keep or options.reuse):
            drop_scratch(name)


if __name__ == "__main__":
    main()
