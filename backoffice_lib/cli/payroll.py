"""``backoffice payroll``: compute a month, run the finance notebook, finalise or reopen a month,
write the statutory filings and the annual withholding certificates, add a dated statutory rate.

Exit codes: 0 success; 2 bad input (malformed month, refused user, month already finalised,
bad rate); 3 blocking errors (someone has sessions but no compensation; for the filings: an
insured person without a valid national ID); 1 the finance notebook run failed.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import click

from .params import DATE, MONEY, MONTH, DecimalNumber

EXIT_BAD_INPUT = 2
EXIT_BLOCKING = 3
RUN_NOTEBOOK = "payroll/payroll_run.ipynb"  # under the notebooks folder (BACKOFFICE_NOTEBOOKS_DIR)

RATE_VALUE = DecimalNumber(Decimal("9999999999.9999"), places=4, what="the value")  # numeric(14,4)
USER_OPTION = click.option("--user", envvar="BACKOFFICE_USER",
                           help="acting admin's e-mail (or BACKOFFICE_USER)")


@click.group()
def payroll() -> None:
    """Monthly payroll (business-rules §3)."""


@payroll.command()
@click.option("--month", required=True, type=MONTH, help="YYYY-MM, Bangkok time.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to FILE (owner-only) instead of standard output.")
@USER_OPTION
def compute(month: str, fmt: str, out: str | None, user: str | None) -> None:
    """One row per person in the month's run (admins; the read is audited, nothing else saved).

    Columns: staff_id, staff_name, compensation_type, working_days, total_hours,
    overtime_hours, holiday_hours, base_pay, daily_allowance, overtime_pay, holiday_pay,
    service_charge, total_pay, sso_employee, sso_employer, withholding_tax, net_pay.
    Blocking errors go to stderr with exit code 3.
    """
    from .. import access, audit, database
    from ..payroll.reports.outputs import compute_pay_table
    from ..payroll.service import load_month_payroll

    who = access.require(user, "payroll")
    with database.transaction() as conn:
        result = load_month_payroll(conn, month)
        audit.record(conn, who.email, "VIEW", "payroll", month,
                     details={"command": "payroll compute", "people": len(result.lines)})
    rows = compute_pay_table(result)
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        from ..payroll.reports.outputs import compose_pay_csv

        text = compose_pay_csv(rows, list(rows[0]) if rows else _columns())
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    if result.has_blocking_errors:
        for message in result.errors["message"]:
            click.echo(f"blocking: {message}", err=True)
        sys.exit(EXIT_BLOCKING)


def _columns() -> list[str]:
    from ..payroll.rules import PAY_COLUMNS
    from ..payroll.rules.statutory import NET_PAY_COLUMNS

    return PAY_COLUMNS + NET_PAY_COLUMNS


@payroll.command()
@click.option("--month", required=True, type=MONTH, help="YYYY-MM, Bangkok time.")
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="YYYY-MM-DD: worked before it, planned from it (default today, Bangkok).")
@click.option("--weeks", is_flag=True,
              help="One row per person and week paid in MONTH instead of the pay table.")
@click.option("--accuracy", is_flag=True,
              help="An ended MONTH: what was paid against the forecasts of its 1st and 15th.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@USER_OPTION
def forecast(month: str, as_of, weeks: bool, accuracy: bool, fmt: str,
             user: str | None) -> None:
    """MONTH's pay from the time worked and the shifts planned (admins; audited as a view).

    Columns: payroll compute's, then hours_worked, hours_planned. --weeks: staff_id,
    week_start, week_end, hours_worked, hours_planned, ot_hours, ot_pay,
    holiday_hours_planned. The service charge used is said on stderr; an as-of date outside
    the weeks of MONTH exits 2; planned shifts without a pay rate exit 3, named. --accuracy:
    staff_id, staff_name, paid, then forecast, error and error % of the 1st and of the 15th,
    per person and TOTAL.
    """
    from .. import access, database

    if accuracy:
        if as_of is not None or weeks:
            click.echo("error: --accuracy takes neither --as-of nor --weeks", err=True)
            sys.exit(EXIT_BAD_INPUT)
        _forecast_accuracy(month, fmt, user)
        return
    from ..payroll.reports.forecast import (
        compute_forecast_table,
        compute_forecast_week_table,
        forecast_columns,
    )
    from ..payroll.reports.outputs import compose_pay_csv
    from ..payroll.rules.forecast import WEEK_COLUMNS, ForecastRefused
    from ..payroll.service.forecast import load_forecast

    access.require(user, "payroll")
    try:
        with database.transaction() as conn:
            result = load_forecast(conn, month, as_of, user)
    except ForecastRefused as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if weeks:
        rows, columns = compute_forecast_week_table(result), WEEK_COLUMNS
    else:
        rows, columns = compute_forecast_table(result), forecast_columns(result)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        click.echo(compose_pay_csv(rows, columns), nl=False)
    click.echo(result.service_charge_source, err=True)
    for detail in result.flags["detail"]:
        click.echo(f"flag: {detail}", err=True)
    if result.has_blocking_errors:
        for message in result.errors["message"]:
            click.echo(f"blocking: {message}", err=True)
        sys.exit(EXIT_BLOCKING)


def _forecast_accuracy(month: str, fmt: str, user: str | None) -> None:
    from .. import access, database
    from ..payroll.reports.forecast import compute_accuracy_table
    from ..payroll.reports.outputs import compose_pay_csv
    from ..payroll.rules.forecast import ACCURACY_COLUMNS, ForecastRefused
    from ..payroll.service.forecast import MonthNotPaid, load_forecast_accuracy

    access.require(user, "payroll")
    try:
        with database.transaction() as conn:
            report = load_forecast_accuracy(conn, month, user)
    except (MonthNotPaid, ForecastRefused) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    rows = compute_accuracy_table(report.rows)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        click.echo(compose_pay_csv(rows, ACCURACY_COLUMNS), nl=False)
    for note in report.notes:
        click.echo(note, err=True)


@payroll.command()
@click.option("--month", required=True, type=MONTH, help="YYYY-MM, Bangkok time.")
@USER_OPTION
def run(month: str, user: str | None) -> None:
    """Execute the finance notebook for MONTH into a new run folder (papermill)."""
    from .. import access
    from ..workbench import catalog, runs

    who = access.require(user, "payroll")
    os.environ["BACKOFFICE_USER"] = who.email  # the kernel inherits the acting user
    result = runs.execute_notebook(
        catalog.notebooks_dir() / RUN_NOTEBOOK,
        {"month": month},
        job_name="payroll",
        expected_outputs=["payroll_*.xlsx", "manifest.json"],
        period_key=month,
        requested_by=who.email,
    )
    if not result.ok:
        from .. import settings

        click.echo(f"error: payroll run failed: {settings.mask_secrets(str(result.error))} "
                   f"(see {result.run_dir})", err=True)
        sys.exit(1)
    click.echo(str(result.run_dir))


@payroll.command()
@click.option("--month", required=True, type=MONTH, help="YYYY-MM, Bangkok time.")
@USER_OPTION
def finalise(month: str, user: str | None) -> None:
    """Lock MONTH on its finished run of the current data (admin only, audited).

    Refused (exit 2) when the data changed since the last run: `payroll run` first."""
    from .. import access, database
    from ..payroll.service import AlreadyFinalised, NoFinishedRun, PayrollBlocked, finalise_payroll

    access.require(user, "payroll", admin=True)
    try:
        with database.transaction() as conn:
            summary = finalise_payroll(conn, month, user)
    except PayrollBlocked as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BLOCKING)
    except (AlreadyFinalised, NoFinishedRun) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(
        f"finalised payroll {month}: {summary['people']} people, total "
        f"{summary['totals']['total_pay']} THB, checksum {summary['checksum'][:12]}"
    )


@payroll.command()
@click.option("--month", required=True, type=MONTH, help="YYYY-MM, Bangkok time.")
@click.option("--dry-run", is_flag=True, help="List who would get one and who is skipped.")
@click.option("--resend", is_flag=True, help="Send again what was sent (needs --reason).")
@click.option("--reason", default=None, help="Why they are sent again (kept in the audit).")
@click.option("--staff", "staff_code", default=None, help="Only this employee ID.")
@USER_OPTION
def deliver(month: str, dry_run: bool, resend: bool, reason: str | None,
            staff_code: str | None, user: str | None) -> None:
    """E-mail each person paid in a finalised MONTH their payslip, encrypted, once.

    The PDF opens with the person's 13-digit national ID; people without an e-mail or a
    national ID are skipped and named. Exit 0 nothing failed, 1 some failed, 2 nothing could be
    tried (no mail server, unreachable) or a refusal (month not finalised, --resend without a
    reason). BACKOFFICE_SMTP_URL and BACKOFFICE_MAIL_FROM: docs/administrators.
    """
    from .. import access
    from ..payroll.service.delivery import deliver_payslips
    from .outbox import run_delivery_command
    from .params import fail

    access.require(user, "payroll", admin=True)
    if resend and not (reason or "").strip():
        fail("--resend needs --reason (why they are sent again, kept in the audit)")
    if reason is not None and not resend:
        fail("--reason goes with --resend")
    run_delivery_command(deliver_payslips, "payslips", month=month, user=user, dry_run=dry_run,
                         resend_reason=reason if resend else None, staff_code=staff_code)


@payroll.command()
@click.option("--month", required=True, type=MONTH, help="YYYY-MM, Bangkok time.")
@click.option("--reason", required=True, help="Why the month is reopened (kept in the audit).")
@USER_OPTION
def reopen(month: str, reason: str, user: str | None) -> None:
    """Reopen a finalised MONTH: its run becomes a draft again (admin only, a reason, audited)."""
    from .. import access, database
    from ..payroll.rules.close import CloseRefused
    from ..payroll.service.close import reopen_payroll

    access.require(user, "payroll", admin=True)
    try:
        with database.transaction() as conn:
            reopened = reopen_payroll(conn, month, user, reason)
    except CloseRefused as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"reopened payroll {month} (run {reopened['run_id']}): {reopened['reason']}")



@payroll.command()
@click.option("--month", required=True, type=MONTH, help="YYYY-MM, Bangkok time.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the files (created if needed).")
@USER_OPTION
def filings(month: str, out_dir: str, user: str | None) -> None:
    """Write MONTH's statutory filings into DIR (admin only, audited).

    sso_MONTH.xlsx (สปส.1-10 part 1 totals, part 2 lines), sso_MONTH.txt (the fixed-width upload
    file), pnd1_MONTH.xlsx and pnd1_MONTH.csv (ภ.ง.ด.1 attachment). An insured person without a
    valid national ID blocks the filings: exit 3, the people named on stderr.
    """
    from .. import access, database
    from ..payroll.reports.filings import record_filings_made, write_filings
    from ..payroll.rules.filings import FilingsBlocked
    from ..payroll.service.filings import prepare_filings

    access.require(user, "payroll", admin=True)
    try:
        with database.transaction() as conn:
            prepared = prepare_filings(conn, month, user)
    except FilingsBlocked as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BLOCKING)
    for warning in prepared.warnings:
        click.echo(f"warning: {warning}", err=True)
    files = write_filings(prepared, Path(out_dir))
    for note in record_filings_made(user, month, files):
        click.echo(f"note: {note}", err=True)
    t = prepared.sso_totals
    click.echo(f"filings {month}: {t['employees']} insured, wages {t['wages']:.2f}, "
               f"contributions {t['employee_contributions']:.2f} + "
               f"{t['employer_contributions']:.2f}; PND 1: {prepared.pnd1_totals['people']} "
               f"people, tax {prepared.pnd1_totals['tax_withheld']:.2f}")
    for name in sorted(files):
        click.echo(str(files[name]))


@payroll.command()
@click.option("--year", required=True, type=click.IntRange(2000, 2200), help="Tax year, YYYY.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Folder for the PDFs (created if needed).")
@click.option("--deliver", is_flag=True,
              help="E-mail each person theirs, encrypted with their national ID, once.")
@click.option("--dry-run", is_flag=True, help="With --deliver: who would get one, who not.")
@USER_OPTION
def certificates(year: int, out_dir: str | None, deliver: bool, dry_run: bool,
                 user: str | None) -> None:
    """One 50 ทวิ withholding certificate (PDF, Thai) per person paid in YEAR (admin, audited).

    Adds up the months of YEAR that have ended. --out DIR writes them; --deliver e-mails them
    (exit 0 nothing failed, 1 some failed, 2 nothing could be tried or a refusal).
    """
    from .. import access, database
    from ..payroll.reports.certificates import record_certificates_made, write_certificates
    from ..payroll.rules.filings import NoMonthEnded
    from ..payroll.service.filings import prepare_certificates
    from .params import fail

    access.require(user, "payroll", admin=True)
    if not out_dir and not deliver:
        fail("say where the certificates go: --out DIR, --deliver, or both")
    if dry_run and not deliver:
        fail("--dry-run goes with --deliver")
    if not out_dir:
        _deliver_certificates(year, user, dry_run)
        return
    try:
        with database.transaction() as conn:
            employer, found = prepare_certificates(conn, year, user)
    except NoMonthEnded as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    files = write_certificates(employer, found, Path(out_dir))
    for note in record_certificates_made(user, year, files):
        click.echo(f"note: {note}", err=True)
    click.echo(f"certificates {year}: {len(files)} people")
    for name in sorted(files):
        click.echo(str(files[name]))
    if deliver:
        _deliver_certificates(year, user, dry_run)


def _deliver_certificates(year: int, user: str | None, dry_run: bool) -> None:
    from ..payroll.rules.filings import NoMonthEnded
    from ..payroll.service.delivery import deliver_employee_certificates
    from .outbox import run_delivery_command
    from .params import fail

    try:
        run_delivery_command(deliver_employee_certificates, "50 ทวิ", year=year, user=user,
                             dry_run=dry_run)
    except NoMonthEnded as exc:
        fail(str(exc))


@payroll.command("set-rate")
@click.option("--key", "rate_key", required=True, help="e.g. sso_employee_rate, pit_bracket.")
@click.option("--value", required=True, type=RATE_VALUE, help="0.05 for 5 %; baht for amounts.")
@click.option("--from", "effective_from", required=True,
              type=click.DateTime(formats=["%Y-%m-%d"]), help="First day, YYYY-MM-DD.")
@click.option("--threshold", default="0", show_default=True, type=MONEY,
              help="pit_bracket only: the income above which the rate applies.")
@click.option("--note", default=None)
@USER_OPTION
def set_rate(rate_key: str, value: Decimal, effective_from, threshold: Decimal, note: str | None,
             user: str | None) -> None:
    """Add a dated statutory rate row (admin only, audited)."""
    from .. import access, database
    from ..payroll.rules.statutory import BadStatutoryValue
    from ..payroll.service.statutory import set_statutory_rate

    access.require(user, "payroll", admin=True)
    try:
        with database.transaction() as conn:
            set_statutory_rate(conn, user, rate_key, value, effective_from.date(), threshold,
                               note)
    except BadStatutoryValue as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"{rate_key} = {value} from {effective_from:%Y-%m-%d}")


def _staff_key(conn, code: str) -> int:
    from ..payroll.queries import load_staff_key
    from ..payroll.rules.statutory import BadStatutoryValue

    key = load_staff_key(conn, code)
    if key is None:
        raise BadStatutoryValue(f"no staff member with employee ID {code!r}")
    return key


@payroll.command("set-email")
@click.option("--staff", "code", required=True, help="Employee ID, e.g. EMP001.")
@click.option("--email", "address", required=True,
              help="Where payslips and 50 ทวิ go (\"\" for nowhere).")
@USER_OPTION
def set_email(code: str, address: str, user: str | None) -> None:
    """Set where a person's payslips and 50 ทวิ are e-mailed (admin only, audited)."""
    from .. import access, database
    from ..payroll.rules.statutory import BadStatutoryValue
    from ..payroll.service.delivery import set_staff_email

    access.require(user, "payroll", admin=True)
    try:
        with database.transaction() as conn:
            done = set_staff_email(conn, user, _staff_key(conn, code), address)
    except BadStatutoryValue as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"{code}: e-mail {done['email'] or '(none)'}")


