"""Run files in the browser: each run's outputs at stable URLs, checked, audited, never outside.

``backoffice serve`` answers (``handlers()`` gives the tornado routes; ``serve.py`` adds them):

- ``/files/<run_id>/<path>``        one output of a run (``path`` as in its manifest, e.g.
                                    ``payroll_2026-10.xlsx`` or ``payslips/payslip_2026-10_E001.pdf``)
- ``/runs/<run_id>/<folder>.zip``   a zip of one output folder (``payslips.zip``)
- ``/runs/<run_id>/notebook.html``  the executed notebook rendered as HTML (no script, no CDN)

A file is served only when the run recorded it when it finished (``job_runs.outputs``: no listing,
no file added afterwards), only as a regular file inside the run's ``outputs/`` (no ``..``, no
symbolic link anywhere on the way), only to a signed-in user whose role covers the run (admins:
every run; a coach: the coach-earnings runs of their own coach code), with its content type and a
download file name. Every download writes an ``audit_logs`` row (``DOWNLOAD``) before a byte is
sent; every refusal writes ``ACCESS_DENIED``.

Importing this module imports neither tornado nor nbconvert.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import mimetypes
import os
import re
import stat
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import Connection, Engine

from .. import access, audit, database
from . import runs

RUN_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTEBOOK_HTML = "notebook.html"
COACH_NOTEBOOK = "packages/coach_earnings.ipynb"
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".zip": "application/zip",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
NOTEBOOK_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "frame-ancestors 'self'"
)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class FileRefused(LookupError):
    """No such file of this run (or not one that may be served): answered as 404."""


# --------------------------------------------------------------------------- pure


def compute_file_url(run_id: uuid.UUID | str, name: str, base_url: str = "/") -> str:
    return f"{base_url}files/{run_id}/{quote(name)}"


def compute_zip_url(run_id: uuid.UUID | str, folder: str, base_url: str = "/") -> str:
    return f"{base_url}runs/{run_id}/{quote(folder)}.zip"


def compute_notebook_url(run_id: uuid.UUID | str, base_url: str = "/") -> str:
    return f"{base_url}runs/{run_id}/{NOTEBOOK_HTML}"


def compute_zip_folders(outputs: Mapping[str, Any]) -> list[str]:
    """Output folders that hold files directly (each is offered as one zip)."""
    return sorted({PurePosixPath(name).parts[0] for name in outputs if "/" in name})


def compute_run_files(run: Mapping[str, Any], base_url: str = "/") -> list[dict]:
    """The files of a finished run with their URLs: outputs, folder zips, the notebook."""
    run_id = run["id"]
    outputs = dict(run.get("outputs") or {})
    files = [
        {"name": name, "kind": "output", "sha256": sha, "url": compute_file_url(run_id, name,
                                                                                   base_url)}
        for name, sha in sorted(outputs.items())
    ]
    files += [
        {"name": f"{folder}.zip", "kind": "zip", "sha256": None,
         "url": compute_zip_url(run_id, folder, base_url)}
        for folder in compute_zip_folders(outputs)
    ]
    if run.get("status") in ("succeeded", "failed"):
        files.append({"name": NOTEBOOK_HTML, "kind": "notebook", "sha256": None,
                      "url": compute_notebook_url(run_id, base_url)})
    return files


def compute_run_document(run: Mapping[str, Any], base_url: str = "/") -> dict:
    """One run for ``backoffice jobs list --format json`` (and other tools)."""
    seconds = run.get("duration_seconds")
    return {
        "id": str(run["id"]),
        "job": run["job_name"],
        "notebook": run["notebook"],
        "status": run["status"],
        "trigger": run["trigger"],
        "requested_by": run.get("requested_by"),
        "period": run.get("period_key"),
        "parameters": run.get("parameters") or {},
        "started_at": run["started_at"].isoformat(),
        "finished_at": run["finished_at"].isoformat() if run.get("finished_at") else None,
        "seconds": float(seconds) if seconds is not None else None,
        "error": run.get("error"),
        "folder": run["run_dir"],
        "files": compute_run_files(run, base_url),
    }


def compute_coach_of_run(run: Mapping[str, Any]) -> str | None:
    """The coach code a run belongs to (one coach's earnings), else None (an admins' run)."""
    notebook = str(run.get("notebook") or "").replace(os.sep, "/")
    coach = str((run.get("parameters") or {}).get("coach") or "").strip()
    if notebook.endswith(COACH_NOTEBOOK) and coach:
        return coach.upper()
    return None


def compute_may_see_run(user: access.User | None, run: Mapping[str, Any]) -> bool:
    """Admins see every run; a coach sees the coach-earnings runs of their own code."""
    if user is None:
        return False
    if user.is_admin:
        return True
    coach = compute_coach_of_run(run)
    return bool(coach and user.is_coach and (user.coach_code or "").upper() == coach)


def compute_output_name(name: str) -> PurePosixPath:
    """A requested output path, refused unless it is a plain relative path (no .., no /x)."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        raise FileRefused(f"not a file of this run: {name!r}")
    path = PurePosixPath(name)
    if any(part in ("", ".", "..") for part in path.parts) or path.as_posix() != name:
        raise FileRefused(f"not a file of this run: {name!r}")
    return path


