"""Customers, the package catalogue, packages with their usage, and bookings (pure: rows as dicts).

Packages follow business-rules §4: bought unactivated; the first usage sets ``first_use_date``
(the database fills ``expiration_date`` = first use + validity - 1 day, computed here the same way
to keep usage inside it); usage never exceeds the hours. Special cases are planted on purpose:
never activated (some bought more than 30 days ago), expiring within 7 days of as_of, depleted,
low balance. Coaching usage links the lesson's booking (package_usage.booking_id).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from .. import bangkok
from .names import FOREIGN_FIRST_NAMES, FOREIGN_LAST_NAMES, THAI_FIRST_NAMES, THAI_LAST_NAMES
from .people import COACHES
from .period import Dice, Period, add_months


@dataclass(frozen=True)
class PackageKind:
    id: int
    name: str
    display_name: str
    type: str
    hours: int | None
    months: int
    pax: int
    price: int  # THB, for the POS line of the sale


CATALOGUE = [
    PackageKind(1, "Bronze", "Bronze (5 hours, 1 month)", "Monthly", 5, 1, 1, 2500),
    PackageKind(2, "Silver", "Silver (10 hours, 2 months)", "Monthly", 10, 2, 1, 4500),
    PackageKind(3, "Gold", "Gold (20 hours, 3 months)", "Monthly", 20, 3, 2, 8000),
    PackageKind(4, "Platinum", "Platinum (40 hours, 6 months)", "Monthly", 40, 6, 2, 15000),
    PackageKind(5, "Diamond", "Diamond (unlimited, 1 month)", "Unlimited", None, 1, 1, 6000),
    PackageKind(6, "Diamond+", "Diamond+ (unlimited, 3 months)", "Unlimited", None, 3, 1, 15000),
    PackageKind(7, "Coaching 5 Hours", "Coaching 5 hours (1 PAX)", "Coaching", 5, 3, 1, 9000),
    PackageKind(8, "Coaching 10 Hours", "Coaching 10 hours (1 PAX)", "Coaching", 10, 6, 1, 17000),
    PackageKind(9, "Coaching 10 Hours (2 PAX)", "Coaching 10 hours (2 PAX)", "Coaching", 10, 6, 2,
                24000),
    PackageKind(10, "Coaching 20 Hours", "Coaching 20 hours (1 PAX)", "Coaching", 20, 12, 1,
                32000),
]
KIND_WEIGHTS = [14, 12, 8, 3, 6, 2, 10, 8, 3, 3]
# THB per coaching hour paid to the coach (business-rules §5): every Coaching package type has one.
COACH_RATES = {
    "Coaching 5 Hours": Decimal("1000.00"),
    "Coaching 10 Hours": Decimal("950.00"),
    "Coaching 10 Hours (2 PAX)": Decimal("1200.00"),
    "Coaching 20 Hours": Decimal("900.00"),
    "Individual, 1 PAX": Decimal("1200.00"),
    "Individual, 2 PAX": Decimal("1500.00"),
}
COACH_WEIGHTS = [4, 3, 2, 2]
HALF = Decimal("0.5")


def package_type_rows() -> list[dict]:
    return [
        {"id": k.id, "name": k.name, "display_name": k.display_name, "type": k.type,
         "hours": None if k.hours is None else Decimal(k.hours).quantize(Decimal("0.01")),
         "validity_period": f"{k.months} months", "pax": k.pax, "display_order": k.id}
        for k in CATALOGUE
    ]


def coach_rate_rows() -> list[dict]:
    return [{"rate_type": name, "rate": rate} for name, rate in COACH_RATES.items()]


def expiration(kind: PackageKind, first_use: dt.date) -> dt.date:
    """calculate_package_expiration(): first use + validity - 1 day."""
    return add_months(first_use, kind.months) - dt.timedelta(days=1)


def demo_line_user_id(number: int) -> str | None:
    """Every sixth customer added the studio's LINE account (a LINE user ID is U + 32 hex
    digits); derived from the number alone, so no other demo value moves."""
    if number % 6:
        return None
    return "U" + hashlib.md5(f"demo-line-{number}".encode()).hexdigest()


def build_customers(rng: Dice, period: Period, scale: int) -> list[dict]:
    rows = []
    for number in range(1, 300 * scale + 1):
        style = rng.random()
        if style < 0.25:  # in Thai script, as the booking system stores many names
            first, last = rng.choice(THAI_FIRST_NAMES)[1], rng.choice(THAI_LAST_NAMES)[1]
            email_name = None
        elif style < 0.75:
            first, last = rng.choice(THAI_FIRST_NAMES)[0], rng.choice(THAI_LAST_NAMES)[0]
            email_name = f"{first}.{last}".lower()
        else:
            first, last = rng.choice(FOREIGN_FIRST_NAMES), rng.choice(FOREIGN_LAST_NAMES)
            email_name = f"{first}.{last}".lower()
        joined = period.start - dt.timedelta(days=rng.randrange(1, 700))
        rows.append({
            "id": rng.uuid4(), "customer_code": f"CUS{number:05d}",
            "customer_name": f"{first} {last}",
            "contact_number": f"0{rng.choice('689')}{rng.randrange(1, 10)}-{rng.digits(3)}-"
                              f"{rng.digits(4)}",
            "email": f"{email_name}{rng.randrange(1, 100)}@example.com"
            if email_name and rng.chance(0.8) else None,
            "is_active": rng.chance(0.97),
            "created_at": _moment(joined, rng),
            "line_user_id": demo_line_user_id(number),
        })
    return rows


def _moment(day: dt.date, rng: Dice, first_hour: int = 10, last_hour: int = 21) -> dt.datetime:
    return bangkok.at(day, dt.time(rng.randrange(first_hour, last_hour + 1),
                                   rng.randrange(0, 60), rng.randrange(0, 60)))


class Bookings:
    """Bookings of the period; ids are unique and drawn from the rng."""

    def __init__(self, rng: Dice, period: Period):
        self.rng, self.period, self.rows, self.ids = rng, period, [], set()
        self.coach_slots: set[tuple[str, dt.date, dt.time]] = set()

    def add(self, customer: dict | None, day: dt.date, hours: Decimal, people: int,
            booking_type: str, status: str = "confirmed") -> str:
        rng = self.rng
        booking_id = f"BK{day:%y%m%d}{rng.digits(4)}"
        while booking_id in self.ids:
            booking_id = f"BK{day:%y%m%d}{rng.digits(4)}"
        self.ids.add(booking_id)
        start = dt.time(rng.randrange(10, 21), rng.choice((0, 30)))
        for _ in range(8):  # a coach teaches one lesson at a time
            if (booking_type, day, start) not in self.coach_slots:
                break
            start = dt.time(rng.randrange(10, 21), rng.choice((0, 30)))
        if booking_type.startswith("Coaching"):
            self.coach_slots.add((booking_type, day, start))
        booked = min(day - dt.timedelta(days=rng.randrange(0, 10)), self.period.as_of)
        self.rows.append({
            "id": booking_id,
            "customer_id": customer["id"] if customer else None,
            "customer_name": customer["customer_name"] if customer else
            f"Walk-in {rng.choice(FOREIGN_FIRST_NAMES)}",
            "date": day, "start_time": start, "duration": hours, "number_of_people": people,
            "booking_type": booking_type, "status": status,
            "created_at": _moment(booked, rng, 8, 22),
        })
        return booking_id


def coaching_type(coach_index: int) -> str:
    return f"Coaching ({COACHES[coach_index][2]})"


def build_packages(rng: Dice, period: Period, scale: int, customers: list[dict],
                   sellers: list[str], bookings: Bookings) -> tuple[list[dict], list[dict]]:
    """Packages and their usage; the usage's bookings are added to ``bookings``."""
    days = period.days()
    count = 400 * scale
    special = ["expiring"] * (5 * scale) + ["never_old"] * (4 * scale) + \
        ["low"] * (6 * scale) + ["depleted"] * (6 * scale)
    special += [""] * (count - len(special))
    rng.shuffle(special)
    regulars = customers[: max(1, len(customers) * 2 // 3)]
    packages, usage = [], []
    for plan in special:
        kind = rng.choices(CATALOGUE, KIND_WEIGHTS)[0]
        if plan == "expiring":
            kind = rng.choice([k for k in CATALOGUE if k.type != "Coaching" and k.months <= 2])
        elif plan in ("low", "depleted"):
            kind = rng.choice([k for k in CATALOGUE if k.hours is not None and k.months >= 2])
        customer = rng.choice(regulars)
        purchase = rng.choice(days)
        first_use: dt.date | None = purchase + dt.timedelta(days=rng.choice((0, 0, 1, 2, 5, 9, 20)))
        if plan == "expiring":  # expiry = as_of + 0..6 days
            expiry = period.as_of + dt.timedelta(days=rng.randrange(0, 7))
            first_use = add_months(expiry + dt.timedelta(days=1), -kind.months)
            # add_months may clamp; walk forward until the expiry matches exactly
            while expiration(kind, first_use) < expiry:
                first_use += dt.timedelta(days=1)
            purchase = first_use - dt.timedelta(days=rng.randrange(0, 4))
        elif plan in ("low", "depleted"):  # used often over the last weeks, still valid
            first_use = period.as_of - dt.timedelta(days=rng.randrange(30, 50))
            purchase = first_use - dt.timedelta(days=rng.randrange(0, 4))
        elif plan == "never_old":
            purchase = period.as_of - dt.timedelta(days=rng.randrange(35, 120))
            first_use = None
        elif rng.chance(0.06) or first_use > period.as_of:
            first_use = None
        package = {
            "id": rng.uuid4(), "customer_name": customer["customer_name"],
            "package_type_id": kind.id, "purchase_date": purchase, "first_use_date": first_use,
            "expiration_date": None, "employee_name": rng.choice(sellers),
            "stable_hash_id": f"{customer['id'].hex[:16]}", "customer_id": customer["id"],
            "created_at": _moment(purchase, rng),
            "discount_amount": Decimal(rng.randrange(5, 21) * 100).quantize(Decimal("0.01"))
            if rng.chance(0.2) else None,
        }
        packages.append(package)
        if first_use is not None:
            usage += _usage(rng, period, kind, package, customer, plan, bookings)
    return packages, usage


def _usage(rng: Dice, period: Period, kind: PackageKind, package: dict, customer: dict,
           plan: str, bookings: Bookings) -> list[dict]:
    first_use = package["first_use_date"]
    last = min(expiration(kind, first_use), period.as_of)
    span = (last - first_use).days
    if kind.hours is None:
        target = Decimal(rng.randrange(2, 30))
    elif plan == "expiring":
        target = Decimal(kind.hours) * Decimal(rng.choice((20, 40, 60))) / 100
    elif plan == "depleted":
        target = Decimal(kind.hours)
    elif plan == "low":
        target = Decimal(kind.hours) - (HALF if kind.hours <= 10 else Decimal(1))
    else:
        target = Decimal(kind.hours) * Decimal(rng.choice((20, 40, 60, 80, 100))) / 100
    coach = rng.choices(range(len(COACHES)), COACH_WEIGHTS)[0]
    rows, used, day = [], Decimal(0), first_use
    while used < target and day <= last:
        if kind.type == "Coaching":
            hours = Decimal(1) if rng.chance(0.8) else Decimal("1.5")
        else:
            hours = rng.choice((Decimal(1), Decimal("1.5"), Decimal(2)))
        if kind.hours is not None:
            hours = min(hours, Decimal(kind.hours) - used, target - used)
            if hours <= 0:
                break
        booking_id = None
        people = kind.pax if kind.type == "Coaching" else min(kind.pax, rng.choice((1, 1, 2)))
        if kind.type == "Coaching":
            booking_id = bookings.add(customer, day, hours, people, coaching_type(coach))
        elif rng.chance(0.7):
            booking_id = bookings.add(customer, day, hours, people, "Driving Range")
        rows.append({
            "id": rng.uuid4(), "package_id": package["id"], "employee_name": package["employee_name"],
            "used_hours": hours.quantize(Decimal("0.01")), "used_date": day,
            "customer_signature_path": f"signatures/{package['id']}/{day:%Y%m%d}.png"
            if rng.chance(0.9) else None,
            "booking_id": booking_id,
        })
        rows[-1]["created_at"] = rows[-1]["updated_at"] = _moment(day, rng)
        used += hours
        if plan in ("low", "depleted"):
            day += dt.timedelta(days=rng.randrange(1, 3))
        else:
            day += dt.timedelta(days=rng.randrange(1, max(2, span // 6 + 2)))
    return rows


def build_other_bookings(rng: Dice, period: Period, scale: int, customers: list[dict],
                         bookings: Bookings) -> None:
    """Bookings paid on the day (no package): driving range, individual coaching, cancellations."""
    for day in period.days():
        for _ in range(rng.randrange(3, 9) * scale):
            customer = rng.choice(customers) if rng.chance(0.6) else None
            status = "cancelled" if rng.chance(0.07) else "confirmed"
            if rng.chance(0.2):
                coach = rng.choices(range(len(COACHES)), COACH_WEIGHTS)[0]
                bookings.add(customer, day, rng.choice((Decimal(1), Decimal(1), Decimal("1.5"))),
                             rng.choice((1, 1, 2)), coaching_type(coach), status)
            else:
                bookings.add(customer, day, rng.choice((Decimal(1), Decimal("1.5"), Decimal(2))),
                             rng.choice((1, 2)), "Driving Range", status)
