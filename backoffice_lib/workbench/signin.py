"""Who may open what ``backoffice serve`` serves: the sign-in gate (docs/administrators/roles.md).

Three ways to serve:

- **token** (default, one machine): a Jupyter token in the printed URL; the user is ``--user`` /
  ``BACKOFFICE_USER``.
- **header** (shared deployment, ``--auth-header X-Forwarded-Email``): behind an authenticating
  reverse proxy. The header is believed only on a request that proves it came through that proxy:
  the shared secret the proxy adds (``X-Backoffice-Proxy-Secret``, compared in constant time)
  and/or a peer address listed with ``--trusted-proxy``; with both configured, both are needed.
  Every other request is refused as nobody (403, audited) on *every* path: the landing page, the
  dashboards, static files, the kernel API and its websockets, so a forged header never reaches a
  kernel (Voilà hands the header to the kernel through ``http_header_envs``). The Host header must
  be the configured ``--public-host``.
- **kiosk** (``--kiosk --user KIOSK_EMAIL``): token mode for one allowed, non-admin user that
  serves the time-clock kiosk and nothing else (``/`` redirects to it, other dashboards are 404).

``serve`` refuses to listen beyond loopback unless a token or the proxy checks protect it.

Pure parts: ``compute_policy`` (options -> policy, or ``SignInConfigError`` with one line for a
person) and ``check_request`` (policy + what a request says -> ``Refusal`` or None). The tornado
part, ``guard_handlers``, wraps every handler class of the Voilà app with a ``prepare`` gate; its
access log (``log_request``) and error logs never contain query strings (the token) or headers
(the secret). Importing this module imports neither tornado nor Voilà and opens no connection.
"""

from __future__ import annotations

import dataclasses
import hmac
import html
import inspect
import ipaddress
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

SECRET_HEADER = "X-Backoffice-Proxy-Secret"
SECRET_ENV = "BACKOFFICE_PROXY_SECRET"
MIN_SECRET_LENGTH = 16
KIOSK_PATH = "staff/time_clock_kiosk.ipynb"
KIOSK_AREA = "timeclock"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})
# Host headers a browser on this machine sends (any port). A page elsewhere that points its own
# name at 127.0.0.1 (DNS rebinding) sends its own name, and is refused.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::", "[::]"})
SESSION_HOURS_ENV = "BACKOFFICE_SESSION_HOURS"
DEFAULT_SESSION_HOURS = 12
AUDIT_REPEAT_SECONDS = 30  # one audit row per (address, reason, claimed user) in that window

log = logging.getLogger("backoffice.serve")


class SignInConfigError(ValueError):
    """The serve options would let someone in who should not be; the message says what to do."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclasses.dataclass(frozen=True)
class SignInPolicy:
    mode: str  # token | header | kiosk
    auth_header: str | None = None
    proxy_secret: str = dataclasses.field(default="", repr=False)
    trusted_proxies: tuple[Network, ...] = ()
    public_hosts: tuple[str, ...] = ()
    kiosk_path: str | None = None


@dataclasses.dataclass(frozen=True)
class Refusal:
    status: int
    reason: str  # for the audit row and the log (never the secret or the token)
    message: str  # for the person
    claimed_user: str | None = None


# --- the options --------------------------------------------------------------------------------


def is_loopback(ip: str) -> bool:
    value = ip.strip().strip("[]")
    if value in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(value).is_loopback
    except ValueError:
        return False


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    networks = []
    for raw in values:
        text = raw.strip()
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise SignInConfigError(
                f"--trusted-proxy must be an address or network such as 10.0.0.5 or"
                f" 10.0.0.0/24, not {raw!r}"
            ) from exc
    return tuple(networks)


_HOST = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$")


def parse_public_hosts(values: Iterable[str]) -> tuple[str, ...]:
    hosts = []
    for raw in values:
        text = raw.strip().lower()
        if not _HOST.match(text):
            raise SignInConfigError(
                f"--public-host must be a host name as the browser sends it (studio.example.com"
                f" or studio.example.com:8443), not {raw!r}"
            )
        hosts.append(text)
    return tuple(hosts)


def compute_allowed_hosts(ip: str, public_hosts: Sequence[str], header_mode: bool
                          ) -> tuple[str, ...]:
    """The Host headers the server answers: the configured public hosts, and, but behind a
    proxy, this machine's loopback names and the address it listens on."""
    if header_mode:
        return tuple(public_hosts)
    listen = ip.strip().lower()
    own = () if listen in WILDCARD_ADDRESSES or is_loopback(listen) else (
        f"[{listen}]" if ":" in listen else listen,)
    return tuple(dict.fromkeys((*public_hosts, *LOOPBACK_HOSTS, *own)))


