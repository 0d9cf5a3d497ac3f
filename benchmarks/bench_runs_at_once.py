"""Ten notebook runs at once against each run alone (issue 23).

    .venv/bin/python -m benchmarks.bench_runs_at_once

Ten `backoffice jobs run` processes (payroll for three months, invoices for two, coach earnings
twice, package alerts twice, `payroll run` once) are first run one after another, then all
started at once. At most BACKOFFICE_MAX_RUNS (default 2) run at once; the others wait for a slot.
Each run's time counts from its own start (``job_runs.duration_seconds``: from the slot to the
end), so the ratio says what running beside another costs a run.

Target: all ten succeed, none slower than 3x its time alone. Uses the database in use (`make
demo` first) and acts as BACKOFFICE_USER (default admin@studio.example).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from backoffice_lib import bangkok, database

BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))
TARGET_RATIO = 3.0


def commands() -> list[list[str]]:
    months = [bangkok.previous_month(bangkok.month_key(bangkok.today()))]
    while len(months) < 3:
        months.append(bangkok.previous_month(months[-1]))
    today = bangkok.today().isoformat()
    return [
        *(["jobs", "run", "payroll-monthly", "-p", f"month={m}"] for m in months),
        *(["jobs", "run", "invoices-monthly", "-p", f"month={m}"] for m in months[:2]),
        ["jobs", "run", "coach-earnings-monthly", "-p", f"month={months[0]}"],
        ["jobs", "run", "coach-earnings-monthly", "-p", f"month={months[0]}", "-p", "coach=MIN"],
        ["jobs", "run", "package-alerts", "-p", f"as_of={today}"],
        ["jobs", "run", "package-alerts", "-p", f"as_of={today}"],
        ["payroll", "run", "--month", months[1]],
    ]


def durations(since: dt.datetime) -> list[tuple[str, str, float, str]]:
    with database.get_engine().connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT job_name, parameters::text AS parameters, duration_seconds, status"
            " FROM backoffice.job_runs WHERE started_at >= :s ORDER BY started_at"), {"s": since})
        return [(r.job_name, r.parameters, float(r.duration_seconds or 0), r.status)
                for r in rows]


def main() -> None:
    env = {**os.environ, "BACKOFFICE_USER": os.environ.get("BACKOFFICE_USER",
                                                           "admin@studio.example")}
    alone: dict[tuple[str, str], list[float]] = {}
    for command in commands():
        since = dt.datetime.now(dt.UTC)
        subprocess.run([BACKOFFICE, *command], env=env, check=False, capture_output=True)
        job, parameters, seconds, _ = durations(since)[-1]
        alone.setdefault((job, parameters), []).append(seconds)
    since = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    processes = [subprocess.Popen([BACKOFFICE, *c], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for c in commands()]
    codes = [p.wait() for p in processes]
    wall = time.perf_counter() - clock
    together = durations(since)
    total_alone = sum(sum(v) for v in alone.values())
    print(f"ten runs at once: {sum(c == 0 for c in codes)} of 10 exited 0,"
          f" {sum(r[3] == 'succeeded' for r in together)} succeeded, {wall:.1f} s wall"
          f" (one after another: {total_alone:.1f} s of runs)")
    worst = 0.0
    for job, parameters, seconds, status in together:
        alone_s = alone[(job, parameters)].pop(0)
        worst = max(worst, seconds / alone_s)
        print(f"  {job:<24} {parameters:<36} {status:<9} {seconds:6.2f} s at once,"
              f" {alone_s:6.2f} s alone, ratio {seconds / alone_s:.2f}")
    print(f"slowest run at once against alone: ratio {worst:.2f}  target <= {TARGET_RATIO}")


if __name__ == "__main__":
    main()
