"""Time-clock benchmarks: `python -m benchmarks.bench_timeclock`.

Targets (issue 3): a punch, PIN check at bcrypt cost 12 included, under 400 ms; attendance for
100 staff x 1 month under 1 s. Runs on a scratch database of the selected server (created,
migrated and dropped here), prints figures and ratios against the targets, asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
import uuid

import pandas as pd
import sqlalchemy as sa

from backoffice_lib import bangkok, database, migrate
from backoffice_lib.staff.rules import attendance, pins, sessions
from backoffice_lib.staff.service import schedules, timeclock

PUNCH_TARGET_MS = 400.0
ATTENDANCE_TARGET_S = 1.0
STAFF = 100
PIN = "246810"


def _scratch_database() -> tuple[sa.engine.Engine, str]:
    admin_url = database.database_url().set(database="postgres")
    name = f"bench_timeclock_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = database.get_engine(admin_url.set(database=name).render_as_string(hide_password=False))
    with engine.begin() as c:
        migrate.upgrade(c)
    return engine, name


def _drop(engine: sa.engine.Engine, name: str) -> None:
    engine.dispose()
    admin = sa.create_engine(
        database.database_url().set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def bench_punch(engine: sa.engine.Engine, rounds: int = 12) -> tuple[list[float], list[float]]:
    """Each punch in its own transaction, as the kiosk does; the PIN hash has cost 12."""
    pin_hash = pins.hash_pin(PIN)
    assert pin_hash.startswith("$2b$12$")
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email) VALUES ('kiosk@bench')"))
        c.execute(
            sa.text(
                "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash)"
                " VALUES ('Bench', 'B1', :h)"
            ),
            {"h": pin_hash},
        )
    start = bangkok.now() - dt.timedelta(days=2)
    timings, checks = [], []
    for i in range(rounds):
        began = time.perf_counter()
        pins.verify_pin(PIN, pin_hash)  # the bcrypt check alone, right beside each punch
        checks.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        with database.transaction(engine) as conn:
            result = timeclock.punch(
                conn,
                "kiosk@bench",
                "B1",
                PIN,
                now=start + dt.timedelta(minutes=5 * i),
                device_info={"device": "bench"},
            )
        timings.append((time.perf_counter() - began) * 1000)
        assert result.ok, result.message
    return timings, checks


def synthetic_month(staff: int = STAFF, seed: int = 7):
    """Shifts and punches of ``staff`` people over a 30-day month (pure frames)."""
    rng = random.Random(seed)
    first = dt.date(2025, 3, 1)
    shift_rows, entry_rows = [], []
    for person in range(1, staff + 1):
        for offset in range(30):
            day = first + dt.timedelta(days=offset)
            if attendance.day_of_week(day) in (person % 7, (person + 3) % 7):
                continue  # two days off a week
            start_hour = 9 + person % 4
            shift_rows.append(
                {
                    "id": f"{person}-{offset}",
                    "staff_id": person,
                    "schedule_date": day,
                    "start_time": dt.time(start_hour),
                    "end_time": dt.time(start_hour + 8),
                }
            )
            if rng.random() < 0.03:
                continue  # no show
            clock_in = bangkok.at(day, dt.time(start_hour)) + dt.timedelta(
                minutes=rng.randint(-10, 30)
            )
            clock_out = clock_in + dt.timedelta(hours=8, minutes=rng.randint(-40, 20))
            entry_rows.append(
                {
                    "id": len(entry_rows),
                    "staff_id": person,
                    "action": "clock_in",
                    "timestamp": clock_in,
                }
            )
            entry_rows.append(
                {
                    "id": len(entry_rows),
                    "staff_id": person,
                    "action": "clock_out",
                    "timestamp": clock_out,
                }
            )
    return pd.DataFrame(shift_rows), pd.DataFrame(entry_rows), first, first + dt.timedelta(days=29)


def bench_attendance_compute(rounds: int = 5) -> tuple[list[float], int, int]:
    shifts, entries, _, _ = synthetic_month()
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        worked = sessions.compute_sessions(entries)
        attendance.compute_attendance(shifts, worked)
        timings.append(time.perf_counter() - began)
    return timings, len(shifts), len(entries)


def bench_attendance_database(engine: sa.engine.Engine, rounds: int = 3) -> list[float]:
    """load_attendance (SQL + compute) on a database holding the synthetic month."""
    shifts, entries, first, last = synthetic_month()
    with engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO backoffice.staff (id, staff_name, staff_id, pin_hash)"
                " VALUES (:id, :n, :s, 'x') ON CONFLICT DO NOTHING"
            ),
            [{"id": 1000 + p, "n": f"Person {p}", "s": f"P{p}"} for p in range(1, STAFF + 1)],
        )
        c.execute(
            sa.text(
                "INSERT INTO backoffice.staff_schedules (staff_id, schedule_date, start_time,"
                " end_time) VALUES (:staff_id, :schedule_date, :start_time, :end_time)"
            ),
            [
                dict(r, staff_id=1000 + r["staff_id"])
                for r in shifts.drop(columns=["id"]).to_dict("records")
            ],
        )
        c.execute(
            sa.text(
                "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                " VALUES (:staff_id, :action, :timestamp)"
            ),
            [
                dict(r, staff_id=1000 + r["staff_id"])
                for r in entries.drop(columns=["id"]).to_dict("records")
            ],
        )
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        with engine.connect() as conn:
            schedules.load_attendance(conn, first, last, as_of=bangkok.at(last, dt.time(23)))
        timings.append(time.perf_counter() - began)
    return timings


def main() -> None:
    engine, name = _scratch_database()
    try:
        punch_ms, check_ms = bench_punch(engine)
        median = statistics.median(punch_ms)
        check = statistics.median(check_ms)
        print(
            f"punch (PIN check at bcrypt cost 12, own transaction): median {median:.0f} ms, "
            f"max {max(punch_ms):.0f} ms over {len(punch_ms)} punches; target < "
            f"{PUNCH_TARGET_MS:.0f} ms, ratio {median / PUNCH_TARGET_MS:.2f}"
        )
        print(
            f"  one bcrypt cost-12 check alone: median {check:.0f} ms; the punch without it: "
            f"{median - check:.0f} ms (machine load {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores)"
        )
        compute_s, shift_count, entry_count = bench_attendance_compute()
        best = min(compute_s)
        print(
            f"attendance compute, {STAFF} staff x 1 month ({shift_count} shifts, {entry_count} "
            f"entries): best {best * 1000:.0f} ms, median {statistics.median(compute_s) * 1000:.0f}"
            f" ms; target < {ATTENDANCE_TARGET_S:.0f} s, ratio {best / ATTENDANCE_TARGET_S:.2f}"
        )
        db_s = bench_attendance_database(engine)
        print(
            f"attendance from the database (load_attendance, SQL included): best "
            f"{min(db_s) * 1000:.0f} ms; ratio {min(db_s) / ATTENDANCE_TARGET_S:.2f}"
        )
    finally:
        _drop(engine, name)


if __name__ == "__main__":
    main()
