"""Years of history: partition pruning, payroll against older history, archival of a month.

    .venv/bin/python -m benchmarks.bench_history [--scale 50] [--audit-rows 10000000] [--keep]

In a scratch database (``bench_history`` on the selected server, dropped at the end unless
``--keep``): the demo data at ``--scale``, then ``--audit-rows`` audit_logs rows over five years
(generate_series), an unpartitioned copy of them with the indexes audit_logs had before
migration 0007, and older time entries (the demo's half year copied back in 26-week steps).

Prints, against the issue's targets:
- the audit explorer's filter (one user, one month: first page + capped count + per-action
  counts, the same SQL on both tables) on the partitioned table and on the unpartitioned copy;
- the payroll engine's month (load + compute) with 1 year and with 5 years of time entries;
- archiving (and restoring) one finalised month of time entries; archiving a month of packages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time

import sqlalchemy as sa

from backoffice_lib import bangkok, database, demo_data, migrate
from backoffice_lib.history.queries import pages as history_pages
from backoffice_lib.history.queries import partitions
from backoffice_lib.history.service import archive as archival

DATABASE = "bench_history"
ADMIN = "admin@studio.example"
USERS = 30  # user00 is the busy system account (40 % of rows), the rest share the remainder
CHUNK = 1_000_000


def _say(text: str) -> None:
    print(text, flush=True)


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def _scratch_engine(keep_existing: bool) -> sa.engine.Engine:
    server = database.database_url().set(database="postgres")
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not keep_existing:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return database.get_engine(server.set(database=DATABASE).render_as_string(hide_password=False))


def _drop_scratch() -> None:
    admin = sa.create_engine(database.database_url().set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


def _months_back(month: str, n: int) -> str:
    for _ in range(n):
        month = bangkok.previous_month(month)
    return month


# --- data ----------------------------------------------------------------------------------------


def generate_audit_logs(engine, rows: int, first_month: str, last_month: str) -> float:
    """``rows`` audit rows spread evenly from first_month to the end of last_month."""
    with engine.begin() as conn:
        partitions.ensure_partitions(conn, "audit_logs", first_month, last_month)
    start, _ = bangkok.month_bounds(first_month)
    _, end = bangkok.month_bounds(last_month)
    step = (end - start) / rows
    began = time.perf_counter()
    # A bulk load: drop the key and indexes, load, build them again (same definitions).
    with engine.begin() as conn:
        indexes = conn.execute(sa.text(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = 'backoffice.audit_logs'::regclass AND NOT indisprimary"
        )).scalars().all()
        conn.execute(sa.text("ALTER TABLE backoffice.audit_logs DROP CONSTRAINT pk_audit_logs"))
        for definition in indexes:
            conn.execute(sa.text("DROP INDEX backoffice." + definition.split()[2]))
    for low in range(0, rows, CHUNK):
        high = min(rows, low + CHUNK)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO backoffice.audit_logs (user_email, action, resource_type,"
                    " resource_id, details, ip_address, timestamp)"
                    " SELECT CASE WHEN g % 10 < 4 THEN 'user00@studio.example'"
                    "             ELSE format('user%s@studio.example',"
                    "                         lpad((1 + (g::bigint * 7919) % :others)::text, 2, '0')) END,"
                    "        (ARRAY['VIEW','UPDATE','CREATE','DELETE','CLOCK_IN','ARCHIVE'])[1 + g % 6],"
                    "        (ARRAY['time_entries','staff','packages','invoices','payroll',"
                    "               'reconciliation','package_usage','audit'])[1 + (g / 7) % 8],"
                    "        (g % 5000)::text, jsonb_build_object('n', g), '10.0.0.' || (g % 250),"
                    "        :start + g * :step"
                    "   FROM generate_series(:low, :high - 1) g"
                ),
                {"others": USERS - 1, "start": start, "step": step, "low": low, "high": high},
            )
        _say(f"  audit_logs: {high:,} rows ({time.perf_counter() - began:.0f} s)")
    with engine.begin() as conn:
        conn.execute(sa.text(
            'ALTER TABLE backoffice.audit_logs ADD CONSTRAINT pk_audit_logs PRIMARY KEY (id, "timestamp")'))
        for definition in indexes:
            conn.execute(sa.text(definition.replace(" ON ONLY ", " ON ")))
    _say(f"  key and indexes rebuilt ({time.perf_counter() - began:.0f} s)")
    return time.perf_counter() - began


def copy_unpartitioned(engine) -> float:
    """bench.audit_logs_flat: the same rows, the indexes of migration 0001 (before partitioning)."""
    began = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS bench"))
        conn.execute(sa.text("DROP TABLE IF EXISTS bench.audit_logs_flat"))
        conn.execute(sa.text(
            "CREATE TABLE bench.audit_logs_flat (LIKE backoffice.audit_logs INCLUDING DEFAULTS)"))
        conn.execute(sa.text("INSERT INTO bench.audit_logs_flat SELECT * FROM backoffice.audit_logs"))
        conn.execute(sa.text("ALTER TABLE bench.audit_logs_flat ADD PRIMARY KEY (id)"))
        conn.execute(sa.text("CREATE INDEX ON bench.audit_logs_flat (timestamp)"))
        conn.execute(sa.text("CREATE INDEX ON bench.audit_logs_flat (user_email, timestamp)"))
        conn.execute(sa.text("CREATE INDEX ON bench.audit_logs_flat (resource_type, resource_id)"))
    _vacuum(engine, "bench.audit_logs_flat", "backoffice.audit_logs")
    return time.perf_counter() - began


def _vacuum(engine, *tables: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))


def add_older_time_entries(engine, copies: int, done: int) -> int:
    """Copy the demo's entries back by 26 weeks per copy (copies done+1 .. copies); triggers
    are off for the copy (it repeats valid history), ids come from the sequence."""
    added = 0
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for k in range(done + 1, copies + 1):
            added += conn.execute(
                sa.text(
                    "INSERT INTO backoffice.time_entries (staff_id, action, timestamp, photo_url,"
                    " photo_captured, camera_error, device_info)"
                    " SELECT staff_id, action, timestamp - :shift, photo_url, photo_captured,"
                    "        camera_error, device_info"
                    "   FROM backoffice.time_entries WHERE timestamp >= :demo_start"
                ),
                {"shift": dt.timedelta(weeks=26 * k), "demo_start": _demo_start(conn)},
            ).rowcount
    _vacuum(engine, "backoffice.time_entries")
    return added


_DEMO_START: dict[str, dt.datetime] = {}


def _demo_start(conn) -> dt.datetime:
    if "start" not in _DEMO_START:
        _DEMO_START["start"] = conn.scalar(sa.text("SELECT min(timestamp) FROM backoffice.time_entries"))
    return _DEMO_START["start"]


# --- measurements ---------------------------------------------------------------------------------

EXPLORER_SQL = [
    (
        "SELECT timestamp, user_email, action, resource_type, resource_id, details, ip_address,"
        " user_agent, id FROM {t} WHERE user_email = :u AND timestamp >= :s AND timestamp < :e"
        " ORDER BY timestamp DESC, id DESC LIMIT 101"
    ),
    (
        "SELECT count(*) FROM (SELECT 1 FROM {t} WHERE user_email = :u AND timestamp >= :s"
        " AND timestamp < :e LIMIT 10001) x"
    ),
    (
        "SELECT action, count(*) FROM {t} WHERE user_email = :u AND timestamp >= :s"
        " AND timestamp < :e GROUP BY action"
    ),
]


def explorer_filter_ms(engine, table: str, cases, repeat: int = 3) -> float:
    """Median over the cases (user, month) of the best of ``repeat`` runs, in ms."""
    timings = []
    with engine.connect() as conn:
        for user, month in cases:
            start, end = bangkok.month_bounds(month)
            best = float("inf")
            for _ in range(repeat):
                began = time.perf_counter()
                for statement in EXPLORER_SQL:
                    conn.execute(sa.text(statement.format(t=table)),
                                 {"u": user, "s": start, "e": end}).all()
                best = min(best, time.perf_counter() - began)
            timings.append(best)
    return statistics.median(timings) * 1000


def audit_explorer_ms(engine, cases, table: str | None = None, page_size: int = 50) -> float | None:
    """The audit explorer's own calls for a filter (count, first page, timeline), median over
    the cases of the best of 3, in ms; ``table`` swaps backoffice.audit_logs for another table
    in the SQL it sends (the unpartitioned copy)."""
    try:
        from backoffice_lib.history import rules as history_rules
        from backoffice_lib.history.queries import audit_events
    except ImportError:
        return None

    def swap(conn, cursor, statement, parameters, context, executemany):
        return statement.replace("backoffice.audit_logs", table), parameters

    if table:
        sa.event.listen(engine, "before_cursor_execute", swap, retval=True)
    try:
        timings = []
        with engine.connect() as conn:
            for user, month in cases:
                first, last = bangkok.month_days(month)
                flt = history_rules.compute_filter(start=first, end=last, user=user)
                best = float("inf")
                for _ in range(3):
                    began = time.perf_counter()
                    audit_events.load_event_count(conn, flt)
                    audit_events.load_events(conn, flt, offset=0, limit=page_size)
                    audit_events.load_timeline(conn, flt)
                    best = min(best, time.perf_counter() - began)
                timings.append(best)
        return statistics.median(timings) * 1000
    finally:
        if table:
            sa.event.remove(engine, "before_cursor_execute", swap)


def history_page_ms(engine, cases) -> float:
    timings = []
    with engine.connect() as conn:
        for user, month in cases:
            first, last = bangkok.month_days(month)
            best = float("inf")
            for _ in range(3):
                elapsed, _ = _timed(history_pages.load_audit_page, conn, user=user, start=first, end=last)
                best = min(best, elapsed)
            timings.append(best)
    return statistics.median(timings) * 1000


def payroll_seconds(engine, month: str, repeat: int = 3) -> float:
    from backoffice_lib.payroll.service import load_month_payroll

    best = float("inf")
    with engine.connect() as conn:
        for _ in range(repeat):
            elapsed, _ = _timed(load_month_payroll, conn, month)
            best = min(best, elapsed)
    return best


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text(sql))


# --- main -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=50, help="demo load --scale (default 50)")
    parser.add_argument("--audit-rows", type=int, default=10_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)

    this_month = bangkok.month_key(bangkok.today())
    first_month = _months_back(this_month, 60)
    engine = _scratch_engine(keep_existing=False)
    try:
        with engine.begin() as conn:
            migrate.upgrade(conn)
        _say(f"scratch database {DATABASE}; demo load --scale {args.scale} ...")
        load_s, _ = _timed(demo_data.run_demo_load, seed=42, scale=args.scale, engine=engine)
        _say(f"  demo loaded in {load_s:.0f} s")
        _say(f"generating {args.audit_rows:,} audit_logs rows {first_month} .. {this_month} ...")
        audit_s = generate_audit_logs(engine, args.audit_rows, first_month, this_month)
        copy_s = copy_unpartitioned(engine)
        _say(f"  unpartitioned copy with the indexes of migration 0001 in {copy_s:.0f} s")

        cases = [
            (f"user{n:02d}@studio.example", _months_back(this_month, back))
            for n, back in ((7, 30), (13, 12), (21, 45), (3, 2), (28, 55))
        ]
        rows_per_case = _count(
            engine,
            "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = 'user07@studio.example'"
            f" AND timestamp >= '{bangkok.month_bounds(cases[0][1])[0].isoformat()}'"
            f" AND timestamp < '{bangkok.month_bounds(cases[0][1])[1].isoformat()}'",
        )
        partitioned_ms = explorer_filter_ms(engine, "backoffice.audit_logs", cases)
        flat_ms = explorer_filter_ms(engine, "bench.audit_logs_flat", cases)
        explorer_ms = audit_explorer_ms(engine, cases)
        explorer_flat_ms = audit_explorer_ms(engine, cases, "bench.audit_logs_flat")
        with engine.begin() as conn:  # the naive baseline: no (user_email, timestamp) index
            conn.execute(sa.text("DROP INDEX bench.audit_logs_flat_user_email_timestamp_idx"))
        naive_ms = explorer_filter_ms(engine, "bench.audit_logs_flat", cases)
        page_ms = history_page_ms(engine, cases)

        # Payroll: 1 year of entries (demo half year + 1 copy) vs 5 years (+ 9 copies).
        with engine.begin() as conn:
            partitions.ensure_partitions(conn, "time_entries", _months_back(this_month, 64),
                                         this_month)
        payroll_month = bangkok.previous_month(this_month)
        add_older_time_entries(engine, 1, 0)
        entries_1y = _count(engine, "SELECT count(*) FROM backoffice.time_entries")
        payroll_1y = payroll_seconds(engine, payroll_month)
        add_older_time_entries(engine, 9, 1)
        entries_5y = _count(engine, "SELECT count(*) FROM backoffice.time_entries")
        payroll_5y = payroll_seconds(engine, payroll_month)

        # Archival of one finalised month (the oldest), its restore, and a month of packages.
        archive_month = _count(engine,
            "SELECT to_char(min(timestamp) AT TIME ZONE 'Asia/Bangkok', 'YYYY-MM')"
            " FROM backoffice.time_entries")  # noqa: E128
        archive_month = bangkok.month_key(bangkok.month_days(archive_month)[1] + dt.timedelta(days=1))
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO backoffice.payroll_runs (month, status, checksum, finalised_by,"
                " finalised_at) VALUES (:m, 'finalised', 'bench', :u, now())"),
                {"m": archive_month, "u": ADMIN})

        def archive_one():
            with database.transaction(engine) as conn:
                return archival.run_archive_time_entries_month(conn, archive_month, ADMIN)

        def restore_one():
            with database.transaction(engine) as conn:
                return archival.run_restore_time_entries_month(conn, archive_month, ADMIN)

        archive_s, archived_rows = _timed(archive_one)
        restore_s, _ = _timed(restore_one)
        cutoff = bangkok.today()
        with engine.connect() as conn:
            package_months = archival.load_expired_package_months(conn, cutoff)
        package_s, package_count = None, 0
        if package_months:
            busiest = package_months[-1]

            def archive_packages():
                with database.transaction(engine) as conn:
                    return archival.run_archive_packages_month(conn, busiest, cutoff, ADMIN)

            package_s, package_count = _timed(archive_packages)
    finally:
        engine.dispose()
        if not args.keep:
            _drop_scratch()

    ratio = partitioned_ms / flat_ms if flat_ms else float("nan")
    _say("")
    _say("== bench_history ==")
    _say(f"scale used: {args.scale} (demo load {load_s:.0f} s)"
         + ("" if args.scale == 50 else "  [the issue asks for 50]"))
    _say(f"audit_logs: {args.audit_rows:,} rows over 61 monthly partitions"
         f" (generated in {audit_s:.0f} s); one user-month = {rows_per_case:,} rows")
    _say("audit explorer filter (one user, one month; page + capped count + per-action counts):")
    _say(f"  partitioned        {partitioned_ms:8.2f} ms   target < 200 ms: "
         f"{'met' if partitioned_ms < 200 else 'NOT met'}")
    _say(f"  unpartitioned copy {flat_ms:8.2f} ms   (same SQL, indexes of migration 0001)")
    _say(f"  ratio partitioned/unpartitioned {ratio:.3f}   target <= 0.05: "
         f"{'met' if ratio <= 0.05 else 'NOT met'}")
    _say(f"  unpartitioned copy without its (user_email, timestamp) index {naive_ms:8.2f} ms,"
         f" ratio {partitioned_ms / naive_ms:.3f}")
    _say(f"  history_pages.load_audit_page (first page only) {page_ms:.2f} ms")
    if explorer_ms is not None:
        _say("audit explorer's own calls (history.queries.audit_events: count + first page +"
             " timeline; user is a case-insensitive substring there):")
        _say(f"  partitioned        {explorer_ms:8.2f} ms   target < 200 ms: "
             f"{'met' if explorer_ms < 200 else 'NOT met'}")
        _say(f"  unpartitioned copy {explorer_flat_ms:8.2f} ms   ratio"
             f" {explorer_ms / explorer_flat_ms:.3f}   target <= 0.05: "
             f"{'met' if explorer_ms / explorer_flat_ms <= 0.05 else 'NOT met'}")
    _say(f"payroll {payroll_month} (load + compute): 1 year of entries ({entries_1y:,} rows)"
         f" {payroll_1y:.2f} s, 5 years ({entries_5y:,} rows) {payroll_5y:.2f} s,"
         f" ratio {payroll_5y / payroll_1y:.2f}   target ~1.0")
    _say(f"archive time entries of {archive_month} ({archived_rows:,} rows): {archive_s:.3f} s"
         f"   target < 10 s: {'met' if archive_s < 10 else 'NOT met'}; restore {restore_s:.3f} s")
    if package_s is not None:
        _say(f"archive packages expired in {busiest} ({package_count} packages with usage):"
             f" {package_s:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
