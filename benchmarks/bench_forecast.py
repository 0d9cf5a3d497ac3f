"""Payroll forecast benchmark: `python -m benchmarks.bench_forecast [--staff 1000]`.

Targets:
- the forecast of a month for 1,000 staff (~25,000 worked sessions and ~28,000 planned shifts
  around it) in under 1 s in process (load + compute, as of the 15th), beside the payroll of
  the same month (load + compute) for scale;
- the schedules page shows a week's overtime cost within 0.5 s of a shift being changed: the
  time from setting the end of a new shift on the page (``ScheduleBoard`` with payroll's
  ``load_plan_cost``) to its cost shown, and from a page move to the week's grid with every
  person's cost, on the same 1,000 staff.

The data is bench_payroll's (its scratch database and COPY helpers) plus one planned shift on
most days of the month for everyone. Prints figures and ratios, asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io

import numpy as np
import sqlalchemy as sa

from backoffice_lib.payroll import queries
from backoffice_lib.payroll.rules import compute_payroll
from backoffice_lib.payroll.service.forecast import compute_month_forecast

from .bench_payroll import MONTH, _best, _copy, _drop, _scratch, generate

TARGET_S = 1.0
TARGET_CHANGE_S = 0.5
BENCH_ADMIN = "bench-admin@bench.example"
AS_OF = dt.date(2025, 1, 15)


def plan(engine: sa.engine.Engine, staff: int, seed: int = 11) -> int:
    """One shift on ~85 % of the days of the month's weeks for each person; returns how many."""
    rng = np.random.default_rng(seed)
    first = dt.date(2024, 12, 29)
    days = 34  # 29 Dec – 31 Jan
    buffer, count = io.StringIO(), 0
    for i in range(1, staff + 1):
        planned = rng.random(days) < 0.85
        start = rng.integers(7, 14, size=days)
        length = rng.integers(4, 10, size=days)
        for d in np.flatnonzero(planned):
            day = first + dt.timedelta(days=int(d))
            buffer.write(f"{i}\t{day.isoformat()}\t{start[d]:02d}:00\t"
                         f"{start[d] + length[d]:02d}:00\n")
            count += 1
    with engine.begin() as conn:
        _copy(conn, "backoffice.staff_schedules",
              ["staff_id", "schedule_date", "start_time", "end_time"], buffer.getvalue())
        conn.execute(sa.text("ANALYZE backoffice.staff_schedules"))
    return count


def bench(engine: sa.engine.Engine) -> tuple[float, float, float, int]:
    with engine.connect() as conn:
        def forecast():
            return compute_month_forecast(conn, MONTH, AS_OF)

        def payroll():
            return compute_payroll(queries.load_payroll_inputs(conn, MONTH))

        forecast()
        payroll()
        payroll_s, _, _ = _best(payroll)
        forecast_s, forecast_cpu, result = _best(forecast)
    return forecast_s, forecast_cpu, payroll_s, len(result.lines)


def plan_now(engine: sa.engine.Engine, staff: int, seed: int = 13) -> dt.date:
    """This month as the page sees it: the time worked from the Sunday of the week of the 1st
    to yesterday, shifts planned from today to the end of next week; returns next week's
    Sunday."""
    from backoffice_lib import bangkok
    from backoffice_lib.payroll.rules import first_week_start

    rng = np.random.default_rng(seed)
    today = bangkok.today()
    first = first_week_start(bangkok.month_key(today))
    next_week = today - dt.timedelta(days=(today.weekday() + 1) % 7) + dt.timedelta(days=7)
    entries, shifts = io.StringIO(), io.StringIO()
    for i in range(1, staff + 1):
        day = first
        while day <= next_week + dt.timedelta(days=6):
            start, length = int(rng.integers(7, 14)), int(rng.integers(4, 10))
            if day < today and rng.random() < 0.82:
                clock_in = bangkok.at(day, dt.time(start))
                clock_out = clock_in + dt.timedelta(hours=length, minutes=int(rng.integers(60)))
                entries.write(f"{i}\tclock_in\t{clock_in.isoformat()}\n"
                              f"{i}\tclock_out\t{clock_out.isoformat()}\n")
            elif day >= today and rng.random() < 0.85 and day != next_week + dt.timedelta(days=6):
                shifts.write(f"{i}\t{day.isoformat()}\t{start:02d}:00\t{start + length:02d}:00\n")
            day += dt.timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        _copy(conn, "backoffice.time_entries", ["staff_id", "action", "timestamp"],
              entries.getvalue())
        _copy(conn, "backoffice.staff_schedules",
              ["staff_id", "schedule_date", "start_time", "end_time"], shifts.getvalue())
        conn.execute(sa.text("ANALYZE"))
    return next_week


def bench_schedules(engine: sa.engine.Engine, week: dt.date) -> tuple[float, float, str]:
    """Best of 5: a shift's end changed on the page until its cost is shown; the week's grid
    with everyone's cost (a move to the week)."""
    import time

    from backoffice_lib.payroll.service.forecast import load_plan_cost
    from backoffice_lib.staff.schedule_dashboard import ScheduleBoard

    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES (:e, true) ON CONFLICT DO NOTHING"), {"e": BENCH_ADMIN})
    board = ScheduleBoard(BENCH_ADMIN, engine=engine, week=week, plan_cost=load_plan_cost)
    board.new_person.value = 3
    board.new_start.value = "06:00"
    board.new_date.value = (week + dt.timedelta(days=6)).isoformat()  # a Saturday kept free
    change, grid = float("inf"), float("inf")
    for end in ("22:00", "23:00", "22:30", "23:30", "21:30"):
        clock = time.perf_counter()
        board.new_end.value = end
        change = min(change, time.perf_counter() - clock)
    for _ in range(3):
        clock = time.perf_counter()
        board.on_move_week(0)
        grid = min(grid, time.perf_counter() - clock)
    return change, grid, board.new_cost.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=1000)
    args = parser.parse_args()
    engine, name = _scratch("bench_forecast")
    try:
        entries = generate(engine, args.staff)
        shifts = plan(engine, args.staff)
        forecast_s, forecast_cpu, payroll_s, people = bench(engine)
        print(f"forecast {MONTH} as of {AS_OF}: {args.staff} staff, {entries} entries in the "
              f"month, {shifts} planned shifts")
        print(f"  forecast (load + compute): {forecast_s:.3f} s (CPU {forecast_cpu:.3f} s), "
              f"{people} people; target < {TARGET_S} s: ratio {forecast_s / TARGET_S:.2f}")
        print(f"  payroll of the month (load + compute): {payroll_s:.3f} s; forecast / payroll "
              f"{forecast_s / payroll_s:.2f}")
        change_s, grid_s, hint = bench_schedules(engine, plan_now(engine, args.staff))
        print(f"schedules page ({args.staff} staff, this month worked to yesterday and planned"
              " to the end of next week; a shift of next week):")
        print(f"  a shift changed to its cost shown "
              f"{change_s:.3f} s; target < {TARGET_CHANGE_S} s: ratio "
              f"{change_s / TARGET_CHANGE_S:.2f}")
        print(f"  the week's grid with everyone's cost (a move to the week): {grid_s:.3f} s")
        print(f"  shown: {hint}")
    finally:
        _drop(engine, name)


if __name__ == "__main__":
    main()
