"""Issue 22, deliverable 4: the embedded PostgreSQL is private, started as root or as a normal
user: no parent folder opened, the data dir closed to others, PGDATA 0700, the socket in a 0700
folder of the server's account whatever the path length or XDG_RUNTIME_DIR, no trust
authentication (peer, mapped), the server in its own group.

Each test starts a server of its own in a fresh data dir (a subprocess, so this process keeps the
shared server) and stops it at the end.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = os.geteuid() == 0
SERVER_USER = "embedded_postgres"
NORMAL_USER = "bo_server_test"
SYSTEM_PYTHON = "/usr/bin/python3"  # the venv's interpreter may sit under root's home (0700)
SITE = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"), None)
PROBE = """
import json, sys
from backoffice_lib import database
if sys.argv[1] == "start":
    database.database_url()
    info = database._running(database.settings.data_dir() / "pgdata")
    print(json.dumps({"pid": info.pid, "socket_dir": str(info.socket_dir)}))
else:
    print(database.stop_embedded_server())
"""
CONNECT = """
import sys, psycopg
try:
    psycopg.connect(host=sys.argv[1], dbname="postgres", user="postgres", connect_timeout=5)
except psycopg.OperationalError as exc:
    print(str(exc).strip().splitlines()[0]); sys.exit(3)
