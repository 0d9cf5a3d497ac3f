"""``backoffice packages ...`` and ``backoffice coaching ...`` (business-rules §4, §5).

Exit codes: 0 done; 2 bad input, a refused operation or user (one line on stderr).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path

import click

from .. import access, bangkok, database, spreadsheets
from .params import DATE, HOURS, money_option_type

EXIT_REFUSED = 2



def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_REFUSED)


def _day(value: dt.date | None) -> dt.date | None:
    """Dates arrive parsed (params.DATE: ASCII YYYY-MM-DD in the plausible window)."""
    return value.date() if isinstance(value, dt.datetime) else value


def _package_type(value: str) -> int | str:
    """A package type id (ASCII digits) or name."""
    text = value.strip()
    if text.isascii() and text.isdigit():
        if len(text) > 9:
            _fail(f"--type {value!r} is not a package type id")
        return int(text)
    return text


def _cell(value) -> str:
    """A CSV field: empty for null; text that could run as a formula made inert."""
    return "" if value is None else str(spreadsheets.inert_value(value))


def _json_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, Decimal):
        return str(value)  # exact, e.g. 10.00
    if isinstance(value, (int, float, bool)):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def write_rows(rows, columns: list[str], fmt: str, out=None) -> int:
    """Stream rows as CSV (empty cells for nulls) or as one JSON array; return the count."""
    out = out or sys.stdout
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row[c]) for c in columns])
            count += 1
        return count
    out.write("[")
    for row in rows:
        body = ", ".join(f"{json.dumps(c)}: {_json_value(row[c])}" for c in columns)
        out.write(("\n  {" if count == 0 else ",\n  {") + body + "}")
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


USER = click.option(
    "--user", envvar="BACKOFFICE_USER", help="acting user's e-mail (or BACKOFFICE_USER)"
)


@click.group("packages")
def packages_group() -> None:
    """Customer hour packages: status, usage, sales, transfers, extensions, alerts."""


@packages_group.command("status")
@click.option("--as-of", type=DATE, help="Bangkok date the status is judged on (default today).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@USER
def status_command(as_of, fmt, user) -> None:
    """One row per package with balances and status, sorted by purchase date and package id.

    Every customer's packages: admins only, as the package monitor dashboard."""
    from ..packages import service as package_service

    access.require(user, package_service.AREA, admin=True)
    day = _day(as_of) or bangkok.today()
    with database.get_engine().connect() as conn, conn.begin():
        if fmt == "csv":  # PostgreSQL writes the CSV itself (COPY): no Python object per row
            package_service.copy_package_status_csv(conn, day, sys.stdout)
        else:
            write_rows(package_service.iter_package_status(conn, day),
                       package_service.STATUS_COLUMNS, fmt)


@packages_group.command("use")
@click.option("--package", "package_id", required=True, help="Package id (uuid).")
@click.option("--hours", required=True, type=HOURS, help="Hours used, more than 0 (e.g. 1.5).")
@click.option("--date", "used_date", type=DATE, required=True, help="Bangkok date of the usage.")
@click.option("--employee", required=True, help="Staff member who records the usage.")
@click.option("--booking", "booking_id", help="Booking id the usage belongs to.")
@USER
def use_command(package_id, hours, used_date, employee, booking_id, user) -> None:
    """Record package usage, or refuse with the reason (exit code 2)."""
    from ..packages import service as package_service

    access.require(user, package_service.AREA)
    try:
        with database.transaction() as conn:
            result = package_service.record_usage(
                conn, user, package_id, hours=hours, used_date=_day(used_date),
                employee_name=employee, booking_id=booking_id,
            )
    except package_service.PackageRefused as refused:
        _fail(f"usage refused: {refused}")
    package = result["package"]
    remaining = "unlimited" if package["remaining_hours"] is None else (
        f"{package['remaining_hours']} h remain"
    )
    click.echo(
        f"recorded {result['used_hours']} h on {result['used_date']} for {package['customer_name']}"
        f" (package {package['id']}); {remaining}; expires {package['expiration_date'] or 'never'}"
    )


@packages_group.command("sell")
@click.option("--customer", required=True, help="Customer name.")
@click.option("--type", "package_type", required=True, help="Package type name or id.")
@click.option("--date", "purchase_date", type=DATE, help="Purchase date (default today).")
@click.option("--employee", help="Selling employee.")
@click.option("--discount", type=money_option_type("the discount"), help="Discount in THB.")
@USER
def sell_command(customer, package_type, purchase_date, employee, discount, user) -> None:
    """Sell a package (it starts unactivated); prints the new package id."""
    from ..packages import service as package_service

    access.require(user, package_service.AREA)
    kind = _package_type(package_type)
    try:
        with database.transaction() as conn:
            package = package_service.sell_package(
                conn, user, customer_name=customer, package_type=kind,
                purchase_date=_day(purchase_date), employee_name=employee,
                discount_amount=discount,
            )
    except package_service.PackageRefused as refused:
        _fail(f"sale refused: {refused}")
    click.echo(str(package["id"]))


