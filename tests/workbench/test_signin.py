"""Sign-in of `backoffice serve` (issue 12): the proxy header believed only from the proxy, the
Host header checked, no listening beyond loopback unprotected, a kiosk that serves the kiosk alone,
the token never in the logs.

The rules are tables over the pure functions; then real `backoffice serve` processes are driven
over HTTP by a client that plays the proxy (the documented nginx setup is exercised in
tests/browser/test_signin_browser.py).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from cli_runner import run_backoffice

from backoffice_lib.workbench import serve, signin

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-of-the-proxy-" + "x" * 16
PUBLIC_HOST = "studio.test"
TOKEN = "signin-test-token-" + uuid.uuid4().hex


def options(**changes):
    return dataclasses.replace(serve.ServeOptions(), **changes)


# --- the options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"auth_header": "X-Forwarded-Email", "public_hosts": ("h",)}, "needs the proxy's shared secret"),
        ({"auth_header": "X-Forwarded-Email", "proxy_secret": SECRET}, "needs --public-host"),
        ({"auth_header": "X-Forwarded-Email", "proxy_secret": "short", "public_hosts": ("h",)},
         "at least 16 characters"),
        ({"auth_header": "X-Forwarded-Email", "trusted_proxies": ("not-an-ip",),
          "public_hosts": ("h",)}, "--trusted-proxy must be an address"),
        ({"proxy_secret": SECRET}, "only makes sense with --auth-header"),
        ({"trusted_proxies": ("10.0.0.1",)}, "only makes sense with --auth-header"),
        ({"ip": "0.0.0.0", "token": ""}, "refusing to listen on 0.0.0.0"),
        ({"ip": "192.168.1.5", "token": ""}, "refusing to listen on 192.168.1.5"),
        ({"kiosk": True}, "--kiosk needs --user"),
        ({"kiosk": True, "user": "k@x", "auth_header": "X-Forwarded-Email"}, "excludes --auth-header"),
        ({"auth_header": "X-Forwarded-Email", "proxy_secret": SECRET, "public_hosts": ("h",),
          "user": "a@x"}, "exclude each other"),
        ({"public_hosts": ("bad host/",)}, "--public-host must be a host name"),
    ],
    ids=[
        "header-without-secret-or-proxy", "header-without-public-host", "short-secret",
        "bad-proxy-address", "secret-without-header", "proxy-without-header",
        "all-interfaces-without-token", "lan-address-without-token", "kiosk-without-user",
        "kiosk-with-header", "header-with-user", "bad-public-host",
    ],
)
def test_serve_options_that_would_let_a_stranger_in_are_refused(changes, error):
    with pytest.raises(signin.SignInConfigError, match=error):
        signin.compute_policy(options(**changes))


@pytest.mark.parametrize(
    ("changes", "mode"),
    [
        ({"token": "t"}, "token"),
        ({"token": ""}, "token"),  # loopback only
        ({"ip": "0.0.0.0", "token": "t"}, "token"),
        ({"ip": "::1", "token": ""}, "token"),
        ({"ip": "0.0.0.0", "auth_header": "X-Forwarded-Email", "proxy_secret": SECRET,
          "public_hosts": ("studio.test",)}, "header"),
        ({"auth_header": "X-Forwarded-Email", "trusted_proxies": ("127.0.0.1",),
          "public_hosts": ("studio.test",)}, "header"),
        ({"kiosk": True, "user": "kiosk@x", "token": "t"}, "kiosk"),
    ],
    ids=["token", "no-token-on-loopback", "token-on-all-interfaces", "no-token-on-ipv6-loopback",
         "header-with-secret", "header-with-trusted-proxy", "kiosk"],
)
def test_serve_options_that_protect_the_server_are_accepted(changes, mode):
    assert signin.compute_policy(options(**changes)).mode == mode


def test_the_proxy_secret_never_shows_in_the_options_or_the_policy_repr():
    chosen = options(auth_header="X-Forwarded-Email", proxy_secret=SECRET, public_hosts=("h",))
    assert SECRET not in repr(chosen)
    assert SECRET not in repr(signin.compute_policy(chosen))


def test_the_proxy_secret_is_read_from_its_file_or_the_environment_and_kept_from_kernels(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    assert signin.read_proxy_secret(secret_file, {}) == SECRET
    assert signin.read_proxy_secret(None, {signin.SECRET_ENV: f" {SECRET} "}) == SECRET
    environ = {signin.SECRET_ENV: SECRET, "OTHER": "1"}
    signin.scrub_environment(environ)
    assert environ == {"OTHER": "1"}


# --- one request ---------------------------------------------------------------------------------

HEADER = signin.compute_policy(
    options(auth_header="X-Forwarded-Email", proxy_secret=SECRET, public_hosts=(PUBLIC_HOST,))
)
BOTH = signin.compute_policy(
    options(auth_header="X-Forwarded-Email", proxy_secret=SECRET,
            trusted_proxies=("10.1.0.0/16",), public_hosts=(PUBLIC_HOST,))
)
ADDRESS = signin.compute_policy(
    options(auth_header="X-Forwarded-Email", trusted_proxies=("10.1.2.3",),
            public_hosts=(f"{PUBLIC_HOST}:8443",))
)
TOKEN_POLICY = signin.compute_policy(options(token="t"))
NO_TOKEN_POLICY = signin.compute_policy(options(token=""))
LAN_POLICY = signin.compute_policy(options(token="t", ip="192.168.1.5",
                                           public_hosts=("studio.lan",)))
KERNEL = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
OWNER = "owner@studio.example"
FORGED = {"X-Forwarded-Email": "admin@studio.example"}
SIGNED = {**FORGED, signin.SECRET_HEADER: SECRET}


@pytest.mark.parametrize(
    ("policy", "path", "peer", "host", "headers", "refused"),
    [
        (HEADER, "/", "127.0.0.1", PUBLIC_HOST, FORGED, "without the proxy's secret"),
        (HEADER, "/", "127.0.0.1", PUBLIC_HOST, {**FORGED, signin.SECRET_HEADER: SECRET[:-1]},
         "wrong proxy secret"),
        (HEADER, "/", "127.0.0.1", PUBLIC_HOST, SIGNED, None),
        (HEADER, "/", "127.0.0.1", f"{PUBLIC_HOST}:443", SIGNED, None),
        (HEADER, "/", "127.0.0.1", "evil.test", SIGNED, "wrong Host header"),
        (HEADER, "/", "127.0.0.1", f"{PUBLIC_HOST}.evil.test", SIGNED, "wrong Host header"),
        (HEADER, "/voila/render/overview.ipynb", "203.0.113.9", PUBLIC_HOST, FORGED,
         "without the proxy's secret"),
        (HEADER, "/api/kernels/0b6d3c2e-1111-4222-8333-944455556666/channels", "127.0.0.1",
         PUBLIC_HOST, FORGED, "without the proxy's secret"),
        (HEADER, "/voila/static/voila.js", "127.0.0.1", PUBLIC_HOST, {}, "without the proxy's secret"),
        (HEADER, "/voila/query/0b6d3c2e-1111-4222-8333-944455556666", "127.0.0.1",
         "127.0.0.1:8866", {}, None),
        (HEADER, "/voila/query/0b6d3c2e-1111-4222-8333-944455556666", "203.0.113.9",
         PUBLIC_HOST, SIGNED, "kernel query channel from outside"),
        (BOTH, "/", "10.1.7.7", PUBLIC_HOST, SIGNED, None),
        (BOTH, "/", "10.2.7.7", PUBLIC_HOST, SIGNED, "not from a trusted proxy"),
        (BOTH, "/", "10.1.7.7", PUBLIC_HOST, FORGED, "without the proxy's secret"),
        (ADDRESS, "/", "10.1.2.3", f"{PUBLIC_HOST}:8443", FORGED, None),
        (ADDRESS, "/", "::ffff:10.1.2.3", f"{PUBLIC_HOST}:8443", FORGED, None),
        (ADDRESS, "/", "10.1.2.4", f"{PUBLIC_HOST}:8443", FORGED, "not from a trusted proxy"),
        (ADDRESS, "/", "10.1.2.3", PUBLIC_HOST, FORGED, "wrong Host header"),
        (TOKEN_POLICY, "/", "203.0.113.9", "anything", FORGED, "wrong Host header"),
        (TOKEN_POLICY, "/", "127.0.0.1", "127.0.0.1:8866", {}, None),
        (TOKEN_POLICY, "/", "127.0.0.1", "localhost:8866", {}, None),
        (TOKEN_POLICY, "/", "::1", "[::1]:8866", {}, None),
        (TOKEN_POLICY, "/", "127.0.0.1", "rebound.evil.test:8866", {}, "wrong Host header"),
        (NO_TOKEN_POLICY, "/", "127.0.0.1", "rebound.evil.test:8866", {}, "wrong Host header"),
        (NO_TOKEN_POLICY, "/", "127.0.0.1", "localhost", {}, None),
        (LAN_POLICY, "/", "192.168.1.9", "192.168.1.5:8866", {}, None),
        (LAN_POLICY, "/", "192.168.1.9", "studio.lan:8866", {}, None),
        (LAN_POLICY, "/", "192.168.1.9", "evil.test:8866", {}, "wrong Host header"),
        (HEADER, f"/api/kernels/{KERNEL}/channels", "127.0.0.1", PUBLIC_HOST,
         {**SIGNED, "X-Forwarded-Email": OWNER}, None),
        (HEADER, f"/api/kernels/{KERNEL}/channels", "127.0.0.1", PUBLIC_HOST, SIGNED,
         "another person's kernel"),
        (HEADER, f"/api/kernels/{KERNEL}", "127.0.0.1", PUBLIC_HOST, SIGNED,
         "another person's kernel"),
        (HEADER, f"/voila/execution/{KERNEL}", "127.0.0.1", PUBLIC_HOST, SIGNED,
         "another person's kernel"),
        (HEADER, "/api/kernels/0b6d3c2e-1111-4222-8333-944455556666/channels", "127.0.0.1",
         PUBLIC_HOST, SIGNED, "a kernel of no page"),
        (HEADER, "/api/kernels", "127.0.0.1", PUBLIC_HOST, SIGNED, "list of kernels"),
    ],
    ids=[
        "forged-header-without-secret", "wrong-secret", "secret-and-header",
        "public-host-with-port", "wrong-host", "look-alike-host", "dashboard-without-secret",
        "kernel-websocket-without-secret", "static-file-without-secret",
        "kernel-query-channel-from-loopback", "kernel-query-channel-from-outside",
        "secret-and-proxy-address", "secret-from-another-address", "proxy-address-without-secret",
        "trusted-address-only", "trusted-address-ipv4-mapped", "untrusted-address",
        "host-without-the-configured-port", "token-mode-any-host",
        "token-mode-loopback-address", "token-mode-localhost", "token-mode-ipv6-loopback",
        "token-mode-dns-rebinding", "no-token-dns-rebinding", "no-token-localhost",
        "lan-listen-address", "lan-public-host", "lan-other-host",
        "kernel-of-the-person-who-opened-it", "kernel-of-another-person",
        "kernel-api-of-another-person", "execution-of-another-person", "kernel-of-no-page",
        "list-of-every-kernel",
    ],
)
def test_the_header_is_believed_only_from_the_proxy_on_every_path(
    policy, path, peer, host, headers, refused
):
    refusal = signin.check_request(policy, path=path, remote_ip=peer, host=host, headers=headers,
                                   kernel_owners={KERNEL: OWNER})
    if refused is None:
        assert refusal is None
    else:
        assert refusal is not None and refused in refusal.reason
        assert refusal.status == 403
        assert SECRET not in refusal.reason + refusal.message


@pytest.mark.parametrize(("hours", "https", "expected"), [
    (12, False, {"httponly": True, "samesite": "Lax", "expires_days": 0.5}),
    (24, True, {"httponly": True, "samesite": "Lax", "expires_days": 1, "secure": True}),
])
def test_the_sign_in_cookie_is_http_only_same_site_and_lasts_the_session(hours, https, expected):
    assert signin.compute_cookie_options(hours, https) == expected


@pytest.mark.parametrize(("value", "hours"), [(None, 12), ("8", 8.0), (" 0.5 ", 0.5)])
def test_the_session_lifetime_is_a_setting_of_12_hours_by_default(value, hours):
    environ = {} if value is None else {signin.SESSION_HOURS_ENV: value}
    assert signin.session_hours(environ) == hours


@pytest.mark.parametrize("value", ["0", "-1", "a day", "721"])
def test_a_session_lifetime_that_is_not_hours_is_refused(value):
    with pytest.raises(signin.SignInConfigError, match="number of hours"):
        signin.session_hours({signin.SESSION_HOURS_ENV: value})


def test_a_refused_request_names_the_claimed_user_for_the_audit_but_never_signs_it_in():
    refusal = signin.check_request(HEADER, path="/", remote_ip="127.0.0.1", host=PUBLIC_HOST,
                                   headers=FORGED)
    assert refusal.claimed_user == "admin@studio.example"
    page = signin.compute_refusal_html(refusal)
    assert "Nobody is signed in" in page and "admin@studio.example" not in page


# --- real servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(args, env, log: Path, probe) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("backoffice")), "serve", *args]
    handle = log.open("wb")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"backoffice serve exited: {log.read_text()[-2000:]}")
        try:
            if probe().status_code < 500:
                return process
        except requests.ConnectionError:
            time.sleep(0.3)
    stop_serve(process)
    raise RuntimeError(f"backoffice serve did not answer: {log.read_text()[-2000:]}")


def stop_serve(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def serve_env(database_url) -> dict:
    env = dict(os.environ)
    env["BACKOFFICE_DATABASE_URL"] = database_url.render_as_string(hide_password=False)
    for key in ("BACKOFFICE_USER", "BACKOFFICE_AUTH_HEADER", signin.SECRET_ENV):
        env.pop(key, None)
    runtime = ROOT / ".backoffice" / "runtime"
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    env.setdefault("XDG_RUNTIME_DIR", str(runtime))
    return env


@pytest.fixture(scope="module")
def people(engine):
    """An admin and a non-admin kiosk account, committed (the server reads them itself)."""
    tag = uuid.uuid4().hex[:8]
    admin, kiosk = f"admin-{tag}@signin.test", f"kiosk-{tag}@signin.test"
    with engine.begin() as c:
        c.execute(
            sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true), (:k, false)"),
            {"a": admin, "k": kiosk},
        )
    yield admin, kiosk
    with engine.begin() as c:
        c.execute(sa.text("DELETE FROM backoffice.allowed_users WHERE email IN (:a, :k)"),
                  {"a": admin, "k": kiosk})


class Http:
    """A client that plays the proxy (or the attacker) against one server."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path="/", *, host=PUBLIC_HOST, secret=None, user=None, **kwargs):
        headers = {"Host": host}
        if secret is not None:
            headers[signin.SECRET_HEADER] = secret
        if user is not None:
            headers["X-Forwarded-Email"] = user
        return requests.get(self.base + path, headers=headers, allow_redirects=False, timeout=60,
                            **kwargs)