print("connected")
"""


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("BACKOFFICE_DATABASE_URL", "XDG_RUNTIME_DIR") and not k.startswith("PG")}
    return {**env, "BACKOFFICE_DATA_DIR": str(data_dir), **extra}


def _as_user(user: str, script: str, *args: str, env: dict[str, str] | None = None):
    """A Python script as another OS account (its own environment, the system interpreter)."""
    clean = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": f"{ROOT}:{SITE}",
             **(env or {})}
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i",
                           *[f"{k}={v}" for k, v in clean.items()], SYSTEM_PYTHON, "-c", script,
                           *args], capture_output=True, text=True, cwd="/", timeout=180,
                          check=False)


def _probe(data_dir: Path, action: str, *, user: str | None = None, **extra: str):
    if user is None:
        return subprocess.run([sys.executable, "-c", PROBE, action], capture_output=True,
                              text=True, env=_env(data_dir, **extra), cwd="/", timeout=180,
                              check=False)
    return _as_user(user, PROBE, action, env={"BACKOFFICE_DATA_DIR": str(data_dir), **extra})


@contextlib.contextmanager
def _server(data_dir: Path, *, user: str | None = None, **extra: str):
    started = _probe(data_dir, "start", user=user, **extra)
    try:
        assert started.returncode == 0, started.stderr[-2000:]
        yield json.loads(started.stdout.strip().splitlines()[-1])
    finally:
        stopped = _probe(data_dir, "stop", user=user, **extra)
        assert stopped.returncode == 0, stopped.stderr[-2000:]


@pytest.fixture
def base():
    """A fresh folder the owner made passable (0711: the owner's choice), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="bo-private-", dir="/tmp"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _modes(path: Path) -> dict[Path, tuple[int, int, int]]:
    return {p: (stat.S_IMODE(p.stat().st_mode), p.stat().st_uid, p.stat().st_gid)
            for p in path.parents}


def _ids(pid: int) -> dict[str, list[int]]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {line.split(":")[0]: [int(v) for v in line.split(":")[1].split()]
            for line in lines if line.startswith(("Uid:", "Gid:", "Groups:"))}


def _assert_private(data_dir: Path, info: dict, account: pwd.struct_passwd, starter: str):
    pgdata = data_dir / "pgdata"
    data_mode = stat.S_IMODE(data_dir.stat().st_mode)
    assert data_mode & 0o066 == 0, oct(data_mode)  # nobody else lists or writes the data dir
    assert stat.S_IMODE(pgdata.stat().st_mode) == 0o700
    assert (pgdata.stat().st_uid, pgdata.stat().st_gid) == (account.pw_uid, account.pw_gid)
    socket_dir = Path(info["socket_dir"])
    assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
    assert socket_dir.stat().st_uid == account.pw_uid
    assert stat.S_IMODE((socket_dir / ".s.PGSQL.5432").stat().st_mode) == 0o700
    rules = [line.split() for line in (pgdata / "pg_hba.conf").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert rules == [["local", "all", "all", "peer", "map=backoffice"]]
    idents = [line.split() for line in (pgdata / "pg_ident.conf").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert sorted(map(tuple, idents)) == sorted(
        {("backoffice", name, "all") for name in (account.pw_name, starter)})
    ids = _ids(info["pid"])
    assert set(ids["Uid"]) == {account.pw_uid}
    assert set(ids["Gid"]) == {account.pw_gid} and account.pw_gid != 0
    assert set(ids["Groups"]) <= {account.pw_gid}


def _server_account() -> pwd.struct_passwd:
    return pwd.getpwnam(SERVER_USER) if IS_ROOT else pwd.getpwuid(os.geteuid())


def _starter() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def _nobody_can_connect(socket_dir: str) -> subprocess.CompletedProcess:
    return _as_user("nobody", CONNECT, socket_dir)


@pytest.mark.skipif(not IS_ROOT, reason="starts the server as root: run the suite as root")
def test_embedded_server_started_by_root_opens_no_parent_and_runs_in_its_own_group(base):
    kept = base / "owner-set"
    kept.mkdir()
    kept.chmod(0o751)
    data_dir = kept / "data"
    before = _modes(data_dir)
    with _server(data_dir) as info:
        assert _modes(data_dir) == before  # not one parent's mode or owner changed
        assert info["socket_dir"] == str(data_dir / "pgdata")
        _assert_private(data_dir, info, _server_account(), _starter())
        refused = _nobody_can_connect(info["socket_dir"])
        assert refused.returncode == 3, refused.stdout + refused.stderr
    assert _modes(data_dir) == before


@pytest.mark.skipif(not IS_ROOT, reason="starts the server as root: run the suite as root")
def test_embedded_server_with_a_long_path_keeps_its_socket_private_whatever_xdg_runtime_dir(
        base):
    """The socket path is too long for PGDATA: a fresh 0700 folder of the server user, not the
    (here world-writable) XDG_RUNTIME_DIR; another local account cannot connect."""
    deep = base / ("x" * 60) / ("y" * 40)
    deep.mkdir(parents=True)
    for folder in (deep, deep.parent):
        folder.chmod(0o711)
    xdg = base / "xdg"
    xdg.mkdir()
    xdg.chmod(0o777)
    data_dir = deep / "data"
    before = _modes(data_dir)
    with _server(data_dir, XDG_RUNTIME_DIR=str(xdg)) as info:
        socket_dir = Path(info["socket_dir"])
        assert socket_dir != data_dir / "pgdata" and socket_dir.parent == Path("/tmp")
        assert not str(socket_dir).startswith(str(xdg))
        _assert_private(data_dir, info, _server_account(), _starter())
        refused = _nobody_can_connect(str(socket_dir))
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert "Permission denied" in refused.stdout
        assert _modes(data_dir) == before
    assert not socket_dir.exists()  # the stop removes the private socket folder
    assert list(xdg.iterdir()) == []


@pytest.mark.skipif(not IS_ROOT, reason="starts the server as root: run the suite as root")
def test_embedded_server_refuses_to_open_a_parent_the_server_user_cannot_pass(base):
    closed = base / "closed"
    closed.mkdir()
    closed.chmod(0o700)
    done = _probe(closed / "data", "start")
    assert done.returncode != 0
    assert f"cannot reach the folder {closed} (mode 700)" in done.stderr
    assert stat.S_IMODE(closed.stat().st_mode) == 0o700


def _normal_user() -> str | None:
    """As root: a normal account made for the test (and the system interpreter it can run);
    otherwise we are the normal user."""
    if not IS_ROOT:
        return None
    try:
        pwd.getpwnam(NORMAL_USER)
    except KeyError:
        subprocess.run(["useradd", "--user-group", "--no-create-home", "--home-dir",
                        "/nonexistent", "--shell", "/usr/sbin/nologin", NORMAL_USER],
                       check=True, capture_output=True)
    usable = _as_user(NORMAL_USER, "import sqlalchemy, psycopg, embedded_postgres, backoffice_lib")
    if usable.returncode != 0:
        pytest.skip(f"{NORMAL_USER} cannot run the workbench with {SYSTEM_PYTHON}:"
                    f" {usable.stderr.strip().splitlines()[-1:]}")
    return NORMAL_USER


def test_embedded_server_started_by_a_normal_user_is_private(base):
    user = _normal_user()
    home = base / "home"
    home.mkdir(mode=0o755)
    if user is not None:
        os.chown(home, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    account = pwd.getpwnam(user) if user else pwd.getpwuid(os.geteuid())
    data_dir = home / "data"
    before = _modes(data_dir)
    with _server(data_dir, user=user) as info:
        assert _modes(data_dir) == before
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        assert grp.getgrgid(account.pw_gid).gr_name != "root"
        _assert_private(data_dir, info, account, account.pw_name)
