"""`backoffice lab` (issue 27): JupyterLab for analysts on loopback with a token, their own
owner-only folder with the starter notebooks, kernels signed in as the analyst database role."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import websocket
from cli_runner import run_backoffice

from backoffice_lib.workbench import lab

ANALYST = "noon@studio.example"  # a demo coach, made an analyst here
NOT_ANALYST = "min@studio.example"
ROOT_FLAG = ["--allow-root"] if os.geteuid() == 0 else []
STARTERS = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "notebooks" / "analysis")
                  .glob("*.ipynb"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab_env(demo_database_url, demo_engine, tmp_path_factory):
    with demo_engine.begin() as c:
        c.execute(sa.text("UPDATE backoffice.allowed_users SET is_analyst = true WHERE email = :e"),
                  {"e": ANALYST})
    data_dir = tmp_path_factory.mktemp("lab-data")
    env = {**os.environ,
           "BACKOFFICE_DATABASE_URL": demo_database_url.render_as_string(hide_password=False),
           "BACKOFFICE_DATA_DIR": str(data_dir), "BACKOFFICE_PROXY_SECRET": "x" * 20,
           "BACKOFFICE_SMTP_PASSWORD": "mail-secret-for-the-test"}
    env.pop("BACKOFFICE_USER", None)
    return env, data_dir


@pytest.fixture(scope="module")
def running_lab(lab_env, demo_database_url):
    env, data_dir = lab_env
    port = _free_port()
    log = data_dir.parent / f"lab-{port}.log"
    handle = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "backoffice_lib.cli", "lab", "--port", str(port), "--user", ANALYST,
         *ROOT_FLAG], env=env, stdout=subprocess.PIPE, stderr=handle, text=True)
    url = None
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and url is None:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("open http://127.0.0.1:"):
            url = line.split(" ", 1)[1].strip()
    assert url, f"no URL printed: {lines} {log.read_text()}"
    yield {"url": url, "port": port, "data_dir": data_dir, "lines": lines, "process": process}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    handle.close()
    with sa.create_engine(demo_database_url).begin() as c:
        c.execute(sa.text("DROP OWNED BY backoffice_analyst"))


def _wait_ready(url: str, timeout: float = 30) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=10, allow_redirects=False)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _run_in_kernel(base: str, token: str, code: str) -> str:
    """Start a kernel through the server's API, run ``code``, return what it printed."""
    headers = {"Authorization": f"token {token}"}
    kernel = requests.post(f"{base}/api/kernels", headers=headers, json={"name": "python3"},
                           timeout=30).json()
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/api/kernels/{kernel['id']}/channels",
        header=[f"Authorization: token {token}"], timeout=60)
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    printed = []
    try:
        while True:
            message = json.loads(ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["header"]["msg_type"]
            if kind == "stream":
                printed.append(message["content"]["text"])
            elif kind == "error":
                printed.append("ERROR " + message["content"]["evalue"])
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                break
    finally:
        ws.close()
        requests.delete(f"{base}/api/kernels/{kernel['id']}", headers=headers, timeout=30)
    return "".join(printed)


def test_lab_serves_jupyterlab_with_the_token_and_refuses_without(running_lab):
    url = running_lab["url"]
    assert url.startswith(f"http://127.0.0.1:{running_lab['port']}/lab?token=")
    token = url.split("token=", 1)[1]
    assert len(token) >= 24
    page = _wait_ready(url)
    assert page.status_code == 200 and "JupyterLab" in page.text
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">'
                                  r"(.*?)</script>", page.text, re.DOTALL).group(1))
    assert config["news"] == {"disabled": True}  # offline: nothing fetched from the internet
    assert config["extensionManager"]["can_install"] is False
    assert not re.search(r'(src|href)="https?://', page.text)
    base = url.split("/lab?", 1)[0]
    without = requests.get(f"{base}/lab", timeout=10, allow_redirects=False)
    assert without.status_code in (302, 403) and "JupyterLab" not in without.text
    if without.status_code == 302:
        assert "/login" in without.headers["Location"]
    assert requests.get(f"{base}/api/contents", timeout=10).status_code == 403
    wrong = requests.get(f"{base}/api/contents", params={"token": "not-it"}, timeout=10)
    assert wrong.status_code == 403
    assert requests.get(f"{base}/api/terminals", params={"token": token},
                        timeout=10).status_code == 404  # no terminals: no shell from the page