def compute_content_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def compute_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def compute_download_name(run: Mapping[str, Any], name: str) -> str:
    return PurePosixPath(name).name


# --------------------------------------------------------------------------- files on disk


def _no_links_between(base: Path, target: Path) -> None:
    """Refuse when ``base`` or anything between it and ``target`` is a symbolic link."""
    current = base
    if current.is_symlink():
        raise FileRefused("the run folder is a link")
    for part in target.relative_to(base).parts:
        current = current / part
        if current.is_symlink():
            raise FileRefused(f"{current.name} is a link")


def resolve_output(run: Mapping[str, Any], name: str) -> Path:
    """The file ``name`` of ``run``'s outputs, or FileRefused (never a path outside them)."""
    relative = compute_output_name(name)
    if name not in (run.get("outputs") or {}):
        raise FileRefused(f"{name} is not a file of run {run['id']}")
    base = Path(run["run_dir"]) / runs.OUTPUTS_FOLDER
    target = base.joinpath(*relative.parts)
    _no_links_between(base, target)
    resolved = target.resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise FileRefused(f"{name} is outside the run folder")
    try:
        mode = os.lstat(resolved).st_mode
    except FileNotFoundError:
        raise FileRefused(f"{name} is no longer in the run folder") from None
    if not stat.S_ISREG(mode):
        raise FileRefused(f"{name} is not a regular file")
    return resolved


