"""Reports on demand and the Runs page of ``backoffice serve``.

- Each report card of the landing page gets a small form built from the catalog's parameters
  (``compute_form_fields``; a month picker for a month, a date picker for a date) for users whose
  role allows it. The form posts to ``/runs/start``; the values are validated
  (``compute_report_parameters``: a malformed or future month is refused before anything runs),
  then ``start_report_run`` starts the run in the background: a separate process
  (``python -m backoffice_lib.workbench.runs_page``) that runs the notebook through the jobs
  machinery (the job of ``jobs.yml`` that uses the notebook, else a job named after it), as the
  signed-in user, with a run id chosen here so that the caller can follow it.
- ``/runs`` lists the recent runs the user may see (job, parameters, who started it or the
  schedule, status, seconds, the failure reason) with their files.
- ``load_run_progress`` reads how far a run is (cells done of total, from the executed notebook
  papermill saves after each cell): the payroll close dashboard follows its run with it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc

from .. import access, audit, bangkok, database, settings
from ..values import parse_business_month
from . import catalog, files, runs

FILE_PARAMETERS = ("file",)  # need an upload: not offered as a form on the landing page
TEXT_PATTERN = re.compile(r"^[\w .@-]{0,80}$", re.ASCII)
DATE_NAMES = ("as_of", "date", "day")


class ReportRefused(ValueError):
    """A report that may not or cannot be started; the message is for a person."""


# --------------------------------------------------------------------------- forms (pure)


def compute_form_fields(entry: catalog.CatalogEntry) -> list[dict]:
    """The inputs of a report's form: name, HTML input type, default value."""
    fields = []
    for name, default in entry.parameters.items():
        if name == "output_dir":
            continue
        if name == "month" or name.endswith("_month"):
            kind = "month"
        elif name in DATE_NAMES or name.endswith("_date"):
            kind = "date"
        elif isinstance(default, bool):
            kind = "checkbox"
        elif isinstance(default, int):
            kind = "number"
        else:
            kind = "text"
        fields.append({"name": name, "type": kind, "default": default})
    return fields


def compute_may_run(user: access.User | None, entry: catalog.CatalogEntry) -> bool:
    """Admins run every report that needs no upload; a coach runs their own coach earnings."""
    if user is None or any(p in entry.parameters for p in FILE_PARAMETERS):
        return False
    if user.is_admin:
        return True
    return entry.path == files.COACH_NOTEBOOK and user.is_coach and bool(user.coach_code)


def compute_report_parameters(
    entry: catalog.CatalogEntry, form: Mapping[str, str], today: dt.date,
    user: access.User | None = None,
) -> dict[str, Any]:
    """The parameters of a run from a submitted form; ReportRefused names the bad value."""
    values: dict[str, Any] = {}
    for field in compute_form_fields(entry):
        name, kind = field["name"], field["type"]
        raw = str(form.get(name, "") or "").strip()
        if kind == "month":
            try:
                parse_business_month(raw)
            except bangkok.BadMonth as exc:
                raise ReportRefused(f"{name}: {exc}") from None
            if raw > bangkok.month_key(today):
                raise ReportRefused(f"{name}: {raw} is in the future")
            values[name] = raw
        elif kind == "date":
            if not raw and field["default"] == "":
                values[name] = ""
                continue
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                raise ReportRefused(f"{name}: pick a date (YYYY-MM-DD), not {raw!r}") from None
            if day > today or day.year < 2000:
                raise ReportRefused(f"{name}: {raw} is not a date a report can cover")
            values[name] = day.isoformat()
        elif kind == "number":
            if not re.fullmatch(r"[0-9]{1,4}", raw):
                raise ReportRefused(f"{name}: a whole number from 0 to 9999, not {raw!r}")
            values[name] = int(raw)
        elif kind == "checkbox":
            values[name] = raw in ("on", "true", "1")
        else:
            if not TEXT_PATTERN.match(raw):
                raise ReportRefused(f"{name}: letters, digits, spaces, . @ - only, not {raw!r}")
            values[name] = raw
    if user is not None and not user.is_admin and "coach" in values:
        values["coach"] = (user.coach_code or "").upper()  # a coach runs only their own
    return values


