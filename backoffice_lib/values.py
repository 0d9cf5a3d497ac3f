"""Values parsed once, where they enter: a month, a business date, hours, an amount of money.

The command line's option types (``cli/params.py``) and the forms (front desk, payroll close,
report runs) call these parsers, so both refuse the same values with the same message. The one
rule, for every number and date a person types:

- digits are ASCII ``0-9`` only: Thai (``๑.๕``), Arabic-Indic or full-width digits are refused
  ("must be a number such as 1.5 (digits 0-9)"), as are signs, exponents, NaN and Infinity;
- hours and money have at most 2 decimals (``numeric(8,2)`` / ``numeric(12,2)``) and are never
  negative, and never beyond their column; money may carry thousands commas (``12,345.50``)
  and a ``฿``/``THB`` mark, hours may not;
- months are ``YYYY-MM`` and dates ``YYYY-MM-DD``, nothing before or after (not a space, not a
  newline), within the plausible business window of ``bangkok`` (2000-01-01 to today + 5 years).

The parsers take the text exactly as typed. A form strips the spaces around a text box's value
before it calls them (a person cannot see them); the command line hands the value over as is.
Refusals are ``ValueError`` subclasses (``BadNumber`` here, ``bangkok.BadMonth``/``BadDate``):
their text is the message a person reads, on stderr or in the form.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from . import bangkok

PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)
GROUPED_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?", re.ASCII)
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)
CURRENCY_MARKS = ("฿", "THB")
MAX_HOURS = Decimal("999999.99")  # numeric(8,2)
MAX_MONEY = Decimal("9999999999.99")  # numeric(12,2)
PLACES = 2
LONGEST = 40  # characters: nothing longer is a number a person meant


class BadNumber(ValueError):
    """A number refused where it entered; the text is the message a person reads."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month (year 1900-2999); ``str()`` gives the key 'YYYY-MM'."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (isinstance(self.year, int) and isinstance(self.month, int)
                and bangkok.FIRST_YEAR <= self.year <= bangkok.LAST_YEAR
                and 1 <= self.month <= 12):
            raise bangkok.BadMonth(f"not a month: year {self.year!r}, month {self.month!r}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """'YYYY-MM' exactly (bangkok.parse_month), else BadMonth with the reason."""
        return cls(*bangkok.parse_month(text))

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return bangkok.month_days(str(self))[1]

    def previous(self) -> Month:
        return Month.of(self.first_day - dt.timedelta(days=1))

    def next(self) -> Month:
        return Month.of(self.last_day + dt.timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_key(month: Month | str) -> str:
    """'YYYY-MM' of a Month, or of a key that Month.parse accepts (else BadMonth): what a service
    taking either a Month (forms, code) or a key (the CLI, notebook parameters) works with."""
    return str(month if isinstance(month, Month) else Month.parse(month))


def parse_business_month(text: str) -> Month:
    """A month key in the plausible business window (what ``--month`` and month fields take)."""
    return Month(*bangkok.parse_business_month(text))


def parse_business_date(text: str, what: str = "the date") -> dt.date:
    """'YYYY-MM-DD' of the calendar in the plausible business window, else bangkok.BadDate."""
    return bangkok.parse_date(text, what)


def parse_decimal(text, what: str, *, maximum: Decimal, places: int = PLACES,
                  grouped: bool = False) -> Decimal:
    """A non-negative Decimal typed by a person, by the one rule: ASCII digits, at most
    ``places`` decimals, 0 to ``maximum``; ``grouped`` also takes thousands commas and a
    leading ``฿``/``THB`` (money). The value is returned as typed (not rounded)."""
    if isinstance(text, float):
        raise BadNumber(f"{what} must be typed as a number, e.g. 1.5, not a float ({text!r})")
    if isinstance(text, (Decimal, int)) and not isinstance(text, bool):
        value = str(text)
    elif isinstance(text, str):
        value = text
    else:
        raise BadNumber(f"{what} must be a number such as 1.5 (digits 0-9), not {text!r}")
    if not value:
        raise BadNumber(f"enter {what}: a number such as 1.5 (digits 0-9)")
    plain = value
    if grouped:
        for mark in CURRENCY_MARKS:
            if plain.startswith(mark):
                plain = plain[len(mark):].strip()
        if GROUPED_NUMBER.fullmatch(plain.removeprefix("-")):
            plain = plain.replace(",", "")
    if plain.startswith("-") and PLAIN_NUMBER.fullmatch(plain[1:]):
        raise BadNumber(f"{what} cannot be negative ({value})")
    if len(value) > LONGEST or not PLAIN_NUMBER.fullmatch(plain):
        raise BadNumber(f"{what} must be a number such as 1.5 (digits 0-9), not {text!r}")
    number = Decimal(plain)
    if number.as_tuple().exponent < -places:
        raise BadNumber(f"{what} {value} has more than {places} decimals"
                        f" (at most {places} decimals)")
    if number > maximum:
        raise BadNumber(f"{what} cannot exceed {maximum:,} ({value})")
    return number


def parse_hours(text, what: str = "hours") -> Decimal:
    """Hours as typed ('1', '1.5', '.75'): 0 to 999999.99, at most 2 decimals, no commas.

    Zero passes here: whether 0 h makes sense is the service's rule (a usage must be > 0).
    """
    return parse_decimal(text, what, maximum=MAX_HOURS)


def parse_money(text, what: str = "the amount", maximum: Decimal = MAX_MONEY) -> Decimal:
    """THB as typed ('12,345.50', '฿ 800', '0'): 0 to ``maximum``, at most 2 decimals."""
    return parse_decimal(text, what, maximum=maximum, grouped=True)


def parse_whole_number(text, what: str, minimum: int, maximum: int) -> int:
    """An integer of ASCII digits (a sign allowed) within [minimum, maximum]."""
    if isinstance(text, int) and not isinstance(text, bool):
        number = text
    else:
        value = text if isinstance(text, str) else ""
        if not WHOLE_NUMBER.fullmatch(value) or len(value) > 20:
            raise BadNumber(f"{what} must be a whole number (digits 0-9), not {text!r}")
        number = int(value)
    if not minimum <= number <= maximum:
        raise BadNumber(f"{what} must be a whole number from {minimum} to {maximum}, not {number}")
    return number
