"""The payroll forecast (rules.forecast): the two identities of its definition as properties,
and the cases of the plan that matter to pay (a week across the month end, a raise, a holiday,
a leaver). Pure: inputs built by hand, the one engine ``compute_payroll`` on both sides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice_lib import bangkok
from backoffice_lib.payroll.rules import COMPONENTS, PAY_COLUMNS, PayrollInputs, compute_payroll
from backoffice_lib.payroll.rules.forecast import (
    PLANNED_AFTER_COMPENSATION_END,
    ForecastRefused,
    check_as_of,
    compute_as_of_range,
    compute_forecast,
    compute_service_charge_estimate,
)

ALICE, BOB = 1, 2
COMPARED = PAY_COLUMNS + ["staff", "total_seconds", "overtime_seconds", "holiday_seconds"]


def staff_frame(*ids: int) -> pd.DataFrame:
    return pd.DataFrame({"id": list(ids), "staff_id": [f"E{i:03d}" for i in ids],
                         "staff_name": [f"Person {i}" for i in ids], "is_active": True})


def row(staff, kind="hourly", rate="100", salary="0", frm="2024-01-01", to=None, ot="80",
        holiday="50", eligible=False, row_id=None) -> dict:
    return {"id": row_id or staff * 10, "staff_id": staff, "compensation_type": kind,
            "base_salary": D(salary), "hourly_rate": D(rate), "ot_rate_per_hour": D(ot),
            "holiday_rate_per_hour": D(holiday), "is_service_charge_eligible": eligible,
            "min_hours_for_allowance": 6, "effective_from": dt.date.fromisoformat(frm),
            "effective_to": dt.date.fromisoformat(to) if to else None}


def moment(day: dt.date, minutes: int) -> dt.datetime:
    return bangkok.at(day) + dt.timedelta(minutes=minutes)


def entries_of(sessions: list[tuple[int, dt.datetime, dt.datetime]]) -> pd.DataFrame:
    rows = []
    for staff, start, end in sessions:
        rows += [(staff, "clock_in", start), (staff, "clock_out", end)]
    return pd.DataFrame({"id": range(1, len(rows) + 1), "staff_id": [r[0] for r in rows],
                         "action": [r[1] for r in rows],
                         "timestamp": pd.Series([r[2] for r in rows], dtype=object)})


def shifts_of(rows: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "staff_id": [r[0] for r in rows],
        "schedule_date": [dt.date.fromisoformat(r[1]) for r in rows],
        "start_time": [dt.time.fromisoformat(r[2]) for r in rows],
        "end_time": [dt.time.fromisoformat(r[3]) for r in rows],
    })


def inputs_for(month, staff, compensation, entries, holidays=(), pool=D(0)) -> PayrollInputs:
    return PayrollInputs(month=month, staff=staff, compensation=pd.DataFrame(compensation),
                         entries=entries, holidays=set(holidays), service_charge_pool=pool)


def pay(lines: pd.DataFrame) -> list[dict]:
    return lines[COMPARED].sort_values("staff").to_dict("records")


# --------------------------------------------------------------------------- properties

MONTHS = ["2025-02", "2025-03", "2025-06", "2026-04", "2026-08"]


@st.composite
def plans(draw):
    """A month, 1–2 people with random rates (maybe a raise in the month), one shift per day on
    random days of the run's window, each worked with random lateness/overrun, holidays,
    an as-of date in range."""
    month = draw(st.sampled_from(MONTHS))
    first, last = bangkok.month_days(month)
    start, last_as_of = compute_as_of_range(month)
    days = [start + dt.timedelta(days=i) for i in range((last - start).days + 1)]
    people = draw(st.lists(st.sampled_from([ALICE, BOB]), min_size=1, max_size=2, unique=True))
    compensation = []
    for sid in people:
        kind = draw(st.sampled_from(["hourly", "salary"]))
        rate = str(draw(st.integers(50, 400)))
        salary = str(draw(st.integers(9000, 40000)))
        ot, holiday = str(draw(st.integers(0, 200))), str(draw(st.integers(0, 150)))
        eligible = draw(st.booleans())
        raise_on = draw(st.none() | st.sampled_from(days[7:]))
        if raise_on is None or raise_on <= first:
            compensation.append(row(sid, kind, rate, salary, ot=ot, holiday=holiday,
                                    eligible=eligible))
        else:
            compensation.append(row(sid, kind, rate, salary, to=str(raise_on
                                    - dt.timedelta(days=1)), ot=ot, holiday=holiday,
                                    eligible=eligible, row_id=sid * 10))
            compensation.append(row(sid, kind, str(int(rate) + 25), str(int(salary) + 1000),
                                    frm=str(raise_on), ot=ot, holiday=holiday,
                                    eligible=eligible, row_id=sid * 10 + 1))
    shifts, worked = [], []
    for sid in people:
        for day in draw(st.lists(st.sampled_from(days), max_size=24, unique=True)):
            begin = draw(st.integers(6 * 60, 14 * 60))
            length = draw(st.integers(60, 9 * 60))
            shifts.append((sid, day, begin, begin + length))
            late = draw(st.integers(-10, 90))
            over = draw(st.integers(-60, 180))
            worked.append((sid, moment(day, begin + late), moment(day, begin + length + over)))
    holidays = draw(st.lists(st.sampled_from(days), max_size=3, unique=True))
    as_of = draw(st.sampled_from([d for d in days if d <= last_as_of]))
    pool = D(draw(st.integers(0, 90000))) / 100
    return month, people, compensation, shifts, worked, holidays, as_of, pool


def shift_frame(shifts) -> pd.DataFrame:
    def clock(minutes):
        return dt.time(minutes // 60, minutes % 60)
    return pd.DataFrame({"staff_id": [s[0] for s in shifts],
                         "schedule_date": [s[1] for s in shifts],
                         "start_time": [clock(s[2]) for s in shifts],
                         "end_time": [clock(s[3]) for s in shifts]})


PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(plans())
def test_forecast_with_nothing_planned_is_the_payroll_of_the_entries_before_the_as_of_date(plan):
    month, _people, compensation, shifts, worked, holidays, as_of, pool = plan
    staff = staff_frame(ALICE, BOB)
    everything = inputs_for(month, staff, compensation, entries_of(worked), holidays, pool)
    before = [s for s in worked if bangkok.bangkok_date(s[1]) < as_of]
    expected = compute_payroll(inputs_for(month, staff, compensation, entries_of(before),
                                          holidays, pool))
    unplanned = shift_frame([s for s in shifts if s[1] < as_of])
    result = compute_forecast(everything, unplanned, as_of)
    assert pay(result.payroll.lines) == pay(expected.lines)
    assert list(result.lines["hours_planned"]) == [D("0.00")] * len(result.lines)


@PROPERTY
@given(plans())
def test_month_worked_as_planned_pays_what_its_forecast_said_to_the_satang(plan):
    month, _people, compensation, shifts, worked, holidays, as_of, pool = plan
    staff = staff_frame(ALICE, BOB)
    before = [s for s in worked if bangkok.bangkok_date(s[1]) < as_of]
    as_planned = [(s[0], moment(s[1], s[2]), moment(s[1], s[3])) for s in shifts
                  if s[1] >= as_of]
    at_the_time = inputs_for(month, staff, compensation, entries_of(before), holidays, pool)
    result = compute_forecast(at_the_time, shift_frame(shifts), as_of)
    paid = compute_payroll(inputs_for(month, staff, compensation,
                                      entries_of(before + as_planned), holidays, pool))
    assert pay(result.payroll.lines) == pay(paid.lines)
    assert result.totals["total_pay"] == paid.totals["total_pay"]
    for line in result.lines.to_dict("records"):
        assert line["hours_worked"] + line["hours_planned"] == line["total_hours"]


# --------------------------------------------------------------------------- cases


def test_planned_week_across_the_month_end_has_its_overtime_in_the_month_of_its_saturday():
    # Sunday 2026-03-29 to Saturday 2026-04-04: 6 × 10 h planned = 60 h, 12 h over 48.
    plan = shifts_of([(ALICE, f"2026-{d}", "08:00", "18:00")
                      for d in ("03-29", "03-30", "03-31", "04-01", "04-02", "04-03")])
    comp = [row(ALICE, rate="100", ot="80")]
    inputs = inputs_for("2026-03", staff_frame(ALICE), comp, entries_of([]))
    march = compute_forecast(inputs, plan, dt.date(2026, 3, 20))
    line = march.lines.iloc[0]
    assert (line["total_hours"], line["overtime_hours"]) == (D("30.00"), D("0.00"))
    assert line["base_pay"] == D("3000.00") and line["overtime_pay"] == D("0.00")
    april = compute_forecast(inputs_for("2026-04", staff_frame(ALICE), comp, entries_of([])),
                             plan, dt.date(2026, 3, 29))
    line = april.lines.iloc[0]
    assert (line["total_hours"], line["overtime_hours"]) == (D("30.00"), D("12.00"))
    assert line["overtime_pay"] == D("960.00")
    week = april.weeks.iloc[0]
    assert (week["week_start"], week["week_end"]) == (dt.date(2026, 3, 29), dt.date(2026, 4, 4))
    assert (week["hours_planned"], week["ot_hours"], week["ot_pay"]) == (
        D("60.00"), D("12.00"), D("960.00"))


def test_raise_starting_mid_forecast_applies_to_the_whole_month():
    comp = [row(ALICE, rate="100", to="2026-03-14", row_id=10),
            row(ALICE, rate="120", frm="2026-03-15", row_id=11)]
    worked = [(ALICE, moment(dt.date(2026, 3, 2), 9 * 60), moment(dt.date(2026, 3, 2), 17 * 60))]
    plan = shifts_of([(ALICE, "2026-03-20", "09:00", "17:00")])
    result = compute_forecast(inputs_for("2026-03", staff_frame(ALICE), comp, entries_of(worked)),
                              plan, dt.date(2026, 3, 10))
    line = result.lines.iloc[0]
    assert line["hourly_rate"] == D(120)
    assert line["base_pay"] == D("1920.00")  # 16 h × 120, the row in force on the 31st
    assert (line["hours_worked"], line["hours_planned"]) == (D("8.00"), D("8.00"))


def test_planned_shift_on_a_public_holiday_earns_the_holiday_premium():
    songkran = dt.date(2026, 4, 13)
    plan = shifts_of([(ALICE, "2026-04-13", "10:00", "18:00")])
    result = compute_forecast(
        inputs_for("2026-04", staff_frame(ALICE), [row(ALICE, holiday="50")], entries_of([]),
                   holidays=[songkran]),
        plan, dt.date(2026, 4, 1))
    line = result.lines.iloc[0]
    assert (line["holiday_hours"], line["holiday_pay"]) == (D("8.00"), D("400.00"))
    assert result.weeks.iloc[0]["holiday_hours_planned"] == D("8.00")


def test_planned_shifts_without_a_pay_rate_are_a_blocking_error_naming_the_person():
    plan = shifts_of([(BOB, "2026-04-20", "10:00", "18:00")])
    result = compute_forecast(
        inputs_for("2026-04", staff_frame(ALICE, BOB), [row(ALICE)], entries_of([])),
        plan, dt.date(2026, 4, 1))
    assert result.has_blocking_errors
    assert list(result.errors["staff_id"]) == ["E002"]
    assert "Person 2 (E002) has planned shifts in 2026-04 but no pay rate" in \
        result.errors["message"].iloc[0]


def test_leaver_shift_planned_after_their_compensation_ends_is_flagged_not_paid_silently():
    plan = shifts_of([(ALICE, "2026-04-10", "10:00", "18:00"),
                      (ALICE, "2026-04-24", "10:00", "18:00")])
    result = compute_forecast(
        inputs_for("2026-04", staff_frame(ALICE), [row(ALICE, to="2026-04-20")], entries_of([])),
        plan, dt.date(2026, 4, 1))
    assert list(result.flags["schedule_date"]) == [dt.date(2026, 4, 24)]
    assert list(result.flags["flag"]) == [PLANNED_AFTER_COMPENSATION_END]
    assert "compensation ended 2026-04-20" in result.flags["detail"].iloc[0]


def test_session_started_the_day_before_the_as_of_date_is_kept_whole():
    day = dt.date(2026, 4, 9)
    worked = [(ALICE, moment(day, 20 * 60), moment(day, 26 * 60)),  # to 02:00 on the 10th
              (ALICE, moment(day + dt.timedelta(days=1), 9 * 60),
               moment(day + dt.timedelta(days=1), 12 * 60))]  # on the as-of date: ignored
    result = compute_forecast(
        inputs_for("2026-04", staff_frame(ALICE), [row(ALICE)], entries_of(worked)),
        shifts_of([]), dt.date(2026, 4, 10))
    assert result.lines.iloc[0]["total_hours"] == D("6.00")


@pytest.mark.parametrize("as_of, refused", [
    ("2026-03-28", True),   # before the Sunday of the week of 1 April
    ("2026-03-29", False),  # that Sunday
    ("2026-04-25", False),  # the last Saturday of April
    ("2026-04-26", True),   # after it: that week is paid in May
])
def test_as_of_date_outside_the_weeks_of_the_month_is_refused(as_of, refused):
    day = dt.date.fromisoformat(as_of)
    if refused:
        with pytest.raises(ForecastRefused):
            check_as_of("2026-04", day)
    else:
        assert check_as_of("2026-04", day) == day


@pytest.mark.parametrize("pool, earlier, amount, says", [
    (D(1000), {"2026-03": D(5)}, D("1000.00"), "2026-04 pool as entered"),
    (None, {"2026-01": D(100), "2026-02": D(100), "2026-03": D("100.01"),
            "2025-12": D(999)}, D("100.00"), "mean of the pools of 2026-01, 2026-02, 2026-03"),
    (None, {"2025-11": D(100), "2026-03": D("100.01")}, D("100.01"), "2025-11, 2026-03"),
    (None, {"2026-05": D(100)}, D("0.00"), "no earlier pool"),
])
def test_service_charge_is_the_months_pool_else_the_mean_of_the_last_three(pool, earlier, amount,
                                                                           says):
    got, line = compute_service_charge_estimate("2026-04", pool, earlier)
    assert got == amount
    assert says in line


def test_forecast_components_add_up_to_total_pay():
    plan = shifts_of([(ALICE, "2026-04-20", "10:00", "18:00")])
    result = compute_forecast(
        inputs_for("2026-04", staff_frame(ALICE), [row(ALICE, eligible=True)], entries_of([]),
                   pool=D(500)), plan, dt.date(2026, 4, 1))
    line = result.lines.iloc[0]
    assert sum(line[c] for c in COMPONENTS) == line["total_pay"] == D("1300.00")