def compute_report_form_html(
    entry: catalog.CatalogEntry, *, xsrf: str, base_url: str = "/", today: dt.date,
    user: access.User | None = None,
) -> str:
    """A report card's small form (pure): one input per parameter, posting to /runs/start."""
    esc = html.escape
    inputs = []
    for field in compute_form_fields(entry):
        name, kind, default = field["name"], field["type"], field["default"]
        if kind == "month":
            value = bangkok.previous_month(bangkok.month_key(today))  # the month to close
            extra = f' max="{bangkok.month_key(today)}" required'
        elif kind == "date":
            value = default or ""
            extra = f' max="{today.isoformat()}"'
        elif kind == "checkbox":
            checked = " checked" if default else ""
            inputs.append(f'<label>{esc(name)} <input type="checkbox" name="{esc(name)}"'
                          f"{checked}></label>")
            continue
        else:
            value, extra = ("" if default is None else str(default)), ""
        if name == "coach" and user is not None and not user.is_admin:
            inputs.append(f'<input type="hidden" name="coach" value="{esc(user.coach_code or "")}">')
            continue
        inputs.append(f'<label>{esc(name)} <input type="{kind}" name="{esc(name)}" '
                      f'value="{esc(str(value))}"{extra}></label>')
    return (
        f'<form class="run-report" method="post" action="{esc(base_url)}runs/start">'
        f'<input type="hidden" name="_xsrf" value="{esc(xsrf)}">'
        f'<input type="hidden" name="notebook" value="{esc(entry.path)}">'
        f'{"".join(inputs)}<button type="submit">Run</button></form>'
    )


def load_report_forms(
    entries: Sequence[catalog.CatalogEntry], email: str | None, *, xsrf: str, base_url: str = "/",
) -> dict[str, str]:
    """The forms of the reports the signed-in user may run (path -> form HTML)."""
    if not email:
        return {}
    try:
        with database.transaction() as conn:
            user = access.load_user(conn, email)
    except (database.DatabaseUnavailable, sa_exc.OperationalError):
        return {}  # the landing page still lists the dashboards
    today = bangkok.today()
    forms = {
        e.path: compute_report_form_html(e, xsrf=xsrf, base_url=base_url, today=today, user=user)
        for e in entries
        if e.kind == "report" and compute_may_run(user, e)
    }
    if user is not None and user.is_admin:
        forms.update({
            e.path: '<p class="run-note">Needs an uploaded file: start it from its dashboard.</p>'
            for e in entries
            if e.kind == "report" and any(p in e.parameters for p in FILE_PARAMETERS)
        })
    return forms


# --------------------------------------------------------------------------- starting a run


def find_entry(path: str) -> catalog.CatalogEntry:
    entry = next((e for e in catalog.load_catalog() if e.path == path and e.kind == "report"),
                 None)
    if entry is None:
        raise ReportRefused(f"{path!r} is not a report of the catalog")
    return entry


# A run's process starts from a clean environment, like a scheduled run: the machine's basics
# and the workbench's settings, nothing of the process that starts it (a dashboard kernel's
# Voilà state, a request's headers, the server's secrets).
CHILD_ENV_NAMES = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "USER", "LOGNAME",
                   "VIRTUAL_ENV", "PYTHONPATH", "XDG_RUNTIME_DIR", "IPYTHONDIR", "JUPYTER_PATH")
CHILD_ENV_SETTINGS = ("BACKOFFICE_DATABASE_URL", "BACKOFFICE_DATA_DIR", "BACKOFFICE_JOBS_FILE",
                      "BACKOFFICE_NOTEBOOKS_DIR")
START_SECONDS = 20  # a run whose history row has not appeared by then is said to be late
STALL_SECONDS = 120  # one cell running longer than this is named on the page


