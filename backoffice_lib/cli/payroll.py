"""``backoffice payroll``: compute a month, run the finance notebook, finalise a month.

Exit codes: 0 success; 2 bad input (malformed month, refused user, month already finalised);
3 blocking errors (someone has sessions but no compensation); 1 the finance notebook run failed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import click

EXIT_BAD_INPUT = 2
EXIT_BLOCKING = 3
RUN_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "payroll" / "payroll_run.ipynb"



def _month(value: str) -> str:
    from ..bangkok import BadMonth, parse_month

    try:
        parse_month(value)
    except BadMonth as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    return value


@click.group()
def payroll() -> None:
    """Monthly payroll (business-rules §3)."""


@payroll.command()
@click.option("--month", required=True, help="YYYY-MM, Bangkok time.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to FILE instead of standard output.")
def compute(month: str, fmt: str, out: str | None) -> None:
    """One row per person in the month's run (read-only; nothing is saved).

    Columns: staff_id, staff_name, compensation_type, working_days, total_hours,
    overtime_hours, holiday_hours, base_pay, daily_allowance, overtime_pay, holiday_pay,
    service_charge, total_pay. Blocking errors go to stderr with exit code 3.
    """
    _month(month)
    from .. import database
    from ..payroll.outputs import compute_pay_table
    from ..payroll.run import compute_month

    database.check_connection()
    with database.transaction() as conn:
        result = compute_month(conn, month)
    rows = compute_pay_table(result)
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else _columns(),
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    if result.has_blocking_errors:
        for message in result.errors["message"]:
            click.echo(f"blocking: {message}", err=True)
        sys.exit(EXIT_BLOCKING)


def _columns() -> list[str]:
    from ..payroll.compute import PAY_COLUMNS

    return PAY_COLUMNS


@payroll.command()
@click.option("--month", required=True, help="YYYY-MM, Bangkok time.")
@click.option("--user", envvar="BACKOFFICE_USER", help="Acting admin (or BACKOFFICE_USER).")
def run(month: str, user: str | None) -> None:
    """Execute the finance notebook for MONTH into a new run folder (papermill)."""
    _month(month)
    from .. import access, database
    from ..workbench import runs

    database.check_connection()
    who = access.require(user, "payroll")
    os.environ["BACKOFFICE_USER"] = who.email  # the kernel inherits the acting user
    result = runs.execute_notebook(
        RUN_NOTEBOOK,
        {"month": month},
        job_name="payroll",
        expected_outputs=["payroll_*.xlsx", "manifest.json"],
        period_key=month,
        requested_by=who.email,
    )
    if not result.ok:
        click.echo(f"error: payroll run failed: {result.error} (see {result.run_dir})", err=True)
        sys.exit(1)
    click.echo(str(result.run_dir))


@payroll.command()
@click.option("--month", required=True, help="YYYY-MM, Bangkok time.")
@click.option("--user", envvar="BACKOFFICE_USER", help="Acting admin (or BACKOFFICE_USER).")
def finalise(month: str, user: str | None) -> None:
    """Lock MONTH: record who, when, totals and checksum (admin only, audited)."""
    _month(month)
    from .. import access, database
    from ..payroll.run import AlreadyFinalised, PayrollBlocked, finalise_payroll

    database.check_connection()
    access.require(user, "payroll", admin=True)
    try:
        with database.transaction() as conn:
            summary = finalise_payroll(conn, month, user)
    except PayrollBlocked as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BLOCKING)
    except AlreadyFinalised as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(
        f"finalised payroll {month}: {summary['people']} people, total "
        f"{summary['totals']['total_pay']} THB, checksum {summary['checksum'][:12]}"
    )
