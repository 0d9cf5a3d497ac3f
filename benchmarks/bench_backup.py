"""Verified backup benchmark: `python -m benchmarks.bench_backup [--scale 1]`.

Target (backups that restore): a verified backup of the demo database in under 30 s: pg_dump in
one exported snapshot with every table's rows and md5 taken in it, the restore into a scratch
database and the same figures compared there (``backoffice db backup``, the ``db-backup`` job).

Runs on a scratch database of the selected server with the demo data (seed 42), created and
dropped here, backups in a temporary folder. Prints figures and ratios, asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from backoffice_lib import demo_data
from backoffice_lib.history.service import backup, verified_backup

from .bench_payroll import BENCH_ADMIN, _drop, _scratch

TARGET_S = 30.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="demo data scale (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="verified backups to time")
    args = parser.parse_args(argv)
    engine, name = _scratch("bench_backup")
    try:
        started = time.perf_counter()
        demo_data.run_demo_load(seed=42, scale=args.scale, engine=engine)
        print(f"demo data at scale {args.scale} loaded in {time.perf_counter() - started:.1f} s")
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                              " VALUES (:e, true) ON CONFLICT (email) DO NOTHING"),
                      {"e": BENCH_ADMIN})
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            started = time.perf_counter()
            plain = backup.run_backup(folder / "plain.dump", engine)
            plain_s = time.perf_counter() - started
            print(f"plain pg_dump: {plain_s:.2f} s, {plain.stat().st_size:,} bytes")
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                record = verified_backup.run_verified_backup(BENCH_ADMIN, engine=engine,
                                                             folder=folder, copy_dir=None)
                timings.append(time.perf_counter() - started)
                print(f"verified backup: {timings[-1]:.2f} s (dump with figures"
                      f" {record['dump_seconds']:.2f} s, restore and compare"
                      f" {record['verify_seconds']:.2f} s); {record['tables_compared']} tables,"
                      f" {record['rows_compared']:,} rows, {record['size']:,} bytes")
        best, worst = min(timings), max(timings)
        print(f"verified backup of the demo database: best {best:.2f} s, worst {worst:.2f} s;"
              f" target {TARGET_S:.0f} s: ratio {worst / TARGET_S:.2f}"
              f" ({'met' if worst < TARGET_S else 'MISSED'}); {best / plain_s:.1f}x a plain"
              " pg_dump")
    finally:
        _drop(engine, name)


if __name__ == "__main__":
    main()
