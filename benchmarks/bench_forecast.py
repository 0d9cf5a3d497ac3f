"""Payroll forecast benchmark: `python -m benchmarks.bench_forecast [--staff 1000]`.

Target: the forecast of a month for 1,000 staff (~25,000 worked sessions and ~25,000 planned
shifts around it) in under 1 s in process (load + compute, as of the 15th), beside the
payroll of the same month (load + compute) for scale.

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
    finally:
        _drop(engine, name)


if __name__ == "__main__":
    main()