def session_hours(environ: Mapping[str, str]) -> float:
    """How long a sign-in lasts (``BACKOFFICE_SESSION_HOURS``, default 12)."""
    raw = (environ.get(SESSION_HOURS_ENV) or "").strip()
    if not raw:
        return DEFAULT_SESSION_HOURS
    try:
        hours = float(raw)
    except ValueError:
        hours = -1
    if not 0 < hours <= 24 * 30:
        raise SignInConfigError(f"{SESSION_HOURS_ENV} must be a number of hours from 0 to 720,"
                                f" not {raw!r}")
    return hours


def read_proxy_secret(path: str | os.PathLike | None, environ: Mapping[str, str]) -> str:
    """The proxy's shared secret: the first line of ``path``, else ``BACKOFFICE_PROXY_SECRET``."""
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise SignInConfigError(f"cannot read the proxy secret file {path}: {exc}") from exc
        return lines[0].strip() if lines else ""
    return environ.get(SECRET_ENV, "").strip()


def compute_policy(options: Any) -> SignInPolicy:
    """Validate the sign-in options of ``serve`` (a ``ServeOptions``) and return the policy.

    Raises ``SignInConfigError`` for any combination that would trust a request it should not.
    """
    auth_header = (options.auth_header or "").strip() or None
    secret = options.proxy_secret or ""
    proxies = parse_networks(options.trusted_proxies)
    hosts = parse_public_hosts(options.public_hosts)
    if options.kiosk:
        if auth_header:
            raise SignInConfigError("--kiosk serves one kiosk user: it excludes --auth-header")
        if not options.user:
            raise SignInConfigError("--kiosk needs --user KIOSK_EMAIL (an allowed, non-admin user)")
    if auth_header:
        if not secret and not proxies:
            raise SignInConfigError(
                "--auth-header needs the proxy's shared secret (--proxy-secret-file or"
                f" {SECRET_ENV}) and/or --trusted-proxy ADDRESS: otherwise anyone who reaches"
                " the port signs in as anyone"
            )
        if not hosts:
            raise SignInConfigError(
                "--auth-header needs --public-host HOST: the host name people open through the"
                " proxy"
            )
        if options.user:
            raise SignInConfigError(
                "--user and --auth-header exclude each other: the proxy's header names the user"
            )
    elif secret or proxies:
        raise SignInConfigError("a proxy secret or --trusted-proxy only makes sense with --auth-header")
    if secret and len(secret) < MIN_SECRET_LENGTH:
        raise SignInConfigError(
            f"the proxy secret must be at least {MIN_SECRET_LENGTH} characters"
            " (for example: openssl rand -hex 32)"
        )
    if secret and not secret.isascii():
        raise SignInConfigError("the proxy secret must be ASCII (for example: openssl rand -hex 32)")
    protected = bool(options.token) or bool(auth_header)
    if not is_loopback(options.ip) and not protected:
        raise SignInConfigError(
            f"refusing to listen on {options.ip} without a token or the proxy checks: anyone on"
            " the network could open every dashboard. Keep --ip 127.0.0.1, or use a token, or"
            " --auth-header with the proxy's secret / --trusted-proxy"
        )
    mode = "header" if auth_header else "kiosk" if options.kiosk else "token"
    return SignInPolicy(
        mode=mode,
        auth_header=auth_header,
        proxy_secret=secret,
        trusted_proxies=proxies,
        public_hosts=compute_allowed_hosts(options.ip, hosts, bool(auth_header)),
        kiosk_path=KIOSK_PATH if options.kiosk else None,
    )


def served_dashboards(dashboards: Sequence[str], policy: SignInPolicy) -> list[str]:
    """The dashboards this server renders: all of them, or in kiosk mode the kiosk alone."""
    if policy.kiosk_path is None:
        return list(dashboards)
    if policy.kiosk_path not in dashboards:
        raise SignInConfigError(f"--kiosk: the catalog has no dashboard {policy.kiosk_path}")
    return [policy.kiosk_path]


