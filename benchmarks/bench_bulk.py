"""Bulk writes through every time-entry rule (issue 17): `python -m benchmarks.bench_bulk`.

Targets: 51,000 punches of 1,000 staff in ONE statement under 5 s (>= 10,000 rows a second), the
same rules held (migration 0008); a single kiosk punch, PIN check at bcrypt cost 12 included,
still under 400 ms. Runs on a scratch database of the selected server (created, migrated and
dropped here); prints figures and ratios against the targets, asserts nothing.

Figures: a month of punches (51 a person: 25 days in and out, one more clock-in) by
INSERT … SELECT into an empty table and again into a table holding the month before; the same by
COPY; an UPDATE moving a whole month by a minute; a bulk statement with one bad row (refused, with
its message); for comparison the row trigger of migration 0001 on a sample; the kiosk punch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.history.queries import partitions
from backoffice_lib.migrations.rules_0001 import RULES_SQL

from .bench_timeclock import _drop, _scratch_database, bench_punch

STAFF = 1000
PUNCHES_PER_PERSON = 51
TARGET_SECONDS = 5.0
TARGET_ROWS_PER_SECOND = 10_000
PUNCH_TARGET_MS = 400.0
MONTHS = ("2025-01", "2025-02", "2025-03", "2025-04")
STATEMENT_TRIGGERS = ("time_entries_validate_inserted", "time_entries_validate_updated",
                      "time_entries_payroll_lock_inserted", "time_entries_payroll_lock")

# Punch k of person s in the month starting at :first: day k/2, in at 08:00 + s % 60 minutes,
# out 8 h 30 later; ``:flip`` = 1 starts with the clock-out of the day before the month (the
# month before ended on a clock-in).
MONTH_SELECT = """
SELECT s AS staff_id, k,
       CASE WHEN (k + :flip) % 2 = 0 THEN 'clock_in' ELSE 'clock_out' END AS action,
       CAST(:first AS timestamptz)
         + make_interval(days => (k + :flip) / 2 - :flip, mins => 480 + s % 60)
         + CASE WHEN (k + :flip) % 2 = 1 THEN interval '8 hours 30 minutes' ELSE interval '0' END
         AS ts
  FROM generate_series(1, :staff) s, generate_series(0, :punches - 1) k
 ORDER BY ts, s
