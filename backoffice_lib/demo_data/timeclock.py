"""Kiosk punches of the demo staff, with the noise real punches have (pure: rows as dicts).

Per person and worked day: a clock-in around the shift start (about one in eight late), a clock-out
around its end, and now and then:
- a no-show (no punches on a scheduled day);
- a forgotten clock-out: the kiosk alternates actions, so the next day's first punch is recorded as
  a ``clock_out`` (an orphan) and the person punches again 2-3 minutes later to clock in;
- a double tap the person confirmed: a second punch 2-3 minutes after the clock-in (a clock-out,
  i.e. a session of a few minutes), then a third to clock in again;
- leaving early; an extra unscheduled day in a few weeks (weekly overtime beyond 48 h);
- late nights: the closing crew clocks out after midnight (an event; a month-end stocktake).
Entries alternate per person and lie more than a minute apart; none is after the period's clock.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

from .. import bangkok
from .people import Person, day_of_week
from .period import Dice, Period, add_months

LATE_SHARE = 0.12
NO_SHOW_SHARE = 0.02
FORGOT_SHARE = 0.015
DOUBLE_TAP_SHARE = 0.012
LEFT_EARLY_SHARE = 0.03
CURRENTLY_IN_AT_LEAST = 3
KIOSKS = [
    {"device": "kiosk-front-desk", "platform": "iPadOS 17.5", "browser": "Safari 17"},
    {"device": "kiosk-staff-room", "platform": "Android 14", "browser": "Chrome 126"},
]
CAMERA_ERRORS = [
    "NotAllowedError: Permission denied",
    "NotReadableError: Could not start video source",
    "timeout: no frame from the camera within 5 s",
]


def late_nights(period: Period) -> set[dt.date]:
    """Nights the closing crew clocked out after midnight: a corporate event (the 2nd Saturday of
    month 3) and the stocktake on the last day of month 4 (a session across a month end)."""
    first = add_months(period.start, 2)
    saturday = first + dt.timedelta(days=(5 - first.weekday()) % 7 + 7)
    return {saturday, add_months(period.start, 4) - dt.timedelta(days=1)}


def _worked_days(rng: Dice, person: Person, period: Period):
    first = max(period.start, person.hired)
    last = min(period.as_of, person.last_day or period.as_of)
    days = {}
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        shift = person.pattern.get(day_of_week(day))
        if shift:
            days[day] = (shift[0], shift[1], True)
    if person.role != "part-time":
        # Two busy weeks: an extra unscheduled day on a day off, so the week passes 48 h.
        sundays = [d for d in period.days() if day_of_week(d) == 0 and first <= d
                   and d + dt.timedelta(days=6) < last]
        for sunday in rng.sample(sundays, min(2, len(sundays))):
            free = [sunday + dt.timedelta(days=i) for i in range(7)
                    if (sunday + dt.timedelta(days=i)) not in days]
            if free:
                days[rng.choice(free)] = (dt.time(10), dt.time(18), False)
    return sorted((day, *shift) for day, shift in days.items())


def _minutes(rng: Dice, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(seconds=rng.randint(low * 60, high * 60))


def punches_of(rng: Dice, person: Person, period: Period) -> list[tuple[str, dt.datetime]]:
    nights = late_nights(period)
    worked = _worked_days(rng, person, period)
    punches: list[tuple[str, dt.datetime]] = []
    forgot = False
    for index, (day, start, end, scheduled) in enumerate(worked):
        if scheduled and day != period.as_of and rng.chance(NO_SHOW_SHARE):
            continue
        if rng.chance(LATE_SHARE):
            clock_in = bangkok.at(day, start) + _minutes(rng, 6, 45)
        else:
            clock_in = bangkok.at(day, start) + _minutes(rng, -12, 4)
        if day in nights and end >= dt.time(22):
            clock_out = bangkok.at(day + dt.timedelta(days=1), dt.time(1)) + _minutes(rng, 0, 75)
        elif rng.chance(LEFT_EARLY_SHARE):
            clock_out = bangkok.at(day, end) - _minutes(rng, 20, 90)
        else:
            clock_out = bangkok.at(day, end) + _minutes(rng, -3, 15)
        if forgot:
            punches.append(("clock_out", clock_in))  # the kiosk's choice: an orphan clock-out
            clock_in += _minutes(rng, 2, 3)
            forgot = False
        punches.append(("clock_in", clock_in))
        if rng.chance(DOUBLE_TAP_SHARE):
            tap = clock_in + _minutes(rng, 2, 3)
            punches.append(("clock_out", tap))
            punches.append(("clock_in", tap + _minutes(rng, 2, 3)))
        following = worked[index + 1] if index + 1 < len(worked) else None
        if (
            following is not None
            and following[0] < period.as_of - dt.timedelta(days=1)
            and bangkok.at(following[0], following[1]) - clock_in > dt.timedelta(hours=17)
            and rng.chance(FORGOT_SHARE)
        ):
            forgot = True
        else:
            punches.append(("clock_out", clock_out))
    return [(action, moment) for action, moment in punches if moment <= period.clock]


def _clock_in_a_few_more(rng: Dice, people, period: Period, punches_by_person) -> None:
    """Make sure a few active staff are clocked in at the period's clock (the "now" dashboard)."""
    today = period.clock.date()
    def clocked_in_today(p):
        punches = punches_by_person[p.id]
        return punches and punches[-1][0] == "clock_in" and punches[-1][1].date() == today
    count = sum(1 for p in people if p.is_active and clocked_in_today(p))
    candidates = [p for p in people if p.is_active and not clocked_in_today(p)]
    rng.shuffle(candidates)
    for person in candidates:
        if count >= CURRENTLY_IN_AT_LEAST:
            break
        punches = punches_by_person[person.id]
        moment = period.clock - _minutes(rng, 15, 150)
        if punches and (punches[-1][0] != "clock_out"
                        or moment - punches[-1][1] < dt.timedelta(minutes=30)):
            continue
        punches.append(("clock_in", moment))
        count += 1


def check_sequence(punches: list[tuple[str, dt.datetime]]) -> None:
    """What validate_time_entry() enforces, checked before the database sees it."""
    for (a1, t1), (a2, t2) in itertools.pairwise(punches):
        if a1 == a2 or (t2 - t1) < dt.timedelta(seconds=61):
            raise AssertionError(f"demo punches break the rules: {a1} {t1} then {a2} {t2}")


def build_time_entries(rng: Dice, people: list[Person], period: Period) -> list[dict]:
    punches_by_person = {p.id: punches_of(rng, p, period) for p in people}
    _clock_in_a_few_more(rng, people, period, punches_by_person)
    rows = []
    for person in people:
        punches = punches_by_person[person.id]
        check_sequence(punches)
        for action, moment in punches:
            moment = moment.replace(microsecond=0)
            kiosk = KIOSKS[0] if rng.chance(0.8) else KIOSKS[1]
            row = {"staff_id": person.id, "action": action, "timestamp": moment,
                   "photo_url": None, "photo_captured": False, "camera_error": None,
                   "device_info": json.dumps(kiosk)}
            if rng.chance(0.94):
                row["photo_url"] = (
                    f"time-clock/{person.staff_id}/{moment:%Y%m%d-%H%M%S}-{action}.jpg"
                )
                row["photo_captured"] = True
            else:
                row["camera_error"] = rng.choice(CAMERA_ERRORS)
            rows.append(row)
    return rows
