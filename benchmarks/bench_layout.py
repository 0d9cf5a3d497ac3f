"""What importing costs: `backoffice --help` and `import backoffice_lib` as whole processes,
against `python -c "import psycopg, click"` (issue 11's target: `--help` at most 2x that).

    .venv/bin/python -m benchmarks.bench_layout [--repeat 15]

Each figure is the median wall time of REPEAT fresh processes (after one warm-up run each, so
the file cache is warm for all of them alike).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TARGET_RATIO = 2.0
CASES = {
    "python -c 'import psycopg, click' (baseline)": [sys.executable, "-c", "import psycopg, click"],
    "python -c 'import backoffice_lib'": [sys.executable, "-c", "import backoffice_lib"],
    "backoffice --help": [sys.executable, "-m", "backoffice_lib.cli", "--help"],
    "backoffice db --help (loads one command module)": [
        sys.executable, "-m", "backoffice_lib.cli", "db", "--help",
    ],
}


def wall(command: list[str], repeat: int) -> float:
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    figures = {name: wall(command, args.repeat) for name, command in CASES.items()}
    baseline = next(iter(figures.values()))
    print(f"{'whole process (median of ' + str(args.repeat) + ')':52} {'seconds':>8} {'ratio':>7}")
    for name, seconds in figures.items():
        print(f"{name:52} {seconds:8.3f} {seconds / baseline:6.2f}x")
    ratio = figures["backoffice --help"] / baseline
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"\nbackoffice --help = {ratio:.2f}x the baseline: {verdict} the target of "
          f"<= {TARGET_RATIO:.0f}x")


if __name__ == "__main__":
    main()
