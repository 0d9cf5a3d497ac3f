"""Recurring notebook runs: ``jobs.yml``, what is due, and running it through ``runs``.

``jobs.yml`` (repo root, or BACKOFFICE_JOBS_FILE) lists jobs::

    jobs:
      - name: payroll-monthly
        notebook: payroll/payroll_report.ipynb      # relative to notebooks/
        schedule: monthly:1                         # daily | weekly:mon..sun | monthly:1..28
        parameters: {month: "{previous_month}"}
        expected_outputs: ["*.csv"]                 # relative to the run's output_dir; globs ok

Parameter values (and expected outputs) may use ``{today}``, ``{yesterday}``, ``{current_month}``,
``{previous_month}``, ``{month_start}``, ``{previous_month_start}``, ``{previous_month_end}``
(Bangkok dates), and expected outputs may also use the job's own parameters (``{month}``).

A job is due on a Bangkok date when its schedule has fired in the current period (daily: the day;
weekly: the ISO week, from the given weekday on; monthly: the month, from the given day on) and
its period has no succeeded run yet, no run still in progress, and fewer than ``max_attempts``
failed scheduled runs. ``run-due`` therefore is idempotent and catches up a missed day (machine
off on the 1st: the payroll runs on the 2nd), and a second ``run-due`` started while one runs
waits for nothing: it finds the PostgreSQL advisory lock taken and leaves.
"""

from __future__ import annotations

import datetime as dt
import os
import string
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection, Engine

from .. import bangkok, database, settings
from . import catalog, runs
from .runs import RunError, RunResult

JOB_RUNS = runs.JOB_RUNS
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_MAX_ATTEMPTS = 3
STALE_RUNNING = dt.timedelta(hours=6)
RUN_DUE_LOCK_KEY = 7_020_261  # pg advisory lock: one run-due at a time per database
# Parameters that would name the acting user: never taken from jobs.yml or -p (issue 12); the
# run's kernel gets the checked user as BACKOFFICE_USER from the jobs machinery.
IDENTITY_PARAMETERS = ("user", "user_email", "acting_user")
TEMPLATE_NAMES = (
    "today",
    "yesterday",
    "current_month",
    "previous_month",
    "month_start",
    "previous_month_start",
    "previous_month_end",
)

__all__ = ["Job", "JobsFileError", "RunError", "RunResult"]


class JobsFileError(ValueError):
    """jobs.yml is missing or malformed; the message names the job."""


class RunDueBusy(RuntimeError):
    """Another ``run-due`` holds the lock on this database."""


@dataclass(frozen=True)
class Job:
    name: str
    notebook: str
    schedule: str
    parameters: dict[str, Any] = field(default_factory=dict)
    expected_outputs: tuple[str, ...] = ()
    description: str = ""
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def notebook_path(self) -> Path:
        return catalog.notebooks_dir() / self.notebook


# --- pure: schedules, periods, templates --------------------------------------------------------


def compute_schedule(text: str) -> tuple[str, int | None]:
    """'daily' -> ('daily', None); 'weekly:mon' -> ('weekly', 0); 'monthly:1' -> ('monthly', 1)."""
    value = (text or "").strip().lower()
    if value == "daily":
        return "daily", None
    kind, _, arg = value.partition(":")
    if kind == "weekly" and arg in WEEKDAYS:
        return "weekly", WEEKDAYS.index(arg)
    if kind == "monthly" and arg.isdigit() and 1 <= int(arg) <= 28:
        return "monthly", int(arg)
    raise ValueError(
        f"schedule must be daily, weekly:mon..sun or monthly:1..28, not {text!r}"
    )


def compute_period_key(schedule: str, today: dt.date) -> str:
    """The period a scheduled run on ``today`` covers: '2026-11-25', '2026-W48' or '2026-11'."""
    kind, _ = compute_schedule(schedule)
    if kind == "daily":
        return today.isoformat()
    if kind == "weekly":
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return bangkok.month_key(today)


def compute_has_fired(schedule: str, today: dt.date) -> bool:
    """Whether the schedule has fired in the period that contains ``today``."""
    kind, arg = compute_schedule(schedule)
    if kind == "daily":
        return True
    if kind == "weekly":
        return today.weekday() >= arg
    return today.day >= arg


def compute_template_values(today: dt.date) -> dict[str, str]:
    current = bangkok.month_key(today)
    previous = bangkok.previous_month(current)
    previous_start, previous_end = bangkok.month_days(previous)
    return {
        "today": today.isoformat(),
        "yesterday": (today - dt.timedelta(days=1)).isoformat(),
        "current_month": current,
        "previous_month": previous,
        "month_start": today.replace(day=1).isoformat(),
        "previous_month_start": previous_start.isoformat(),
        "previous_month_end": previous_end.isoformat(),
    }


