"""Bulk package usage through every §4 rule (issue 17): `python -m benchmarks.bench_bulk_usage`.

Target: >= 10,000 rows a second in ONE statement, the same rules held (migration 0014). Runs on a
scratch database of the selected server (created, migrated and dropped here); prints figures and
ratios against the target, asserts nothing.

Figures: 100,000 usage rows over 10,000 packages (10 h, 2 years, not activated: the statement
activates every one of them), 10 rows of 0.5 h a package on 10 days, written in time order
- by INSERT … SELECT under the rules of migration 0014, and again by COPY (each rolled back);
- by INSERT … SELECT under the row trigger of migration 0004 (the function as 0004 wrote it, the
  statement trigger dropped: what the database did before; rolled back);
  (``--packages 1000 --per-package 100``: the same rows over packages with a longer history)
- then, the first 100,000 rows committed, the next 100,000 (depleting every package) under 0014
  and under 0004, into a table holding the first ones;
- that second batch with one row overdrawing its package: refused, with its message.
"""

from __future__ import annotations

import argparse
import os
import time

import sqlalchemy as sa

from backoffice_lib import migrate

from .bench_timeclock import _drop, _scratch_database

PACKAGES = 10_000
ROWS_PER_PACKAGE = 10
TARGET_ROWS_PER_SECOND = 10_000
COLUMNS = "backoffice.package_usage (package_id, employee_name, used_hours, used_date)"

# Row k of every package (in time order: day, then package): 0.5 h on 2 January + first + k days;
# ``:bad`` names one package whose last row asks 1 h instead (0 = none).
USAGE_SELECT = """
SELECT p.id AS package_id, 'Bench' AS employee_name,
       CASE WHEN p.customer_name = 'Bench ' || CAST(:bad AS text) AND k = CAST(:last AS integer) THEN 1.0 ELSE 0.5 END
         AS used_hours,
       DATE '2025-01-02' + k AS used_date
  FROM backoffice.packages p, generate_series(CAST(:first AS integer), CAST(:last AS integer)) k
 WHERE p.customer_name LIKE 'Bench %'
 ORDER BY used_date, p.id
"""
INSERT_USAGE = f"INSERT INTO {COLUMNS} SELECT * FROM ({USAGE_SELECT}) u"


def _batch(first: int, per_package: int, bad: int = 0) -> dict:
    return {"first": first, "last": first + per_package - 1, "bad": bad}


def add_packages(engine: sa.engine.Engine, packages: int, per_package: int) -> None:
    """Packages of ``per_package`` hours (two batches of 0.5 h a row deplete them), 2 years."""
    with engine.begin() as c:
        type_id = c.execute(sa.text(
            "INSERT INTO backoffice.package_types (name, type, hours, validity_period)"
            " VALUES ('Bench', 'Monthly', :h, interval '2 years') RETURNING id"
        ), {"h": per_package}).scalar_one()
        c.execute(sa.text(
            "INSERT INTO backoffice.packages (customer_name, package_type_id, purchase_date)"
            " SELECT 'Bench ' || g, :t, DATE '2025-01-01' FROM generate_series(1, :n) g"),
            {"t": type_id, "n": packages})


def _rules_of_migration_0004(c) -> None:
    original = migrate.migration_module("0014_bulk_usage").function_of_migration_0004()
    c.execute(sa.text("DROP TRIGGER package_usage_validate_inserted ON backoffice.package_usage"))
    c.exec_driver_sql(original.replace("%", "%%"))


def insert_select(engine, batch: dict, rules: str = "0014", keep: bool = False) -> tuple[float, int]:
    with engine.connect() as c, c.begin() as tx:
        if rules == "0004":
            _rules_of_migration_0004(c)
        started = time.perf_counter()
        rows = c.execute(sa.text(INSERT_USAGE), batch).rowcount
        seconds = time.perf_counter() - started
        if keep:
            tx.commit()
        else:
            tx.rollback()
    return seconds, rows


def copy_usage(engine, batch: dict) -> tuple[float, int]:
    with engine.connect() as c, c.begin() as tx:
        rows = c.execute(sa.text(USAGE_SELECT), batch).all()
        text = "".join(f"{r.package_id}\t{r.employee_name}\t{r.used_hours}\t{r.used_date}\n"
                       for r in rows)
        cursor = c.connection.driver_connection.cursor()
        started = time.perf_counter()
        with cursor, cursor.copy(f"COPY {COLUMNS} FROM STDIN") as copy:
            copy.write(text)
        seconds = time.perf_counter() - started
        tx.rollback()
    return seconds, len(rows)


def refused_bulk(engine, batch: dict) -> tuple[float, str]:
    with engine.connect() as c, c.begin() as tx:
        started = time.perf_counter()
        try:
            c.execute(sa.text(INSERT_USAGE), batch)
        except sa.exc.DBAPIError as exc:
            return time.perf_counter() - started, exc.orig.diag.message_primary
        tx.rollback()
        return time.perf_counter() - started, "NOT REFUSED (the rules did not hold)"


def _line(label: str, seconds: float, rows: int) -> str:
    rate = rows / seconds if seconds else float("inf")
    return (f"{label}: {rows:,} rows in {seconds:.2f} s = {rate:,.0f} rows/s; target >= "
            f"{TARGET_ROWS_PER_SECOND:,} rows/s (ratio {TARGET_ROWS_PER_SECOND / rate:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=PACKAGES)
    parser.add_argument("--per-package", type=int, default=ROWS_PER_PACKAGE)
    args = parser.parse_args()
    per = args.per_package
    print(f"{args.packages:,} packages x {per} usage rows; load {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores", flush=True)
    engine, name = _scratch_database()
    try:
        add_packages(engine, args.packages, per)
        first, second = _batch(0, per), _batch(per, per)
        for label, (seconds, rows) in [
            ("0014 INSERT … SELECT, activating every package", insert_select(engine, first)),
            ("0014 COPY, activating every package", copy_usage(engine, first)),
            ("0004 INSERT … SELECT, activating every package (before)",
             insert_select(engine, first, rules="0004")),
        ]:
            print(_line(f"{label:58}", seconds, rows), flush=True)
        insert_select(engine, first, keep=True)
        for label, (seconds, rows) in [
            ("0014 INSERT … SELECT, after the first rows", insert_select(engine, second)),
            ("0004 INSERT … SELECT, after the first rows (before)",
             insert_select(engine, second, rules="0004")),
        ]:
            print(_line(f"{label:58}", seconds, rows), flush=True)
        seconds, message = refused_bulk(engine, _batch(per, per, bad=args.packages // 2))
        print(f"the second rows with one package overdrawn, one INSERT … SELECT: refused in "
              f"{seconds:.2f} s: {message}", flush=True)
    finally:
        _drop(engine, name)


if __name__ == "__main__":
    main()
