"""Verified backups: a backup is only as good as its restore.

``run_verified_backup`` (``backoffice db backup``, the ``db-backup`` job) opens a REPEATABLE READ
transaction, exports its snapshot and dumps the database *in that snapshot* (``pg_dump
--snapshot``) while the same transaction takes every table's row count and an md5 over its rows in
primary-key order: the figures are those of the moment of the dump, whatever rows arrive
meanwhile. The dump is then restored the way ``db restore`` restores (``backup.run_restore``) into
a scratch database of a unique name (two verifications at once never meet), created and dropped
here, and the same figures taken there must be equal, table by table.

The verification is written next to the backup as a JSON sidecar (``<backup>.json``, owner-only):
when it was made, the figures, what was compared and any difference. A backup that does not
verify is kept (to be looked at) and its sidecar says why; the caller fails. With
BACKOFFICE_BACKUP_DIR set, a verified backup and its sidecar are copied there too (another
disk). Rotation (``run_rotate_backups``) deletes, in each folder, the backups this workbench named
itself (``backoffice-<UTC>-<id>.dump``) that ``rules.choose_backups_to_keep`` does not keep;
files given by name (``--out``) and the automatic ``before-restore-*`` backups are never touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ... import access, audit, bangkok, database, settings
from .. import rules
from ..queries import backup as backup_queries
from . import backup

AREA = backup.AREA
BACKUP_NAME = re.compile(r"^backoffice-(\d{8}T\d{6}Z)-[0-9a-f]{6}\.dump$")
SIDECAR_SUFFIX = ".json"
SCRATCH_PREFIX = "backoffice_verify_"


class BackupNotVerified(backup.BackupError):
    """The backup was written but its restore did not give back the database of its moment;
    ``record`` is what its sidecar says."""

    def __init__(self, message: str, record: dict[str, Any]) -> None:
        super().__init__(message)
        self.record = record


# --- names and sidecars ---------------------------------------------------------------------------


def compute_backup_name(moment: dt.datetime) -> str:
    """``backoffice-20261206T050000Z-1a2b3c.dump``: the UTC moment and a random part (two backups
    in the same second never share a file)."""
    return f"backoffice-{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}.dump"


def sidecar_path(file: Path) -> Path:
    return file.with_name(file.name + SIDECAR_SUFFIX)


def compute_differences(
    source: dict[str, tuple[int, str]], restored: dict[str, tuple[int, str]]
) -> list[str]:
    """Each table whose restore differs from the source: missing, extra, rows or md5."""
    found = []
    for name in sorted(set(source) | set(restored)):
        if name not in restored:
            found.append(f"{name}: missing after the restore")
        elif name not in source:
            found.append(f"{name}: not in the source")
        elif source[name][0] != restored[name][0]:
            found.append(f"{name}: {source[name][0]} rows, {restored[name][0]} after the restore")
        elif source[name][1] != restored[name][1]:
            found.append(f"{name}: same {source[name][0]} rows but different contents (md5)")
    return found


def save_sidecar(file: Path, record: dict[str, Any]) -> Path:
    return settings.write_private_text(sidecar_path(file),
                                       json.dumps(record, indent=1, sort_keys=True) + "\n")


def load_sidecar(file: Path) -> dict[str, Any] | None:
    try:
        return json.loads(sidecar_path(file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- making and verifying -------------------------------------------------------------------------


def run_snapshot_backup(target: Path, engine: Engine) -> tuple[Path, dict[str, tuple[int, str]]]:
    """Dump the database to ``target`` in one exported snapshot and return, with the file, every
    table's (rows, md5) in that same snapshot (taken while pg_dump reads)."""
    reader = engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                                postgresql_readonly=True)
    try:
        with reader.begin():
            snapshot = backup_queries.load_exported_snapshot(reader)
            with ThreadPoolExecutor(max_workers=1) as pool:
                figures = pool.submit(backup_queries.load_table_fingerprints, reader)
                written = backup.run_backup(target, engine, snapshot=snapshot)
                return written, figures.result()
    finally:
        reader.close()


def compute_scratch_name(now: dt.datetime) -> str:
    """A scratch database's name: unique, with its UTC creation time (to drop it later if a
    killed verification left it)."""
    return f"{SCRATCH_PREFIX}{now.astimezone(dt.UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:10]}"


