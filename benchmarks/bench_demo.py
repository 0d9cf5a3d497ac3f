"""`backoffice demo load` at scale 1 and 10 against the issue's targets (20 s and 3 minutes).

Runs in a scratch database of the selected server (embedded unless BACKOFFICE_DATABASE_URL),
migrated to head, dropped at the end. The first load of a process pays bcrypt (cost 12 for the
first 20 staff); the reload row shows a second load over demo data.

    .venv/bin/python -m benchmarks.bench_demo [--scales 1,10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

import sqlalchemy as sa

from backoffice_lib import bangkok, database, demo_data, migrate

TARGETS = {1: 20.0, 10: 180.0}
AS_OF = bangkok.today() - dt.timedelta(days=1)


def _scratch_engine(name: str) -> sa.engine.Engine:
    admin_url = database.database_url().set(database="postgres")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    return database.get_engine(url)


def _drop(name: str) -> None:
    admin = sa.create_engine(database.database_url().set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _timed(engine, scale: int) -> tuple[float, str]:
    started = time.perf_counter()
    summary = demo_data.run_demo_load(seed=42, scale=scale, engine=engine, as_of=AS_OF,
                                      force=True)
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10")
    scales = [int(s) for s in parser.parse_args().scales.split(",")]
    name = f"bench_demo_{os.getpid()}"
    engine = _scratch_engine(name)
    try:
        with engine.begin() as conn:
            migrate.upgrade(conn)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"demo load, seed 42, as of {AS_OF}, {os.cpu_count()} cores, load average {load}")
        print(f"{'case':<22}{'seconds':>9}{'target':>9}{'ratio':>8}  rows")
        for scale in scales:
            cases = [f"scale {scale}", f"scale {scale} reload"] if scale == 1 else [f"scale {scale}"]
            for case in cases:
                seconds, _ = _timed(engine, scale)
                with engine.connect() as conn:
                    rows = sum(conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                               for t in demo_data.workbench_tables(conn))
                target = TARGETS.get(scale)
                ratio = f"{seconds / target:.2f}" if target else "-"
                print(f"{case:<22}{seconds:>9.1f}{target or 0:>9.0f}{ratio:>8}  {rows}")
    finally:
        engine.dispose()
        _drop(name)


if __name__ == "__main__":
    main()