def test_lab_root_is_the_analysts_own_folder_with_the_starter_notebooks(running_lab):
    root = running_lab["data_dir"] / "lab" / ANALYST
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE(root.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in root.glob("*.ipynb")) == STARTERS and STARTERS
    token = running_lab["url"].split("token=", 1)[1]
    base = running_lab["url"].split("/lab?", 1)[0]
    listing = requests.get(f"{base}/api/contents", params={"token": token}, timeout=10).json()
    assert sorted(item["name"] for item in listing["content"]) == STARTERS


def test_kernels_connect_as_the_analyst_role_without_the_owners_url(running_lab, lab_env):
    env, _ = lab_env
    owner_url = env["BACKOFFICE_DATABASE_URL"]
    token = running_lab["url"].split("token=", 1)[1]
    base = running_lab["url"].split("/lab?", 1)[0]
    code = (
        "import os, sqlalchemy as sa\n"
        "from backoffice_lib import database, explore\n"
        "with database.get_engine().connect() as c:\n"
        "    print('USER', c.scalar(sa.text('SELECT current_user')))\n"
        f"print('OWNER', any({owner_url!r} in v for v in os.environ.values()))\n"
        "print('SECRETS', [k for k in os.environ if 'SECRET' in k or 'PASSWORD' in k])\n"
        "print('ROWS', len(explore.attendance('2026-01-01', '2026-01-31')) >= 0)\n"
        "try:\n"
        "    with database.get_engine().connect() as c:\n"
        "        c.execute(sa.text('SELECT pin_hash FROM backoffice.staff'))\n"
        "except Exception as exc:\n"
        "    print('REFUSED', type(exc.orig).__name__)\n"
    )
    printed = _run_in_kernel(base, token, code)
    assert "USER backoffice_analyst" in printed, printed
    assert "OWNER False" in printed
    assert "SECRETS []" in printed
    assert "ROWS True" in printed
    assert "REFUSED InsufficientPrivilege" in printed


def test_lab_refuses_a_user_who_is_not_an_analyst_and_audits_it(lab_env, demo_engine):
    env, _ = lab_env
    done = run_backoffice("lab", "--port", str(_free_port()), "--user", NOT_ANALYST, *ROOT_FLAG,
                          env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: access refused: {NOT_ANALYST} is neither an analyst nor an admin; the lab is"
        " for analysts")
    with demo_engine.connect() as c:
        audited = c.scalar(sa.text(
            "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
            " AND resource_type = 'lab' AND user_email = :e"), {"e": NOT_ANALYST})
    assert audited == 1


def test_lab_refuses_to_listen_beyond_loopback_without_a_token(lab_env):
    env, _ = lab_env
    done = run_backoffice("lab", "--ip", "0.0.0.0", "--no-token", "--user", ANALYST, *ROOT_FLAG,
                          env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: refusing to listen on 0.0.0.0 without a token")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root is refused without --allow-root")
def test_lab_as_root_needs_allow_root(lab_env):
    env, _ = lab_env
    done = run_backoffice("lab", "--user", ANALYST, env=env, timeout=60)
    assert done.returncode == 2 and "--allow-root" in done.stderr


@pytest.mark.parametrize(
    "email, folder",
    [("Noon@Studio.Example", "noon@studio.example"), ("../etc/x@y", ".._etc_x@y"),
     ("a b@c", "a_b@c")],
)
def test_the_folder_name_is_the_email_and_never_a_path(email, folder):
    assert lab.compute_user_folder_name(email) == folder
    assert "/" not in lab.compute_user_folder_name(email)


def test_kernels_inherit_no_credential():
    env = lab.compute_kernel_environment(
        {"PATH": "/bin", "HOME": "/root", "BACKOFFICE_PROXY_SECRET": "s", "PGPASSWORD": "p",
         "BACKOFFICE_DATABASE_URL": "postgresql://owner:pw@h/db", "LINE_CHANNEL_TOKEN": "t",
         "SMTP_PASSWORD": "m", "BACKOFFICE_DATA_DIR": "/d", "SOME_URL": "https://u:p@h/"},
        "postgresql+psycopg://analyst:pw@h/db")
    assert env == {"PATH": "/bin", "HOME": "/root", "BACKOFFICE_DATA_DIR": "/d",
                   "BACKOFFICE_DATABASE_URL": "postgresql+psycopg://analyst:pw@h/db"}


def test_the_catalog_lists_the_starters_as_lab_notebooks_that_serve_never_runs():
    from backoffice_lib.workbench import catalog

    entries = catalog.load_catalog()
    listed = {e.path for e in entries if e.kind == "lab"}
    assert listed == {f"analysis/{name}" for name in STARTERS}
    assert {e.audience for e in entries if e.kind == "lab"} == {"analysts"}
    served = {e.path for e in catalog.load_dashboards()}
    reports = {e.path for e in entries if e.kind == "report"}
    assert not listed & (served | reports)