WHOAMI_CELLS = [
    "from backoffice_lib import session_user",
    'print("signed in:", session_user.signed_in_user())',
]


def _whoami_notebooks(folder: Path) -> Path:
    """A notebooks folder with one dashboard that prints who its kernel believes is signed in."""
    import nbformat

    notebooks = folder / "notebooks"
    notebooks.mkdir()
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in WHOAMI_CELLS])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    nbformat.write(book, notebooks / "whoami.ipynb")
    (notebooks / "catalog.yml").write_text(
        "notebooks:\n  - {path: whoami.ipynb, kind: dashboard, title: Who am I,"
        " audience: managers, purpose: test}\n"
    )
    return notebooks


@pytest.fixture(scope="module")
def header_server(database_url, people, tmp_path_factory):
    """Header mode with one preheated kernel (the kernel asks the server for its request over
    loopback, past the gate) for a dashboard that prints who is signed in."""
    folder = tmp_path_factory.mktemp("signin-header")
    secret_file = folder / "proxy-secret"
    secret_file.write_text(SECRET + "\n")
    secret_file.chmod(0o600)
    port = free_port()
    http = Http(port)
    log = folder / "serve.log"
    env = serve_env(database_url)
    env["BACKOFFICE_NOTEBOOKS_DIR"] = str(_whoami_notebooks(folder))
    process = start_serve(
        ["--port", str(port), "--auth-header", "X-Forwarded-Email", "--proxy-secret-file",
         str(secret_file), "--public-host", PUBLIC_HOST, "--pool-size", "1"],
        env, log, lambda: http.get(secret=SECRET),
    )
    yield http, log
    stop_serve(process)


