"""The demo data keeps its rules on any as-of date: month ends, a leap day, Songkran, New Year.

The generators are what ``demo load`` writes (it copies their rows as they come), so they run
here for each date without a database: the database refuses time entries in its future, and these
dates must hold whatever today is. Each date is loaded at two clocks: 15:00 Bangkok (a load on
that day after 15:00) and 00:05 (a load just after midnight: the day has barely begun).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from backoffice_lib import bangkok, money
from backoffice_lib.demo_data import customers, finance, people, pos, timeclock
from backoffice_lib.demo_data.customers import CATALOGUE
from backoffice_lib.demo_data.period import Period, dice

SEED = 42
AS_OF_DATES = [
    dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 4, 30), dt.date(2026, 11, 30),
    dt.date(2026, 12, 31),  # month and year ends
    dt.date(2027, 1, 1),  # New Year: the current month is one day old
    dt.date(2027, 4, 13),  # Songkran
    dt.date(2028, 2, 29),  # a leap day
]
KINDS = {k.id: k for k in CATALOGUE}
CLOCKS = [dt.time(15, 0), dt.time(0, 5)]
POS_LINES_A_DAY = (20, 60 + 4)  # a day's target, and the last receipt may add up to 4 lines


@functools.cache
def demo_rows(as_of: dt.date, clock: dt.time) -> dict:
    """The rows ``demo load --as-of`` would write at ``clock`` on ``as_of``, built the way it
    builds them."""
    period = Period.ending(as_of, now=bangkok.at(as_of, clock) + dt.timedelta(minutes=1))
    staff = people.build_people(dice(SEED, "staff"), period, 1)
    customer_rows = customers.build_customers(dice(SEED, "customers"), period, 1)
    bookings = customers.Bookings(dice(SEED, "bookings"), period)
    sellers = [p.staff_name for p in staff if p.role in ("front desk", "manager")]
    packages, usage = customers.build_packages(
        dice(SEED, "packages"), period, 1, customer_rows, sellers, bookings)
    customers.build_other_bookings(dice(SEED, "walk-ins"), period, 1, customer_rows, bookings)
    sales = pos.build_sales(dice(SEED, "pos"), period, 1, customer_rows, packages)
    rng = dice(SEED, "invoices")
    suppliers = finance.supplier_rows(rng)
    invoices, items = finance.build_invoices(
        rng, period, suppliers, 1, finance.coaching_hours(bookings.rows, usage, packages),
        finance.restaurant_sales(sales))
    schedule_rng = dice(SEED, "schedules")
    people.weekly_rows(schedule_rng, staff)
    return {
        "period": period, "staff": staff, "packages": packages, "usage": usage, "sales": sales,
        "invoices": invoices, "items": items,
        "schedules": people.schedule_rows(schedule_rng, staff, period),
        "entries": timeclock.build_time_entries(dice(SEED, "time entries"), staff, period),
        "holidays": finance.holiday_rows(period),
        "service_charge": finance.service_charge_rows(dice(SEED, "service charge"), period),
    }


def expiry_of(package: dict) -> dt.date | None:
    first_use = package["first_use_date"]
    return None if first_use is None else customers.expiration(
        KINDS[package["package_type_id"]], first_use)


@pytest.fixture(params=[(day, clock) for day in AS_OF_DATES for clock in CLOCKS],
                ids=lambda p: f"{p[0]} {p[1]:%H:%M}")
def demo(request):
    return demo_rows(*request.param)


def test_pos_lines_a_day_stay_within_the_day_s_target_on_any_day(demo):
    as_of = demo["period"].as_of
    lines, package_lines = Counter(), Counter()
    for row in demo["sales"]:
        (package_lines if row["product_category"] == "Package" else lines)[row["sale_date"]] += 1
    sold = Counter(p["purchase_date"] for p in demo["packages"])
    for day in demo["period"].days()[:-1]:  # the as-of day ends at its clock
        assert POS_LINES_A_DAY[0] <= lines[day] <= POS_LINES_A_DAY[1], day
        assert package_lines[day] == sold[day], day
    assert lines[as_of] <= POS_LINES_A_DAY[1]
    if demo["period"].clock.time() >= dt.time(12):  # the bar opens at 10
        assert lines[as_of] > 0
    assert sum(row["is_voided"] for row in demo["sales"]) >= 1


def test_time_entries_alternate_a_minute_apart_and_never_pass_the_clock(demo):
    by_person = defaultdict(list)
    for row in demo["entries"]:
        by_person[row["staff_id"]].append((row["timestamp"], row["action"]))
    assert len(by_person) >= 10
    clock = demo["period"].clock
    for punches in by_person.values():
        punches.sort()
        for (before, previous), (after, action) in itertools.pairwise(punches):
            assert action != previous and after - before >= dt.timedelta(minutes=1)
        assert punches[-1][0] <= clock
    clocked_in = sum(punches[-1][1] == "clock_in" for punches in by_person.values())
    assert clocked_in >= 3  # staff on shift at the clock


def test_shifts_cover_the_period_without_overlapping(demo):
    period = demo["period"]
    by_person_day = defaultdict(list)
    planned_to = people.plan_ahead_days(period)[-1]
    for row in demo["schedules"]:
        assert period.start <= row["schedule_date"] <= planned_to
        by_person_day[row["staff_id"], row["schedule_date"]].append(
            (row["start_time"], row["end_time"]))
    for shifts in by_person_day.values():
        shifts.sort()
        for (_, end), (start, _) in itertools.pairwise(shifts):
            assert end <= start


def test_packages_keep_their_dates_balances_and_the_cases_to_watch(demo):
    as_of = demo["period"].as_of
    used = defaultdict(Decimal)
    packages = {p["id"]: p for p in demo["packages"]}
    for row in demo["usage"]:
        package = packages[row["package_id"]]
        assert package["purchase_date"] <= row["used_date"] <= min(expiry_of(package), as_of)
        assert row["used_hours"] > 0
        used[row["package_id"]] += row["used_hours"]
    for package_id, hours in used.items():
        kind = KINDS[packages[package_id]["package_type_id"]]
        assert kind.hours is None or hours <= kind.hours
    assert any(as_of <= (expiry_of(p) or dt.date.min) <= as_of + dt.timedelta(days=7)
               for p in demo["packages"])
    assert any(p["first_use_date"] is None and p["purchase_date"] < as_of - dt.timedelta(days=30)
               for p in demo["packages"])
    assert all(p["purchase_date"] <= as_of for p in demo["packages"])


def test_a_pool_for_each_full_month_and_the_holidays_of_the_period(demo):
    period = demo["period"]
    assert [row["month_year"] for row in demo["service_charge"]] == [
        f"{m:%Y-%m}" for m in period.full_months()]
    holidays = {row["holiday_date"] for row in demo["holidays"]}
    assert dt.date(period.as_of.year, 1, 1) in holidays
    assert dt.date(period.as_of.year, 4, 13) in holidays  # Songkran


def test_invoices_add_up_on_any_day(demo):
    items = defaultdict(list)
    for item in demo["items"]:
        items[item["invoice_id"]].append(item)
    assert demo["invoices"]
    for invoice in demo["invoices"]:
        lines = items[invoice["id"]]
        assert lines and all(
            i["line_total"] == money.round_money(i["quantity"] * i["unit_price"]) for i in lines)
        assert invoice["subtotal"] == sum(i["line_total"] for i in lines)
        assert invoice["invoice_date"] <= demo["period"].as_of


def test_invoices_are_paid_after_their_date_never_in_the_future_and_the_latest_unpaid(demo):
    """supplier-tax.md §1: a payment date between the invoice's date and the data's clock; most
    paid, some in the month after their date; the latest invoice waits for its payment."""
    from backoffice_lib.invoices.rules import withholding

    today, invoices = demo["period"].clock.date(), demo["invoices"]
    paid = [i for i in invoices if i["paid_on"] is not None]
    assert all(i["invoice_date"] <= i["paid_on"] <= today for i in paid)
    assert invoices[-1]["paid_on"] is None
    assert len(paid) >= len(invoices) // 2
    assert any(i["paid_on"].month != i["invoice_date"].month for i in paid)
    payees = [withholding.Payee(supplier_id=str(s["id"]), name=s["name"],
                                **{k: s[k] for k in withholding.TAX_FIELDS})
              for s in finance.supplier_rows(dice(SEED, "invoices"))]
    assert withholding.compute_missing_fields(payees) == []
    assert {p.payee_kind for p in payees} == {"individual", "juristic"}


def test_shifts_are_planned_to_the_month_end_and_worked_with_lates_no_shows_and_extras(demo):
    """The payroll forecast has a plan for the rest of the month, and the last full month's
    punches differ from its plan (late, no-show, unplanned day): its accuracy means something."""
    period = demo["period"]
    ahead = people.plan_ahead_days(period)
    _, month_end = bangkok.month_days(bangkok.month_key(period.as_of))
    assert ahead[-1] >= max(month_end, period.as_of + dt.timedelta(days=27))
    planned = {(r["staff_id"], r["schedule_date"]) for r in demo["schedules"]
               if r["schedule_date"] > period.as_of}
    assert len(planned) >= 10 * len(ahead) // 7  # ten or more people's weekly patterns
    last_month = period.full_months()[-1]
    month = bangkok.month_key(last_month)
    shifts = {(r["staff_id"], r["schedule_date"]): r["start_time"] for r in demo["schedules"]
              if bangkok.month_key(r["schedule_date"]) == month}
    clock_ins = defaultdict(list)
    for row in demo["entries"]:
        day = bangkok.bangkok_date(row["timestamp"])
        if row["action"] == "clock_in" and bangkok.month_key(day) == month:
            clock_ins[row["staff_id"], day].append(row["timestamp"])
    late = [key for key, start in shifts.items() if key in clock_ins
            and min(clock_ins[key]) > bangkok.at(key[1], start) + dt.timedelta(minutes=5)]
    no_show = [key for key in shifts if key not in clock_ins]
    extra = [key for key in clock_ins if key not in shifts]
    assert late and no_show and extra