"""


def _month_start(month: str):
    return bangkok.month_bounds(month)[0]


def add_staff(engine: sa.engine.Engine, staff: int) -> None:
    """``staff`` people, and monthly partitions for 2024-07 … 2025-06 (as in a studio's database)."""
    with engine.begin() as c:
        partitions.ensure_partitions(c, "time_entries", "2024-07", "2025-06")
        c.execute(sa.text(
            "INSERT INTO backoffice.staff (id, staff_name, staff_id, pin_hash)"
            " SELECT g, 'Person ' || g, 'BULK' || lpad(g::text, 5, '0'), 'x'"
            " FROM generate_series(1, :n) g"), {"n": staff})
        c.execute(sa.text(
            "SELECT setval(pg_get_serial_sequence('backoffice.staff', 'id'), :n)"), {"n": staff})


INSERT_MONTH = (
    "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
    " SELECT staff_id, action, ts FROM (" + MONTH_SELECT + ") m ORDER BY ts"
)
# the same month with one person's 11th clock-out turned into a second clock-in
INSERT_MONTH_WITH_A_DOUBLE_CLOCK_IN = (
    "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
    " SELECT staff_id,"
    " CASE WHEN staff_id = :bad AND k + :flip = 21 THEN 'clock_in' ELSE action END, ts"
    " FROM (" + MONTH_SELECT + ") m ORDER BY ts"
)


def _month(month: str, flip: int, staff: int) -> dict:
    return {"first": _month_start(month), "flip": flip, "staff": staff,
            "punches": PUNCHES_PER_PERSON}


def insert_select(engine, month: str, flip: int, staff: int) -> tuple[float, int]:
    with engine.begin() as c:
        started = time.perf_counter()
        rows = c.execute(sa.text(INSERT_MONTH), _month(month, flip, staff)).rowcount
        return time.perf_counter() - started, rows


def copy_month(engine, month: str, flip: int, staff: int) -> tuple[float, int]:
    with engine.begin() as c:
        rows = c.execute(sa.text(MONTH_SELECT), _month(month, flip, staff)).all()
        text = "".join(f"{r.staff_id}\t{r.action}\t{r.ts.isoformat()}\n" for r in rows)
        cursor = c.connection.driver_connection.cursor()
        started = time.perf_counter()
        with cursor, cursor.copy(
            "COPY backoffice.time_entries (staff_id, action, timestamp) FROM STDIN"
        ) as copy:
            copy.write(text)
        return time.perf_counter() - started, len(rows)


def shift_month(engine, month: str) -> tuple[float, int]:
    start, end = bangkok.month_bounds(month)
    with engine.begin() as c:
        started = time.perf_counter()
        rows = c.execute(sa.text(
            "UPDATE backoffice.time_entries SET timestamp = timestamp + interval '1 minute'"
            " WHERE timestamp >= :a AND timestamp < :b"), {"a": start, "b": end}).rowcount
        return time.perf_counter() - started, rows


def refused_bulk(engine, month: str, flip: int, staff: int) -> tuple[float, str]:
    """A month in which one person punches clock_in twice: the statement is refused."""
    with engine.connect() as c, c.begin() as tx:
        started = time.perf_counter()
        try:
            c.execute(sa.text(INSERT_MONTH_WITH_A_DOUBLE_CLOCK_IN),
                      {**_month(month, flip, staff), "bad": max(staff // 2, 1)})
        except sa.exc.DBAPIError as exc:
            return time.perf_counter() - started, exc.orig.diag.message_primary
        tx.rollback()
        return time.perf_counter() - started, "NOT REFUSED (the rules did not hold)"


def rules_of_0001_sample(engine, month: str, flip: int, sample_staff: int) -> tuple[float, int]:
    """The row triggers of migrations 0001/0003 (every rule per row), on a sample; rolled back."""
    (original,) = [s for s in RULES_SQL if "CREATE FUNCTION backoffice.validate_time_entry()" in s]
    with engine.connect() as c, c.begin() as tx:
        for trigger in STATEMENT_TRIGGERS:
            c.execute(sa.text(f"DROP TRIGGER {trigger} ON backoffice.time_entries"))
        c.execute(sa.text(
            "CREATE TRIGGER time_entries_payroll_lock BEFORE INSERT OR UPDATE OR DELETE"
            " ON backoffice.time_entries FOR EACH ROW"
            " EXECUTE FUNCTION backoffice.guard_finalised_payroll_time_entries()"))
        c.exec_driver_sql(original.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
                          .replace("%", "%%"))
        started = time.perf_counter()
        rows = c.execute(sa.text(INSERT_MONTH), _month(month, flip, sample_staff)).rowcount
        seconds = time.perf_counter() - started
        tx.rollback()
    return seconds, rows


def _line(label: str, seconds: float, rows: int) -> str:
    rate = rows / seconds if seconds else float("inf")
    return (f"{label}: {rows:,} rows in {seconds:.2f} s = {rate:,.0f} rows/s; target < "
            f"{TARGET_SECONDS:.0f} s (ratio {seconds / TARGET_SECONDS:.2f}), >= "
            f"{TARGET_ROWS_PER_SECOND:,} rows/s (ratio {TARGET_ROWS_PER_SECOND / rate:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=STAFF)
    parser.add_argument("--sample", type=int, default=100,
                        help="people in the migration-0001 comparison sample")
    args = parser.parse_args()
    print(f"{args.staff:,} staff x {PUNCHES_PER_PERSON} punches a month; load "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    engine, name = _scratch_database()
    try:
        add_staff(engine, args.staff)
        # a month of 51 punches ends on a clock-in: the next month starts with a clock-out
        figures = [
            ("INSERT … SELECT, empty table", insert_select(engine, MONTHS[0], 0, args.staff)),
            ("INSERT … SELECT, after a month", insert_select(engine, MONTHS[1], 1, args.staff)),
            ("COPY, after two months", copy_month(engine, MONTHS[2], 0, args.staff)),
            ("UPDATE of a whole month (+1 minute)", shift_month(engine, MONTHS[1])),
        ]
        for label, (seconds, rows) in figures:
            print(_line(f"{label:38}", seconds, rows), flush=True)
        seconds, message = refused_bulk(engine, MONTHS[3], 1, args.staff)
        print(f"a month with one double clock-in, one INSERT … SELECT: refused in {seconds:.2f} s:"
              f" {message}", flush=True)
        old_s, old_rows = rules_of_0001_sample(engine, MONTHS[3], 1, args.sample)
        print(f"for comparison, the row trigger of migration 0001: {old_rows:,} rows in "
              f"{old_s:.2f} s = {old_rows / old_s:,.0f} rows/s", flush=True)
        punch_ms, check_ms = bench_punch(engine)
        median = statistics.median(punch_ms)
        print(f"kiosk punch (bcrypt cost 12, own transaction) beside "
              f"{3 * args.staff * PUNCHES_PER_PERSON:,} entries: median {median:.0f} ms, max "
              f"{max(punch_ms):.0f} ms; target < {PUNCH_TARGET_MS:.0f} ms, ratio "
              f"{median / PUNCH_TARGET_MS:.2f} (bcrypt alone {statistics.median(check_ms):.0f} ms)")
    finally:
        _drop(engine, name)


if __name__ == "__main__":
    main()