def run_verify_backup(file: Path, source: dict[str, tuple[int, str]], engine: Engine,
                      name: str | None = None) -> list[str]:
    """Restore ``file`` into a scratch database (``name``, default a new unique one; dropped
    after) and compare every table with ``source``; the differences (empty: verified). A restore
    that fails raises. Scratch databases a killed verification left are dropped first."""
    now = dt.datetime.now(dt.UTC)
    for stale in rules.choose_stale_scratch_databases(
            backup_queries.load_database_names(engine, SCRATCH_PREFIX), SCRATCH_PREFIX, now):
        backup_queries.save_dropped_database(engine, stale)
    name = name or compute_scratch_name(now)
    with backup_queries.scratch_database_engine(engine, name) as scratch:
        backup.run_restore(file, scratch)
        with scratch.begin() as conn:
            restored = backup_queries.load_table_fingerprints(conn)
    return compute_differences(source, restored)


def run_copy_backup(file: Path, folder: Path) -> Path:
    """Copy ``file`` into ``folder`` (owner-only, through a partial name and a rename)."""
    target = folder / file.name
    partial = target.with_name(target.name + ".part")
    try:
        settings.private_dir(folder, narrow_existing=False)
        with open(file, "rb") as source, os.fdopen(settings.open_private(partial), "wb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise backup.BackupError(f"cannot copy the backup to {folder}: {exc.strerror}") from exc
    return target


def run_verified_backup(
    user_email: str | None, out: str | Path | None = None, *, engine: Engine | None = None,
    folder: Path | None = None, copy_dir: Path | None | bool = True,
) -> dict[str, Any]:
    """Make a backup and verify it (admins); the sidecar's record, also written next to it.

    ``out``: the file to write (default ``<folder>/backoffice-<UTC>-<id>.dump``, ``folder``
    defaulting to the data dir's ``backups/``). ``copy_dir``: True for BACKOFFICE_BACKUP_DIR,
    else a folder or None. Raises BackupError (dump or restore failed, or a verified backup that
    could not be copied) or BackupNotVerified (written, sidecar says why); the backup is audited
    either way once written.
    """
    engine = engine or database.get_engine()
    user = access.require(user_email, AREA, admin=True, engine=engine)
    database.check_connection(engine)
    started = dt.datetime.now(dt.UTC)
    target = (Path(out) if out else (folder or backup.backups_dir())
              / compute_backup_name(started)).resolve()
    if target.suffix == SIDECAR_SUFFIX:
        raise backup.BackupError(f"{target.name}: a backup file may not end in {SIDECAR_SUFFIX}")
    if not target.parent.exists():
        try:
            settings.private_dir(target.parent)
        except OSError as exc:
            raise backup.BackupError(f"cannot write {target}: {exc.strerror}") from exc
    clock = time.perf_counter()
    written, source = run_snapshot_backup(target, engine)
    record: dict[str, Any] = {
        "file": written.name, "path": str(written), "size": written.stat().st_size,
        "made_at": started.isoformat(), "database": database.masked_url(engine.url),
        "tables_compared": len(source), "rows_compared": sum(n for n, _ in source.values()),
        "tables": {name: list(figures) for name, figures in source.items()},
        "dump_seconds": round(time.perf_counter() - clock, 2), "copied_to": [],
    }
    record.update(run_verification_record(written, source, engine))
    second = settings.backup_copy_dir() if copy_dir is True else copy_dir or None
    copy_error = None
    if record["verified"] and second is not None and second.resolve() != written.parent:
        try:
            record["copied_to"] = [str(run_copy_backup(written, second))]
        except backup.BackupError as exc:
            copy_error = record["copy_error"] = str(exc)
    for where in (written, *map(Path, record["copied_to"])):
        save_sidecar(where, record)
    with database.transaction(engine) as conn:
        audit.record(conn, user.email, "BACKUP", "database", record["database"], details={
            "file": str(written), "verified": record["verified"],
            "tables_compared": record["tables_compared"], "rows": record["rows_compared"],
            "copied_to": record["copied_to"], "problem": compute_problem(record)})
    if not record["verified"]:
        raise BackupNotVerified(f"backup {written} NOT verified: {compute_problem(record)}",
                                record)
    if copy_error:
        raise backup.BackupError(f"backup {written} verified, but {copy_error}")
    return record


def run_verification_record(file: Path, source: dict[str, tuple[int, str]],
                            engine: Engine) -> dict[str, Any]:
    """The verification's part of a sidecar: verified, differences, error, scratch database,
    when, and how long it took."""
    clock = time.perf_counter()
    found: dict[str, Any] = {"differences": [], "error": None,
                             "scratch_database": compute_scratch_name(dt.datetime.now(dt.UTC))}
    try:
        found["differences"] = run_verify_backup(file, source, engine, found["scratch_database"])
    except backup.BackupError as exc:
        found["error"] = f"the restore into a scratch database failed: {exc}"
    found["verified"] = not found["differences"] and found["error"] is None
    found["verified_at"] = dt.datetime.now(dt.UTC).isoformat()
    found["verify_seconds"] = round(time.perf_counter() - clock, 2)
    return found


def compute_problem(record: dict[str, Any]) -> str | None:
    """Why a backup did not verify, in one line (None when it did)."""
    if record.get("error"):
        return record["error"]
    differences = record.get("differences") or []
    if differences:
        return f"{len(differences)} tables differ after a restore: " + "; ".join(differences[:3])
    return None


# --- listing and rotation -------------------------------------------------------------------------


def _made_at(file: Path, sidecar: dict | None) -> dt.datetime:
    if sidecar and sidecar.get("made_at"):
        try:
            return dt.datetime.fromisoformat(sidecar["made_at"])
        except ValueError:
            pass
    named = BACKUP_NAME.match(file.name)
    if named:
        return dt.datetime.strptime(named.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(file.stat().st_mtime, dt.UTC)


def load_backups(folders: list[Path] | None = None) -> list[dict[str, Any]]:
    """The backups (``*.dump``) of the data dir's ``backups/`` and BACKOFFICE_BACKUP_DIR (or of
    ``folders``), newest first: file, folder, size, made at, verified, tables compared, copies."""
    if folders is None:
        folders = [backup.backups_dir()]
        second = settings.backup_copy_dir()
        if second is not None and second != folders[0].resolve():
            folders.append(second)
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for file in folder.glob("*.dump"):
            if not file.is_file():
                continue
            sidecar = load_sidecar(file)
            found.append({
                "file": file.name, "folder": str(folder), "size": file.stat().st_size,
                "made_at": _made_at(file, sidecar),
                "verified": bool(sidecar and sidecar.get("verified")),
                "verified_at": (sidecar or {}).get("verified_at"),
                "tables_compared": (sidecar or {}).get("tables_compared") or 0,
                "rows_compared": (sidecar or {}).get("rows_compared") or 0,
                "copied_to": (sidecar or {}).get("copied_to") or [],
                "problem": compute_problem(sidecar or {}),
            })
    return sorted(found, key=lambda b: (b["made_at"], b["file"], b["folder"]), reverse=True)


def load_last_verified_at(folders: list[Path] | None = None) -> dt.datetime | None:
    """When the newest verified backup was made (None: none)."""
    return next((b["made_at"] for b in load_backups(folders) if b["verified"]), None)


def run_rotate_backups(
    folder: Path, today: dt.date | None = None, *, daily: int = rules.DEFAULT_KEEP_DAILY,
    weekly: int = rules.DEFAULT_KEEP_WEEKLY, monthly: int = rules.DEFAULT_KEEP_MONTHLY,
) -> list[str]:
    """Delete the workbench-named backups of ``folder`` (and their sidecars) that rotation does
    not keep; the names deleted. Other files in the folder are never touched."""
    today = today or bangkok.today()
    candidates = {}
    for listed in load_backups([folder]):
        if BACKUP_NAME.match(listed["file"]):
            candidates[listed["file"]] = rules.BackupFile(listed["file"], listed["made_at"],
                                                          listed["verified"])
    keep = rules.choose_backups_to_keep(candidates.values(), today, daily, weekly, monthly)
    removed = sorted(set(candidates) - keep)
    for name in removed:
        (folder / name).unlink(missing_ok=True)
        sidecar_path(folder / name).unlink(missing_ok=True)
    return removed


def compute_backups_table(listed: list[dict[str, Any]]) -> str:
    """``db backups``: one line per backup, Bangkok time, newest first."""
    header = ("made (Bangkok)", "verified", "tables", "size", "file", "copied to")
    lines = [header]
    for item in listed:
        verified = "yes" if item["verified"] else ("NO" if item["problem"] else "no")
        lines.append((
            item["made_at"].astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M"), verified,
            str(item["tables_compared"] or "-"), f"{item['size']:,}",
            str(Path(item["folder"]) / item["file"]), ", ".join(item["copied_to"]) or "-"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths))
                     + "  " + line[-1] for line in lines)
