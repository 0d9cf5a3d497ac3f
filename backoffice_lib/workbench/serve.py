"""Serving the dashboards: Voilà over the catalog's notebooks, behind the landing page.

``backoffice serve`` runs Voilà over ``notebooks/`` with:

- a landing page at ``/`` listing the catalog's dashboards by audience with their purpose
  (Voilà's file tree is not exposed, and only catalogued dashboards render: a report notebook
  is never executed by opening a URL);
- a small pool of preheated kernels per dashboard (imports done before the request; the data is
  read after ``session_user.signed_in_user()`` has waited for the request, so it is current);
- the ``backoffice`` Voilà template (the lab template without its Font Awesome CDN links), sources
  stripped, tracebacks hidden, the jupytext labextension denylisted, idle kernels culled;
- the signed-in user from the Jupyter token (one machine) or a trusted proxy header (shared).

The catalog and the landing page are in ``catalog.py``; the frame each dashboard is built in
(access guard, on-screen errors) is ``backoffice_lib.ui``. Importing this module opens no connection and does not import Voilà.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import session_user, settings, ui
from ..ui import compute_error_html
from . import signin
from .catalog import (
    CatalogError,
    compute_landing_html,
    load_catalog,
    load_dashboards,
    notebooks_dir,
)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_ROOT = PACKAGE_DIR / "share"  # holds voila/templates/backoffice
TEMPLATE_NAME = "backoffice"
DEFAULT_PORT = 8866
DEFAULT_POOL_SIZE = 1
# A kernel is culled when its page is gone (no websocket) and it has been idle this long. A tab
# closed normally shuts its kernel down at once (Voila's beforeunload); one that vanished (a
# crashed browser, a phone that dropped the tab) kept ~150 MB for 15 minutes: 8 pages a
# minute ran a 24 GB machine out of memory. A page still open is never culled (cull_connected).
CULL_IDLE_SECONDS = 120
REFILL_DELAY_SECONDS = 15
# nbclient waits this long for a cell's outputs after the kernel said the cell is done; its 4 s
# default dropped a dashboard's widget under load ("Timeout waiting for IOPub output": the page
# then never rendered). Issue 17.
IOPUB_TIMEOUT_SECONDS = 60
# local kernels talk over unix sockets in the runtime dir: no TCP ports to pick (and race for)
KERNEL_TRANSPORT = "ipc"
# `serve` prints its URL once every pool is warm (each preheated kernel waits for its request)
WARM_TIMEOUT_SECONDS = 180
CULL_INTERVAL_SECONDS = 30

log = logging.getLogger(__name__)


# --- Voilà --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServeOptions:
    port: int = DEFAULT_PORT
    ip: str = "127.0.0.1"
    token: str = ""  # "" = no token (behind an auth proxy, or tests that say so)
    auth_header: str | None = None
    user: str | None = None
    pool_size: int = DEFAULT_POOL_SIZE
    cull_idle_seconds: int = CULL_IDLE_SECONDS
    # sign-in (signin.py): the proxy's shared secret, its addresses, the public host, kiosk mode
    proxy_secret: str = field(default="", repr=False)
    trusted_proxies: tuple[str, ...] = ()
    public_hosts: tuple[str, ...] = ()
    kiosk: bool = False

    def url(self, host: str | None = None) -> str:
        base = f"http://{host or self.ip}:{self.port}/"
        return f"{base}?token={self.token}" if self.token else base


def new_token() -> str:
    return secrets.token_urlsafe(24)


def compute_voila_config(dashboards: Iterable[str], options: ServeOptions) -> dict[str, dict]:
    """The traitlets configuration of the Voilà app, as plain dicts (pure)."""
    dashboards = list(dashboards)
    pools: dict[str, dict] = {"default": {"pool_size": 0}}
    for path in dashboards:
        pools[path] = {"pool_size": max(options.pool_size, 0)}
    return {
        "Voila": {
            "ip": options.ip,
            "port": options.port,
            "port_retries": 0,
            "open_browser": False,
            # quiet: our own lines say what is served and where; warnings and errors still show
            "log_level": "WARN",
            "root_dir": str(notebooks_dir()),
            "token": options.token,
        },
        "VoilaConfiguration": {
            "template": TEMPLATE_NAME,
            "strip_sources": True,
            "show_tracebacks": False,
            "preheat_kernel": options.pool_size > 0,
            "default_pool_size": 0,
            "extension_denylist": ["jupyterlab-jupytext", "jupyterlab_jupytext"],
            "http_header_envs": [options.auth_header] if options.auth_header else [],
            "file_allowlist": [r".*\.(png|jpg|gif|svg)"],
        },
        # refill a pool only after the page that took its kernel has rendered: a kernel starting
        # at once competes for the CPU (2 cores) with that page's own first render
        "VoilaKernelManager": {"kernel_pools_config": pools, "fill_delay": REFILL_DELAY_SECONDS},
        "VoilaExecutor": {"iopub_timeout": IOPUB_TIMEOUT_SECONDS},
        "KernelManager": {"transport": KERNEL_TRANSPORT},
        "MappingKernelManager": {
            "cull_idle_timeout": options.cull_idle_seconds,
            "cull_interval": CULL_INTERVAL_SECONDS,
            "cull_connected": False,
        },
    }


def prepare_environment(options: ServeOptions) -> None:
    """What every kernel inherits: absolute data dir, runtime dir, user or auth header."""
    from . import kernel_warmup, runs

    os.environ["BACKOFFICE_DATA_DIR"] = str(settings.data_dir())
    runtime = runs.ensure_runtime_dir()
    # every kernel runs kernel_warmup.start_kernel() first (IPython startup file, issue 17)
    ipython_dir = runtime / "ipython"
    kernel_warmup.write_startup_file(ipython_dir)
    os.environ["IPYTHONDIR"] = str(ipython_dir)
    # resolved once here: a kernel attaching to the embedded server itself costs ~2 s per page
    os.environ["BACKOFFICE_DATABASE_URL"] = runs.database_url_for_kernels()
    existing = os.environ.get("JUPYTER_PATH", "")
    if str(TEMPLATE_ROOT) not in existing.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATE_ROOT), existing) if p)
    if options.auth_header:
        os.environ[session_user.AUTH_HEADER_ENV] = options.auth_header
        os.environ.pop("BACKOFFICE_USER", None)  # a missing header must never fall back
    else:
        os.environ.pop(session_user.AUTH_HEADER_ENV, None)
        if options.user:
            os.environ["BACKOFFICE_USER"] = options.user


def _workbench_voila_class(
    dashboards: Sequence[str], options: ServeOptions, policy: signin.SignInPolicy | None = None
):
    """A Voilà app whose ``/`` is the landing page and which renders only catalogued dashboards."""
    import tornado.web
    from jupyter_server.auth.logout import LogoutHandler
    from jupyter_server.base.handlers import JupyterHandler
    from jupyter_server.utils import url_path_join
    from voila.app import Voila
    from voila.request_info_handler import RequestInfoSocketHandler
    from voila.tornado.contentshandler import VoilaContentsHandler
    from voila.tornado.handler import TornadoVoilaHandler
    from voila.tornado.treehandler import TornadoVoilaTreeHandler

    allowed = frozenset(dashboards)
    policy = policy or signin.compute_policy(options)

    class LandingHandler(JupyterHandler):
        @tornado.web.authenticated
        def get(self):
            _ = self.xsrf_token  # sets the _xsrf cookie that Voilà's shutdown beacon sends
            header = options.auth_header
            if header:
                user = (self.request.headers.get(header) or "").strip() or None
                via = f"header {header}"
            else:
                user, via = os.environ.get("BACKOFFICE_USER") or None, "BACKOFFICE_USER"
            try:
                entries = load_catalog()
                entries = [
                    e for e in entries if e.kind == "report" or e.path in allowed
                ]
            except CatalogError as exc:
                self.set_status(500)
                self.finish(compute_error_html("The notebook catalog is broken", str(exc)))
                return
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            from .runs_page import load_report_forms  # reports on demand (issue 13)

            forms = load_report_forms(entries, user, xsrf=self.xsrf_token.decode(),
                                      base_url=self.base_url)
            self.finish(compute_landing_html(entries, user=user, via=via, base_url=self.base_url,
                                             forms=forms))

    class DashboardHandler(TornadoVoilaHandler):
        _kernel_bound = False

        @tornado.web.authenticated
        async def get(self, path=None):
            if path not in allowed:
                raise tornado.web.HTTPError(404, f"{path} is not a dashboard of the catalog")
            _ = self.xsrf_token  # the page's shutdown beacon posts it back when it is closed
            await super().get(path)

        def write(self, chunk):
            # the page names its kernel: from now on it answers only the person who opened it
            if not self._kernel_bound and isinstance(chunk, str):
                found = signin.KERNEL_ID_IN_PAGE.search(chunk)
                if found:
                    header = options.auth_header
                    user = (self.request.headers.get(header) or "").strip() if header else (
                        os.environ.get("BACKOFFICE_USER") or "")
                    signin.bind_kernel(found.group(1), user)
                    self._kernel_bound = True
            super().write(chunk)

    class WorkbenchVoila(Voila):
        name = "backoffice-serve"

        def init_handlers(self):
            handlers = []
            for spec in super().init_handlers():
                pattern, handler = spec[0], spec[1]
                if handler in (TornadoVoilaTreeHandler, VoilaContentsHandler):
                    continue
                if handler is LogoutHandler:
                    handlers.append((pattern, signin.signout_handler(policy), *spec[2:]))
                    continue
                if handler is TornadoVoilaHandler:
                    handlers.append((pattern, DashboardHandler, *spec[2:]))
                    continue
                if handler is RequestInfoSocketHandler:
                    continue  # kernel_handlers() serves it, fixed
                handlers.append(spec)
            landing = [
                (self.server_url, LandingHandler),
                (url_path_join(self.server_url, r"/voila/tree.*"), tornado.web.RedirectHandler,
                 {"url": self.server_url}),
            ]
            from .runs_page import serve_handlers  # run files, Runs page, reports (issue 13)

            landing += serve_handlers(self.server_url, options)
            landing += kernel_handlers(self.server_url)  # plotly's bundle, request info (17)
            return signin.guard_handlers(landing + handlers, policy)  # every path behind the gate

    return WorkbenchVoila


def run_server(options: ServeOptions, *, announce: Callable[[str], None] = print) -> None:
    """Serve until SIGINT/SIGTERM (which shut every kernel down)."""
    from traitlets.config import Config

    policy = signin.compute_policy(options)  # SignInConfigError: options that would let anyone in
    if policy.kiosk_path:
        signin.require_kiosk_user(options.user)
    prepare_environment(options)
    signin.scrub_environment(os.environ)
    dashboards = signin.served_dashboards([entry.path for entry in load_dashboards()], policy)
    config = Config(compute_voila_config(dashboards, options))
    config.Voila.tornado_settings = signin.tornado_settings(policy)  # access log without the token
    config.Voila.identity_provider_class = signin.identity_provider_class(
        signin.session_hours(os.environ))
    _mark_interrupted_runs()
    app_class = _workbench_voila_class(dashboards, options, policy)
    app = app_class.instance(config=config)
    app.initialize([])
    app.log.addFilter(_drop_routine_warnings)
    logging.getLogger("tornado.general").addFilter(_drop_ping_timeout_warning)
    started = dt.datetime.now().strftime("%H:%M:%S")
    announce(
        f"[{started}] serving {len(dashboards)} dashboard(s) from {notebooks_dir()}"
        f" (preheated kernels per dashboard: {max(options.pool_size, 0)})"
    )
    if options.pool_size > 0 and dashboards:
        import tornado.ioloop

        # the URL once every pool is warm: the first page opened is served from a warm kernel
        tornado.ioloop.IOLoop.current().add_callback(
            announce_when_warm, app, dashboards, options.pool_size,
            lambda note: announce(f"open {options.url()}{note}"),
        )
    else:
        announce(f"open {options.url()}")
    app.start()


# --- kernels (issue 17) ----------------------------------------------------------------------------


def _mark_interrupted_runs() -> None:
    """Runs whose process died while nobody looked are failed "interrupted" when serving starts."""
    import sqlalchemy as sa

    from .. import database
    from . import runs

    try:
        with database.transaction() as conn:
            runs.save_abandoned_runs(conn)
    except (database.DatabaseUnavailable, sa.exc.OperationalError):
        pass  # down or restarting: the landing page says so; the next jobs command marks them


def _drop_ping_timeout_warning(record: logging.LogRecord) -> bool:
    """tornado reads jupyter_server's kernel-socket ping timeout (90000, milliseconds) as seconds
    and warns once per start that it exceeds the interval; nothing a person can act on."""
    return "cannot be longer than the websocket_ping_interval" not in record.getMessage()


ROUTINE_WARNINGS = (
    # Voilà warns that each notebook "is not trusted" (no Jupyter signature) at every start; it
    # runs them itself.
    "is not trusted",
    # jupyter_server warns for each kernel culled: here that is every tab that vanished without
    # closing (CULL_IDLE_SECONDS), the server's routine housekeeping.
    "Culling 'idle' kernel",
)


def _drop_routine_warnings(record: logging.LogRecord) -> bool:
    """Warnings of routine events (ROUTINE_WARNINGS) only teach a person to ignore warnings."""
    message = record.getMessage()
    return not any(routine in message for routine in ROUTINE_WARNINGS)


def thai_font_folder() -> Path:
    import fontpkg_sarabun

    return Path(fontpkg_sarabun.ROOT) / "files"


def kernel_handlers(server_url: str) -> list[tuple]:
    """Plotly's widget bundle (cached by the browser, see kernel_warmup) and Voilà's request-info
    socket with its bookkeeping fixed."""
    import tornado.web
    from jupyter_server.utils import url_path_join
    from voila.request_info_handler import RequestInfoSocketHandler

    from . import kernel_warmup

    bundle = kernel_warmup.plotly_bundle_file()

    class PlotlyBundleHandler(tornado.web.StaticFileHandler):
        """The one file, versioned in its URL: the browser keeps it (immutable)."""

        def initialize(self):
            super().initialize(path=str(bundle.parent))

        def get(self, include_body: bool = True):
            return super().get(bundle.name, include_body)

        def head(self):
            return self.get(include_body=False)

        def set_extra_headers(self, path):
            self.set_header("Cache-Control", "private, max-age=31536000, immutable")

    class RequestInfoHandler(RequestInfoSocketHandler):
        """Voilà's handler, whose ``on_close`` removed the *last* waiting kernel's socket when the
        closing one was no longer registered (a kernel that reconnected): that kernel then never
        got its request and the page never rendered. Here a socket removes only itself."""

        def on_close(self) -> None:
            waiters = RequestInfoSocketHandler._waiters
            for kernel_id in [k for k, socket in waiters.items() if socket is self]:
                del waiters[kernel_id]

    class ThaiFontHandler(tornado.web.StaticFileHandler):
        """Sarabun (ui.thai_font_css), from the font package the PDFs use: nothing from a CDN."""

        def initialize(self):
            super().initialize(path=str(thai_font_folder()))

        def set_extra_headers(self, path):
            self.set_header("Cache-Control", "private, max-age=86400")

    fonts = "|".join(re.escape(file) for file in ui.THAI_FONT_FILES.values())
    kernel_id = r"(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)"
    return [
        (url_path_join(server_url, "/" + ui.THAI_FONT_ROUTE.format(file=f"({fonts})")),
         ThaiFontHandler),
        (url_path_join(server_url, kernel_warmup.plotly_bundle_path("/")), PlotlyBundleHandler),
        (url_path_join(server_url, rf"/voila/query/{kernel_id}"), RequestInfoHandler),
    ]


def compute_pools_warm(pools: dict, dashboards: Sequence[str], pool_size: int,
                       waiting: Iterable[str]) -> bool:
    """Is every dashboard's pool full of kernels that ran up to their request (pure over Voilà's
    pool tasks)? A kernel counts when it waits for its request or its page finished rendering;
    a kernel that failed to start is not waited for."""
    waiting = set(waiting)
    for path in dashboards:
        pool = pools.get(path, [])
        if len(pool) < pool_size:
            return False
        for task in pool:
            if not task.done():
                return False
            if task.cancelled() or task.exception() is not None:
                continue
            content = task.result()
            if content["kernel_id"] not in waiting and not content["task"].done():
                return False
    return True


async def announce_when_warm(app, dashboards: Sequence[str], pool_size: int,
                             announce: Callable[[str], None],
                             timeout: float = WARM_TIMEOUT_SECONDS) -> None:
    import asyncio
    import time

    from voila.request_info_handler import RequestInfoSocketHandler

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        pools = getattr(getattr(app, "kernel_manager", None), "_pools", None)
        if pools is not None and compute_pools_warm(
            pools, dashboards, pool_size, RequestInfoSocketHandler._waiters
        ):
            announce(f"  ({len(dashboards) * pool_size} kernels warm in"
                     f" {time.monotonic() - started:.0f} s)")
            return
        await asyncio.sleep(0.25)
    announce(f"  (kernels still warming after {timeout:.0f} s)")
