"""Business dates are Bangkok dates (UTC+7, no DST), computed here and nowhere else."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class BadMonth(ValueError):
    pass


def now() -> dt.datetime:
    return dt.datetime.now(BANGKOK)


def today() -> dt.date:
    return now().date()


def bangkok_date(moment: dt.datetime) -> dt.date:
    """The Bangkok calendar date of an aware timestamp."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(BANGKOK).date()


def at(day: dt.date, time: dt.time = dt.time(0)) -> dt.datetime:
    """An aware Bangkok timestamp for a business date and wall-clock time."""
    return dt.datetime.combine(day, time, tzinfo=BANGKOK)


def parse_month(month: str) -> tuple[int, int]:
    """'YYYY-MM' -> (year, month); anything else raises BadMonth with a clear message."""
    match = MONTH_PATTERN.match(month or "")
    if not match:
        raise BadMonth(f"month must look like 2025-01 (YYYY-MM), not {month!r}")
    return int(match.group(1)), int(match.group(2))


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """First and last business date of a month key."""
    year, number = parse_month(month)
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a payroll month: the 1st 00:00 to the last day 24:00, Bangkok time."""
    first, last = month_days(month)
    return at(first), at(last + dt.timedelta(days=1))


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(month: str) -> str:
    first, _ = month_days(month)
    return month_key(first - dt.timedelta(days=1))
