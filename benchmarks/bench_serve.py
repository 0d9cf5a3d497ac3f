"""Serving figures: landing page, and each catalogued dashboard's first render, preheated and cold;
the first page opened right after `serve` prints its URL; every dashboard opened at once.

    .venv/bin/python -m benchmarks.bench_serve [--repeat 1] [--rounds 3] [--parts ...]

First render = navigation until the widgets are on screen and every plotly graph is drawn.
Targets (issue 17): preheated < 2 s each; cold < 5 s each; the first one opened right after the
URL is printed < 5 s; all dashboards at once (eight): every one rendered, in every round (each
page's render time and every page that did not render within 60 s are printed). Landing < 1 s.
Uses the database in use (BACKOFFICE_DATABASE_URL, else the embedded one: run `make demo` first)
and signs in as BACKOFFICE_USER (default admin@studio.example, the demo admin).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
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
TARGETS = {"landing": 1.0, "preheated": 2.0, "cold": 5.0, "first": 5.0}
AT_ONCE_TIMEOUT_MS = 60_000
PARTS = ("first", "concurrent", "preheated", "cold")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(pool_size: int, log: Path, *, wait_for_url: bool = False
           ) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ)
    env.setdefault("BACKOFFICE_USER", "admin@studio.example")
    command = [str(Path(sys.executable).with_name("backoffice")), "serve", "--port", str(port),
               "--token", TOKEN, "--pool-size", str(pool_size)]
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while wait_for_url and time.monotonic() < deadline:  # as a person would: the printed URL
        if "open http" in log.read_text(errors="replace"):
            return process, base
        if process.poll() is not None:
            raise SystemExit(f"backoffice serve exited:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)
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


def _kernels(process: subprocess.Popen) -> int:
    """Kernels the server holds (pools included): a pile-up round after round is a leak."""
    import psutil

    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    count = 0
    for child in children:
        try:
            count += "ipykernel" in " ".join(child.cmdline())
        except psutil.Error:  # it ended meanwhile
            pass
    return count


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


def _log_noise(log: Path) -> list[str]:
    """Server output besides our own lines and the access log of requests (warnings, tracebacks,
    kernel chatter)."""
    lines = log.read_text(errors="replace").splitlines()
    ours = ("open http", "serving ", "  (")
    return [line for line in lines if line.strip() and not line.startswith(ours)
            and not any(f" {code} " in line for code in ("GET", "POST", "HEAD"))]


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


async def _open_at_once(base: str, paths: list[str]) -> dict[str, float | str]:
    """Every path in its own browser context, all navigations started together; seconds to the
    first full render, or what the page showed when it did not render within 60 s."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        contexts = []
        for _ in paths:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            await page.goto(f"{base}/?token={TOKEN}")  # the token cookie, as after the landing
            contexts.append((context, page))

        async def render(page, path: str) -> float | str:
            start = time.perf_counter()
            try:
                await page.goto(f"{base}/voila/render/{path}", wait_until="commit",
                                timeout=AT_ONCE_TIMEOUT_MS)
                await page.wait_for_function(DRAWN, timeout=AT_ONCE_TIMEOUT_MS)
                return time.perf_counter() - start
            except Exception:  # noqa: BLE001 - a page that did not render is the figure
                note = await page.evaluate(
                    "() => (document.getElementById('backoffice-not-rendered') || {}).innerText"
                    " || ''")
                return "NOT RENDERED" + (" (page says: not loaded within 30 s)" if note else
                                         " (and no note on the page)")

        results = await asyncio.gather(*(render(page, path)
                                         for (_, page), path in zip(contexts, paths)))
        for context, page in contexts:
            await page.close(run_before_unload=True)  # as a person closes a tab: kernel shut down
            await context.close()
        await browser.close()
    return dict(zip(paths, results))


