"""Serving figures: landing page, and each catalogued dashboard's first render, preheated and cold.

    .venv/bin/python -m benchmarks.bench_serve [--repeat 2]

First render = navigation until the widgets are on screen and every plotly graph is drawn.
Targets (issue 7): landing < 1 s; first render < 4 s with preheated kernels, < 8 s cold.
Uses the database in use (BACKOFFICE_DATABASE_URL, else the embedded one: run `make demo` first)
and signs in as BACKOFFICE_USER (default admin@studio.example, the demo admin).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from backoffice_lib.workbench import catalog, serve

TOKEN = "bench-token"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
DRAWN = """() => {
  const cells = document.querySelector('#rendered_cells');
  if (!cells || getComputedStyle(cells).display === 'none') return false;
  if (document.querySelectorAll('.jupyter-widgets').length === 0) return false;
  return [...document.querySelectorAll('.js-plotly-plot')]
    .every(g => g.querySelector('.main-svg') && g._fullLayout);
}"""
TARGETS = {"landing": 1.0, "preheated": 4.0, "cold": 8.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(pool_size: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ)
    env.setdefault("BACKOFFICE_USER", "admin@studio.example")
    command = [str(Path(sys.executable).with_name("backoffice")), "serve", "--port", str(port),
               "--token", TOKEN, "--pool-size", str(pool_size)]
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/?token={TOKEN}", timeout=2):
                return process, base
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"backoffice serve exited:\n{log.read_text()[-2000:]}") from None
            time.sleep(0.3)
    raise SystemExit("backoffice serve did not answer within 120 s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _cpu_seconds(process: subprocess.Popen) -> float:
    import psutil

    total = 0.0
    try:
        root = psutil.Process(process.pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
    except psutil.NoSuchProcess:
        pass
    return total


def _wait_idle(process: subprocess.Popen, timeout: float = 240) -> None:
    """Until the server and its kernels are idle (preheated kernels have run up to the request)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    previous = _cpu_seconds(process)
    while time.monotonic() < deadline and quiet < 2:
        time.sleep(1)
        now = _cpu_seconds(process)
        quiet = quiet + 1 if now - previous < 0.15 else 0
        previous = now


def _measure(browser, base: str, path: str, mode: str) -> float:
    """Seconds to the first full render, or inf when it does not come within 120 s."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        (base, "data:", "blob:")) else r.abort())
    page = context.new_page()
    page.goto(f"{base}/?token={TOKEN}")
    start = time.perf_counter()
    try:
        page.goto(f"{base}/voila/render/{path}", wait_until="commit", timeout=120_000)
        page.wait_for_function(DRAWN, timeout=120_000)
        elapsed = time.perf_counter() - start
    except PlaywrightTimeout:
        elapsed = float("inf")
    context.close()
    print(f"  {mode:9} {path}: {elapsed:.2f} s", flush=True)
    return elapsed


def _landing(browser, base: str, repeat: int) -> float:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/?token={TOKEN}")
    times = []
    for _ in range(max(repeat, 3)):
        start = time.perf_counter()
        page.goto(f"{base}/", wait_until="load")
        times.append(time.perf_counter() - start)
    context.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="renders per dashboard and mode")
    parser.add_argument("--only", default="", help="only dashboards whose path contains this")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    dashboards = [e.path for e in catalog.load_dashboards() if args.only in e.path]
    print(
        f"{len(dashboards)} dashboards; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results: dict[str, dict[str, float]] = {p: {} for p in dashboards}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        log = Path(tmp) / "preheated.log"
        process, base = _start(1, log)
        try:
            landing = _landing(browser, base, args.repeat)
            for path in dashboards:
                times = []
                for _ in range(args.repeat):
                    time.sleep(serve.REFILL_DELAY_SECONDS + 1)  # the used kernel's refill starts
                    _wait_idle(process)
                    times.append(_measure(browser, base, path, "preheated"))
                results[path]["preheated"] = min(times)
        finally:
            _stop(process)
        process, base = _start(0, Path(tmp) / "cold.log")
        try:
            for path in dashboards:
                times = []
                for _ in range(args.repeat):
                    _wait_idle(process)
                    times.append(_measure(browser, base, path, "cold"))
                results[path]["cold"] = min(times)
        finally:
            _stop(process)
        browser.close()

    print(f"\nlanding page: {landing:.2f} s (target < {TARGETS['landing']:.0f} s,"
          f" ratio {landing / TARGETS['landing']:.2f})")
    print(f"\n{'dashboard':42} {'preheated':>9} {'ratio':>6} {'cold':>7} {'ratio':>6}")
    for path, figures in results.items():
        hot, cold = figures["preheated"], figures["cold"]
        print(f"{path:42} {hot:8.2f}s {hot / TARGETS['preheated']:6.2f}"
              f" {cold:6.2f}s {cold / TARGETS['cold']:6.2f}")
    print("\nratio = figure / target (below 1.00 meets the target); best of"
          f" {args.repeat} renders each, load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