def test_the_kernel_learns_the_user_only_from_a_request_through_the_proxy(header_server, people):
    http, _ = header_server
    admin, kiosk = people
    # forged as the kiosk user: refusals are audited once per address, reason and claimed user
    # in 30 s, and the next test counts the admin's refusal row
    assert http.get("/voila/render/whoami.ipynb", user=kiosk).status_code == 403
    page = http.get("/voila/render/whoami.ipynb", user=admin, secret=SECRET)
    assert page.status_code == 200
    assert f"signed in: {admin}" in page.text  # the preheated kernel got the proxy's header
    second = http.get("/voila/render/whoami.ipynb", secret=SECRET)  # the proxy named nobody
    assert "signed in: None" in second.text


def test_a_kernel_answers_only_the_person_whose_page_started_it(header_server, people):
    http, _ = header_server
    admin, kiosk = people
    page = http.get("/voila/render/whoami.ipynb", user=admin, secret=SECRET)
    kernel = signin.KERNEL_ID_IN_PAGE.search(page.text).group(1)
    mine = http.get(f"/api/kernels/{kernel}", user=admin, secret=SECRET)
    assert mine.status_code == 200 and mine.json()["id"] == kernel
    theirs = http.get(f"/api/kernels/{kernel}", user=kiosk, secret=SECRET)
    assert theirs.status_code == 403
    assert http.get("/api/kernels", user=admin, secret=SECRET).status_code == 403


