"""`python -m benchmarks [NAME ...]`: run the named benchmarks (all when none), one after another.

Each one also runs alone: `python -m benchmarks.bench_payroll`. They print figures and ratios
against the issue targets; none asserts.
"""

import pkgutil
import runpy
import sys
from pathlib import Path

available = sorted(
    m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
)
chosen = [f"bench_{n.removeprefix('bench_')}" for n in sys.argv[1:]] or available
unknown = sorted(set(chosen) - set(available))
if unknown:
    sys.exit(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}")
for name in chosen:
    print(f"\n=== {name} ===", flush=True)
    saved, sys.argv = sys.argv, [name]
    try:
        runpy.run_module(f"benchmarks.{name}", run_name="__main__")
    finally:
        sys.argv = saved
