"""The frame every dashboard shares: the access guard, on-screen errors and figure sync.

Dashboards wrap their body in ``guarded_dashboard(area, build)``: access is checked with the
``allowed_users`` roles and any failure becomes a readable message on screen, never a blank page.
Part of the shared base: it imports no domain, and importing it imports no widget library.
"""

from __future__ import annotations

import copy
import html
import logging
from collections.abc import Callable
from typing import Any

from . import session_user, settings

ERROR_CLASS = "backoffice-error"


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