def _refusals(engine, since, path):
    with engine.connect() as c:
        return c.execute(
            sa.text(
                "SELECT user_email, resource_id, details ->> 'reason' AS reason, ip_address"
                " FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
                " AND resource_type = 'signin' AND timestamp >= :since AND resource_id = :path"
            ),
            {"since": since, "path": path},
        ).mappings().all()


def test_forged_header_without_the_secret_is_refused_as_nobody_and_audited(
    header_server, people, engine
):
    http, _ = header_server
    admin, _ = people
    since = _now(engine)
    forged = http.get("/", user=admin)
    assert forged.status_code == 403
    assert "Nobody is signed in" in forged.text and admin not in forged.text
    rows = _refusals(engine, since, "/")
    assert [(r["user_email"], r["reason"]) for r in rows] == [(admin, "request without the proxy's secret")]
    assert str(rows[0]["ip_address"]).startswith("127.0.0.1")

    wrong = http.get("/", user=admin, secret=SECRET.upper())
    assert wrong.status_code == 403

    signed = http.get("/", user=admin, secret=SECRET)
    assert signed.status_code == 200
    assert f"Signed in as <strong>{admin}</strong>" in signed.text

    nobody = http.get("/", secret=SECRET)  # through the proxy, but the proxy named nobody
    assert nobody.status_code == 200 and "Nobody is signed in" in nobody.text


