"""``backoffice lab``: JupyterLab for analysts (issue 27), on loopback with a token.

- Who: an allowed user who is an admin or carries ``is_analyst``; anyone else is refused and the
  refusal audited.
- Where: the root is the analyst's own folder ``<data dir>/lab/<user>/`` (owner-only, 0700); on
  first start the starter notebooks of ``notebooks/analysis/`` are copied in (0600), after that
  they are the analyst's to change.
- As whom: the server signs the analyst database role in with a new password
  (``db_roles.run_analyst_login``, audited) and its kernels inherit only that login as
  ``BACKOFFICE_DATABASE_URL``: the owner's URL, the proxy secret and every other credential of
  the environment (names with SECRET, PASSWORD, TOKEN, KEY, CREDENTIAL, SMTP, MAIL, LINE, and
  ``PG*``) are not in their environment, so ``current_user`` in a kernel is the analyst role
  (``BACKOFFICE_ANALYST_DATABASE_URL``, when set, is used as is instead).
- Network: the same rule as ``serve`` (``signin.compute_policy``): never beyond loopback without
  a token. Terminals are off; the extension manager is read-only and news and update checks are
  off (no request leaves the machine). JupyterLab refuses root unless told ``--allow-root``.

Importing this module imports neither JupyterLab nor SQLAlchemy and opens no connection.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import settings
from . import signin

AREA = "lab"
DEFAULT_PORT = 8888
ANALYST_URL_ENV = "BACKOFFICE_ANALYST_DATABASE_URL"
PROJECT_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
# what a kernel must not inherit from the server's environment
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL|SMTP|MAIL|LINE")
KEPT_BACKOFFICE = ("BACKOFFICE_DATA_DIR", "BACKOFFICE_USER")


class LabError(ValueError):
    """The lab cannot start as asked; the message says why, for a person."""


@dataclass(frozen=True)
class LabOptions:
    port: int = DEFAULT_PORT
    ip: str = "127.0.0.1"
    user: str | None = None
    token: str = field(default="", repr=False)
    allow_root: bool = False
    # what signin.compute_policy reads (the lab has no proxy mode)
    auth_header: str | None = None
    proxy_secret: str = field(default="", repr=False)
    trusted_proxies: tuple[str, ...] = ()
    public_hosts: tuple[str, ...] = ()
    kiosk: bool = False

    def url(self) -> str:
        base = f"http://{self.ip}:{self.port}/lab"
        return f"{base}?token={self.token}" if self.token else base


# --- pure -----------------------------------------------------------------------------------------


def compute_user_folder_name(email: str) -> str:
    """The analyst's folder name: the e-mail, lower-case, anything but letters, digits, @ . _ -
    replaced (never a path separator or ``..``)."""
    name = re.sub(r"[^a-z0-9@._-]", "_", (email or "").strip().lower())
    if not name.strip("._"):
        raise LabError("--user must be an e-mail address")
    return name


def compute_kernel_environment(environ: Mapping[str, str], database_url: str) -> dict[str, str]:
    """The environment kernels inherit: the server's, without credentials, PostgreSQL variables
    or other BACKOFFICE settings, with the analyst's URL as ``BACKOFFICE_DATABASE_URL``."""
    kept = {
        name: value for name, value in environ.items()
        if not SECRET_NAME.search(name)
        and not name.startswith("PG")
        and (not name.startswith("BACKOFFICE_") or name in KEPT_BACKOFFICE)
        and "://" not in value  # any URL might carry a password
    }
    kept["BACKOFFICE_DATABASE_URL"] = database_url
    return kept


