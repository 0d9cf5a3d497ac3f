"""Serving the dashboards: the notebook catalog, the landing page, Voilà, and on-screen errors.

``backoffice serve`` runs Voilà over ``notebooks/`` with:

- a landing page at ``/`` listing the catalog's dashboards by audience with their purpose
  (Voilà's file tree is not exposed, and only catalogued dashboards render: a report notebook
  is never executed by opening a URL);
- a small pool of preheated kernels per dashboard (imports done before the request; the data is
  read after ``session_user.signed_in_user()`` has waited for the request, so it is current);
- the ``backoffice`` Voilà template (the lab template without its Font Awesome CDN links), sources
  stripped, tracebacks hidden, the jupytext labextension denylisted, idle kernels culled;
- the signed-in user from the Jupyter token (one machine) or a trusted proxy header (shared).

Dashboards wrap their body in ``guarded_dashboard(area, build)``: access is checked with the
``allowed_users`` roles and any failure becomes a readable message on screen, never a blank page.
Importing this module opens no connection and does not import Voilà.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import session_user, settings

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_ROOT = PACKAGE_DIR / "share"  # holds voila/templates/backoffice
TEMPLATE_NAME = "backoffice"
KINDS = ("dashboard", "report")
AUDIENCES = ("managers", "finance", "analysts", "staff")
AUDIENCE_TITLES = {
    "managers": "Managers",
    "finance": "Finance",
    "analysts": "Analysts",
    "staff": "Staff",
}
DEFAULT_PORT = 8866
DEFAULT_POOL_SIZE = 1
CULL_IDLE_SECONDS = 900
REFILL_DELAY_SECONDS = 15
CULL_INTERVAL_SECONDS = 60
ERROR_CLASS = "backoffice-error"

log = logging.getLogger(__name__)


class CatalogError(ValueError):
    """notebooks/catalog.yml is malformed; the message names the entry."""


# --- the catalog --------------------------------------------------------------------------------


def notebooks_dir() -> Path:
    configured = os.environ.get("BACKOFFICE_NOTEBOOKS_DIR")
    return Path(configured).resolve() if configured else PACKAGE_DIR.parent / "notebooks"


@dataclass(frozen=True)
class CatalogEntry:
    path: str  # relative to notebooks/
    kind: str
    title: str
    audience: str
    purpose: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def url_path(self) -> str:
        return f"voila/render/{self.path}"


def compute_catalog(document: Any) -> list[CatalogEntry]:
    """Validate the parsed catalog.yml and return its entries (pure)."""
    if not isinstance(document, dict) or not isinstance(document.get("notebooks"), list):
        raise CatalogError("catalog.yml must hold `notebooks:` followed by a list of entries")
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for index, raw in enumerate(document["notebooks"], start=1):
        if not isinstance(raw, dict):
            raise CatalogError(f"catalog entry {index} is not a mapping")
        path = str(raw.get("path") or "").strip()
        where = f"catalog entry {index} ({path or 'no path'})"
        if not path.endswith(".ipynb") or path.startswith("/") or ".." in Path(path).parts:
            raise CatalogError(f"{where}: path must be a notebook relative to notebooks/")
        if path in seen:
            raise CatalogError(f"{where}: listed twice")
        seen.add(path)
        kind = str(raw.get("kind") or "").strip()
        if kind not in KINDS:
            raise CatalogError(f"{where}: kind must be one of {', '.join(KINDS)}")
        audience = str(raw.get("audience") or "").strip()
        if audience not in AUDIENCES:
            raise CatalogError(f"{where}: audience must be one of {', '.join(AUDIENCES)}")
        title = str(raw.get("title") or "").strip() or Path(path).stem.replace("_", " ")
        purpose = " ".join(str(raw.get("purpose") or "").split())
        parameters = raw.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise CatalogError(f"{where}: parameters must be a mapping")
        entries.append(CatalogEntry(path, kind, title, audience, purpose, dict(parameters)))
    return entries


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    path = path or notebooks_dir() / "catalog.yml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogError(f"no notebook catalog at {path}") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path} is not valid YAML: {exc}") from exc
    return compute_catalog(document)


def load_dashboards(path: Path | None = None, *, existing_only: bool = True) -> list[CatalogEntry]:
    """The catalog's dashboards (only those whose notebook exists, unless told otherwise)."""
    root = (path.parent if path else notebooks_dir())
    return [
        entry
        for entry in load_catalog(path)
        if entry.kind == "dashboard" and (not existing_only or (root / entry.path).is_file())
    ]


