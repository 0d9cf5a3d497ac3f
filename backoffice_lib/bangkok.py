"""Business dates are Bangkok dates (UTC+7, no DST), computed here and nowhere else."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
MONTH_PATTERN = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])", re.ASCII)  # fullmatch: no "\n" tail
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# Month keys whose dates PostgreSQL and Python both compute without overflow (0000 and 9999 fail).
FIRST_YEAR, LAST_YEAR = 1900, 2999
# Business dates (a sale, a usage, an invoice, a shift, a payroll month) lie in this window:
# nothing before the studio's records can start, nothing further ahead than a plan can reach.
EARLIEST_BUSINESS_DATE = dt.date(2000, 1, 1)
YEARS_AHEAD = 5


class BadMonth(ValueError):
    pass


class BadDate(ValueError):
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
    """'YYYY-MM' -> (year, month); anything else raises BadMonth with a clear message.

    ASCII digits only, nothing before or after (not even a newline), years 1900 to 2999.
    """
    match = MONTH_PATTERN.fullmatch(month) if isinstance(month, str) else None
    if not match:
        raise BadMonth(f"month must look like 2025-01 (YYYY-MM), not {month!r}")
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadMonth(f"month {month} is out of range: the year must be {FIRST_YEAR} to"
                       f" {LAST_YEAR} (YYYY-MM)")
    return year, int(match.group(2))


def plausible_dates(as_of: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The window of plausible business dates: 2000-01-01 to today + 5 years (Bangkok)."""
    as_of = as_of or today()
    try:
        last = as_of.replace(year=as_of.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        last = as_of.replace(year=as_of.year + YEARS_AHEAD, day=28)
    return EARLIEST_BUSINESS_DATE, last


def check_business_date(day: dt.date, what: str = "date") -> dt.date:
    """``day`` when it lies in the plausible window, else BadDate naming the window.

    The one check of business dates (an invoice in year 1 or a package bought in 1900 is a typo).
    """
    first, last = plausible_dates()
    if not first <= day <= last:
        raise BadDate(f"{what} {day.isoformat()} is not a plausible business date"
                      f" ({first.isoformat()} to {last.isoformat()})")
    return day


def parse_date(text: str, what: str = "date") -> dt.date:
    """'YYYY-MM-DD' (ASCII digits, nothing around it) in the plausible window, else BadDate."""
    value = text if isinstance(text, str) else ""
    if not DATE_PATTERN.fullmatch(value):
        raise BadDate(f"{what} must be a date like 2025-01-31 (YYYY-MM-DD), not {text!r}")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise BadDate(f"{what} must be a date of the calendar, not {text!r}") from None
    return check_business_date(day, what)


def parse_business_month(month: str) -> tuple[int, int]:
    """``parse_month`` for a business month: its first day must be in the plausible window."""
    year, number = parse_month(month)
    first, last = plausible_dates()
    if not (first.year, first.month) <= (year, number) <= (last.year, last.month):
        raise BadMonth(f"month {month} is not a plausible business month ({month_key(first)}"
                       f" to {month_key(last)}, YYYY-MM)")
    return year, number


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
