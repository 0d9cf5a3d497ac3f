"""``backoffice staff|clock|schedule|attendance``: staff, time clock, schedules, attendance.

The acting user comes from ``--user EMAIL`` or ``BACKOFFICE_USER`` and is checked with access
(staff management and schedule generation are admin areas; punching and attendance need an
allowed user). A PIN is read from a hidden prompt, or from the first line of stdin when stdin is
not a terminal; it is never an argument, never echoed and never logged.

Exit codes: 0 success; 1 a punch that did not happen (wrong PIN, locked, confirmation needed,
refused); 2 bad input, a refused user or an unreachable database (one line on stderr).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
import pandas as pd

from .. import access, bangkok, database, spreadsheets
from ..staff.rules import pins
from ..staff.service import people, schedules, timeclock

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
MAX_PERIOD_DAYS = 366
USER_OPTION = click.option(
    "--user", "user", envvar="BACKOFFICE_USER", help="acting user's e-mail (or BACKOFFICE_USER)"
)
FIXABLE = (people.StaffError, timeclock.TimeclockError, schedules.ScheduleError, pins.BadPin)



def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _date(value: str, option: str) -> dt.date:
    try:
        return bangkok.parse_date(value, option)
    except bangkok.BadDate as exc:
        _fail(str(exc))


def _period(date_from: str, date_to: str) -> tuple[dt.date, dt.date]:
    """--from/--to: business dates, in order, at most a year apart."""
    first, last = _date(date_from, "--from"), _date(date_to, "--to")
    if last < first:
        _fail("--to is before --from")
    if (last - first).days > MAX_PERIOD_DAYS:
        _fail(f"--from {first} to --to {last} spans more than {MAX_PERIOD_DAYS} days")
    return first, last


def _read_pin(prompt: str, *, confirm: bool = False) -> str:
    """From a hidden prompt on a terminal, else the first line of stdin. Never echoed."""
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def _run(area: str, user: str | None, admin: bool, work):
    """Check access (own transaction, refusal audited), then do ``work(conn)`` in one transaction."""
    access.require(user, area, admin=admin)
    try:
        with database.transaction() as conn:
            return work(conn)
    except FIXABLE as exc:
        _fail(str(exc))


# --- staff -----------------------------------------------------------------------------------


@click.group("staff")
def staff_group() -> None:
    """Staff members: add, list, reset a PIN, deactivate, unlock (admins)."""


@staff_group.command("add")
@click.option("--name", required=True, help="full name")
@click.option("--staff-id", default=None, help="employee ID (unique)")
@click.option(
    "--service-charge/--no-service-charge", default=False, help="eligible for the service charge"
)
@USER_OPTION
def staff_add(name: str, staff_id: str | None, service_charge: bool, user: str | None) -> None:
    """Add a staff member; the 6-digit PIN is asked for (or read from stdin)."""
    access.require(user, people.AREA)
    pin = _read_pin("PIN (6 digits)", confirm=True)
    created = _run(
        people.AREA,
        user,
        True,
        lambda c: people.create_staff(
            c, user, name, pin, staff_id=staff_id, is_service_charge_eligible=service_charge
        ),
    )
    click.echo(
        f"added {created['staff_name']} (id {created['id']}, employee ID "
        f"{created['staff_id'] or '-'})"
    )


@staff_group.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="include inactive staff")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table")
@USER_OPTION
def staff_list(include_inactive: bool, fmt: str, user: str | None) -> None:
    """Staff with their clock state: id, staff_name, staff_id, is_active, failed_attempts,
    locked_until, currently_clocked_in, last_action, last_action_time."""
    frame = _run(
        people.AREA, user, True, lambda c: people.load_staff(c, include_inactive=include_inactive)
    )
    columns = [
        "id",
        "staff_name",
        "staff_id",
        "is_active",
        "failed_attempts",
        "locked_until",
        "currently_clocked_in",
        "last_action",
        "last_action_time",
    ]
    _print(frame[columns], fmt)


def _staff_change(function, verb: str):
    @click.argument("staff_ref", metavar="STAFF")
    @click.option("--reason", required=True, help="why (recorded in the audit trail)")
    @USER_OPTION
    def command(staff_ref: str, reason: str, user: str | None) -> None:
        after = _run(people.AREA, user, True, lambda c: function(c, user, staff_ref, reason=reason))
        click.echo(f"{verb} {after['staff_name']} (id {after['id']})")

    return command


@staff_group.command("reset-pin")
@click.argument("staff_ref", metavar="STAFF")
@click.option("--reason", required=True, help="why (recorded in the audit trail)")
@USER_OPTION
def staff_reset_pin(staff_ref: str, reason: str, user: str | None) -> None:
    """Give STAFF (employee ID or id) a new PIN, asked for (or read from stdin)."""
    access.require(user, people.AREA)
    pin = _read_pin("new PIN (6 digits)", confirm=True)
    after = _run(
        people.AREA, user, True, lambda c: people.reset_pin(c, user, staff_ref, pin, reason=reason)
    )
    click.echo(f"new PIN set for {after['staff_name']} (id {after['id']}); lock cleared")


staff_group.command("deactivate", help="Deactivate STAFF (soft delete; history kept).")(
    _staff_change(people.deactivate_staff, "deactivated")
)
staff_group.command("unlock", help="Lift the PIN lock of STAFF and clear failed attempts.")(
    _staff_change(people.unlock_staff, "unlocked")
)


# --- clock -----------------------------------------------------------------------------------


@click.command("clock")
@click.option("--staff", "staff_ref", required=True, help="employee ID or id of the person")
@click.option(
    "--confirm",
    is_flag=True,
    help="confirm a second punch within 2 minutes (asked for on a terminal)",
)
@click.option(
    "--photo",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JPEG, PNG or WebP of at most 1 MB",
)
@click.option("--device", default="cli", help="device name recorded in device_info")
@USER_OPTION
def clock(staff_ref: str, confirm: bool, photo: Path | None, device: str, user: str | None) -> None:
    """Punch for a person: the PIN is asked for (or read from stdin); the action is derived."""
    access.require(user, timeclock.AREA, admin=False)
    pin = _read_pin("PIN")
    if not pins.PIN_PATTERN.fullmatch(pin):  # refused before any check, never counted
        _fail("a PIN is exactly 6 digits (0-9)")
    photo_bytes, camera_error = None, None
    if photo is not None:
        try:
            photo_bytes = photo.read_bytes()
        except OSError as exc:
            camera_error = f"photo file unreadable: {exc.strerror}"
    device_info = {"device": device, "source": "cli"}

    def punch(conn, confirmed: bool):
        return timeclock.punch(
            conn,
            user,
            staff_ref,
            pin,
            confirm=confirmed,
            photo=photo_bytes,
            camera_error=camera_error,
            device_info=device_info,
        )

    result = _run(timeclock.AREA, user, False, lambda c: punch(c, confirm))
    if (
        result.status == timeclock.CONFIRM
        and sys.stdin.isatty()
        and click.confirm(result.message, err=True)
    ):
        result = _run(timeclock.AREA, user, False, lambda c: punch(c, True))
    if result.ok:
        click.echo(result.message)
        if not result.photo_captured:
            click.echo(f"photo: {result.camera_error}", err=True)
        return
    message = result.message
    if result.status == timeclock.CONFIRM:
        message += " (pass --confirm)"
    _fail(message, EXIT_REFUSED)


# --- schedules -------------------------------------------------------------------------------


@click.group("schedule")
def schedule_group() -> None:
    """Shift schedules (admins)."""


@schedule_group.command("generate")
@click.option("--from", "date_from", required=True, help="first date, YYYY-MM-DD")
@click.option("--to", "date_to", required=True, help="last date, YYYY-MM-DD")
@USER_OPTION
def schedule_generate(date_from: str, date_to: str, user: str | None) -> None:
    """Create each date's shifts from the active weekly patterns; overlaps are skipped and listed."""
    first, last = _period(date_from, date_to)
    report = _run(
        schedules.AREA, user, True, lambda c: schedules.run_generate_schedules(c, user, first, last)
    )
    click.echo(report.summary())
    names = {}
    if len(report.skipped):
        with database.transaction() as conn:
            names = dict(
                people.load_staff(conn, include_inactive=True)[["id", "staff_name"]].itertuples(
                    index=False, name=None
                )
            )
    for row in report.skipped.itertuples(index=False):
        click.echo(
            f"skipped {names.get(row.staff_id, row.staff_id)} {row.schedule_date} "
            f"{row.start_time:%H:%M}-{row.end_time:%H:%M}: {row.reason}"
        )


