"""Settings read lazily from the environment.

BACKOFFICE_DATABASE_URL  any PostgreSQL 14+ (plain ``postgresql://`` accepted). Unset: the embedded
                         PostgreSQL under the data dir is started and used.
BACKOFFICE_DATA_DIR      where the embedded server, run folders and file stores live
                         (default ``.backoffice/`` in the working directory).
BACKOFFICE_USER          the acting user's e-mail for CLI commands that change data.
"""

from __future__ import annotations

import os
from pathlib import Path

BUSINESS_TIMEZONE = "Asia/Bangkok"


def database_url_from_env() -> str | None:
    url = os.environ.get("BACKOFFICE_DATABASE_URL", "").strip()
    return url or None


def data_dir() -> Path:
    return Path(os.environ.get("BACKOFFICE_DATA_DIR") or ".backoffice").resolve()


def acting_user_from_env() -> str | None:
    return os.environ.get("BACKOFFICE_USER") or None