def compute_child_environment(environ: Mapping[str, str], user: str) -> dict[str, str]:
    """The run's environment (pure): an allowlist of ``environ``, and the acting user named."""
    env = {k: v for k, v in environ.items()
           if k in CHILD_ENV_NAMES or k in CHILD_ENV_SETTINGS or k.startswith("LC_")}
    env["BACKOFFICE_USER"] = user
    return env


def _child_environment(user: str) -> dict[str, str]:
    env = compute_child_environment(os.environ, user)
    env["BACKOFFICE_DATA_DIR"] = str(settings.data_dir())
    env["BACKOFFICE_DATABASE_URL"] = runs.database_url_for_kernels()
    return env


# The processes this one started, so that a run whose process ended early is told at once.
_processes: dict[uuid.UUID, subprocess.Popen] = {}
# Reports one person may have in flight from the browser (queued or running); command-line and
# scheduled runs are never refused.
MAX_REPORTS_ENV = "BACKOFFICE_MAX_REPORTS_PER_PERSON"
DEFAULT_MAX_REPORTS = 3


def max_reports_per_person() -> int:
    raw = os.environ.get(MAX_REPORTS_ENV, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_REPORTS


def load_reports_in_flight(user: str, *, engine=None) -> int:
    """The person's reports started from a page that have not finished: their runs still
    running, and processes started here whose run has not appeared yet."""
    with database.transaction(engine) as conn:
        runs.save_abandoned_runs(conn)
        running = {row["id"] for row in runs.load_running_runs(conn, requested_by=user)}
    starting = [run_id for run_id, (process, who) in _starting.items()
                if who == user and process.poll() is None and run_id not in running]
    return len(running) + len(starting)


def check_may_start(user: str) -> None:
    """ReportRefused when the person already has as many reports in flight as allowed."""
    limit = max_reports_per_person()
    if load_reports_in_flight(user) >= limit:
        raise ReportRefused(f"you already have {limit} reports running: wait for one to finish "
                            "(the Runs page shows them)")


_starting: dict[uuid.UUID, tuple[subprocess.Popen, str]] = {}


def run_log_path(run_id: uuid.UUID) -> Path:
    return settings.data_dir() / "logs" / f"run-{run_id}.log"


def start_report_run(
    entry_path: str, parameters: Mapping[str, Any], user: str, *, run_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Start a report run in the background (its own process); returns the run's id at once.

    The caller has checked access and validated ``parameters``; the notebook checks access again
    as ``user``. The job_runs row appears when the process has started (about a second).
    """
    run_id = run_id or uuid.uuid4()
    settings.private_dir(settings.data_dir() / "logs")
    log = os.fdopen(os.open(run_log_path(run_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                    "wb")
    command = [
        sys.executable, "-m", "backoffice_lib.workbench.runs_page",
        "--run-id", str(run_id), "--notebook", entry_path,
        "--parameters", json.dumps(dict(parameters)),
    ]
    process = subprocess.Popen(
        command, env=_child_environment(user), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    log.close()
    for ended in [r for r, p in _processes.items() if p.poll() is not None]:
        _processes.pop(ended)  # a long-lived server keeps only the runs still going
        _starting.pop(ended, None)
    _processes[run_id] = process
    _starting[run_id] = (process, user)
    threading.Thread(target=process.wait, daemon=True, name=f"run-{run_id}").start()
    return run_id


def run_report(run_id: uuid.UUID, entry_path: str, parameters: dict) -> runs.RunResult:
    """What the background process does: the job that uses the notebook, else one named after
    it, through ``jobs.run_job`` / ``runs.execute_notebook`` (job_runs row, run folder,
    manifest)."""
    from . import jobs

    job = next((j for j in jobs.load_jobs() if j.notebook == entry_path), None)
    if job is not None:
        return jobs.run_job(job, overrides=parameters, trigger="manual", run_id=run_id)
    return runs.execute_notebook(
        catalog.notebooks_dir() / entry_path,
        parameters,
        job_name=Path(entry_path).stem.replace("_", "-"),
        trigger="manual",
        requested_by=settings.acting_user_from_env(),
        run_id=run_id,
    )


@dataclass(frozen=True)
class RunProgress:
    run_id: uuid.UUID
    status: str  # starting | running | succeeded | failed
    cells_done: int
    cells_total: int
    run: dict | None
    note: str = ""  # why a run is late, stalled or ended without a history row

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed")


def _cell_state(cell: Mapping[str, Any]) -> str:
    return (cell.get("metadata", {}).get("papermill", {}) or {}).get("status") or ""


def compute_cells_done(notebook: Mapping[str, Any]) -> tuple[int, int]:
    """(code cells papermill has completed, code cells in the notebook) of an executed notebook;
    markdown cells are not work a person waits for."""
    cells = [c for c in notebook.get("cells") or [] if c.get("cell_type") == "code"]
    return sum(1 for c in cells if _cell_state(c) == "completed"), len(cells)


def compute_running_cell(notebook: Mapping[str, Any], now: dt.datetime) -> tuple[int, str, float]:
    """(position among code cells, first source line, seconds running) of the cell papermill is
    running, or (0, "", 0.0) when none is."""
    cells = [c for c in notebook.get("cells") or [] if c.get("cell_type") == "code"]
    for position, cell in enumerate(cells, start=1):
        if _cell_state(cell) == "running":
            started = (cell.get("metadata", {}).get("papermill", {}) or {}).get("start_time")
            seconds = 0.0
            if started:
                with contextlib.suppress(ValueError):
                    since = dt.datetime.fromisoformat(started)
                    if since.tzinfo is None:
                        since = since.replace(tzinfo=dt.UTC)
                    seconds = (now - since).total_seconds()
            source = "".join(cell.get("source") or "").strip().splitlines()
            return position, (source[0] if source else ""), seconds
    return 0, "", 0.0


def compute_stall_note(position: int, source: str, seconds: float) -> str:
    if position and seconds >= STALL_SECONDS:
        return f"cell {position} ({source[:60]}) has been running for {seconds:.0f} s"
    return ""


def _log_tail(run_id: uuid.UUID, lines: int = 3) -> str:
    try:
        text = run_log_path(run_id).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def load_run_progress(run_id: uuid.UUID, *, engine=None, started: float | None = None
                      ) -> RunProgress:
    """How far a run is. A run of a process this one started is failed at once, with the reason,
    when the process ended without finishing it; ``started`` (a ``time.monotonic()`` value) lets
    a run that has not started after ``START_SECONDS`` say so."""
    process = _processes.get(run_id)
    exit_code = process.poll() if process is not None else None
    with database.transaction(engine) as conn:
        run = runs.load_run(conn, run_id)
        if run is not None and run["status"] == "running" and runs.save_abandoned_runs(conn):
            run = runs.load_run(conn, run_id)
    if run is None:
        if exit_code is not None:
            why = _log_tail(run_id) or f"exit code {exit_code}"
            return RunProgress(run_id, "failed", 0, 0, None, f"the run could not start: {why}")
        late = started is not None and time.monotonic() - started > START_SECONDS
        note = (f"the run has not started after {START_SECONDS} s (the machine may be busy)"
                if late else "")
        return RunProgress(run_id, "starting", 0, 0, None, note)
    executed = Path(run["run_dir"]) / Path(run["notebook"]).name
    done = total = 0
    note = ""
    try:
        notebook = json.loads(executed.read_text(encoding="utf-8"))
        done, total = compute_cells_done(notebook)
        note = compute_stall_note(*compute_running_cell(notebook, dt.datetime.now(dt.UTC)))
    except (OSError, ValueError):
        pass  # not written yet, or being written: the next look will tell
    if run["status"] != "running" and total:
        done = total if run["status"] == "succeeded" else done
    return RunProgress(run_id, run["status"], done, total, run, note)


@dataclass(frozen=True)
class NotebookRunner:
    """What a dashboard needs to run one report and follow it (passed in by the notebook)."""

    entry_path: str

    def start(self, parameters: Mapping[str, Any], user: str) -> uuid.UUID:
        check_may_start(user)
        return start_report_run(self.entry_path, parameters, user)

    def progress(self, run_id: uuid.UUID, started: float | None = None) -> RunProgress:
        return load_run_progress(run_id, started=started)

    def files(self, run: Mapping[str, Any]) -> list[dict]:
        return files.compute_run_files(run)


def notebook_runner(entry_path: str) -> NotebookRunner:
    return NotebookRunner(entry_path)


# --------------------------------------------------------------------------- the Runs page


def _who(run: Mapping[str, Any]) -> str:
    if run["trigger"] == "schedule":
        return "schedule"
    return run.get("requested_by") or "?"


def _parameters(run: Mapping[str, Any]) -> str:
    params = run.get("parameters") or {}
    return ", ".join(f"{k}={v}" for k, v in params.items() if v not in ("", None)) or "—"


def compute_runs_html(
    visible: Sequence[Mapping[str, Any]], *, user: str | None, base_url: str = "/",
    message: str = "", refresh: bool = False,
) -> str:
    """The Runs page (pure): one row per run, newest first, its files as links."""
    esc = html.escape
    rows = []
    for run in visible:
        started = run["started_at"].astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M")
        seconds = "" if run["duration_seconds"] is None else f"{run['duration_seconds']:.1f}"
        links = " ".join(
            f'<a class="run-file" href="{esc(f["url"])}">{esc(f["name"])}</a>'
            for f in files.compute_run_files(run, base_url)
        )
        rows.append(
            f'<tr class="run" data-run-id="{run["id"]}" data-status="{esc(run["status"])}">'
            f"<td>{started}</td><td>{esc(run['job_name'])}</td><td>{esc(_parameters(run))}</td>"
            f"<td>{esc(_who(run))}</td><td class=status>{esc(run['status'])}</td>"
            f"<td class=num>{seconds}</td><td class=error>{esc(run.get('error') or '')}</td>"
            f"<td class=files>{links}</td></tr>"
        )
    table = (
        "<table class=runs><thead><tr><th>Started (Bangkok)</th><th>Job</th><th>Parameters</th>"
        "<th>Started by</th><th>Status</th><th>Seconds</th><th>Failure reason</th>"
        f"<th>Files</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows else '<p class="notice">No runs you may see yet.</p>'
    )
    note = f'<p class="run-message">{esc(message)}</p>' if message else ""
    head_refresh = '<meta http-equiv="refresh" content="3">' if refresh else ""
    who = f"Signed in as <strong>{esc(user)}</strong>" if user else "Nobody is signed in"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'{head_refresh}<link rel="icon" href="data:;base64,=">'
        f"<title>Runs · Studio back office</title><style>{catalog._LANDING_CSS}{_RUNS_CSS}</style>"
        f"</head><body><header><h1>Runs</h1><p>{who} · "
        f'<a href="{esc(base_url)}" style="color:#fff">back to the dashboards</a></p></header>'
        f"<main>{note}{table}</main></body></html>"
    )


_RUNS_CSS = """
table.runs{border-collapse:collapse;background:#fff;font-size:13px;width:100%}
table.runs th,table.runs td{border-bottom:1px solid #e2e8f0;padding:6px 8px;text-align:left;
vertical-align:top}
table.runs td.num{text-align:right}
table.runs td.error{color:#7f1d1d;max-width:260px}
tr[data-status=failed] td.status{color:#b91c1c;font-weight:600}
tr[data-status=succeeded] td.status{color:#166534}
a.run-file{display:inline-block;margin:0 6px 2px 0;color:#14532d}
.run-message{background:#ecfdf5;border:1px solid #6ee7b7;border-radius:8px;padding:10px 14px}
"""


# --------------------------------------------------------------------------- tornado


def handlers(base_url: str, user_of: Callable[[Any], str | None]) -> list[tuple]:
    """``/runs`` (the page) and ``/runs/start`` (a report form posts here)."""
    import tornado.web
    from jupyter_server.base.handlers import JupyterHandler

    from .. import ui

    class RunsHandler(JupyterHandler):
        @tornado.web.authenticated
        def get(self):
            email = user_of(self)
            with database.transaction() as conn:
                runs.save_abandoned_runs(conn)  # a run whose process died is not "running"
                _, visible = files.load_visible_runs(conn, email, limit=50)
            started = self.get_argument("started", "")
            message = f"Run {started} started: it appears below within seconds." if started else ""
            running = any(r["status"] == "running" for r in visible)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(compute_runs_html(visible, user=email, base_url=self.base_url,
                                          message=message, refresh=bool(started) or running))

    class StartHandler(JupyterHandler):
        def _refuse(self, status: int, title: str, message: str) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            back = f'<p><a href="{html.escape(self.base_url)}">Back to the dashboards</a></p>'
            self.finish(ui.compute_error_html(title, message) + back)

        @tornado.web.authenticated
        def post(self):
            email = user_of(self)
            path = self.get_body_argument("notebook", "")
            try:
                entry = find_entry(path)
            except (ReportRefused, catalog.CatalogError) as exc:
                self._refuse(400, "This report cannot be started", str(exc))
                return
            with database.transaction() as conn:
                user = access.load_user(conn, email)
                allowed = compute_may_run(user, entry)
                if not allowed:
                    reason = (f"{email or 'nobody'} may not run {entry.title}"
                              if email else "nobody is signed in")
                    audit.record(conn, email or "(anonymous)", "ACCESS_DENIED", "report",
                                 entry.path, details={"reason": reason})
            if not allowed:
                self._refuse(403, "Access refused", f"Access refused: {reason}")
                return
            form = {name: self.get_body_argument(name, "") for name in entry.parameters}
            try:
                parameters = compute_report_parameters(entry, form, bangkok.today(), user)
            except ReportRefused as exc:
                self._refuse(400, "Nothing was started", str(exc))
                return
            try:
                check_may_start(user.email)
            except ReportRefused as exc:
                self._refuse(429, "Nothing was started", str(exc))
                return
            run_id = start_report_run(entry.path, parameters, user.email)
            self.redirect(f"{self.base_url}runs?started={run_id}", status=303)

    return [
        (f"{base_url}runs", RunsHandler),
        (f"{base_url}runs/start", StartHandler),
    ]


def request_user(handler: Any, options: Any) -> str | None:
    """Who sent this request: the proxy's header (header mode; the sign-in gate has checked the
    request came through the proxy) or the serving user (token mode)."""
    header = getattr(options, "auth_header", None)
    if header:
        return (handler.request.headers.get(header) or "").strip() or None
    return os.environ.get("BACKOFFICE_USER") or None


def serve_handlers(server_url: str, options: Any) -> list[tuple]:
    """What ``backoffice serve`` adds for issue 13: run files, the Runs page, reports on demand
    (nothing in kiosk mode)."""
    if getattr(options, "kiosk", False):
        return []

    def user_of(handler: Any) -> str | None:
        return request_user(handler, options)

    return files.handlers(server_url, user_of) + handlers(server_url, user_of)


# --------------------------------------------------------------------------- the process


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run one report (started by backoffice serve)")
    parser.add_argument("--run-id", required=True, type=uuid.UUID)
    parser.add_argument("--notebook", required=True)
    parser.add_argument("--parameters", default="{}")
    args = parser.parse_args(argv)
    try:
        result = run_report(args.run_id, args.notebook, json.loads(args.parameters))
    except runs.RunError as exc:  # the page that started it shows this line
        print(f"the run could not start: {exc}", flush=True)
        return 2
    print(f"{result.job_name}: {result.status} -> {result.run_dir}", flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