# --- attendance ------------------------------------------------------------------------------

REPORT_COLUMNS = [
    "staff_name",
    "work_date",
    "shift",
    "clock_in",
    "clock_out",
    "status",
    "minutes_late",
    "left_early",
    "minutes_early",
    "session_flag",
    "hours",
]


def _hhmm(moment) -> str:
    return "" if moment is None or pd.isna(moment) else moment.strftime("%H:%M")


def _iso(moment) -> str:
    return "" if moment is None or pd.isna(moment) else moment.isoformat()


@click.command("attendance")
@click.option("--from", "date_from", required=True, help="first date, YYYY-MM-DD")
@click.option("--to", "date_to", required=True, help="last date, YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table")
@USER_OPTION
def attendance(date_from: str, date_to: str, fmt: str, user: str | None) -> None:
    """Per shift: on_time / late / no_show / upcoming, left early; and unscheduled sessions.

    Columns: staff_name, work_date, shift, clock_in, clock_out, status, minutes_late,
    left_early, minutes_early, session_flag, hours.
    """
    first, last = _period(date_from, date_to)
    frame = _run("attendance", user, False, lambda c: schedules.load_attendance(c, first, last))
    stamp = _iso if fmt == "csv" else _hhmm
    report = pd.DataFrame(
        {
            "staff_name": frame["staff_name"],
            "work_date": frame["work_date"].map(str),
            "shift": [
                f"{_hhmm(s)}-{_hhmm(e)}" if s is not None else ""
                for s, e in zip(frame["shift_start"], frame["shift_end"])
            ],
            "clock_in": frame["clock_in"].map(stamp),
            "clock_out": frame["clock_out"].map(stamp),
            "status": frame["status"],
            "minutes_late": frame["minutes_late"],
            "left_early": frame["left_early"],
            "minutes_early": frame["minutes_early"],
            "session_flag": frame["session_flag"],
            "hours": frame["hours"].map(str),
        },
        columns=REPORT_COLUMNS,
    )
    _print(report, fmt)


def _print(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        click.echo(spreadsheets.inert_frame(frame).to_csv(index=False), nl=False)
    elif frame.empty:
        click.echo("(no rows)")
    else:
        click.echo(frame.fillna("").to_string(index=False))