def require_kiosk_user(email: str, *, engine: Any = None):
    """The kiosk's user must be an allowed user and not an admin (refusals audited)."""
    from .. import access

    try:
        user = access.require(email, KIOSK_AREA, admin=False, engine=engine)
    except access.AccessDenied as exc:
        raise SignInConfigError(f"--kiosk --user {email}: {exc}") from exc
    if user.is_admin:
        raise SignInConfigError(
            f"--kiosk --user {email}: an admin may not be the kiosk's user (the tablet's URL"
            " would sign anyone in as an admin); create a non-admin kiosk user"
        )
    return user


def scrub_environment(environ: dict) -> None:
    """Kernels inherit the server's environment: the proxy secret never goes with it."""
    environ.pop(SECRET_ENV, None)


# --- one request --------------------------------------------------------------------------------


def host_matches(host: str, allowed: Sequence[str]) -> bool:
    """Whether a Host header names one of the public hosts (a host without port: any port)."""
    value = (host or "").strip().lower()
    if value.startswith("["):
        name = value[: value.find("]") + 1]
    else:
        name = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    for entry in allowed:
        has_port = entry.rsplit("]", 1)[-1].count(":") == 1
        if (value == entry) if has_port else (name == entry):
            return True
    return False


def _peer_in(remote_ip: str, networks: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address((remote_ip or "").strip("[]"))
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return any(address in network for network in networks)


KERNEL_PATH = re.compile(
    r"/(?:api/kernels|voila/execution)(?:/(?P<kernel_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{4}-[0-9a-f]{12}))?(?:/|$)")
KERNEL_ID_IN_PAGE = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')
MAX_KERNEL_OWNERS = 10_000

# kernel id -> the user whose page started it (header mode: one server, many people)
_kernel_owners: dict[str, str] = {}


def bind_kernel(kernel_id: str, user: str | None) -> None:
    """The kernel of a page belongs to the person who opened the page."""
    if len(_kernel_owners) > MAX_KERNEL_OWNERS:  # culled kernels' entries: forget the oldest
        for old in list(_kernel_owners)[: MAX_KERNEL_OWNERS // 2]:
            del _kernel_owners[old]
    _kernel_owners[kernel_id] = user or ""


def check_kernel_request(policy: SignInPolicy, path: str, claimed: str | None,
                         owners: Mapping[str, str], server_url: str = "/") -> Refusal | None:
    """Behind the proxy, a kernel answers only the person whose page started it; the list of
    every kernel answers nobody (pure)."""
    if policy.mode != "header":
        return None
    prefix = server_url.rstrip("/")
    if not path.startswith(prefix + "/"):
        return None
    match = KERNEL_PATH.match(path[len(prefix):])
    if match is None:
        return None
    kernel_id = match.group("kernel_id")
    if kernel_id is None:
        return Refusal(403, "list of kernels", "Not found here.", claimed)
    owner = owners.get(kernel_id)
    if not claimed or owner != claimed:
        return Refusal(403, "another person's kernel" if owner else "a kernel of no page",
                       "This page belongs to someone else: open the dashboard yourself.", claimed)
    return None


def check_request(
    policy: SignInPolicy,
    *,
    path: str,
    remote_ip: str,
    host: str,
    headers: Mapping[str, str],
    server_url: str = "/",
    kernel_owners: Mapping[str, str] | None = None,
) -> Refusal | None:
    """None when the request may go on; otherwise why it is refused (pure).

    ``remote_ip`` must be the socket's peer (never X-Forwarded-For).
    """
    claimed = None
    if policy.auth_header:
        claimed = (headers.get(policy.auth_header) or "").strip() or None
    if path.startswith(server_url.rstrip("/") + "/voila/query/"):
        # a preheated kernel asks the server, over loopback, for its page's request
        if is_loopback(remote_ip):
            return None
        return Refusal(403, "kernel query channel from outside", "Not found here.", claimed)
    if policy.public_hosts and not host_matches(host, policy.public_hosts):
        return Refusal(
            403,
            f"wrong Host header {host[:100]!r}",
            "This address is not the back office's public address.",
            claimed,
        )
    if policy.mode != "header":
        return None
    if policy.trusted_proxies and not _peer_in(remote_ip, policy.trusted_proxies):
        return Refusal(
            403,
            "request not from a trusted proxy address",
            "Not signed in: open the back office through its sign-in page.",
            claimed,
        )
    if policy.proxy_secret:
        given = headers.get(SECRET_HEADER) or ""
        if not hmac.compare_digest(given.encode("utf-8", "replace"), policy.proxy_secret.encode()):
            return Refusal(
                403,
                "request without the proxy's secret" if not given else "wrong proxy secret",
                "Not signed in: open the back office through its sign-in page.",
                claimed,
            )
    return check_kernel_request(policy, path, claimed, kernel_owners or {}, server_url)


def compute_refusal_html(refusal: Refusal) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<link rel="icon" href="data:;base64,="><title>Not signed in</title></head>'
        '<body style="font-family:system-ui,sans-serif;margin:40px">'
        f'<h1 style="font-size:20px">Nobody is signed in</h1><p class="signin-refused">'
        f"{html.escape(refusal.message)}</p></body></html>"
    )


# --- audit of refusals --------------------------------------------------------------------------

_recent: dict[tuple, float] = {}
_recent_lock = threading.Lock()


def _first_in_window(key: tuple, now: float) -> bool:
    with _recent_lock:
        if len(_recent) > 10_000:
            _recent.clear()
        last = _recent.get(key)
        if last is not None and now - last < AUDIT_REPEAT_SECONDS:
            return False
        _recent[key] = now
        return True


def record_refusal(
    refusal: Refusal,
    *,
    path: str,
    remote_ip: str,
    host: str,
    user_agent: str | None,
    engine: Any = None,
) -> bool:
    """Audit a refused request (once per address, reason and claimed user in a short window).

    Returns whether a row was written; a database failure is logged, never raised.
    """
    key = (remote_ip, refusal.reason, refusal.claimed_user)
    if not _first_in_window(key, time.monotonic()):
        return False
    from .. import audit, database

    try:
        with database.transaction(engine) as conn:
            audit.record(
                conn,
                (refusal.claimed_user or "(anonymous)")[:320],
                "ACCESS_DENIED",
                "signin",
                path[:300],
                details={"reason": refusal.reason, "host": host[:200], "status": refusal.status},
                ip_address=remote_ip,
                user_agent=(user_agent or "")[:500] or None,
            )
        return True
    except Exception:  # the refusal stands; the log says the audit failed
        log.exception("could not audit a refused request to %s", path)
        return False


# --- tornado ------------------------------------------------------------------------------------


def log_request(handler) -> None:
    """The access log: method, path without the query string (the token), status, peer."""
    status = handler.get_status()
    request = handler.request
    if status < 400:
        level = logging.DEBUG
    elif status < 500:
        level = logging.WARNING
    else:
        level = logging.ERROR
    log.log(
        level,
        "%d %s %s (%s) %.1f ms",
        status,
        request.method,
        request.path,
        request.remote_ip,
        1000.0 * request.request_time(),
    )


class _GateMixin:
    """Placed before every handler class of the app: the check runs before the handler's own."""

    _signin_policy: SignInPolicy

    async def prepare(self, *args, **kwargs):
        policy = self._signin_policy
        request = self.request
        server_url = self.settings.get("server_url") or "/"
        refusal = check_request(
            policy,
            path=request.path,
            remote_ip=request.remote_ip,
            host=request.host,
            headers=request.headers,
            server_url=server_url,
            kernel_owners=_kernel_owners,
        )
        if refusal is not None:
            await self._signin_refuse(refusal)
            return
        if policy.kiosk_path and request.path == server_url and request.method in ("GET", "HEAD"):
            target = server_url.rstrip("/") + "/voila/render/" + policy.kiosk_path
            self.redirect(target + (f"?{request.query}" if request.query else ""))
            return
        result = super().prepare(*args, **kwargs)
        if inspect.isawaitable(result):
            await result

    async def _signin_refuse(self, refusal: Refusal) -> None:
        import asyncio

        request = self.request
        log.warning(
            "refused %s %s from %s: %s", request.method, request.path, request.remote_ip,
            refusal.reason,
        )
        await asyncio.get_running_loop().run_in_executor(
            None,
            lambda: record_refusal(
                refusal,
                path=request.path,
                remote_ip=request.remote_ip,
                host=request.host,
                user_agent=request.headers.get("User-Agent"),
            ),
        )
        self.clear()
        self.set_status(refusal.status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(compute_refusal_html(refusal))

    def _request_summary(self) -> str:  # tornado's log lines: never the query string
        return f"{self.request.method} {self.request.path} ({self.request.remote_ip})"

    def log_exception(self, typ, value, tb) -> None:  # never the request's headers or query
        import tornado.web

        if isinstance(value, tornado.web.HTTPError):
            log.warning("%d %s: %s", value.status_code, self._request_summary(), value.log_message)
        else:
            log.error("uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb))


_guarded: dict[tuple[type, SignInPolicy], type] = {}


def guarded(handler_class: type, policy: SignInPolicy) -> type:
    """``handler_class`` behind the gate of ``policy`` (one class per handler and policy)."""
    key = (handler_class, policy)
    if key not in _guarded:
        _guarded[key] = type(
            f"Guarded{handler_class.__name__}",
            (_GateMixin, handler_class),
            {"_signin_policy": policy, "__module__": __name__},
        )
    return _guarded[key]


def guard_handlers(handlers: Sequence[Any], policy: SignInPolicy) -> list[Any]:
    """Every handler spec with its class behind the gate (tuples and ``URLSpec`` alike)."""
    from tornado.web import URLSpec

    result = []
    for spec in handlers:
        if isinstance(spec, URLSpec):
            result.append(
                URLSpec(spec.regex.pattern, guarded(spec.handler_class, policy), spec.kwargs,
                        spec.name)
            )
        else:
            result.append((spec[0], guarded(spec[1], policy), *spec[2:]))
    return result


def compute_cookie_options(hours: float, https: bool) -> dict[str, Any]:
    """The sign-in cookie: not readable by scripts, not sent by other sites' requests, only over
    HTTPS when the page came over HTTPS, and no longer than the session lasts."""
    options: dict[str, Any] = {"httponly": True, "samesite": "Lax", "expires_days": hours / 24}
    if https:
        options["secure"] = True
    return options


def identity_provider_class(hours: float) -> type:
    """Jupyter's token sign-in with the cookie of ``compute_cookie_options``, refused on the
    server after ``hours`` too (the browser's expiry alone is the browser's word)."""
    from jupyter_server.auth.identity import PasswordIdentityProvider

    class WorkbenchIdentityProvider(PasswordIdentityProvider):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.get_secure_cookie_kwargs = {"max_age_days": hours / 24}

        def set_login_cookie(self, handler, user) -> None:
            request = handler.request
            https = (request.protocol == "https"
                     or request.headers.get("X-Forwarded-Proto", "").lower() == "https")
            handler.set_secure_cookie(self.get_cookie_name(handler), self.user_to_cookie(user),
                                      path=handler.base_url, **compute_cookie_options(hours, https))

    return WorkbenchIdentityProvider


def compute_signed_out_html(mode: str, base_url: str) -> str:
    again = ("Sign in again through the studio's sign-in page." if mode == "header" else
             "To come back, open the address with its token that <code>backoffice serve</code>"
             " printed.")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<link rel="icon" href="data:;base64,="><title>Signed out</title></head>'
        '<body style="font-family:system-ui,sans-serif;margin:40px">'
        '<h1 style="font-size:20px">You are signed out</h1>'
        f'<p class="signed-out">This browser no longer holds your sign-in. {again}</p>'
        f'<p><a href="{html.escape(base_url)}">Back office</a></p></body></html>'
    )


def signout_handler(policy: SignInPolicy) -> type:
    """``/logout``: forget the sign-in cookie and the form cookie, say so (Jupyter's own page
    has no template under Voilà and answered 500)."""
    from jupyter_server.auth.decorator import allow_unauthenticated
    from jupyter_server.base.handlers import JupyterHandler

    class SignOutHandler(JupyterHandler):
        def check_xsrf_cookie(self) -> None:
            return None  # signing out changes nothing but this browser's cookies

        @allow_unauthenticated
        def get(self) -> None:
            self.identity_provider.clear_login_cookie(self)
            self.clear_cookie("_xsrf", path=self.base_url)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(compute_signed_out_html(policy.mode, self.base_url))

        post = get

    return SignOutHandler


def tornado_settings(policy: SignInPolicy) -> dict[str, Any]:
    """Extra tornado settings of the Voilà app: the scrubbing access log, and the gate in front
    of the 404 of paths no handler serves (so that no path at all answers a refused request)."""
    import tornado.web

    return {
        "log_function": log_request,
        "default_handler_class": guarded(tornado.web.ErrorHandler, policy),
        "default_handler_args": {"status_code": 404},
        "xsrf_cookie_kwargs": {"samesite": "Lax"},
    }
