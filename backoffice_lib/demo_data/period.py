"""The period the demo data covers, and deterministic randomness.

Every generator draws from its own ``random.Random`` seeded by (seed, topic), so the rows of one
topic do not shift when another topic's generator changes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import uuid
from dataclasses import dataclass

from .. import bangkok

MONTHS_BEFORE = 6
# The data's "now" on the as-of date: staff on shift are clocked in at this wall time.
DEMO_CLOCK = dt.time(15, 0)
BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def add_months(day: dt.date, months: int) -> dt.date:
    """PostgreSQL's ``date + interval 'N months'``: the same day, clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    as_of: dt.date
    start: dt.date  # the 1st of the month six months before as_of's month
    clock: dt.datetime  # the data's "now" (aware, Bangkok)

    @classmethod
    def ending(cls, as_of: dt.date, now: dt.datetime | None = None) -> Period:
        """The period for ``as_of``. The clock is as_of at 15:00 Bangkok, or just before ``now``
        when that is earlier (loading today in the morning: nothing may lie in the future)."""
        start = add_months(as_of.replace(day=1), -MONTHS_BEFORE)
        clock = bangkok.at(as_of, DEMO_CLOCK)
        now = now or bangkok.now()
        if clock > now - dt.timedelta(minutes=1):
            clock = (now - dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
        return cls(as_of=as_of, start=start, clock=clock)

    def days(self) -> list[dt.date]:
        count = (self.as_of - self.start).days + 1
        return [self.start + dt.timedelta(days=i) for i in range(count)]

    def months(self) -> list[dt.date]:
        """First days of the months covered, the current (partial) month last."""
        return [add_months(self.start, i) for i in range(MONTHS_BEFORE + 1)]

    def full_months(self) -> list[dt.date]:
        return self.months()[:-1]


class Dice(random.Random):
    """random.Random with the few draws the generators share."""

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self.getrandbits(128), version=4)

    def chance(self, probability: float) -> bool:
        return self.random() < probability

    def bcrypt_salt(self, cost: int) -> bytes:
        # 22 salt characters; the last one carries only 2 bits, so it is one of . O e u.
        body = "".join(self.choice(BCRYPT_ALPHABET) for _ in range(21)) + self.choice(".Oeu")
        return f"$2b${cost:02d}$".encode() + body.encode()

    def digits(self, count: int) -> str:
        return "".join(str(self.randrange(10)) for _ in range(count))


def dice(seed: int, topic: str) -> Dice:
    return Dice(f"{seed}:{topic}")