def _at_once_rounds(process, base: str, dashboards: list[str], rounds: int) -> list[dict]:
    outcomes = []
    for number in range(1, rounds + 1):
        time.sleep(serve.REFILL_DELAY_SECONDS + 1)  # the kernels used last round are replaced
        _wait_idle(process)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # sync Playwright owns this loop
            outcome = pool.submit(asyncio.run, _open_at_once(base, dashboards)).result()
        outcomes.append(outcome)
        shown = ", ".join(f"{Path(p).stem} {v:.1f} s" if isinstance(v, float) else
                          f"{Path(p).stem} {v}" for p, v in outcome.items())
        print(f"  round {number}: {shown}; kernels alive {_kernels(process)}", flush=True)
    return outcomes


def _first_after_url(browser, tmp: str, path: str) -> float:
    process, base = _start(1, Path(tmp) / "first.log", wait_for_url=True)
    try:
        return _measure(browser, base, path, "first")
    finally:
        _stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="renders per dashboard and mode")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of dashboards at once")
    parser.add_argument("--at-once", type=int, default=8,
                        help="dashboards opened at the same moment (the first N of the catalog)")
    parser.add_argument("--only", default="", help="only dashboards whose path contains this")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated, of {', '.join(PARTS)}")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    from playwright.sync_api import sync_playwright

    dashboards = [e.path for e in catalog.load_dashboards() if args.only in e.path]
    print(
        f"{len(dashboards)} dashboards; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results: dict[str, dict[str, float]] = {p: {} for p in dashboards}
    first = None
    outcomes: list[dict] = []
    landing = float("nan")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        if "first" in parts:
            first = _first_after_url(browser, tmp, dashboards[0])
        log = Path(tmp) / "preheated.log"
        process, base = _start(1, log, wait_for_url=True)  # every pool warm
        try:
            landing = _landing(browser, base, args.repeat)
            if "concurrent" in parts:
                together = dashboards[: args.at_once]
                print(f"{len(together)} dashboards at once, {args.rounds} round(s):", flush=True)
                outcomes = _at_once_rounds(process, base, together, args.rounds)
            for path in (dashboards if "preheated" in parts else []):
                times = []
                for _ in range(args.repeat):
                    time.sleep(serve.REFILL_DELAY_SECONDS + 1)  # the used kernel's refill starts
                    _wait_idle(process)
                    times.append(_measure(browser, base, path, "preheated"))
                results[path]["preheated"] = min(times)
            noise = _log_noise(log)
        finally:
            _stop(process)
        process, base = _start(0, Path(tmp) / "cold.log")
        try:
            for path in (dashboards if "cold" in parts else []):
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
    if first is not None:
        print(f"first dashboard opened as soon as `serve` printed its URL ({dashboards[0]}):"
              f" {first:.2f} s (target < {TARGETS['first']:.0f} s, ratio"
              f" {first / TARGETS['first']:.2f})")
    if outcomes:
        rendered = [v for o in outcomes for v in o.values() if isinstance(v, float)]
        failed = [(i, p) for i, o in enumerate(outcomes, 1) for p, v in o.items()
                  if not isinstance(v, float)]
        clean = sum(1 for o in outcomes if all(isinstance(v, float) for v in o.values()))
        print(f"{len(outcomes[0])} at once: every page rendered in {clean} of {len(outcomes)}"
              f" rounds; renders median {statistics.median(rendered):.1f} s, max"
              f" {max(rendered):.1f} s" if rendered else "all at once: nothing rendered")
        for number, path in failed:
            print(f"  NOT RENDERED in round {number}: {path}")
    print(f"server log lines a person would have to read past: {len(noise)}")
    for line in noise[:10]:
        print(f"  | {line}")
    print(f"\n{'dashboard':42} {'preheated':>9} {'ratio':>6} {'cold':>7} {'ratio':>6}")
    for path, figures in results.items():
        cells = []
        for mode, width in (("preheated", 8), ("cold", 6)):
            seconds = figures.get(mode)
            cells.append(f"{'-':>{width}}  {'-':>6}" if seconds is None else
                         f"{seconds:{width}.2f}s {seconds / TARGETS[mode]:6.2f}")
        print(f"{path:42} {cells[0]} {cells[1]}")  # "-": not measured in this run
    print("\nratio = figure / target (below 1.00 meets the target); best of"
          f" {args.repeat} renders each, load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
