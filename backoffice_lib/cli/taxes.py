"""`backoffice taxes ...`: the tax calendar of a month and the filings recorded (admins;
supplier-tax.md §5).

Exit codes: 0 success; 2 a refusal a person can fix (one line on stderr): not an admin, an
unknown duty, a period of the wrong shape, a bad date, a filing date in the future or before its
period ended, an empty receipt number, a duty already filed without ``--reason``.
"""

from __future__ import annotations

import json

import click

from .params import DATE, MONTH, fail, json_default

USER_OPTION = click.option(
    "--user", "user", envvar="BACKOFFICE_USER", help="acting user's e-mail (or BACKOFFICE_USER)"
)


@click.group("taxes")
def taxes_group() -> None:
    """The month's tax calendar: due dates, states, files, filings recorded (admins)."""


@taxes_group.command("calendar")
@click.option("--month", required=True, type=MONTH, help="YYYY-MM: the period the duties report.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@USER_OPTION
def calendar(month: str, fmt: str, user: str | None) -> None:
    """Every duty of MONTH: paper and online due dates, state, files made, filing recorded.

    Due dates move past Saturdays, Sundays and the studio's active public holidays; overdue is
    judged against the online due date. January and February also list the previous year's
    ภ.ง.ด.1ก (pnd1a) and employees' 50 ทวิ (wht50_employees).
    """
    from .. import access, database
    from ..taxes.service import AREA, load_tax_calendar

    access.require(user, AREA, admin=True)
    with database.transaction() as conn:
        rows = load_tax_calendar(conn, user, month)
    if fmt == "json":
        click.echo(json.dumps({"month": month, "duties": [r.as_dict() for r in rows]},
                              default=json_default, ensure_ascii=False, indent=2))
        return
    click.echo(f"tax calendar {month}")
    for row in rows:
        d = row.duty
        click.echo(f"{d.duty:<16} {d.period:<8} paper {d.paper_due}  online {d.online_due}  "
                   f"{row.state.replace('_', ' ')}" + (f"  ({row.note})" if row.note else ""))
        for f in row.files:
            click.echo(f"    {f.get('name')}  sha256 {f.get('sha256')}  {f.get('bytes')} bytes")
        if row.files_made_at:
            click.echo(f"    files made {row.files_made_at:%Y-%m-%d %H:%M} by {row.files_made_by}")
        if row.filed_on:
            click.echo(f"    filed {row.filed_on} receipt {row.receipt_no} "
                       f"(recorded by {row.filed_by})")


@taxes_group.command("filed")
@click.option("--duty", required=True,
              help="sso, pnd1, pnd3, pnd53 (monthly), pnd1a, wht50_employees (yearly).")
@click.option("--month", default=None, help="YYYY-MM for a monthly duty.")
@click.option("--year", default=None, help="YYYY for a yearly duty.")
@click.option("--date", "filed_on", required=True, type=DATE, help="YYYY-MM-DD, the day filed.")
@click.option("--receipt", required=True, help="Receipt number of the Revenue Department or "
              "the fund.")
@click.option("--reason", default=None, help="Required to correct a filing already recorded.")
@USER_OPTION
def filed(duty: str, month: str | None, year: str | None, filed_on, receipt: str,
          reason: str | None, user: str | None) -> None:
    """Record DUTY of a month (or a year) as filed on DATE with its receipt (admins; audited)."""
    from .. import access, database
    from ..taxes.service import AREA, BadFiling, record_filed

    if (month is None) == (year is None):
        fail("give --month YYYY-MM (monthly duties) or --year YYYY (yearly duties), one of them")
    access.require(user, AREA, admin=True)
    try:
        with database.transaction() as conn:
            done = record_filed(conn, user, duty, month if month is not None else year,
                                filed_on, receipt, reason=reason)
    except BadFiling as exc:
        fail(str(exc))
    click.echo(f"{done['duty']} {done['period']}: filed on {done['filed_on']}, receipt "
               f"{done['receipt_no']} (recorded by {done['filed_by']})")