def compute_lab_config(options: LabOptions, root: Path) -> dict[str, dict]:
    """The traitlets configuration of the JupyterLab app (pure)."""
    return {
        "ServerApp": {
            "ip": options.ip,
            "port": options.port,
            "port_retries": 0,
            "open_browser": False,
            "root_dir": str(root),
            "allow_root": options.allow_root,
            "terminals_enabled": False,
            "log_level": "WARN",
        },
        "IdentityProvider": {"token": options.token},
        "LabApp": {
            "extension_manager": "readonly",
            "news_url": None,
            "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        },
    }


# --- files ----------------------------------------------------------------------------------------


def starters_dir() -> Path:
    """``notebooks/analysis/`` (of ``BACKOFFICE_NOTEBOOKS_DIR`` when set, as ``catalog``)."""
    configured = os.environ.get("BACKOFFICE_NOTEBOOKS_DIR")
    return (Path(configured).resolve() if configured else PROJECT_NOTEBOOKS) / "analysis"


def lab_root(email: str, data_dir: Path | None = None) -> Path:
    return (data_dir or settings.data_dir()) / "lab" / compute_user_folder_name(email)


def prepare_root(root: Path, starters: Path | None = None) -> list[str]:
    """The analyst's folder, owner-only; the starter notebooks copied in when it is new.
    Returns the names of the notebooks copied."""
    root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root.parent, 0o700)
    fresh = not root.exists()
    root.mkdir(mode=0o700, exist_ok=True)
    if stat.S_IMODE(root.stat().st_mode) != 0o700:
        os.chmod(root, 0o700)
    copied = []
    if fresh:
        for notebook in sorted((starters or starters_dir()).glob("*.ipynb")):
            target = root / notebook.name
            shutil.copyfile(notebook, target)
            os.chmod(target, 0o600)
            copied.append(notebook.name)
    return copied


# --- who, and as which database role ------------------------------------------------------------


def require_lab_user(email: str | None, *, engine=None):
    """An allowed user who is an admin or an analyst; else the refusal is audited and raised."""
    import sqlalchemy as sa

    from .. import access, audit, database
    from ..models.core import AllowedUser

    users = AllowedUser.__table__
    refusal = None
    with database.transaction(engine) as conn:
        try:
            user = access.check(conn, email, AREA, admin=False)
        except access.AccessDenied as denied:
            refusal = denied
        else:
            analyst = conn.scalar(sa.select(users.c.is_analyst).where(users.c.id == user.id))
            if user.is_admin or analyst:
                return user
            reason = f"{user.email} is neither an analyst nor an admin; the lab is for analysts"
            audit.record(conn, user.email, "ACCESS_DENIED", AREA, details={"reason": reason})
            refusal = access.AccessDenied(f"access refused: {reason}")
    raise refusal


def analyst_database_url(user_email: str, *, engine=None, environ: Mapping[str, str] | None = None
                         ) -> str:
    """The URL the kernels get: ``BACKOFFICE_ANALYST_DATABASE_URL`` when set, else the analyst
    role signed in with a new password, at the workbench's server and database."""
    from .. import database
    from . import db_roles

    environ = os.environ if environ is None else environ
    configured = (environ.get(ANALYST_URL_ENV) or "").strip()
    if configured:
        return database._psycopg_url(configured).render_as_string(hide_password=False)
    with database.transaction(engine) as conn:
        role, password = db_roles.run_analyst_login(conn, user_email)
        owner_url = conn.engine.url
    return owner_url.set(username=role, password=password).render_as_string(hide_password=False)


# --- the server -------------------------------------------------------------------------------------


def run_lab(options: LabOptions, *, announce: Callable[[str], None] = print, engine=None) -> None:
    """Start JupyterLab for ``options.user`` until SIGINT/SIGTERM."""
    signin.compute_policy(options)  # SignInConfigError: beyond loopback without a token
    if hasattr(os, "geteuid") and os.geteuid() == 0 and not options.allow_root:
        raise LabError("running as root: JupyterLab refuses it; pass --allow-root (for CI or a"
                       " container) or run as an ordinary user")
    user = require_lab_user(options.user, engine=engine)
    root = lab_root(user.email)
    copied = prepare_root(root)
    url = analyst_database_url(user.email, engine=engine)
    kernel_env = compute_kernel_environment(os.environ, url)
    os.environ.clear()
    os.environ.update(kernel_env)
    from . import kernel_warmup

    # jsonschema's optional IRI checker builds a Lark grammar at import: 2-9 s of the lab's start
    # on 2 busy cores, for a format nothing here validates (as in the dashboards' kernels)
    kernel_warmup.skip_slow_optional_imports()
    from jupyterlab.labapp import LabApp
    from traitlets.config import Config

    # only JupyterLab itself: no other server extension (Voilà, LSP) loads into the lab
    server = LabApp.initialize_server(argv=[], load_other_extensions=False,
                                      config=Config(compute_lab_config(options, root)))
    started = f"copied {len(copied)} starter notebook(s) into it" if copied else "your notebooks"
    announce(f"lab for {user.email} in {root} ({started}); kernels connect as the analyst role")
    announce(f"open {options.url()}")
    server.start()
