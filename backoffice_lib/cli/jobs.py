"""`backoffice jobs run-due | run NAME | list`.

Exit codes: 0 success (or nothing due), 1 a run failed (its folder and job_runs row say why),
2 bad input (unknown job, bad -p, broken jobs.yml/catalog, unreachable database).
"""

from __future__ import annotations

import sys

import click

from .. import bangkok, settings
from ..workbench import jobs

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2


IDENTITY_PARAMETERS = jobs.IDENTITY_PARAMETERS  # never taken from -p (issue 12)
USER_OPTION = click.option("--user", envvar="BACKOFFICE_USER",
                           help="acting admin's e-mail (or BACKOFFICE_USER)")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _acting_admin(user: str | None) -> str:
    """The acting admin (refusal audited). The runs' kernels and job_runs.requested_by get this
    user from the jobs machinery (BACKOFFICE_USER of this process), never from a parameter."""
    import os

    from .. import access

    who = access.require(user, "jobs", admin=True)
    os.environ["BACKOFFICE_USER"] = who.email
    return who.email


@click.group("jobs")
def jobs_group():
    """Recurring notebook runs listed in jobs.yml (run folders under <data dir>/runs)."""


def _load_jobs():
    try:
        return jobs.load_jobs()
    except jobs.JobsFileError as exc:
        _fail(str(exc))


def _echo_result(result) -> None:
    line = (
        f"{result.job_name}: {result.status} in {result.duration_seconds:.1f} s -> {result.run_dir}"
    )
    if result.ok:
        click.echo(line)
    else:
        click.echo(line, err=True)
        click.echo(f"  reason: {settings.mask_secrets(str(result.error))}", err=True)


@jobs_group.command("run-due")
@click.option(
    "--today",
    help="Bangkok date to decide what is due (YYYY-MM-DD; default today)",
)
@click.option("--dry-run", is_flag=True, help="only say what is due")
@USER_OPTION
def run_due(today, dry_run, user):
    """Run every job of jobs.yml that is due and not yet done for its period (idempotent)."""
    day = _parse_day(today)
    definitions = _load_jobs()
    _acting_admin(user)
    try:
        due = jobs.run_due(definitions, today=day, dry_run=dry_run)
    except jobs.RunDueBusy as exc:
        click.echo(f"{exc}; nothing done")
        return
    if not due:
        click.echo(f"nothing due on {day.isoformat()}")
        return
    failed = 0
    for job, result in due:
        if result is None:
            click.echo(f"{job.name}: due for {jobs.compute_period_key(job.schedule, day)}")
            continue
        _echo_result(result)
        failed += not result.ok
    if failed:
        sys.exit(EXIT_RUN_FAILED)


def _parse_day(value):
    if not value:
        return bangkok.today()
    try:
        return bangkok.parse_date(value, "--today")
    except bangkok.BadDate as exc:
        _fail(str(exc))


@jobs_group.command("run")
@click.argument("name")
@click.option(
    "-p",
    "--parameter",
    "parameters",
    multiple=True,
    metavar="KEY=VALUE",
    help="override a parameter (repeatable)",
)
@click.option("--today", help="Bangkok date for the parameter templates (default today)")
@USER_OPTION
def run_one(name, parameters, today, user):
    """Run job NAME of jobs.yml now (with -p overrides; admins)."""
    day = _parse_day(today)
    definitions = _load_jobs()
    job = next((j for j in definitions if j.name == name), None)
    if job is None:
        known = ", ".join(j.name for j in definitions) or "none"
        _fail(f"no job named {name!r} in jobs.yml (known: {known})")
    try:
        overrides = jobs.parse_parameter_overrides(parameters)
    except ValueError as exc:
        _fail(str(exc))
    named = [key for key in overrides if key.lower() in IDENTITY_PARAMETERS]
    if named:
        _fail(f"-p {named[0]}=... refused: the acting user comes only from --user or"
              " BACKOFFICE_USER, and the jobs machinery passes it to the run itself")
    _acting_admin(user)
    try:
        result = jobs.run_job(job, today=day, overrides=overrides, trigger="manual")
    except jobs.RunError as exc:
        _fail(str(exc))
    _echo_result(result)
    if not result.ok:
        sys.exit(EXIT_RUN_FAILED)


@jobs_group.command("list")
@click.option("--job", "job_name", help="only this job")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: every run with status, parameters, folder, files")
@click.option("--base-url", default="/", show_default=True,
              help="json: prefix of the file URLs, e.g. https://studio.example/")
@USER_OPTION
def list_runs(job_name, limit, fmt, base_url, user):
    """The last runs, newest first (admins: run folders hold pay and personal data)."""
    _acting_admin(user)
    rows = jobs.load_recent_runs(job_name=job_name, limit=limit)
    if fmt == "json":
        import json

        from ..workbench import files

        base = base_url if base_url.endswith("/") else base_url + "/"
        documents = [files.compute_run_document(row, base) for row in rows]
        click.echo(json.dumps(documents, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no runs yet")
        return
    click.echo(jobs.compute_runs_table(rows))