# --- the landing page ---------------------------------------------------------------------------

_LANDING_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;
color:#1d2433}
header{background:#14532d;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;font-size:14px;opacity:.85}
main{max-width:980px;margin:24px auto;padding:0 24px}
section{margin-bottom:28px}
h2{font-size:16px;text-transform:uppercase;letter-spacing:.06em;color:#475569;margin:0 0 10px}
ul{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,
minmax(280px,1fr));gap:12px}
li{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:14px 16px}
li a{font-weight:600;color:#14532d;text-decoration:none;font-size:16px}
li a:hover{text-decoration:underline}
li p{margin:6px 0 0;font-size:14px;color:#475569}
.notice{background:#fff7ed;border:1px solid #fdba74;border-radius:8px;padding:12px 16px}
.reports li{background:#fafafa}
code{font-size:13px}
"""


def compute_landing_html(
    entries: Sequence[CatalogEntry],
    *,
    user: str | None,
    via: str,
    base_url: str = "/",
) -> str:
    """The landing page: dashboards grouped by audience, reports listed apart (pure)."""
    esc = html.escape
    sections = []
    for audience in AUDIENCES:
        items = [e for e in entries if e.kind == "dashboard" and e.audience == audience]
        if not items:
            continue
        links = "".join(
            f'<li class="dashboard" data-path="{esc(e.path)}">'
            f'<a href="{esc(base_url + e.url_path)}">{esc(e.title)}</a>'
            f"<p>{esc(e.purpose)}</p></li>"
            for e in items
        )
        sections.append(
            f'<section class="audience" data-audience="{audience}">'
            f"<h2>{AUDIENCE_TITLES[audience]}</h2><ul>{links}</ul></section>"
        )
    if not sections:
        sections.append(
            '<p class="notice">No dashboard is listed in notebooks/catalog.yml yet.</p>'
        )
    reports = [e for e in entries if e.kind == "report"]
    if reports:
        items = "".join(
            f"<li><strong>{esc(e.title)}</strong><p>{esc(e.purpose)}</p>"
            f"<p><code>{esc(e.path)}</code></p></li>"
            for e in reports
        )
        sections.append(
            '<section class="reports"><h2>Reports (run by <code>backoffice jobs</code>)</h2>'
            f"<ul>{items}</ul></section>"
        )
    who = (
        f"Signed in as <strong>{esc(user)}</strong> ({esc(via)})"
        if user
        else f'<span class="notice">Nobody is signed in ({esc(via)})</span>'
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:;base64,=">'
        f"<title>Studio back office</title><style>{_LANDING_CSS}</style></head><body>"
        f"<header><h1>Studio back office</h1><p>{who}</p></header>"
        f"<main>{''.join(sections)}</main></body></html>"
    )


# --- on-screen errors for dashboards ------------------------------------------------------------


def compute_error_html(title: str, message: str) -> str:
    return (
        f'<div class="{ERROR_CLASS}" role="alert" style="border:1px solid #dc2626;'
        'background:#fef2f2;color:#7f1d1d;border-radius:8px;padding:14px 18px;max-width:760px;'
        'font-family:system-ui,sans-serif">'
        f'<strong style="font-size:16px">{html.escape(title)}</strong>'
        f'<p style="margin:6px 0 0">{html.escape(message)}</p></div>'
    )


def error_panel(message: str, *, title: str = "This dashboard cannot be shown"):
    """A widget that tells a person what went wrong (instead of a blank page)."""
    import ipywidgets as widgets

    return widgets.HTML(compute_error_html(title, message))


def sync_figure(fig):
    """Copy a ``go.FigureWidget``'s current figure into its synced widget state; returns it.

    Plotly re-syncs that state only when the figure itself is displayed. A figure shown inside
    a container (VBox, Tab...) and changed before display would otherwise reach the browser
    empty, as it was built. Call it on each figure before returning the dashboard's widget.
    """
    fig._widget_layout = copy.deepcopy(fig._layout_obj._props)
    fig._widget_data = copy.deepcopy(fig._data)
    return fig


def _log_dashboard_failure(area: str, exc: BaseException) -> None:
    """Keep the traceback in the data dir's log (never on the page, where stderr would show)."""
    target = settings.data_dir() / "logs"
    try:
        target.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(target / "dashboards.log", encoding="utf-8")
    except OSError:
        return
    logger = logging.getLogger("backoffice.dashboards")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.error("dashboard %s failed", area, exc_info=exc)
    finally:
        logger.removeHandler(handler)
        handler.close()


def guarded_dashboard(area: str, build: Callable[[Any], Any], *, admin: bool | None = None):
    """Check the signed-in user's access to ``area``, then ``build(user)``; errors on screen.

    ``build`` receives the ``access.User`` and returns the dashboard's widget. Access refusals,
    an unreachable database and unexpected errors each come back as an ``error_panel``.
    """
    from . import database
    from .access import AccessDenied

    try:
        user = session_user.dashboard_user(area, admin=admin)
        return build(user)
    except AccessDenied as exc:
        return error_panel(str(exc).capitalize(), title="Access refused")
    except database.DatabaseUnavailable as exc:
        return error_panel(str(exc), title="The database cannot be reached")
    except Exception as exc:  # noqa: BLE001 - shown to the person, traceback kept in the log
        _log_dashboard_failure(area, exc)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        message = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
        return error_panel(
            f"{message}. The details are in {settings.data_dir() / 'logs' / 'dashboards.log'}."
        )


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
        "MappingKernelManager": {
            "cull_idle_timeout": options.cull_idle_seconds,
            "cull_interval": CULL_INTERVAL_SECONDS,
            "cull_connected": False,
        },
    }


def prepare_environment(options: ServeOptions) -> None:
    """What every kernel inherits: absolute data dir, runtime dir, user or auth header."""
    from . import runs

    os.environ["BACKOFFICE_DATA_DIR"] = str(settings.data_dir())
    runs.ensure_runtime_dir()
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


def _workbench_voila_class(dashboards: Sequence[str], options: ServeOptions):
    """A Voilà app whose ``/`` is the landing page and which renders only catalogued dashboards."""
    import tornado.web
    from jupyter_server.base.handlers import JupyterHandler
    from jupyter_server.utils import url_path_join
    from voila.app import Voila
    from voila.tornado.contentshandler import VoilaContentsHandler
    from voila.tornado.handler import TornadoVoilaHandler
    from voila.tornado.treehandler import TornadoVoilaTreeHandler

    allowed = frozenset(dashboards)

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
            self.finish(compute_landing_html(entries, user=user, via=via, base_url=self.base_url))

    class DashboardHandler(TornadoVoilaHandler):
        @tornado.web.authenticated
        async def get(self, path=None):
            if path not in allowed:
                raise tornado.web.HTTPError(404, f"{path} is not a dashboard of the catalog")
            _ = self.xsrf_token  # the page's shutdown beacon posts it back when it is closed
            await super().get(path)

    class WorkbenchVoila(Voila):
        name = "backoffice-serve"

        def init_handlers(self):
            handlers = []
            for spec in super().init_handlers():
                pattern, handler = spec[0], spec[1]
                if handler in (TornadoVoilaTreeHandler, VoilaContentsHandler):
                    continue
                if handler is TornadoVoilaHandler:
                    handlers.append((pattern, DashboardHandler, *spec[2:]))
                    continue
                handlers.append(spec)
            landing = [
                (self.server_url, LandingHandler),
                (url_path_join(self.server_url, r"/voila/tree.*"), tornado.web.RedirectHandler,
                 {"url": self.server_url}),
            ]
            return landing + handlers

    return WorkbenchVoila


def run_server(options: ServeOptions, *, announce: Callable[[str], None] = print) -> None:
    """Serve until SIGINT/SIGTERM (which shut every kernel down)."""
    from traitlets.config import Config

    prepare_environment(options)
    dashboards = [entry.path for entry in load_dashboards()]
    config = Config(compute_voila_config(dashboards, options))
    app_class = _workbench_voila_class(dashboards, options)
    app = app_class.instance(config=config)
    app.initialize([])
    started = dt.datetime.now().strftime("%H:%M:%S")
    announce(
        f"[{started}] serving {len(dashboards)} dashboard(s) from {notebooks_dir()}"
        f" (preheated kernels per dashboard: {max(options.pool_size, 0)})"
    )
    announce(f"open {options.url()}")
    app.start()
