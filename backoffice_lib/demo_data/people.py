"""Users, staff, compensation history and shift patterns of the demo studio (pure: rows as dicts)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ..payroll.rules.statutory import make_national_id
from ..staff.rules import pins
from .names import THAI_FIRST_NAMES, THAI_LAST_NAMES
from .period import Dice, Period, add_months

ADMINS = ["admin@studio.example", "manager@studio.example"]
# email, coach_code, coach_name, display name
COACHES = [
    ("boss@studio.example", "BOSS", "Boss", "Pro Boss"),
    ("ratchavin@studio.example", "RATCHAVIN", "Ratchavin", "Pro Ratchavin"),
    ("min@studio.example", "MIN", "Min", "Pro Min"),
    ("noon@studio.example", "NOON", "Noon", "Pro Noon"),
]
# Staff beyond the first FULL_COST_STAFF get bcrypt cost 4 so that --scale 10 stays fast; their
# hashes verify like any other (bcrypt reads the cost from the hash).
FULL_COST_STAFF = 20
DEMO_COST = 4
PARALLEL_FROM = 4  # fewer full-cost hashes than this are not worth starting processes for
_HASHES: dict[tuple[str, str], str] = {}
_HASHER = (
    "import json, sys\n"
    "from backoffice_lib import pins\n"
    "jobs = json.load(sys.stdin)\n"
    "print(json.dumps([pins.hash_pin(pin, salt=salt.encode()) for pin, salt in jobs]))\n"
)

T = dt.time
# role, compensation, service-charge eligible, days worked (0=Sunday) -> (start, end), location
OPENING, MIDDLE, CLOSING = (T(10), T(18)), (T(12), T(20)), (T(15), T(23))
ROLE_PLAN = [
    ("manager", "salary", True, {d: (T(10), T(19)) for d in (1, 2, 3, 4, 5)}, "Studio"),
    ("front desk", "salary", True, {0: OPENING, 1: OPENING, 2: CLOSING, 3: CLOSING, 5: MIDDLE,
                                    6: MIDDLE}, "Front desk"),
    ("front desk", "salary", True, {0: CLOSING, 1: CLOSING, 3: OPENING, 4: OPENING, 5: CLOSING,
                                    6: CLOSING}, "Front desk"),
    ("front desk", "hourly", False, {2: OPENING, 3: MIDDLE, 4: CLOSING, 5: OPENING}, "Front desk"),
    ("bay attendant", "salary", True, {d: MIDDLE for d in (0, 2, 3, 4, 5, 6)}, "Bays"),
    ("bay attendant", "salary", True, {d: CLOSING for d in (0, 1, 2, 4, 5, 6)}, "Bays"),
    ("bay attendant", "salary", True, {d: OPENING for d in (0, 1, 3, 4, 5, 6)}, "Bays"),
    ("bay attendant", "hourly", False, {0: MIDDLE, 5: CLOSING, 6: MIDDLE}, "Bays"),
    ("restaurant", "hourly", True, {d: (T(11), T(19)) for d in (0, 1, 2, 5, 6)}, "Restaurant"),
    ("restaurant", "hourly", True, {d: (T(15), T(23)) for d in (0, 3, 4, 5, 6)}, "Restaurant"),
    ("restaurant", "salary", True, {d: MIDDLE for d in (1, 2, 3, 4, 5, 6)}, "Restaurant"),
    ("cleaner", "hourly", False, {d: (T(8), T(12)) for d in (1, 2, 3, 4, 5, 6)}, "Studio"),
    ("cleaner", "hourly", False, {d: (T(18), T(22)) for d in (0, 1, 3, 5)}, "Studio"),
    ("part-time", "hourly", False, {0: (T(12), T(20)), 6: (T(12), T(20))}, "Bays"),
    ("part-time", "hourly", False, {5: (T(17), T(23)), 6: (T(17), T(23))}, "Restaurant"),
]
LEAVER_INDEX = 6  # in each block of 15: a bay attendant who leaves during the period
NOT_INSURED_INDEX = 14  # in each block of 15: a part-timer the social security fund does not cover
FEMALE_FIRST_NAMES = frozenset({
    "Suda", "Malee", "Pim", "Kanya", "Ploy", "Siriporn", "Pornthip", "Jiraporn", "Supaporn",
    "Wanida", "Sunee", "Thitima", "Orawan", "Apinya", "Chanida", "Nattaya", "Ratana",
})
DECLARED_ALLOWANCES = Decimal("60000.00")  # e.g. a spouse without income (form ล.ย.01)
RAISE_INDEXES = (1, 4, 8)


@dataclass
class Person:
    id: int
    staff_id: str
    staff_name: str
    pin: str
    role: str
    compensation_type: str
    eligible: bool
    pattern: dict[int, tuple[dt.time, dt.time]]
    location: str
    hired: dt.date
    last_day: dt.date | None = None  # a leaver's last working day
    compensation: list[dict] = field(default_factory=list)

    @property
    def is_active(self) -> bool:
        return self.last_day is None


def _thb(value: int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def build_users(rng: Dice) -> list[dict]:
    users = [
        {"id": rng.uuid4(), "email": email, "is_admin": True, "is_coach": False}
        for email in ADMINS
    ]
    for email, code, name, display in COACHES:
        users.append({
            "id": rng.uuid4(), "email": email, "is_admin": False, "is_coach": True,
            "coach_name": name, "coach_display_name": display, "coach_code": code,
            "coach_phone": f"08{rng.randrange(1, 10)}-{rng.digits(3)}-{rng.digits(4)}",
        })
    return users


def build_people(rng: Dice, period: Period, scale: int) -> list[Person]:
    names = [(f, last) for f, _ in THAI_FIRST_NAMES for last, _ in THAI_LAST_NAMES]
    rng.shuffle(names)
    used_pins: set[str] = set()
    people = []
    for number in range(1, 15 * scale + 1):
        index = (number - 1) % len(ROLE_PLAN)
        role, kind, eligible, pattern, location = ROLE_PLAN[index]
        pin = rng.digits(6)
        while pin in used_pins or len(set(pin)) == 1:
            pin = rng.digits(6)
        used_pins.add(pin)
        first, last = names[(number - 1) % len(names)]
        hired = period.start - dt.timedelta(days=rng.randrange(60, 1500))
        person = Person(
            id=number, staff_id=f"EMP{number:03d}", staff_name=f"{first} {last}", pin=pin,
            role=role, compensation_type=kind, eligible=eligible, pattern=dict(pattern),
            location=location, hired=hired,
        )
        if index == LEAVER_INDEX:
            left_month = add_months(period.start, 3)
            person.last_day = left_month.replace(day=rng.randrange(10, 21))
        person.compensation = _compensation(rng, period, person, raise_=index in RAISE_INDEXES)
        people.append(person)
    return people


def _compensation(rng: Dice, period: Period, person: Person, raise_: bool) -> list[dict]:
    if person.compensation_type == "salary":
        low, high = (20, 23) if person.role == "manager" else (12, 18)
        base_salary = _thb(rng.randrange(low, high + 1) * 1000 + rng.choice((0, 500)))
        hourly = None
    else:
        base_salary, hourly = _thb(0), _thb(rng.randrange(12, 23) * 5)  # 60-110: room for a raise
    row = {
        "staff_id": person.id, "compensation_type": person.compensation_type,
        "base_salary": base_salary, "hourly_rate": hourly or _thb(0),
        "ot_rate_per_hour": _thb(rng.randrange(14, 31) * 5),
        "holiday_rate_per_hour": _thb(rng.randrange(16, 41) * 5),
        "is_service_charge_eligible": person.eligible, "min_hours_for_allowance": 6,
        "effective_from": person.hired, "effective_to": person.last_day,
    }
    if not raise_:
        return [row]
    raised_on = add_months(period.start, rng.randrange(2, 5))
    second = dict(row, effective_from=raised_on)
    # Raises stay inside the studio's ranges: salary 12,000-25,000, hourly 60-120, OT 70-150.
    if person.compensation_type == "salary":
        second["base_salary"] = min(base_salary + _thb(rng.choice((1000, 1500, 2000))), _thb(25000))
    else:
        second["hourly_rate"] = min(row["hourly_rate"] + _thb(rng.choice((5, 10))), _thb(120))
    second["ot_rate_per_hour"] = min(row["ot_rate_per_hour"] + _thb(10), _thb(150))
    return [dict(row, effective_to=raised_on - dt.timedelta(days=1)), second]


def start_hashing(rng: Dice, people: list[Person]) -> Callable[[], dict[int, str]]:
    """Start the bcrypt hashes of the PINs, salts drawn from ``rng`` (same seed, same hashes);
    return the function that waits for them.

    bcrypt holds the GIL, so the full-cost hashes run in two child interpreters (plain
    subprocesses: nothing of the caller's program is re-run in them) while the caller generates
    and loads the rest. Hashes are remembered per (pin, salt) in this process, so a second load
    with the same seed (tests, benchmarks) skips bcrypt's deliberate slowness.
    """
    jobs = []
    for position, person in enumerate(people):
        cost = pins.BCRYPT_COST if position < FULL_COST_STAFF else DEMO_COST
        jobs.append((person.id, person.pin, rng.bcrypt_salt(cost).decode()))
    pending = [(pin, salt) for _, pin, salt in jobs
               if (pin, salt) not in _HASHES and not salt.startswith(f"$2b${DEMO_COST:02d}$")]
    children = []
    if len(pending) >= PARALLEL_FROM:
        for share in (pending[0::2], pending[1::2]):
            child = subprocess.Popen([sys.executable, "-c", _HASHER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
            try:
                child.stdin.write(json.dumps(share))
                child.stdin.close()
            except OSError:  # the child died at once: collect() hashes its share itself
                pass
            children.append((share, child))

    def collect() -> dict[int, str]:
        for share, child in children:
            output = child.stdout.read()
            child.stdout.close()
            if child.wait() == 0:
                _HASHES.update(zip(share, json.loads(output)))
        hashes = {}
        for staff_key, pin, salt in jobs:
            if (pin, salt) not in _HASHES:  # few, low cost, or a child that failed
                _HASHES[(pin, salt)] = pins.hash_pin(pin, salt=salt.encode())
            hashes[staff_key] = _HASHES[(pin, salt)]
        return hashes

    return collect


def statutory_columns(person: Person) -> dict:
    """The staff columns of the statutory filings (issue 15), derived from the person alone so
    that no other demo value moves: a national ID with its check digit, the Thai title and
    names, social-security cover, the joining date."""
    first, last = person.staff_name.split(" ", 1)
    if first in FEMALE_FIRST_NAMES:
        title = "นาง" if person.id % 3 == 0 else "นางสาว"
    else:
        title = "นาย"
    return {
        "national_id": make_national_id(f"1{10 + person.id % 80:02d}{person.id:09d}"),
        "title": title,
        "first_name": dict(THAI_FIRST_NAMES)[first],
        "last_name": dict(THAI_LAST_NAMES)[last],
        "sso_insured": (person.id - 1) % len(ROLE_PLAN) != NOT_INSURED_INDEX,
        "joined_on": person.hired,
    }


def staff_rows(people: list[Person], hashes: dict[int, str]) -> list[dict]:
    """Staff as inserted: everyone active (a leaver is deactivated after their entries)."""
    return [
        {"id": p.id, "staff_name": p.staff_name, "staff_id": p.staff_id, "pin_hash": hashes[p.id],
         "is_active": True, "is_service_charge_eligible": p.eligible, "failed_attempts": 0,
         **statutory_columns(p), "email": staff_email(p)}
        for p in people
    ]


def staff_email(person: Person) -> str | None:
    """Most staff have an e-mail on a reserved example domain (payslips go there); every seventh
    has none (skipped and named by ``payroll deliver``). Derived from the person alone."""
    if person.id % 7 == 0:
        return None
    name = ".".join(person.staff_name.lower().split())
    return f"{name}.{person.id}@staff.example.org"


def allowance_rows(people: list[Person], period: Period) -> list[dict]:
    """Declared tax allowances (staff_tax_allowances): every fourth person, each tax year."""
    return [
        {"staff_id": p.id, "tax_year": year, "amount": DECLARED_ALLOWANCES,
         "updated_by": ADMINS[0]}
        for p in people if p.id % 4 == 1
        for year in range(period.start.year, period.as_of.year + 1)
    ]


def compensation_rows(people: list[Person]) -> list[dict]:
    return [row for p in people for row in p.compensation]


def weekly_rows(rng: Dice, people: list[Person]) -> list[dict]:
    return [
        {"id": rng.uuid4(), "staff_id": p.id, "day_of_week": day, "start_time": start,
         "end_time": end, "location": p.location, "is_active": p.is_active}
        for p in people
        for day, (start, end) in sorted(p.pattern.items())
    ]


def day_of_week(day: dt.date) -> int:
    """0 = Sunday ... 6 = Saturday (the schema's convention)."""
    return (day.weekday() + 1) % 7


PLAN_AHEAD_DAYS = 27  # managers plan four weeks ahead


def plan_ahead_days(period: Period) -> list[dt.date]:
    """The days after as_of already planned: to the end of its month, and four weeks at least
    (the payroll forecast's plan)."""
    end_of_month = add_months(period.as_of.replace(day=1), 1) - dt.timedelta(days=1)
    last = max(end_of_month, period.as_of + dt.timedelta(days=PLAN_AHEAD_DAYS))
    return [period.as_of + dt.timedelta(days=i)
            for i in range(1, (last - period.as_of).days + 1)]


def schedule_rows(rng: Dice, people: list[Person], period: Period) -> list[dict]:
    """The shifts generated from the weekly patterns over the period (to as_of inclusive), then
    the shifts planned ahead (``plan_ahead_days``) for the people still there."""
    rows = []
    for days in (period.days(), plan_ahead_days(period)):
        for p in people:
            for day in days:
                if p.last_day and day > p.last_day:
                    break
                shift = p.pattern.get(day_of_week(day))
                if shift:
                    rows.append({
                        "id": rng.uuid4(), "staff_id": p.id, "schedule_date": day,
                        "start_time": shift[0], "end_time": shift[1], "location": p.location,
                        "created_by": "weekly_template",
                    })
    return rows
