"""Values parsed where they enter the CLI, once: months, business dates, whole numbers, decimals.

Each is a click parameter type, so a bad value ends as one line on stderr and exit code 2 (the
command group's handler), before the command reads or writes anything. Digits are ASCII only
(``int('๓')`` and ``Decimal('๑.๕')`` would otherwise pass), months and dates go through the one
parser of ``bangkok`` (plausible window 2000-01-01 .. today + 5 years), and numbers are bounded
by the ``numeric`` column they end in, so none reaches PostgreSQL to overflow there.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import click

from .. import bangkok

INTEGER_PATTERN = re.compile(r"[+-]?[0-9]+", re.ASCII)
DECIMAL_PATTERN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class Month(click.ParamType):
    """A business month 'YYYY-MM' (bangkok.parse_business_month); the value stays the key."""

    name = "YYYY-MM"

    def convert(self, value, param, ctx):
        try:
            bangkok.parse_business_month(value)
        except bangkok.BadMonth as exc:
            self.fail(str(exc), param, ctx)
        return value


class BusinessDate(click.ParamType):
    """'YYYY-MM-DD' in the plausible window (bangkok.parse_date) -> datetime.date."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return bangkok.parse_date(value, "the date")
        except bangkok.BadDate as exc:
            self.fail(str(exc), param, ctx)


class WholeNumber(click.ParamType):
    """An integer of ASCII digits within [minimum, maximum]."""

    name = "integer"

    def __init__(self, minimum: int, maximum: int) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            if not INTEGER_PATTERN.fullmatch(text) or len(text) > 20:
                self.fail(f"{value!r} is not a whole number (digits 0-9)", param, ctx)
            number = int(text)
        if not self.minimum <= number <= self.maximum:
            self.fail(f"{number} is not between {self.minimum} and {self.maximum}", param, ctx)
        return number


class DecimalNumber(click.ParamType):
    """A decimal of ASCII digits, at most ``places`` decimals, within [minimum, maximum]."""

    name = "number"

    def __init__(self, minimum: Decimal, maximum: Decimal, places: int = 2) -> None:
        self.minimum, self.maximum, self.places = Decimal(minimum), Decimal(maximum), places

    def convert(self, value, param, ctx):
        if isinstance(value, Decimal):
            number = value
        else:
            text = str(value).strip()
            if not DECIMAL_PATTERN.fullmatch(text) or len(text) > 40:
                self.fail(f"{value!r} is not a number such as 1.5 (digits 0-9)", param, ctx)
            try:
                number = Decimal(text)
            except InvalidOperation:
                self.fail(f"{value!r} is not a number such as 1.5", param, ctx)
        if number.as_tuple().exponent < -self.places:
            self.fail(f"{value} has more than {self.places} decimals", param, ctx)
        if not self.minimum <= number <= self.maximum:
            self.fail(f"{value} is not between {self.minimum} and {self.maximum}", param, ctx)
        return number


MONTH = Month()
DATE = BusinessDate()
HOURS = DecimalNumber(Decimal(0), Decimal("999999.99"))  # numeric(8,2)
MONEY = DecimalNumber(Decimal(0), Decimal("9999999999.99"))  # numeric(12,2)
