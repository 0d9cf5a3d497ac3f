"""Browser fixtures: `backoffice serve` on a free port against the demo database, and Debian's
chromium driven by Playwright (its own browser download does not work offline)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "browser-test-token"
SIGNED_IN = "admin@studio.example"
COACH = "min@studio.example"  # an allowed user, not an admin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen, base: str, log: Path):
        self.process, self.base, self.log = process, base, log

    def url(self, path: str = "") -> str:
        return f"{self.base}/{path}"


def start_server(env: dict, *, port: int, log: Path, pool_size: int | None = None, extra=()
                 ) -> Server:
    """``backoffice serve`` as people run it: its default pool of preheated kernels unless a test
    is about the pool itself."""
    command = [
        str(Path(sys.executable).with_name("backoffice")),
        "serve",
        "--port",
        str(port),
        "--token",
        TOKEN,
        *(["--pool-size", str(pool_size)] if pool_size is not None else []),
        *extra,
    ]
    handle = log.open("wb")
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # every dashboard's pool is warmed before the first answer
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"backoffice serve exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/?token={TOKEN}", timeout=2) as answer:
                if answer.status == 200:
                    return Server(process, base, log)
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise RuntimeError(f"backoffice serve did not answer: {log.read_text()[-2000:]}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def server_env(database_url) -> dict:
    env = dict(os.environ)
    env["BACKOFFICE_DATABASE_URL"] = database_url.render_as_string(hide_password=False)
    env["BACKOFFICE_USER"] = SIGNED_IN
    env.pop("BACKOFFICE_AUTH_HEADER", None)
    runtime = ROOT / ".backoffice" / "runtime"
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    env.setdefault("XDG_RUNTIME_DIR", str(runtime))
    return env


@pytest.fixture(scope="session")
def demo_database_url(_demo_template):
    """One copy of the demo database for every browser test of the run (it overrides the copy
    per module): the shared servers below serve it, and the tests check what they did in it."""
    import conftest

    name, url = conftest._copy_database(_demo_template, "browser")
    yield url
    conftest._engine_for(url).dispose()
    conftest._drop_database(name)


def _shared_server(url, tmp_path_factory, user: str) -> Server:
    env = server_env(url)
    env["BACKOFFICE_USER"] = user
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    return start_server(env, port=free_port(), log=log)


@pytest.fixture(scope="session")
def as_admin(demo_database_url, tmp_path_factory):
    """``backoffice serve`` as an admin (token mode, its default pool), one for the whole run:
    every server warms a kernel pool per dashboard, so starting one per module cost minutes."""
    server = _shared_server(demo_database_url, tmp_path_factory, SIGNED_IN)
    yield server
    stop_server(server.process)


@pytest.fixture(scope="session")
def as_coach(demo_database_url, tmp_path_factory):
    """The same as an allowed user who is not an admin (a coach), one for the whole run."""
    server = _shared_server(demo_database_url, tmp_path_factory, COACH)
    yield server
    stop_server(server.process)


@pytest.fixture(scope="session")
def served(as_admin):
    return as_admin


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

