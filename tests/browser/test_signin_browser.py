"""The reverse-proxy setup of the documentation, for real: nginx (Debian's, `make browser` installs it) with
basic auth in front of `backoffice serve --auth-header`, driven over HTTPS by a client and by
headless Chromium.

The nginx configuration is the one printed in docs/administrators/roles.md ("A working reverse
proxy"), with only its paths, ports and host name replaced: if that setup stops working, this
test fails.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .conftest import ROOT, free_port, server_env, stop_server

ADMIN = "admin@studio.example"
COACH = "min@studio.example"  # an allowed user, not an admin
PASSWORDS = {ADMIN: "admin-password-1", COACH: "coach-password-1"}
SECRET = "nginx-proxy-secret-" + "0123456789abcdef"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def documented_nginx_config() -> str:
    text = (ROOT / "docs" / "administrators" / "roles.md").read_text(encoding="utf-8")
    section = text[text.index("## A working reverse proxy"):]
    return re.search(r"```nginx\n(.*?)```", section, re.DOTALL).group(1)


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def proxied(demo_database_url, tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.fail(f"{NGINX} is missing: `make browser` (apt-get install -y chromium nginx)")
    folder = tmp_path_factory.mktemp("nginx")
    backend_port, proxy_port = free_port(), free_port()
    secret_file = folder / "proxy-secret"
    secret_file.write_text(SECRET + "\n")
    (folder / "backoffice-proxy-secret.conf").write_text(
        f'proxy_set_header X-Backoffice-Proxy-Secret "{SECRET}";\n'
    )
    (folder / "backoffice.htpasswd").write_text(
        "".join(
            f"{user}:{_run('openssl', 'passwd', '-apr1', password).strip()}\n"
            for user, password in PASSWORDS.items()
        )
    )
    (folder / "tls").mkdir()
    _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=studio.example.com",
         "-keyout", str(folder / "tls" / "studio.example.com.key"),
         "-out", str(folder / "tls" / "studio.example.com.crt"))
    site = (
        documented_nginx_config()
        .replace("listen 443 ssl;", f"listen 127.0.0.1:{proxy_port} ssl;")
        .replace("/etc/nginx/", f"{folder}/")
        .replace("127.0.0.1:8866", f"127.0.0.1:{backend_port}")
    )
    (folder / "nginx.conf").write_text(
        "daemon off;\nmaster_process off;\nworker_processes 1;\n"
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"  access_log {folder}/access.log;\n"
        + "".join(f"  {kind}_temp_path {folder}/{kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + site + "\n}\n"
    )
    env = server_env(demo_database_url)
    env.pop("BACKOFFICE_USER", None)
    serve_log = folder / "serve.log"
    serve = subprocess.Popen(
        [str(Path(sys.executable).with_name("backoffice")), "serve", "--port", str(backend_port),
         "--auth-header", "X-Forwarded-Email", "--proxy-secret-file", str(secret_file),
         "--trusted-proxy", "127.0.0.1", "--public-host", "127.0.0.1", "--pool-size", "0"],
        env=env, cwd=ROOT, stdout=serve_log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    nginx = subprocess.Popen([NGINX, "-p", str(folder), "-e", str(folder / "error.log"),
                              "-c", str(folder / "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    proxy = f"https://127.0.0.1:{proxy_port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            for process, log in ((serve, serve_log), (nginx, folder / "error.log")):
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args[0]} exited: {log.read_text()[-2000:]}")
            try:
                if _get(proxy, COACH).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer through nginx: {serve_log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield proxy, f"http://127.0.0.1:{backend_port}", folder
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
        stop_server(serve)


def _get(base, user=None, path="/", **headers):
    auth = (user, PASSWORDS[user]) if user else None
    return requests.get(base + path, auth=auth, headers=headers, verify=False, timeout=60,
                        allow_redirects=False)


def test_documented_nginx_setup_signs_people_in_and_drops_what_clients_forge(proxied):
    proxy, backend, folder = proxied
    assert _get(proxy).status_code == 401  # nginx asks who you are
    landing = _get(proxy, COACH)
    assert f"Signed in as <strong>{COACH}</strong>" in landing.text
    forged = _get(proxy, COACH, **{"X-Forwarded-Email": ADMIN,
                                   "X-Backoffice-Proxy-Secret": "guessed-" + SECRET})
    assert f"Signed in as <strong>{COACH}</strong>" in forged.text  # nginx replaced both
    around = requests.get(backend + "/", headers={"X-Forwarded-Email": ADMIN,
                                                  "Host": "127.0.0.1"}, timeout=30)
    assert around.status_code == 403 and ADMIN not in around.text
    assert SECRET not in (folder / "access.log").read_text()


def _open_audit_explorer(chromium, proxy, user, screenshots, name):
    context = chromium.new_context(
        ignore_https_errors=True,
        http_credentials={"username": user, "password": PASSWORDS[user]},
        extra_http_headers={"X-Forwarded-Email": ADMIN},  # what a curious coach might try
        viewport={"width": 1280, "height": 900},
    )
    try:
        page = context.new_page()
        page.goto(proxy + "/")
        assert user in page.inner_text("header")
        with page.expect_navigation(timeout=90_000, wait_until="commit"):
            page.click('li[data-path="history/audit_explorer.ipynb"] a')
        page.wait_for_function(
            "() => document.querySelectorAll('.jupyter-widgets').length > 0", timeout=90_000
        )
        page.wait_for_timeout(1500)
        page.screenshot(path=str(screenshots / name), full_page=True)
        return page.inner_text("body")
    finally:
        context.close()


def test_through_nginx_the_kernel_knows_the_signed_in_person(proxied, chromium, screenshots):
    """Dashboards and their kernel websockets work through the proxy, with the proxy's user."""
    proxy, _, _ = proxied
    coach_view = _open_audit_explorer(chromium, proxy, COACH, screenshots,
                                      "signin-coach-audit-refused.png")
    assert "Access refused" in coach_view and f"{COACH} is not an admin" in coach_view
    admin_view = _open_audit_explorer(chromium, proxy, ADMIN, screenshots,
                                      "signin-admin-audit.png")
    assert "Access refused" not in admin_view
