"""Rounding, in one place (business-rules §0).

Money is THB as Decimal; each pay or invoice component is rounded to 2 decimals, half up, and a
total is the sum of rounded components. Hours are reported with 2 decimals.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value) -> Decimal:
    """Exact Decimal from a Decimal, int or string; floats are refused (they are not exact)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("money and hours must not be float; pass a Decimal or a string")
    return Decimal(value)


def round_money(value) -> Decimal:
    """A money component: 2 decimals, half up."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_money_down(value) -> Decimal:
    """A share that must never exceed its pool (service charge): 2 decimals, rounded down."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_DOWN)


def round_hours(value) -> Decimal:
    """Hours as reported: 2 decimals, half up."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def hours_from_seconds(seconds: int) -> Decimal:
    """Durations are computed in whole seconds; hours keep full precision until reported."""
    return Decimal(int(seconds)) / Decimal(3600)