def _render(value: Any, values: Mapping[str, Any], where: str) -> Any:
    if not isinstance(value, str) or "{" not in value:
        return value
    names = [name for _, name, _, _ in string.Formatter().parse(value) if name]
    unknown = [name for name in names if name not in values]
    if unknown:
        known = ", ".join(sorted(values))
        raise JobsFileError(f"{where}: unknown placeholder {{{unknown[0]}}} (known: {known})")
    return value.format_map(values)


def compute_parameters(job: Job, today: dt.date, overrides: Mapping[str, Any] | None = None):
    """The job's parameters for a run on ``today``: templates rendered, then ``overrides``."""
    values = compute_template_values(today)
    rendered = {
        key: _render(value, values, f"job {job.name}, parameter {key}")
        for key, value in job.parameters.items()
    }
    rendered.update(overrides or {})
    return rendered


def compute_expected_outputs(job: Job, today: dt.date, parameters: Mapping[str, Any]):
    values = {**compute_template_values(today), **{k: str(v) for k, v in parameters.items()}}
    return [
        _render(pattern, values, f"job {job.name}, expected output") for pattern in job.expected_outputs
    ]


def compute_is_due(
    job: Job, today: dt.date, period_runs: Sequence[Mapping[str, Any]], now: dt.datetime
) -> bool:
    """Due when the schedule fired this period and the period is neither done nor given up.

    ``period_runs`` are this job's job_runs rows for the current period (status, trigger,
    started_at).
    """
    if not compute_has_fired(job.schedule, today):
        return False
    failed_scheduled = 0
    for row in period_runs:
        if row["status"] == "succeeded":
            return False
        if row["status"] == "running" and now - row["started_at"] < STALE_RUNNING:
            return False
        if row["status"] == "failed" and row["trigger"] == "schedule":
            failed_scheduled += 1
    return failed_scheduled < job.max_attempts


def parse_parameter_overrides(items: Iterable[str]) -> dict[str, Any]:
    """``-p key=value``: ints, floats, booleans and null as YAML reads them, the rest as text."""
    result: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"-p takes KEY=VALUE with a Python name as KEY, not {item!r}")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if not isinstance(value, (int, float, bool, type(None))):
            value = raw  # dates, months, lists: passed as written
        result[key] = value
    return result


def compute_jobs(document: Any, *, notebooks: Path | None = None) -> list[Job]:
    """Validate a parsed jobs.yml (pure but for checking that notebooks exist when given)."""
    if not isinstance(document, dict) or not isinstance(document.get("jobs"), list):
        raise JobsFileError("jobs.yml must hold `jobs:` followed by a list of jobs")
    found: list[Job] = []
    for index, raw in enumerate(document["jobs"], start=1):
        if not isinstance(raw, dict):
            raise JobsFileError(f"job {index} of jobs.yml is not a mapping")
        name = str(raw.get("name") or "").strip()
        where = f"job {name or index}"
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise JobsFileError(f"{where}: name must be letters, digits, - or _")
        if any(job.name == name for job in found):
            raise JobsFileError(f"{where}: listed twice")
        notebook = str(raw.get("notebook") or "").strip()
        if not notebook.endswith(".ipynb"):
            raise JobsFileError(f"{where}: notebook must be an .ipynb path under notebooks/")
        if notebooks is not None and not (notebooks / notebook).is_file():
            raise JobsFileError(f"{where}: no notebook at {notebooks / notebook}")
        try:
            compute_schedule(str(raw.get("schedule") or ""))
        except ValueError as exc:
            raise JobsFileError(f"{where}: {exc}") from None
        parameters = raw.get("parameters") or {}
        outputs = raw.get("expected_outputs") or []
        if not isinstance(parameters, dict) or not isinstance(outputs, list):
            raise JobsFileError(f"{where}: parameters must be a mapping, expected_outputs a list")
        named = [str(k) for k in parameters if str(k).lower() in IDENTITY_PARAMETERS]
        if named:
            raise JobsFileError(
                f"{where}: parameter {named[0]!r} would name the acting user; the scheduler's"
                " BACKOFFICE_USER is passed to every run (issue 12)")
        attempts = raw.get("max_attempts", DEFAULT_MAX_ATTEMPTS)
        if not isinstance(attempts, int) or attempts < 1:
            raise JobsFileError(f"{where}: max_attempts must be a positive integer")
        job = Job(
            name=name,
            notebook=notebook,
            schedule=str(raw["schedule"]).strip().lower(),
            parameters=dict(parameters),
            expected_outputs=tuple(str(o) for o in outputs),
            description=" ".join(str(raw.get("description") or "").split()),
            max_attempts=attempts,
        )
        sample = dt.date(2026, 1, 15)
        compute_expected_outputs(job, sample, compute_parameters(job, sample))
        found.append(job)
    return found


