"""Notebook runs: papermill into an immutable run folder, with a manifest and a run-history row.

``execute_notebook`` is what ``backoffice jobs`` calls, and what any other entry point that runs a
notebook as a report should call. Each run gets its own folder::

    <data_dir>/runs/<job_name>/<UTC timestamp>-<short id>/
        <notebook name>.ipynb   the executed notebook (outputs included)
        outputs/                what the notebook wrote to its ``output_dir`` parameter
        manifest.json           parameters, timings, status, error, sha256 of every output

and a row in ``backoffice.job_runs``. A run whose notebook raises, or which finishes without one of
its expected outputs, is ``failed`` with the reason: it never looks like success. Files of a
finished run are made read-only; a run folder is never reused.

The notebook runs with kernel ``python3`` in its own folder (as under Voilà), with the
parameters given plus ``output_dir`` (absolute). The kernel inherits the database URL in use
(``engine``'s when given), an absolute BACKOFFICE_DATA_DIR and a private XDG_RUNTIME_DIR, so
that relative paths and platformdirs' warning never leak into a report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fnmatch
import hashlib
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .. import database, settings
from ..models.jobs import JobRun

JOB_RUNS = JobRun.__table__
KERNEL_NAME = "python3"
OUTPUTS_FOLDER = "outputs"
MANIFEST_NAME = "manifest.json"
DEFAULT_CELL_TIMEOUT = 900


class RunError(ValueError):
    """A run cannot even start (no such notebook, bad job name); the message is for a person."""


@dataclass(frozen=True)
class RunResult:
    run_id: uuid.UUID
    job_name: str
    notebook: Path
    status: str  # succeeded | failed
    run_dir: Path
    executed_notebook: Path
    output_dir: Path
    parameters: dict[str, Any]
    started_at: dt.datetime
    finished_at: dt.datetime
    duration_seconds: float
    outputs: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    @property
    def manifest_path(self) -> Path:
        return self.run_dir / MANIFEST_NAME


# --- pure helpers -------------------------------------------------------------------------------


def compute_run_folder_name(started_at: dt.datetime, run_id: uuid.UUID) -> str:
    """``20261125T220405Z-1a2b3c4d``: sortable by time, unique by id."""
    stamp = started_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{run_id.hex[:8]}"


def compute_missing_outputs(expected: Sequence[str], present: Mapping[str, int]) -> list[str]:
    """Which expected outputs (relative paths or glob patterns) have no non-empty file.

    ``present`` maps each relative path found in the output folder to its size in bytes.
    """
    problems = []
    for pattern in expected:
        matches = [p for p in present if fnmatch.fnmatchcase(p, pattern)]
        if not matches:
            problems.append(f"{pattern} (not written)")
        elif all(present[p] == 0 for p in matches):
            problems.append(f"{pattern} (empty)")
    return problems


DISK_FULL = "the disk is full"
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
DISK_FULL_TEXTS = tuple(os.strerror(code) for code in sorted(DISK_FULL_ERRNOS))
DISK_FULL_CLEANED = ("; the run's half-written files were removed (earlier runs are untouched):"
                     " free space, then start it again")


def compute_disk_full(exc: BaseException) -> str | None:
    """``the disk is full: ...`` when a write failed for want of space (no space left, over
    the quota, or a file over the size allowed), in this process or in the notebook's kernel
    (papermill's cell error); else None."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        where = f" (writing {Path(exc.filename).name})" if exc.filename else ""
        return settings.mask_secrets(f"{DISK_FULL}: {exc.strerror}{where}")
    evalue = str(getattr(exc, "evalue", "") or "").strip()
    if getattr(exc, "ename", None) and any(text in evalue for text in DISK_FULL_TEXTS):
        cell = getattr(exc, "exec_count", None)
        where = f" in cell [{cell}]" if cell is not None else ""
        return settings.mask_secrets(f"{DISK_FULL}{where}: {evalue.splitlines()[0]}")
    return None


def compute_error_reason(exc: BaseException) -> str:
    """One readable line for a failed run: a full disk said so, papermill's cell error, or the
    exception itself; a URL's password masked (the line is saved and shown on the runs page)."""
    full = compute_disk_full(exc)
    if full:
        return full
    ename = getattr(exc, "ename", None)
    if ename:
        evalue = str(getattr(exc, "evalue", "") or "").strip()
        cell = getattr(exc, "exec_count", None)
        where = f" in cell [{cell}]" if cell is not None else ""
        return settings.mask_secrets(f"{ename}{where}: {evalue}" if evalue else f"{ename}{where}")
    text = str(exc).strip().splitlines()
    return settings.mask_secrets(f"{type(exc).__name__}: {text[0]}" if text
                                 else type(exc).__name__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


# --- data access (take conn, never commit) ------------------------------------------------------


def save_run_started(
    conn: Connection,
    *,
    run_id: uuid.UUID,
    job_name: str,
    notebook: str,
    parameters: dict,
    run_dir: str,
    started_at: dt.datetime,
    trigger: str = "manual",
    period_key: str | None = None,
    requested_by: str | None = None,
) -> None:
    conn.execute(
        sa.insert(JOB_RUNS).values(
            id=run_id,
            job_name=job_name,
            notebook=notebook,
            parameters=_jsonable(parameters),
            trigger=trigger,
            period_key=period_key,
            requested_by=requested_by,
            status="running",
            run_dir=run_dir,
            started_at=started_at,
            pid=os.getpid(),
            host=socket.gethostname(),
        )
    )


def save_run_finished(
    conn: Connection,
    *,
    run_id: uuid.UUID,
    status: str,
    error: str | None,
    outputs: dict,
    finished_at: dt.datetime,
    duration_seconds: float,
) -> None:
    conn.execute(
        sa.update(JOB_RUNS)
        .where(JOB_RUNS.c.id == run_id)
        .values(
            status=status,
            error=error,
            outputs=_jsonable(outputs),
            finished_at=finished_at,
            duration_seconds=Decimal(f"{duration_seconds:.3f}"),
        )
    )


ABANDONED_REASON = ("interrupted: the run's process ended before the run finished (stopped, "
                    "killed or the machine restarted); start it again")


def compute_process_gone(pid: int | None, started_at: dt.datetime) -> bool:
    """Whether the process that ran a run (started at ``started_at``) no longer exists.

    A pid reused by a later process does not count as alive: its start must precede the run's.
    """
    import psutil

    if pid is None:
        return False  # recorded before processes were: nothing to tell
    try:
        created = psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return True
    except psutil.Error:
        return False
    return created > started_at.timestamp() + 1


def save_abandoned_runs(conn: Connection) -> list[uuid.UUID]:
    """Mark failed the running runs of this machine whose process is gone; returns their ids."""
    host = socket.gethostname()
    rows = conn.execute(
        sa.select(JOB_RUNS.c.id, JOB_RUNS.c.pid, JOB_RUNS.c.started_at)
        .where(JOB_RUNS.c.status == "running", JOB_RUNS.c.host == host)
    ).all()
    gone = [row.id for row in rows if compute_process_gone(row.pid, row.started_at)]
    if gone:
        conn.execute(
            sa.update(JOB_RUNS)
            .where(JOB_RUNS.c.id.in_(gone), JOB_RUNS.c.status == "running")
            .values(status="failed", error=ABANDONED_REASON, finished_at=sa.func.now())
        )
    return gone


def load_runs(conn: Connection, *, job_name: str | None = None, limit: int = 20) -> list[dict]:
    """The latest runs, newest first."""
    query = sa.select(JOB_RUNS).order_by(JOB_RUNS.c.started_at.desc()).limit(limit)
    if job_name:
        query = query.where(JOB_RUNS.c.job_name == job_name)
    return [dict(row._mapping) for row in conn.execute(query)]


def load_running_runs(conn: Connection, *, requested_by: str | None = None) -> list[dict]:
    query = sa.select(JOB_RUNS).where(JOB_RUNS.c.status == "running")
    if requested_by is not None:
        query = query.where(JOB_RUNS.c.requested_by == requested_by,
                            JOB_RUNS.c.trigger == "manual")
    return [dict(row._mapping) for row in conn.execute(query)]


def load_run(conn: Connection, run_id: uuid.UUID) -> dict | None:
    row = conn.execute(sa.select(JOB_RUNS).where(JOB_RUNS.c.id == run_id)).first()
    return dict(row._mapping) if row else None


# --- files --------------------------------------------------------------------------------------


def runs_root() -> Path:
    return settings.data_dir() / "runs"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _list_outputs(output_dir: Path) -> dict[str, Path]:
    return {
        p.relative_to(output_dir).as_posix(): p
        for p in sorted(output_dir.rglob("*"))
        if p.is_file()
    }


def _make_read_only(run_dir: Path) -> None:
    """A finished run: files read-only and owner-only (0400), folders 0700 (issue 12: run
    folders hold payslips and personal data), whatever the umask the notebook ran with."""
    settings.make_private(run_dir, read_only=True)


def ensure_runtime_dir() -> Path:
    """A private XDG_RUNTIME_DIR (platformdirs warns into notebook outputs when it is unset)."""
    current = os.environ.get("XDG_RUNTIME_DIR")
    if current and Path(current).is_dir():
        return Path(current)
    runtime = settings.data_dir() / "runtime"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    runtime.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    return runtime


def database_url_for_kernels(engine: Engine | None = None) -> str:
    """The URL kernels should use: the caller's engine, else the one in use (resolved once here,
    so that a kernel does not attach to the embedded server again, ~2 s)."""
    url = engine.url if engine is not None else database.database_url()
    return url.render_as_string(hide_password=False)


# What a page's kernel knows of Voilà and of the request that opened it. A run never inherits it:
# a run's kernel that believes it is a preheated Voilà kernel waits for a page request that never
# comes (the "who is signed in" step of a report started from a dashboard).
PAGE_ENV_PREFIXES = ("VOILA_", "HTTP_")
PAGE_ENV_NAMES = ("QUERY_STRING", "SCRIPT_NAME", "PATH_INFO", "SERVER_NAME", "SERVER_PORT",
                  "SERVER_PROTOCOL", "SERVER_SOFTWARE", "REQUEST_METHOD", "REMOTE_ADDR")


def compute_is_page_variable(name: str) -> bool:
    return name.startswith(PAGE_ENV_PREFIXES) or name in PAGE_ENV_NAMES


@contextlib.contextmanager
def kernel_environment(engine: Engine | None = None) -> Iterator[None]:
    """Environment the kernel inherits: database URL, absolute data dir, private runtime dir, and
    nothing of a Voilà page or request (see ``PAGE_ENV_PREFIXES``)."""
    keys = ("BACKOFFICE_DATA_DIR", "XDG_RUNTIME_DIR", "BACKOFFICE_DATABASE_URL",
            *(k for k in os.environ if compute_is_page_variable(k)))
    saved = {k: os.environ.get(k) for k in keys}
    try:
        for key in keys:
            if compute_is_page_variable(key):
                del os.environ[key]
        os.environ["BACKOFFICE_DATA_DIR"] = str(settings.data_dir())
        os.environ["BACKOFFICE_DATABASE_URL"] = database_url_for_kernels(engine)
        ensure_runtime_dir()
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --- the run ------------------------------------------------------------------------------------


# --- runs at once -------------------------------------------------------------------------------
# At most BACKOFFICE_MAX_RUNS notebooks run at once on one database (default 2: a run is a kernel
# and a CPU's worth of pandas); the others wait for a slot. A slot is a PostgreSQL advisory lock
# held by the waiting process's own connection, so a killed run frees its slot by itself.
MAX_RUNS_ENV = "BACKOFFICE_MAX_RUNS"
DEFAULT_MAX_RUNS = 2
RUN_SLOT_KEY = 0x6F66_6669_6365_0000  # + slot number; distinct from run-due's lock
SLOT_POLL_SECONDS = 0.5


def max_runs() -> int:
    raw = os.environ.get(MAX_RUNS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_RUNS
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise RunError(f"{MAX_RUNS_ENV} must be a whole number from 1 to 64, not {raw!r}")
    return int(raw)


@contextlib.contextmanager
def run_slot(engine: Engine | None = None) -> Iterator[int]:
    """Wait for one of the ``max_runs()`` slots and hold it until the block ends."""
    slots = max_runs()
    engine = engine or database.get_engine()
    with engine.connect() as conn:
        while True:
            for slot in range(slots):
                if conn.scalar(sa.select(sa.func.pg_try_advisory_lock(RUN_SLOT_KEY + slot))):
                    conn.commit()
                    try:
                        yield slot
                    finally:
                        _release_slot(conn, slot)
                    return
            conn.commit()
            time.sleep(SLOT_POLL_SECONDS)


def _release_slot(conn: Connection, slot: int) -> None:
    """Free the slot; a database that restarted during the run has freed it already (the lock
    went with its session): the run's result is kept all the same."""
    try:
        conn.scalar(sa.select(sa.func.pg_advisory_unlock(RUN_SLOT_KEY + slot)))
        conn.commit()
    except sa.exc.DBAPIError as exc:
        if not database.is_disconnect(exc):
            raise


# A run's kernel talks to papermill over Unix sockets in a folder of its own under the data dir's
# runtime folder: two runs never pick the same socket names (the default is a fixed name in the
# notebook's folder, where runs at once broke each other), and nothing is left in the checkout.
STALE_RUNTIME_SECONDS = 60  # a folder this young may belong to a run whose row is not yet seen
SOCKET_PATH_MAX = 100  # a Unix socket's path: 108 bytes on Linux, with room for "-NN" and the NUL
SHORT_SOCKET_PREFIX = "backoffice-sockets-"


def run_runtime_root() -> Path:
    return settings.private_dir(settings.data_dir() / "runtime" / "runs")


def socket_dir(preferred: Path, name: str) -> Path:
    """A new private folder for a kernel's sockets: ``preferred`` (under the data dir), or, when
    its path is too long for a Unix socket, a private temporary folder of this user's."""
    import tempfile

    if len(str(preferred / "kernel-99")) <= SOCKET_PATH_MAX:
        return settings.private_dir(preferred)
    return Path(tempfile.mkdtemp(prefix=f"{SHORT_SOCKET_PREFIX}{name}-"))  # 0700


def remove_stale_runtime_dirs(conn: Connection) -> list[str]:
    """The socket folders of runs that are no longer running (a killed run's sockets)."""
    import tempfile

    running = {str(row.id) for row in conn.execute(
        sa.select(JOB_RUNS.c.id).where(JOB_RUNS.c.status == "running"))}
    folders = [(f, f.name) for f in run_runtime_root().iterdir()]
    folders += [(f, f.name.removeprefix(SHORT_SOCKET_PREFIX).rsplit("-", 1)[0])
                for f in Path(tempfile.gettempdir()).glob(SHORT_SOCKET_PREFIX + "*")
                if f.stat().st_uid == os.getuid()]
    removed = []
    now = time.time()
    for folder, run_id in folders:
        if (run_id not in running and folder.is_dir()
                and now - folder.stat().st_mtime > STALE_RUNTIME_SECONDS):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(run_id)
    return removed


def _papermill_run(
    notebook: Path, executed: Path, parameters: dict, timeout: int | None, engine: Engine | None,
    kernel_dir: Path,
) -> None:
    from .kernel_warmup import skip_slow_optional_imports

    skip_slow_optional_imports()  # papermill's import 1.2 s -> 0.3 s (nbformat's IRI checker)
    import papermill
    from traitlets.config import Config

    # A local kernel talks over Unix sockets in the run's own runtime folder: no TCP ports, no
    # "Kernel is running over TCP without encryption" warning, no socket shared with another run.
    ipc = Config({"KernelManager": {"transport": "ipc", "ip": str(kernel_dir / "kernel")}})
    with kernel_environment(engine), settings.private_umask():  # the kernel writes owner-only
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            cwd=str(notebook.parent),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            config=ipc,
        )


def execute_notebook(
    notebook: Path,
    parameters: dict,
    *,
    job_name: str,
    expected_outputs: Sequence[str] = (),
    output_root: Path | None = None,
    trigger: str = "manual",
    period_key: str | None = None,
    requested_by: str | None = None,
    timeout: int | None = DEFAULT_CELL_TIMEOUT,
    engine: Engine | None = None,
    run_id: uuid.UUID | None = None,
) -> RunResult:
    """Run ``notebook`` with ``parameters`` (+ ``output_dir``) into a new run folder.

    ``run_id`` (default: a new one) lets a caller that started the run elsewhere follow it.

    Never raises for a failing notebook: the result (and manifest, and job_runs row) says
    ``failed`` with the reason. Raises ``RunError`` when the run cannot start at all.
    ``expected_outputs`` are paths (or glob patterns) relative to the run's ``output_dir``.
    """
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise RunError(f"no notebook at {notebook}")
    if not job_name or "/" in job_name or job_name.startswith("."):
        raise RunError(f"bad job name {job_name!r}")
    if "output_dir" in parameters:
        raise RunError("output_dir is set by the run itself; do not pass it as a parameter")

    run_id = run_id or uuid.uuid4()
    started_at = dt.datetime.now(dt.UTC)
    root = Path(output_root).resolve() if output_root else runs_root()
    run_dir = root / job_name / compute_run_folder_name(started_at, run_id)
    settings.private_dir(run_dir.parent)
    run_dir.mkdir(mode=settings.PRIVATE_DIR_MODE, exist_ok=False)
    run_dir.chmod(settings.PRIVATE_DIR_MODE)
    output_dir = run_dir / OUTPUTS_FOLDER
    output_dir.mkdir(mode=settings.PRIVATE_DIR_MODE)
    output_dir.chmod(settings.PRIVATE_DIR_MODE)
    executed = run_dir / notebook.name
    given = dict(parameters)
    injected = {**given, "output_dir": str(output_dir)}

    with database.transaction(engine) as conn:
        save_abandoned_runs(conn)
        remove_stale_runtime_dirs(conn)
        save_run_started(
            conn,
            run_id=run_id,
            job_name=job_name,
            notebook=str(notebook),
            parameters=given,
            run_dir=str(run_dir),
            started_at=started_at,
            trigger=trigger,
            period_key=period_key,
            requested_by=requested_by,
        )

    kernel_dir = socket_dir(run_runtime_root() / str(run_id), str(run_id))
    error: str | None = None
    try:
        with run_slot(engine):  # waits its turn; the run's time counts from here
            clock = time.perf_counter()
            try:
                _papermill_run(notebook, executed, injected, timeout, engine, kernel_dir)
            except Exception as exc:  # noqa: BLE001 - recorded as a failed run below
                error = compute_error_reason(exc)
            duration = time.perf_counter() - clock
    finally:
        shutil.rmtree(kernel_dir, ignore_errors=True)
    finished_at = dt.datetime.now(dt.UTC)

    status, checksums = "failed", {}
    if not (error or "").startswith(DISK_FULL):
        try:
            status, error, checksums = _finish_run_folder(
                run_dir, output_dir, executed, notebook, error, expected_outputs, {
                    "run_id": str(run_id), "job_name": job_name, "given": given,
                    "trigger": trigger, "period_key": period_key,
                    "requested_by": requested_by, "started_at": started_at,
                    "finished_at": finished_at, "duration": duration})
        except OSError as exc:  # the manifest, the checksums: a disk that filled meanwhile
            error = compute_disk_full(exc)
            if error is None:
                raise
    if (error or "").startswith(DISK_FULL):
        status, checksums = "failed", {}
        error += DISK_FULL_CLEANED
        remove_half_written(run_dir)
        with contextlib.suppress(OSError):  # the folder says what happened, if it still can
            settings.write_private_text(run_dir / MANIFEST_NAME, json.dumps(
                {"run_id": str(run_id), "job_name": job_name, "status": status,
                 "error": error, "started_at": started_at.isoformat(),
                 "finished_at": finished_at.isoformat()}, indent=2) + "\n")

    with database.transaction(engine) as conn:
        save_run_finished(
            conn,
            run_id=run_id,
            status=status,
            error=error,
            outputs=checksums,
            finished_at=finished_at,
            duration_seconds=duration,
        )

    return RunResult(
        run_id=run_id,
        job_name=job_name,
        notebook=notebook,
        status=status,
        run_dir=run_dir,
        executed_notebook=executed,
        output_dir=output_dir,
        parameters=given,
        started_at=started_at,
        finished_at=finished_at,
        duration_seconds=duration,
        outputs=checksums,
        error=error,
    )


def remove_half_written(run_dir: Path) -> None:
    """A run that failed for a full disk: its folder is emptied (what it wrote is incomplete,
    and the space is wanted back), the folder itself kept as the run's row names it."""
    for path in list(run_dir.iterdir()):
        if path.is_dir() and not path.is_symlink():
            settings.make_private(path)  # a read-only tree is removable by its owner
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _finish_run_folder(run_dir: Path, output_dir: Path, executed: Path, notebook: Path,
                       error: str | None, expected_outputs: Sequence[str],
                       run: dict) -> tuple[str, str | None, dict]:
    """Judge the outputs, write the manifest and make the folder read-only: (status, error,
    checksums). Raises OSError when the disk fills while it writes."""
    duration, given, started_at, finished_at = (run["duration"], run["given"],
                                                 run["started_at"], run["finished_at"])
    job_name, trigger = run["job_name"], run["trigger"]
    period_key, requested_by = run["period_key"], run["requested_by"]
    files = _list_outputs(output_dir)
    if error is None:
        missing = compute_missing_outputs(
            list(expected_outputs), {name: path.stat().st_size for name, path in files.items()}
        )
        if missing:
            error = "missing expected outputs: " + ", ".join(missing)
    status = "failed" if error else "succeeded"
    checksums = {name: _sha256(path) for name, path in files.items()}

    manifest = {
        "run_id": run["run_id"],
        "job_name": job_name,
        "status": status,
        "error": error,
        "notebook": str(notebook),
        "executed_notebook": executed.name,
        "executed_notebook_sha256": _sha256(executed) if executed.exists() else None,
        "kernel": KERNEL_NAME,
        "cwd": str(notebook.parent),
        "parameters": _jsonable(given),
        "output_dir": str(output_dir),
        "expected_outputs": list(expected_outputs),
        "outputs": {
            name: {"sha256": checksums[name], "bytes": path.stat().st_size}
            for name, path in files.items()
        },
        "trigger": trigger,
        "period_key": period_key,
        "requested_by": requested_by,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "duration_seconds": round(duration, 3),
        "host": socket.gethostname(),
    }
    settings.write_private_text(run_dir / MANIFEST_NAME,
                                json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    _make_read_only(run_dir)
    return status, error, checksums
