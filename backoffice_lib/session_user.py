"""Who is signed in, for dashboards and notebooks.

The serving work extends this (Voilà/Jupyter token on one machine, a trusted header from an auth
proxy on a shared deployment); until then the user comes from BACKOFFICE_USER.
"""

from __future__ import annotations

from . import settings


def signed_in_user() -> str | None:
    return settings.acting_user_from_env()