@packages_group.command("customer-line")
@click.argument("customer_code")
@click.argument("line_user_id")
@USER
def customer_line_command(customer_code, line_user_id, user) -> None:
    """Store the LINE user ID of a customer who added the studio's account ("" to forget it);
    package alerts then reach them by LINE (admins, audited)."""
    from ..packages.rules import CustomerError
    from ..packages.service.delivery import save_customer_line_id

    access.require(user, "packages", admin=True)
    try:
        with database.transaction() as conn:
            row = save_customer_line_id(conn, user, customer_code, line_user_id)
    except CustomerError as refused:
        _fail(str(refused))
    click.echo(f"{customer_code} {row['customer_name']}: LINE {row['line_user_id'] or '(none)'}")


@packages_group.command("transfer")
@click.option("--package", "package_id", required=True)
@click.option("--to", "to_customer", required=True, help="New customer's name.")
@click.option("--reason", required=True)
@USER
def transfer_command(package_id, to_customer, reason, user) -> None:
    """Move a package to another customer (admins; audited with the reason)."""
    from ..packages import service as package_service

    access.require(user, package_service.AREA, admin=True)
    try:
        with database.transaction() as conn:
            package_service.transfer_package(conn, user, package_id, to_customer_name=to_customer,
                                      reason=reason)
    except package_service.PackageRefused as refused:
        _fail(f"transfer refused: {refused}")
    click.echo(f"package {package_id} now belongs to {to_customer}")


@packages_group.command("extend")
@click.option("--package", "package_id", required=True)
@click.option("--until", "until", type=DATE, required=True, help="New expiration date.")
@click.option("--reason", required=True)
@USER
def extend_command(package_id, until, reason, user) -> None:
    """Extend an activated package's expiry (admins; audited with the reason)."""
    from ..packages import service as package_service

    access.require(user, package_service.AREA, admin=True)
    try:
        with database.transaction() as conn:
            package_service.extend_package_expiry(conn, user, package_id,
                                           new_expiration_date=_day(until), reason=reason)
    except package_service.PackageRefused as refused:
        _fail(f"extension refused: {refused}")
    click.echo(f"package {package_id} now expires on {_day(until)}")


@packages_group.command("alerts")
@click.option("--as-of", type=DATE, help="Bangkok date (default today).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write the day's list as CSV + Excel into this folder.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@USER
def alerts_command(as_of, output_dir, fmt, user) -> None:
    """Raise the day's new alerts (once per package and level) and print the day's list.

    The list carries customers' phone numbers and e-mails: admins only (refusals audited)."""
    from ..packages import reports as package_reports
    from ..packages import rules as package_rules
    from ..packages import service as package_service
    from ..packages.service import alerts as package_alerts

    who = access.require(user, package_service.AREA, admin=True)
    day = _day(as_of) or bangkok.today()
    with database.transaction() as conn:
        result = package_alerts.run_package_alerts(conn, day, actor=who.email)
    frame = package_rules.alert_list_frame(result["alerts"])
    if output_dir:
        package_reports.write_alert_files(result["alerts"], output_dir, day)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    write_rows(rows, package_rules.ALERT_LIST_COLUMNS, fmt)


@click.group("coaching")
def coaching_group() -> None:
    """Coach earnings (business-rules §5)."""


@coaching_group.command("earnings")
@click.option("--from", "date_from", type=DATE, required=True, help="First booking date.")
@click.option("--to", "date_to", type=DATE, required=True, help="Last booking date (included).")
@click.option("--coach", help="Coach code (a coach sees only their own).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table",
              show_default=True)
@USER
def earnings_command(date_from, date_to, coach, fmt, user) -> None:
    """One row per confirmed coaching booking; a missing rate is an error row."""
    from ..packages import rules as package_rules
    from ..packages.service import coaching

    first, last = _day(date_from), _day(date_to)
    if last < first:
        _fail(f"--to {last} is before --from {first}")
    coach_code = coaching.require_visible_coach(user, coach)
    with database.transaction() as conn:
        result = coaching.run_coach_earnings(conn, user, first, last, coach_code)
    if fmt == "csv":
        write_rows(result["rows"], package_rules.EARNINGS_COLUMNS, "csv")
    else:
        rows = package_rules.earnings_frame(result["rows"]).astype(object)
        click.echo(rows.where(rows.notna(), "").to_string(index=False)
                   if result["rows"] else "no coaching bookings in that period")
        click.echo("")
        click.echo(package_rules.totals_frame(result["totals"]).to_string(index=False))
    if result["errors"]:
        click.echo(
            f"warning: {len(result['errors'])} booking(s) have no coach rate and earn nothing"
            " until one is set (see the error column)", err=True,
        )