def compute_runs_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """`jobs list`: one line per run, Bangkok time."""
    header = ("started (Bangkok)", "job", "status", "secs", "period", "trigger", "run folder / error")
    lines = [header]
    for row in rows:
        started = row["started_at"].astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M")
        seconds = "" if row["duration_seconds"] is None else f"{row['duration_seconds']:.1f}"
        detail = row["run_dir"]
        if row["error"]:
            detail = f"{detail}  ({row['error']})"
        lines.append(
            (
                started,
                row["job_name"],
                row["status"],
                seconds,
                row["period_key"] or "-",
                row["trigger"],
                detail,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths)) + "  " + line[-1]
        for line in lines
    )


# --- data access --------------------------------------------------------------------------------


def jobs_file() -> Path:
    configured = os.environ.get("BACKOFFICE_JOBS_FILE")
    return Path(configured).resolve() if configured else catalog.PROJECT_DIR / "jobs.yml"


def load_jobs(path: Path | None = None, *, check_notebooks: bool = True) -> list[Job]:
    path = path or jobs_file()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise JobsFileError(f"no jobs file at {path}") from exc
    except yaml.YAMLError as exc:
        raise JobsFileError(f"{path} is not valid YAML: {exc}") from exc
    return compute_jobs(document, notebooks=catalog.notebooks_dir() if check_notebooks else None)


def load_period_runs(conn: Connection, job_name: str, period_key: str) -> list[dict]:
    query = sa.select(JOB_RUNS.c.status, JOB_RUNS.c.trigger, JOB_RUNS.c.started_at).where(
        JOB_RUNS.c.job_name == job_name, JOB_RUNS.c.period_key == period_key
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def load_recent_runs(
    *, job_name: str | None = None, limit: int = 20, engine: Engine | None = None
) -> list[dict]:
    with database.transaction(engine) as conn:
        runs.save_abandoned_runs(conn)
        return runs.load_runs(conn, job_name=job_name, limit=limit)


# --- running ------------------------------------------------------------------------------------


def _requested_by() -> str:
    return settings.acting_user_from_env() or "scheduler"


def run_job(
    job: Job,
    *,
    today: dt.date | None = None,
    overrides: Mapping[str, Any] | None = None,
    trigger: str = "manual",
    output_root: Path | None = None,
    engine: Engine | None = None,
    run_id: uuid.UUID | None = None,
) -> RunResult:
    """Run one job now. Without overrides the run counts for its period (run-due skips it)."""
    today = today or bangkok.today()
    try:
        parameters = compute_parameters(job, today, overrides)
        expected = compute_expected_outputs(job, today, parameters)
    except JobsFileError as exc:
        raise RunError(str(exc)) from None
    period_key = None if overrides else compute_period_key(job.schedule, today)
    return runs.execute_notebook(
        job.notebook_path(),
        parameters,
        job_name=job.name,
        expected_outputs=expected,
        output_root=output_root,
        trigger=trigger,
        period_key=period_key,
        requested_by=_requested_by(),
        engine=engine,
        run_id=run_id,
    )


def run_due(
    jobs: Sequence[Job],
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    output_root: Path | None = None,
    engine: Engine | None = None,
) -> list[tuple[Job, RunResult | None]]:
    """Run every due job, one after the other; ``(job, None)`` for each due job on a dry run.

    Holds a PostgreSQL advisory lock meanwhile: a concurrent run-due raises ``RunDueBusy``.
    """
    today = today or bangkok.today()
    engine = engine or database.get_engine()
    done: list[tuple[Job, RunResult | None]] = []
    with engine.connect() as lock_conn:
        got = lock_conn.scalar(sa.select(sa.func.pg_try_advisory_lock(RUN_DUE_LOCK_KEY)))
        lock_conn.commit()
        if not got:
            raise RunDueBusy("another `backoffice jobs run-due` is running on this database")
        try:
            with database.transaction(engine) as conn:
                runs.save_abandoned_runs(conn)  # a killed run does not hold its period for ever
            for job in jobs:
                period = compute_period_key(job.schedule, today)
                with database.transaction(engine) as conn:
                    period_runs = load_period_runs(conn, job.name, period)
                now = dt.datetime.now(dt.UTC)
                if not compute_is_due(job, today, period_runs, now):
                    continue
                if dry_run:
                    done.append((job, None))
                    continue
                done.append(
                    (
                        job,
                        run_job(
                            job,
                            today=today,
                            trigger="schedule",
                            output_root=output_root,
                            engine=engine,
                        ),
                    )
                )
        finally:
            lock_conn.scalar(sa.select(sa.func.pg_advisory_unlock(RUN_DUE_LOCK_KEY)))
            lock_conn.commit()
    return done
