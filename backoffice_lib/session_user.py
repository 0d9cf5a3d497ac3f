"""Who is signed in, for dashboards and notebooks.

Chosen by whoever starts ``backoffice serve`` (docs/administrators/roles.md; the server's side of it,
which decides which requests reach a kernel at all, is ``workbench/signin.py``):

- **One machine** (default): the Voilà server is protected by a Jupyter token (the URL printed by
  ``backoffice serve`` carries ``?token=...``), and the person who started it is the user:
  ``--user EMAIL`` or ``BACKOFFICE_USER``. The **kiosk** (``serve --kiosk --user``) is this mode
  for one non-admin user and the time clock alone.
- **Shared deployment**: ``backoffice serve --auth-header X-Forwarded-Email`` behind an
  authenticating proxy that sets that header on every request. The server lets a request through
  only with the proxy's shared secret and/or from its address, and refuses every other one before
  Voilà sees it; Voilà then hands the header to the page's kernel as ``HTTP_X_FORWARDED_EMAIL``.
  A missing header means nobody is signed in (never a fallback to ``BACKOFFICE_USER``).

In a preheated Voilà kernel the notebook runs before anyone opens the page; ``signed_in_user()``
first waits for the request (``voila.utils.wait_for_request``), so whatever a dashboard reads
after asking who is signed in is current when the page opens, not when the kernel was heated.

Roles (business-rules §8) are applied by ``dashboard_user(area)``: only ``allowed_users``,
admin areas need ``is_admin``, and a refusal is audited.
"""

from __future__ import annotations

import os

from . import access, settings

AUTH_HEADER_ENV = "BACKOFFICE_AUTH_HEADER"
REQUEST_ATTEMPTS = 60  # each waits up to 5 s for the socket to open, then 1 s

_page_opened = False


def header_env_name(header: str) -> str:
    """The variable Voilà sets in the kernel for a request header (RFC 3875 §4.1.18)."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def in_preheated_kernel() -> bool:
    return os.environ.get("VOILA_PREHEAT") == "True"


def wait_for_page() -> None:
    """In a preheated Voilà kernel, block until a person opens the page; elsewhere do nothing.

    Afterwards the request's query string and forwarded headers are in ``os.environ``.
    """
    global _page_opened
    if _page_opened or not in_preheated_kernel():
        return
    import time
    import warnings

    from voila.utils import wait_for_request

    # Voilà gives up silently when its request socket does not open within 5 s (a busy server):
    # the dashboard would then read its data, and the signed-in header, before anyone opened the
    # page. Try again until the request's data (SCRIPT_NAME is always among it) has arrived.
    for _ in range(REQUEST_ATTEMPTS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wait_for_request()
        if os.environ.get("SCRIPT_NAME"):
            break
        time.sleep(1)
    _page_opened = True


def auth_header() -> str | None:
    return os.environ.get(AUTH_HEADER_ENV, "").strip() or None


def signed_in_user() -> str | None:
    """The signed-in user's e-mail, or None when nobody is signed in."""
    wait_for_page()
    header = auth_header()
    if header:
        value = os.environ.get(header_env_name(header), "").strip()
        return value or None
    return settings.acting_user_from_env()


def dashboard_user(area: str, *, admin: bool | None = None):
    """The signed-in ``access.User`` allowed into ``area``; raises ``access.AccessDenied``.

    The refusal is audited in a transaction of its own (``access.require``).
    """
    return access.require(signed_in_user(), area, admin=admin)
