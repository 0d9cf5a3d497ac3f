"""Values parsed where they enter the CLI, once: months, business dates, whole numbers, decimals.

Each is a click parameter type over the shared parsers of ``backoffice_lib.values`` (the forms
call the same ones, so both refuse the same values with the same message), and a bad value ends
as one line on stderr and exit code 2 (the command group's handler), before the command reads or
writes anything. The rule (``values``): ASCII digits only, at most 2 decimals for hours and
money, months and dates in the plausible business window, numbers bounded by the ``numeric``
column they end in, so none reaches PostgreSQL to overflow there.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click

from .. import bangkok, values


class Month(click.ParamType):
    """A business month 'YYYY-MM' (values.parse_business_month); the value stays the key."""

    name = "YYYY-MM"

    def convert(self, value, param, ctx):
        try:
            return str(values.parse_business_month(str(value)))
        except bangkok.BadMonth as exc:
            self.fail(str(exc), param, ctx)


class BusinessDate(click.ParamType):
    """'YYYY-MM-DD' in the plausible window (values.parse_business_date) -> datetime.date."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return values.parse_business_date(value, "the date")
        except bangkok.BadDate as exc:
            self.fail(str(exc), param, ctx)


class WholeNumber(click.ParamType):
    """An integer of ASCII digits within [minimum, maximum] (values.parse_whole_number)."""

    name = "integer"

    def __init__(self, minimum: int, maximum: int, what: str = "the number") -> None:
        self.minimum, self.maximum, self.what = minimum, maximum, what

    def convert(self, value, param, ctx):
        try:
            return values.parse_whole_number(value, self.what, self.minimum, self.maximum)
        except values.BadNumber as exc:
            self.fail(str(exc), param, ctx)


class DecimalNumber(click.ParamType):
    """A decimal of ASCII digits, at most ``places`` decimals, 0 to ``maximum``
    (values.parse_decimal; ``grouped`` takes thousands commas and ฿ as money does)."""

    name = "number"

    def __init__(self, maximum: Decimal, places: int = 2, what: str = "the number",
                 grouped: bool = False) -> None:
        self.maximum, self.places, self.what, self.grouped = maximum, places, what, grouped

    def convert(self, value, param, ctx):
        try:
            return values.parse_decimal(value, self.what, maximum=self.maximum,
                                        places=self.places, grouped=self.grouped)
        except values.BadNumber as exc:
            self.fail(str(exc), param, ctx)


def hours_option_type(what: str = "hours") -> DecimalNumber:
    """values.parse_hours as an option type."""
    return DecimalNumber(values.MAX_HOURS, what=what)


def money_option_type(what: str = "the amount") -> DecimalNumber:
    """values.parse_money as an option type."""
    return DecimalNumber(values.MAX_MONEY, what=what, grouped=True)


MONTH = Month()
DATE = BusinessDate()
HOURS = hours_option_type()
MONEY = money_option_type()


EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    """A refusal a person can fix: one line on stderr, exit code 2."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(EXIT_BAD_INPUT)


def date_option(value: str | None, option: str) -> dt.date | None:
    """An optional YYYY-MM-DD option, refused in one line."""
    if value is None:
        return None
    try:
        return bangkok.parse_date(value, option)
    except bangkok.BadDate as exc:
        fail(str(exc))


def json_default(value):
    """JSON output: amounts as numbers (2-decimal amounts print exactly), dates in ISO."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)
