"""``backoffice outbox``: every message delivery recorded (delivery.md §3), and retrying the
failed ones; also how a delivery run's report is printed (``payroll deliver`` and the others).

Exit codes: 0 success; 2 a refusal (a non-admin, a bad value).
"""

from __future__ import annotations

import json
import sys

import click

from .params import fail, json_default

KINDS = ("payslip", "wht_certificate", "package_alert")
STATES = ("queued", "sending", "sent", "failed", "skipped")
USER_OPTION = click.option("--user", envvar="BACKOFFICE_USER",
                           help="acting admin's e-mail (or BACKOFFICE_USER)")
LIST_FIELDS = ("id", "created_at", "kind", "channel", "period", "recipient_name", "address",
               "state", "attempts", "sent_at", "message_id", "why")


def echo_delivery_report(report, what: str) -> None:
    """A run's report: the counts, then one line per person and outcome (stdout); exits with
    the run's code (0 nothing failed, 1 some failed, 2 nothing could be tried)."""
    counts = report.counts()
    if report.dry_run:
        click.echo(f"{what} {report.period} (dry run, nothing sent): {counts['would_send']} "
                   f"would be sent, {counts['already_sent']} already sent, "
                   f"{counts['skipped']} skipped, {counts['failed']} failed before")
    else:
        click.echo(f"{what} {report.period}: {counts['sent']} sent, {counts['already_sent']} "
                   f"already sent, {counts['skipped']} skipped, {counts['failed']} failed")
    for row in report.rows():
        why = f"  ({row['why']})" if row["why"] else ""
        where = f"  {row['address']}" if row["address"] else ""
        click.echo(f"{row['outcome']:<13} {row['recipient']}{where}{why}")
    if report.exit_code:
        sys.exit(report.exit_code)


def run_delivery_command(deliver, what: str, **arguments) -> None:
    """Call a ``deliver_*`` service; a refusal is one line and exit 2, nothing sent."""
    try:
        report = deliver(**arguments)
    except ValueError as exc:  # CloseRefused, DeliveryRefused, a bad value
        fail(str(exc))
    echo_delivery_report(report, what)


@click.group("outbox")
def outbox_group() -> None:
    """Messages sent, skipped or failed (payslips, certificates, alerts); retry failed ones."""


@outbox_group.command("list")
@click.option("--kind", type=click.Choice(KINDS), default=None)
@click.option("--period", default=None, help="YYYY-MM (a month), YYYY (a tax year) or as shown.")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@USER_OPTION
def list_command(kind, period, state, limit, fmt, user) -> None:
    """The outbox, newest first (admins)."""
    from .. import access, database
    from ..delivery.service import load_outbox

    access.require(user, "payroll", admin=True)
    with database.transaction() as conn:
        rows = load_outbox(conn, user, kind=kind, period=period, state=state, limit=limit)
    for row in rows:
        row["why"] = row["skip_reason"] or row["last_error"] or ""
    if fmt == "json":
        click.echo(json.dumps(rows, default=json_default, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("no messages")
        return
    for row in rows:
        when = f"{row['created_at']:%Y-%m-%d %H:%M}"
        sent = f" sent {row['sent_at']:%Y-%m-%d %H:%M}" if row["sent_at"] else ""
        why = f"  ({row['why']})" if row["why"] else ""
        click.echo(f"#{row['id']} {when} {row['kind']} {row['channel']} {row['period']} "
                   f"{row['recipient_name']} {row['address'] or '-'} {row['state']}"
                   f" attempts {row['attempts']}{sent}{why}")


@outbox_group.command("retry")
@click.option("--kind", type=click.Choice(KINDS), default=None)
@click.option("--period", default=None, help="YYYY-MM (a month), YYYY (a tax year) or as shown.")
@click.option("--id", "ids", type=int, multiple=True, help="One message (repeatable).")
@USER_OPTION
def retry_command(kind, period, ids, user) -> None:
    """Put failed messages back in the queue, their attempts counted from 0 again (audited);
    the next run of their kind sends them."""
    from .. import access, database
    from ..delivery.service import retry_outbox

    access.require(user, "payroll", admin=True)
    with database.transaction() as conn:
        rows = retry_outbox(conn, user, kind=kind, period=period, ids=list(ids) or None)
    click.echo(f"{len(rows)} failed messages queued again")
    for row in rows:
        click.echo(f"#{row['id']} {row['kind']} {row['period']} {row['recipient_name']}")