def test_wrong_host_is_refused_even_with_the_secret(header_server, people, engine):
    http, _ = header_server
    admin, _ = people
    since = _now(engine)
    answer = http.get("/", host="evil.test", user=admin, secret=SECRET)
    assert answer.status_code == 403
    assert [r["reason"] for r in _refusals(engine, since, "/")] == ["wrong Host header 'evil.test'"]


def test_no_path_of_the_server_answers_a_forged_header(header_server, people):
    """Dashboards, static files, the kernel API and its websocket: refused before Voilà."""
    import websockets
    from websockets.sync.client import connect

    http, _ = header_server
    admin, _ = people
    kernel = str(uuid.uuid4())
    for path in ["/voila/render/history/audit_explorer.ipynb", "/voila/static/voila.js",
                 f"/api/kernels/{kernel}", "/voila/tree", "/login", "/no/such/path"]:
        assert http.get(path, user=admin).status_code == 403, path
    # through the proxy too: a kernel no page of this person started answers nobody
    assert http.get(f"/api/kernels/{kernel}", user=admin, secret=SECRET).status_code == 403
    port = int(http.base.rsplit(":", 1)[1])
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        connect(  # Host: the public host, as through the proxy; but no secret
            f"ws://{PUBLIC_HOST}:{port}/api/kernels/{kernel}/channels",
            sock=socket.create_connection(("127.0.0.1", port)),
            additional_headers={"X-Forwarded-Email": admin},
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403


def test_the_proxy_secret_never_reaches_the_server_log(header_server, people):
    http, log = header_server
    admin, _ = people
    http.get("/voila/render/nothing.ipynb", user=admin, secret=SECRET)
    http.get("/", user=admin, secret="wrong-" + SECRET)
    text = log.read_text()
    assert "refused GET / from 127.0.0.1" in text
    assert SECRET not in text


def _now(engine):
    with engine.connect() as c:
        return c.scalar(sa.text("SELECT clock_timestamp()"))


# --- kiosk ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kiosk_server(database_url, people, tmp_path_factory):
    _, kiosk = people
    folder = tmp_path_factory.mktemp("signin-kiosk")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "serve.log"
    process = start_serve(
        ["--port", str(port), "--kiosk", "--user", kiosk, "--token", TOKEN, "--pool-size", "0"],
        serve_env(database_url), log,
        lambda: requests.get(f"{base}/?token={TOKEN}", allow_redirects=False, timeout=10),
    )
    yield base, log
    stop_serve(process)


def test_kiosk_mode_serves_the_time_clock_and_nothing_else(kiosk_server):
    base, _ = kiosk_server
    landing = requests.get(f"{base}/?token={TOKEN}", allow_redirects=False, timeout=30)
    assert landing.status_code == 302
    assert landing.headers["Location"] == f"/voila/render/{signin.KIOSK_PATH}?token={TOKEN}"
    session = requests.Session()
    kiosk = session.get(f"{base}/voila/render/{signin.KIOSK_PATH}?token={TOKEN}", timeout=120)
    assert kiosk.status_code == 200
    for entry in serve.load_dashboards():
        if entry.path != signin.KIOSK_PATH:
            answer = session.get(f"{base}/{entry.url_path}", timeout=30, allow_redirects=False)
            assert answer.status_code == 404, entry.path
    assert requests.get(f"{base}/voila/render/{signin.KIOSK_PATH}", timeout=30,
                        allow_redirects=False).status_code in (302, 403)  # no token: login


def test_sign_in_cookie_and_sign_out(kiosk_server):
    base, _ = kiosk_server
    session = requests.Session()
    kiosk = f"{base}/voila/render/{signin.KIOSK_PATH}"
    first = session.head(f"{kiosk}?token={TOKEN}", allow_redirects=False, timeout=60)
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("username-") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    login = next(c for c in session.cookies if c.name.startswith("username"))
    assert login.expires - time.time() <= 12 * 3600 + 60
    out = session.get(f"{base}/logout", allow_redirects=False, timeout=30)
    assert out.status_code == 200 and "You are signed out" in out.text
    assert not [c for c in session.cookies if c.name.startswith("username")]
    assert session.head(kiosk, allow_redirects=False, timeout=30).status_code in (302, 403)


def test_a_rebound_host_name_is_refused_in_token_mode(kiosk_server):
    base, _ = kiosk_server
    port = base.rsplit(":", 1)[1]
    answer = requests.get(f"{base}/?token={TOKEN}", headers={"Host": f"rebound.test:{port}"},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 403


def test_the_token_is_never_written_to_the_log(kiosk_server):
    base, log = kiosk_server
    requests.get(f"{base}/voila/render/overview.ipynb?token={TOKEN}", timeout=30)
    requests.get(f"{base}/nowhere?token={TOKEN}", timeout=30)
    requests.get(f"{base}/?token=wrong-{TOKEN}", timeout=30)
    lines = [line for line in log.read_text().splitlines() if TOKEN in line]
    assert lines == [f"open http://127.0.0.1:{base.rsplit(':', 1)[1]}/?token={TOKEN}"]


def test_an_admin_may_not_be_the_kiosk_user(database_url, people):
    admin, _ = people
    result = run_backoffice("serve", "--kiosk", "--user", admin, "--port", str(free_port()),
                            env=serve_env(database_url), timeout=120)
    assert result.returncode == 2
    assert "an admin may not be the kiosk's user" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_all_interfaces_without_a_token_in_one_line(database_url):
    result = run_backoffice("serve", "--ip", "0.0.0.0", "--no-token", "--port", str(free_port()),
                            env=serve_env(database_url), timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if line.startswith("error: refusing")
    ]


def test_every_handler_spec_is_put_behind_the_gate():
    import tornado.web
    import tornado.websocket

    specs = [
        ("/", tornado.web.RequestHandler),
        ("/ws/(.*)", tornado.websocket.WebSocketHandler, {}),
        tornado.web.URLSpec("/static/(.*)", tornado.web.StaticFileHandler, {"path": "/tmp"},
                            name="static"),
    ]
    guarded = signin.guard_handlers(specs, HEADER)
    classes = [spec[1] if isinstance(spec, tuple) else spec.handler_class for spec in guarded]
    for original, wrapped in zip([tornado.web.RequestHandler, tornado.websocket.WebSocketHandler,
                                  tornado.web.StaticFileHandler], classes, strict=True):
        assert issubclass(wrapped, original) and wrapped.__mro__[1] is signin._GateMixin
        assert wrapped._signin_policy is HEADER
    assert guarded[1][2] == {} and guarded[2].name == "static"