@payroll.command("set-allowance")
@click.option("--staff", "code", required=True, help="Employee ID, e.g. EMP001.")
@click.option("--year", required=True, type=click.IntRange(2000, 2200), help="Tax year.")
@click.option("--amount", required=True, type=MONEY,
              help="Declared allowances (form ล.ย.01) in baht, one amount.")
@USER_OPTION
def set_allowance(code: str, year: int, amount: Decimal, user: str | None) -> None:
    """Record the allowances a person declared for a tax year (admin only, audited)."""
    from .. import access, database
    from ..payroll.rules.statutory import BadStatutoryValue
    from ..payroll.service.statutory import set_declared_allowances

    access.require(user, "payroll", admin=True)
    try:
        with database.transaction() as conn:
            set_declared_allowances(conn, user, _staff_key(conn, code), year, amount)
    except BadStatutoryValue as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"{code} declared allowances {year}: {amount:.2f}")


@payroll.command("set-identity")
@click.option("--staff", "code", required=True, help="Employee ID, e.g. EMP001.")
@click.option("--national-id", default=None, help="13 digits with the check digit.")
@click.option("--title", default=None, type=click.Choice(["นาย", "นาง", "นางสาว", "Mr", "Mrs",
                                                          "Ms"]))
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
@click.option("--insured/--not-insured", default=None,
              help="Covered by the social security fund (Section 33).")
@click.option("--joined-on", default=None, type=click.DateTime(formats=["%Y-%m-%d"]))
@USER_OPTION
def set_identity(code: str, national_id, title, first_name, last_name, insured, joined_on,
                 user: str | None) -> None:
    """Set a person's statutory details (admin only, audited; the ID itself is never logged)."""
    from .. import access, database
    from ..payroll.rules.statutory import BadStatutoryValue
    from ..payroll.service.statutory import set_staff_statutory

    access.require(user, "payroll", admin=True)
    given = {"national_id": national_id, "title": title, "first_name": first_name,
             "last_name": last_name, "sso_insured": insured,
             "joined_on": joined_on.date() if joined_on else None}
    given = {k: v for k, v in given.items() if v is not None}
    try:
        with database.transaction() as conn:
            changed = set_staff_statutory(conn, user, _staff_key(conn, code), **given)
    except BadStatutoryValue as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"{code}: " + (", ".join(sorted(changed)) + " changed" if changed
                              else "nothing changed"))