def build_folder_zip(run: Mapping[str, Any], folder: str) -> bytes:
    """A zip of the recorded outputs under ``folder`` (fixed dates: same files, same bytes)."""
    compute_output_name(folder)
    names = sorted(n for n in (run.get("outputs") or {}) if n.startswith(folder + "/"))
    if not names:
        raise FileRefused(f"run {run['id']} has no folder {folder}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, resolve_output(run, name).read_bytes())
    return buffer.getvalue()


_NOTEBOOK_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;
max-width:1200px;padding:0 24px;color:#1d2433}
table{border-collapse:collapse;font-size:13px;margin:6px 0 16px}
td,th{border-bottom:1px solid #e2e8f0;padding:3px 8px;text-align:right}
th{background:#f1f5f9}
pre{background:#f8fafc;padding:8px;overflow-x:auto}
.input_prompt,.prompt,a.anchor-link{display:none}
"""


def render_notebook_html(run: Mapping[str, Any]) -> str:
    """The executed notebook as one self-contained page: outputs only, no script, no CDN.

    nbconvert's ``basic`` template gives the body alone (the ``lab`` one links require.js,
    MathJax and mermaid from CDNs); the page adds its own small stylesheet.
    """
    from nbconvert import HTMLExporter

    run_dir = Path(run["run_dir"])
    executed = run_dir / Path(str(run["notebook"])).name
    if executed.is_symlink() or not executed.is_file():
        raise FileRefused(f"run {run['id']} has no executed notebook")
    exporter = HTMLExporter(template_name="basic", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_filename(str(executed))
    title = f"{run['job_name']} · {run['started_at']:%Y-%m-%d %H:%M} UTC · {run['status']}"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{_esc(title)}</title><style>{_NOTEBOOK_CSS}</style></head><body>"
        f"<p><small>{_esc(title)}</small></p>{body}</body></html>"
    )


def _esc(text: str) -> str:
    import html

    return html.escape(text)


# --------------------------------------------------------------------------- access and audit


def check_run_access(conn: Connection, email: str | None, run: Mapping[str, Any]) -> access.User:
    """The user allowed to see ``run``; otherwise the refusal is audited on ``conn`` and raised."""
    user = access.load_user(conn, email)
    if compute_may_see_run(user, run):
        return user
    if user is None:
        reason = (f"{email} is not an allowed user of the workbench" if email
                  else "nobody is signed in")
    elif compute_coach_of_run(run):
        reason = f"{user.email} may see only their own coaching files"
    else:
        reason = f"{user.email} is not an admin; the files of {run['job_name']} are for admins"
    audit.record(conn, email or "(anonymous)", "ACCESS_DENIED", "job_run", run["id"],
                 details={"reason": reason})
    raise access.AccessDenied(f"access refused: {reason}")


def open_run_for(
    email: str | None, run_id: str, *, engine: Engine | None = None
) -> tuple[dict, access.User]:
    """Load a run and check access in a transaction of its own (a refusal's audit row is kept).

    Raises FileRefused for an unknown run, AccessDenied for a refusal.
    """
    try:
        key = uuid.UUID(run_id)
    except ValueError:
        raise FileRefused(f"no run {run_id!r}") from None
    refusal: access.AccessDenied | None = None
    with database.transaction(engine) as conn:
        run = runs.load_run(conn, key)
        if run is None:
            raise FileRefused(f"no run {run_id}")
        try:
            return run, check_run_access(conn, email, run)
        except access.AccessDenied as denied:
            refusal = denied
    raise refusal


def record_download(
    email: str, run: Mapping[str, Any], name: str, size: int, *, engine: Engine | None = None,
    ip_address: str | None = None,
) -> None:
    with database.transaction(engine) as conn:
        audit.record(conn, email, "DOWNLOAD", "job_run_file", f"{run['id']}/{name}",
                     details={"job": run["job_name"], "file": name, "bytes": size},
                     ip_address=ip_address)


def load_visible_runs(
    conn: Connection, email: str | None, *, limit: int = 50
) -> tuple[access.User | None, list[dict]]:
    """The latest runs the user may see (newest first)."""
    user = access.load_user(conn, email)
    rows = runs.load_runs(conn, limit=limit)
    return user, [row for row in rows if compute_may_see_run(user, row)]


# --------------------------------------------------------------------------- tornado


def handlers(base_url: str, user_of: Callable[[Any], str | None],
             extra: Sequence[tuple] = ()) -> list[tuple]:
    """Tornado routes of the run files; ``user_of(handler)`` names the signed-in user."""
    import tornado.web
    from jupyter_server.base.handlers import JupyterHandler

    from .. import ui

    class RunFileHandler(JupyterHandler):
        """Shared: who asks, which run, refusals as readable pages."""

        def _refuse(self, status: int, title: str, message: str) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(ui.compute_error_html(title, message))

        def _open(self, run_id: str) -> tuple[dict, str] | None:
            email = user_of(self)
            try:
                run, user = open_run_for(email, run_id)
            except FileRefused as exc:
                self._refuse(404, "No such file", str(exc))
                return None
            except access.AccessDenied as exc:
                self._refuse(403, "Access refused", str(exc).capitalize())
                return None
            return run, user.email

        def _send(self, email: str, run: dict, name: str, data: bytes, filename: str,
                  *, inline: bool = False) -> None:
            record_download(email, run, name, len(data), ip_address=self.request.remote_ip)
            self.set_header("Content-Type", compute_content_type(filename))
            if inline:
                self.set_header("Content-Security-Policy", NOTEBOOK_CSP)
            else:
                self.set_header("Content-Disposition", compute_disposition(filename))
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Cache-Control", "private, no-store")
            self.finish(data)

    class OutputHandler(RunFileHandler):
        @tornado.web.authenticated
        def get(self, run_id: str, name: str):
            opened = self._open(run_id)
            if opened is None:
                return
            run, email = opened
            try:
                path = resolve_output(run, name)
                data = path.read_bytes()
            except FileRefused as exc:
                self._refuse(404, "No such file", str(exc))
                return
            self._send(email, run, name, data, compute_download_name(run, name))

    class ZipHandler(RunFileHandler):
        @tornado.web.authenticated
        async def get(self, run_id: str, folder: str):
            opened = self._open(run_id)
            if opened is None:
                return
            run, email = opened
            try:  # off the event loop: other people's pages keep answering meanwhile
                data = await asyncio.get_running_loop().run_in_executor(
                    None, build_folder_zip, run, folder)
            except FileRefused as exc:
                self._refuse(404, "No such file", str(exc))
                return
            stamp = run["started_at"].astimezone(dt.UTC).strftime("%Y%m%d")
            self._send(email, run, f"{folder}.zip", data, f"{run['job_name']}_{stamp}_{folder}.zip")

    class NotebookHandler(RunFileHandler):
        @tornado.web.authenticated
        async def get(self, run_id: str):
            opened = self._open(run_id)
            if opened is None:
                return
            run, email = opened
            try:  # nbconvert takes a second: off the event loop
                page = (await asyncio.get_running_loop().run_in_executor(
                    None, render_notebook_html, run)).encode("utf-8")
            except FileRefused as exc:
                self._refuse(404, "No such file", str(exc))
                return
            self._send(email, run, NOTEBOOK_HTML, page, NOTEBOOK_HTML, inline=True)

    return [
        (f"{base_url}files/({RUN_ID})/(.+)", OutputHandler),
        (f"{base_url}runs/({RUN_ID})/{NOTEBOOK_HTML}", NotebookHandler),
        (f"{base_url}runs/({RUN_ID})/([A-Za-z0-9_.-]+)\\.zip", ZipHandler),
        *extra,
    ]
