"""What a dashboard kernel does before its first cell: ``backoffice serve`` runs it in every kernel.

``backoffice serve`` points the kernels' ``IPYTHONDIR`` at a profile whose startup file calls
``start_kernel()`` (``write_startup_file``):

- **every kernel** draws plotly's ``FigureWidget`` from one cached script: plotly ships its
  ~5 MB widget bundle as the anywidget ``_esm`` of *each* figure, sent through the kernel, the
  Voilà server and the page's websocket and evaluated again per figure. Here ``_esm`` becomes a
  few lines that import the bundle from the server (``serve`` serves the file at
  ``plotly_bundle_path()``, cached by the browser for the plotly version), so a page with four
  figures moves a few hundred bytes instead of 20 MB;
- **a preheated kernel** (``VOILA_PREHEAT=True``: waiting in the pool before any request) also
  imports the widget and plotly stack, pandas, SQLAlchemy and the library, builds one throw-away
  figure (plotly's validators load on first use) and opens a database connection, so that
  after the request only the dashboard's own reads and widgets remain.

Nothing is printed, and a failure here never stops the kernel (the dashboard then does the work
itself, as before).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path

BUNDLE_ROUTE = "backoffice/static/plotly-{version}/widgetbundle.js"
PATCHED_MODULE = "plotly.basewidget"
STARTUP_FILE = "00-backoffice-kernel.py"
KERNEL_CONFIG_FILE = "ipython_kernel_config.py"
# A served kernel's own log goes to the server's terminal. When `serve` stops, each preheated
# kernel still waiting for its request logs a ZMQError traceback (its reply socket is already
# closed): noise at every stop. Dashboard errors are shown on the page and kept in
# <data dir>/logs/dashboards.log (ui.guarded_dashboard); the server still reports a kernel that
# dies or fails to start.
KERNEL_CONFIG = (
    "# written by backoffice serve: see backoffice_lib/workbench/kernel_warmup.py\n"
    "c.IPKernelApp.log_level = 'CRITICAL'\n"
)
STARTUP_CODE = (
    "# written by backoffice serve: see backoffice_lib/workbench/kernel_warmup.py\n"
    "try:\n"
    "    from backoffice_lib.workbench import kernel_warmup as _backoffice_kernel_warmup\n"
    "    _backoffice_kernel_warmup.start_kernel()\n"
    "    del _backoffice_kernel_warmup\n"
    "except Exception:  # never stop a kernel from starting\n"
    "    pass\n"
)


def plotly_version() -> str:
    from importlib.metadata import version

    return version("plotly")


def plotly_bundle_path(base_url: str = "/") -> str:
    """The server path of plotly's widget bundle, versioned so a browser may cache it for good."""
    return base_url.rstrip("/") + "/" + BUNDLE_ROUTE.format(version=plotly_version())


def plotly_bundle_file() -> Path:
    spec = importlib.util.find_spec("plotly")
    return Path(spec.origin).parent / "package_data" / "widgetbundle.js"


def compute_bundle_shim(bundle_path: str) -> str:
    """The ES module each FigureWidget carries instead of the bundle: it imports the bundle once
    per page from ``bundle_path`` (a path on the page's own server: no host, works behind a
    proxy) and hands its default export to anywidget."""
    return (
        f"const bundle = await import(new URL({bundle_path!r}, window.location.href).href);\n"
        "export default bundle.default;\n"
    )


def write_startup_file(ipython_dir: Path) -> Path:
    """Create ``<ipython_dir>/profile_default/startup/`` with the startup file (returned), and
    the profile's kernel config (quiet kernel log)."""
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    for path, text in ((startup / STARTUP_FILE, STARTUP_CODE),
                       (ipython_dir / "profile_default" / KERNEL_CONFIG_FILE, KERNEL_CONFIG)):
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return startup / STARTUP_FILE


# --- inside the kernel ---------------------------------------------------------------------------


def _point_figures_at_cached_bundle(module) -> None:
    shim = compute_bundle_shim(plotly_bundle_path(os.environ.get("VOILA_BASE_URL", "/")))
    module.BaseFigureWidget._esm = shim


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches plotly.basewidget right after it is imported (never imports it itself)."""

    def find_spec(self, name, path, target=None):
        if name != PATCHED_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        original = spec.loader

        class Loader(importlib.abc.Loader):
            def create_module(self, spec):
                return original.create_module(spec)

            def exec_module(self, module):
                original.exec_module(module)
                _point_figures_at_cached_bundle(module)

        spec.loader = Loader()
        return spec


def serve_plotly_bundle_from_server() -> None:
    if PATCHED_MODULE in sys.modules:
        _point_figures_at_cached_bundle(sys.modules[PATCHED_MODULE])
    elif not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())


def warm_imports() -> None:
    """Import what dashboards use and load plotly's validators (no widget is created)."""
    import anywidget  # noqa: F401
    import ipywidgets  # noqa: F401
    import pandas  # noqa: F401
    import plotly.basewidget  # noqa: F401
    import plotly.graph_objects as go
    import sqlalchemy  # noqa: F401

    from .. import database, ui  # noqa: F401
    from . import catalog  # noqa: F401

    go.Figure(
        data=[go.Bar(x=["a"], y=[1]), go.Scatter(x=[1], y=[1]), go.Heatmap(z=[[1]])],
        layout={"template": "plotly_white", "title": {"text": "warm"}},
    ).to_dict()
    with database.get_engine().connect():
        pass


# plotly's FigureWidget imports its renderers, which import nbformat's validator, which imports
# jsonschema's optional IRI format checker ``rfc3987_syntax``: it builds a Lark grammar at import,
# 0.75 s of every cold kernel's first figure (half of a dashboard's cold start on 2 cores). No
# dashboard validates an IRI; without the module jsonschema simply skips the "iri" formats.
SKIPPED_MODULES = ("rfc3987_syntax",)


def skip_slow_optional_imports() -> None:
    for name in SKIPPED_MODULES:
        sys.modules.setdefault(name, None)  # None: "import name" raises ImportError at once


def start_kernel() -> None:
    skip_slow_optional_imports()
    serve_plotly_bundle_from_server()
    if os.environ.get("VOILA_PREHEAT") == "True":
        with contextlib.suppress(Exception):  # the dashboard does the work itself then
            warm_imports()
