"""Public holidays, the pure rules (business-rules §3.2): the Thai calendar of a year (from the
``holidays`` package) and what a person can fix."""

from __future__ import annotations

import datetime as dt

import holidays as holiday_calendars


class HolidayError(ValueError):
    """A holiday change a person can fix (a date already listed, no name, a year out of range)."""


def compute_thai_holidays(year: int) -> list[tuple[dt.date, str]]:
    """The year's Thai public holidays (date, English name), in date order."""
    if not 2000 <= int(year) <= 2100:
        raise HolidayError(f"pick a year between 2000 and 2100, not {year}")
    calendar = holiday_calendars.Thailand(years=int(year), language="en_US")
    return sorted(calendar.items())
