"""Benchmarks: `python -m benchmarks.bench_<area>` prints figures and ratios (never asserts)."""
