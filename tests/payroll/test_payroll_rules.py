"""Payroll rules (business-rules §3) as a table of cases with exact Decimal expectations.

Pure: the cases build ``PayrollInputs`` by hand and call ``compute_payroll``; no database.
Each **fix** of §3 has a case named after it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
import pytest

from backoffice_lib import bangkok
from backoffice_lib.payroll.rules import (
    COMPONENTS,
    PayrollInputs,
    compute_payroll,
    entries_window,
    pair_sessions,
)
from backoffice_lib.staff.rules import sessions

ALICE, BOB, CARA = 1, 2, 3


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=bangkok.BANGKOK)


def salary(staff=ALICE, base="31000", frm="2024-01-01", to=None, **extra) -> dict:
    row = {
        "id": staff * 10 + len(extra),
        "staff_id": staff,
        "compensation_type": "salary",
        "base_salary": D(base),
        "hourly_rate": D(0),
        "ot_rate_per_hour": D(100),
        "holiday_rate_per_hour": D(50),
        "is_service_charge_eligible": False,
        "min_hours_for_allowance": 6,
        "effective_from": dt.date.fromisoformat(frm),
        "effective_to": dt.date.fromisoformat(to) if to else None,
    }
    row.update(extra)
    return row


def hourly(staff=ALICE, rate="100", **extra) -> dict:
    return salary(staff, base="0", compensation_type="hourly", hourly_rate=D(rate), **extra)


def shifts(staff: int, *pairs: tuple[str, str]) -> list[tuple]:
    rows = []
    for start, end in pairs:
        rows.append((staff, "clock_in", at(start)))
        rows.append((staff, "clock_out", at(end)))
    return rows


def week_of_days(staff: int, first: str, days: int, hours: int) -> list[tuple]:
    day = dt.date.fromisoformat(first)
    pairs = []
    for n in range(days):
        d = day + dt.timedelta(days=n)
        pairs.append((f"{d} 08:00", f"{d} {8 + hours:02d}:00"))
    return shifts(staff, *pairs)


def inputs(month="2025-01", entries=(), comp=(), staff=None, holidays=(), settings=None,
           pool=None) -> PayrollInputs:
    staff = staff or [
        {"id": ALICE, "staff_id": "S001", "staff_name": "Alice", "is_active": True},
        {"id": BOB, "staff_id": "S002", "staff_name": "Bob", "is_active": True},
        {"id": CARA, "staff_id": "S003", "staff_name": "Cara", "is_active": True},
    ]
    frame = pd.DataFrame(list(entries), columns=["staff_id", "action", "timestamp"])
    frame.insert(0, "id", range(1, len(frame) + 1))
    start, end = entries_window(month, (settings or {}).get("max_session_hours", "16"))
    frame = frame[(frame["timestamp"] >= start) & (frame["timestamp"] < end)]
    return PayrollInputs(
        month=month,
        staff=pd.DataFrame(staff),
        compensation=pd.DataFrame(list(comp), columns=list(salary().keys())),
        entries=frame,
        holidays={dt.date.fromisoformat(h) for h in holidays},
        settings=dict(settings or {}),
        service_charge_pool=D(pool) if pool is not None else None,
    )


def line(result, staff=ALICE) -> dict:
    rows = result.lines[result.lines["staff"] == staff]
    assert len(rows) == 1, f"staff {staff} not in the run"
    return rows.iloc[0].to_dict()


CASES = {
    "salary_basic": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")), comp=[salary()]),
        {"working_days": 1, "total_hours": D("8.00"), "base_pay": D("31000.00"),
         "daily_allowance": D("100.00"), "total_pay": D("31100.00")},
    ),
    "hourly_pay_is_hours_times_rate_no_allowance": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:30")),
               comp=[hourly(rate="120")]),
        {"working_days": 1, "total_hours": D("8.50"), "base_pay": D("1020.00"),
         "daily_allowance": D("0.00"), "total_pay": D("1020.00")},
    ),
    "hourly_pay_in_whole_seconds_rounded_half_up": (
        # 1 h 0 min 20 s at 100/h = 100.5555… → 100.56; hours reported 1.01
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00:00", "2025-01-06 10:00:20")),
               comp=[hourly(rate="100")]),
        {"total_hours": D("1.01"), "base_pay": D("100.56")},
    ),
    "fix_utc_grouping_session_dated_by_bangkok_clock_in": (
        # 06:00 Bangkok on 1 January is 23:00 UTC on 31 December: still a January day.
        inputs(entries=shifts(ALICE, ("2025-01-01 06:00", "2025-01-01 14:00")),
               comp=[hourly()]),
        {"working_days": 1, "total_hours": D("8.00"), "base_pay": D("800.00")},
    ),
    "fix_utc_grouping_late_evening_is_not_next_day": (
        # 1 February 05:00 Bangkok is 31 January 22:00 UTC: a February session, not January's.
        inputs(entries=shifts(ALICE, ("2025-02-01 05:00", "2025-02-01 13:00")),
               comp=[hourly()]),
        {"total_hours": D("0.00"), "base_pay": D("0.00")},
    ),
    "fix_month_end_cut_session_across_midnight_counts_wholly_in_its_month": (
        inputs(entries=shifts(ALICE, ("2025-01-31 20:00", "2025-02-01 04:00")),
               comp=[hourly()]),
        {"total_hours": D("8.00"), "base_pay": D("800.00"), "working_days": 1},
    ),
    "fix_month_end_cut_next_month_does_not_count_it_again": (
        inputs(month="2025-02", entries=shifts(ALICE, ("2025-01-31 20:00", "2025-02-01 04:00")),
               comp=[hourly()]),
        {"total_hours": D("0.00"), "base_pay": D("0.00"), "working_days": 0},
    ),
    "fix_second_clock_in_does_not_replace_the_first": (
        inputs(entries=[(ALICE, "clock_in", at("2025-01-06 09:00")),
                        (ALICE, "clock_in", at("2025-01-06 10:00")),
                        (ALICE, "clock_out", at("2025-01-06 17:00"))],
               comp=[hourly()]),
        {"total_hours": D("7.00"), "base_pay": D("700.00")},
    ),
    "fix_deactivated_people_do_not_vanish": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")),
               comp=[hourly(to="2025-01-10")],
               staff=[{"id": ALICE, "staff_id": "S001", "staff_name": "Alice",
                       "is_active": False}]),
        {"total_hours": D("8.00"), "base_pay": D("800.00"), "is_active": False},
    ),
    "fix_min_hours_for_allowance_is_not_ignored": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 16:00")),
               comp=[salary(min_hours_for_allowance=8)]),
        {"working_days": 0, "daily_allowance": D("0.00"), "total_pay": D("31000.00")},
    ),
    "working_day_exactly_6_00_hours_counts": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 15:00")), comp=[salary()]),
        {"working_days": 1, "daily_allowance": D("100.00")},
    ),
    "working_day_one_second_short_of_6_hours_does_not_count": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00:00", "2025-01-06 14:59:59")),
               comp=[salary()]),
        {"working_days": 0, "daily_allowance": D("0.00"), "total_hours": D("6.00")},
    ),
    "working_day_sums_the_sessions_of_the_date": (
        inputs(entries=shifts(ALICE, ("2025-01-06 08:00", "2025-01-06 11:00"),
                              ("2025-01-06 12:00", "2025-01-06 15:00")), comp=[salary()]),
        {"working_days": 1, "total_hours": D("6.00")},
    ),
    "weekly_overtime_above_48_non_holiday_hours": (
        # Sun 5 – Sat 11 January, 6 days × 9 h = 54 h → 6 h OT × 100
        inputs(entries=week_of_days(ALICE, "2025-01-05", 6, 9), comp=[salary()]),
        {"overtime_hours": D("6.00"), "overtime_pay": D("600.00"), "working_days": 6,
         "total_pay": D("31000.00") + D("600.00") + D("600.00")},
    ),
    "fix_split_weeks_overtime_paid_in_the_month_the_week_ends": (
        # Sun 26 Jan – Fri 31 Jan 6 × 9 h = 54 h; the week ends Sat 1 February.
        inputs(entries=week_of_days(ALICE, "2025-01-26", 6, 9), comp=[hourly()]),
        {"overtime_hours": D("0.00"), "overtime_pay": D("0.00"), "total_hours": D("54.00")},
    ),
    "fix_split_weeks_judged_on_all_days_of_the_week": (
        inputs(month="2025-02", entries=week_of_days(ALICE, "2025-01-26", 6, 9)
               + shifts(ALICE, ("2025-02-01 08:00", "2025-02-01 12:00")), comp=[hourly()]),
        {"overtime_hours": D("10.00"), "overtime_pay": D("1000.00"), "total_hours": D("4.00"),
         "base_pay": D("400.00")},
    ),
    "holiday_hours_get_the_premium_and_do_not_count_for_overtime": (
        inputs(entries=week_of_days(ALICE, "2025-01-05", 6, 9), comp=[salary()],
               holidays=["2025-01-06"]),
        {"holiday_hours": D("9.00"), "holiday_pay": D("450.00"), "overtime_hours": D("0.00"),
         "overtime_pay": D("0.00")},
    ),
    "fix_setting_zero_means_zero_allowance": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")), comp=[salary()],
               settings={"daily_allowance_thb": "0"}),
        {"working_days": 1, "daily_allowance": D("0.00")},
    ),
    "fix_setting_zero_means_zero_overtime_threshold": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")), comp=[salary()],
               settings={"weekly_ot_threshold_hours": "0"}),
        {"overtime_hours": D("8.00"), "overtime_pay": D("800.00")},
    ),
    "settings_rows_override_defaults": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")), comp=[salary()],
               settings={"daily_allowance_thb": "150.50"}),
        {"daily_allowance": D("150.50")},
    ),
    "compensation_in_force_on_last_day_applies_to_whole_month": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")),
               comp=[salary(base="10000", to="2025-01-15"),
                     salary(base="20000", frm="2025-01-16", id=99)]),
        {"base_pay": D("20000.00"), "compensation_id": 99},
    ),
    "leaver_salary_pro_rated_by_calendar_days": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")),
               comp=[salary(base="31000", to="2025-01-15")]),
        {"base_pay": D("15000.00"), "prorate_days": 15},
    ),
    "fix_joiner_salary_pro_rated_from_the_day_they_joined": (
        # First compensation row ever starts on the 20th: 31000 × 12/31 days.
        inputs(entries=shifts(ALICE, ("2025-01-20 09:00", "2025-01-20 17:00")),
               comp=[salary(base="31000", frm="2025-01-20")]),
        {"base_pay": D("12000.00"), "prorate_days": 12, "prorate_reason": "joined",
         "total_pay": D("12100.00")},
    ),
    "fix_joiner_who_also_leaves_in_the_month_is_paid_the_days_between": (
        inputs(entries=shifts(ALICE, ("2025-01-20 09:00", "2025-01-20 17:00")),
               comp=[salary(base="31000", frm="2025-01-10", to="2025-01-19")]),
        {"base_pay": D("10000.00"), "prorate_days": 10},
    ),
    "fix_joiner_on_the_1st_is_paid_the_whole_month": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")),
               comp=[salary(base="31000", frm="2025-01-01")]),
        {"base_pay": D("31000.00"), "prorate_days": None},
    ),
    "fix_joiner_raise_mid_month_is_not_a_joiner": (
        # A later row starting mid-month (a raise) applies to the whole month.
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")),
               comp=[salary(base="20000", frm="2024-06-01", to="2025-01-15"),
                     salary(base="31000", frm="2025-01-16", id=55)]),
        {"base_pay": D("31000.00"), "prorate_days": None, "compensation_id": 55},
    ),
    "leaver_pro_rating_rounds_half_up": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")),
               comp=[salary(base="10000", to="2025-01-10")]),
        {"base_pay": D("3225.81")},  # 10000 × 10/31 = 3225.806…
    ),
    "missing_clock_out_gives_zero_hours": (
        inputs(entries=[(ALICE, "clock_in", at("2025-01-06 09:00"))], comp=[hourly()]),
        {"total_hours": D("0.00"), "base_pay": D("0.00")},
    ),
    "clock_out_later_than_max_session_hours_does_not_pair": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-07 01:00:01")),
               comp=[hourly()]),
        {"total_hours": D("0.00")},
    ),
    "clock_out_exactly_max_session_hours_later_pairs": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-07 01:00")),
               comp=[hourly()]),
        {"total_hours": D("16.00"), "base_pay": D("1600.00")},
    ),
    "max_session_hours_setting_applies": (
        inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 19:00")),
               comp=[hourly()], settings={"max_session_hours": "8"}),
        {"total_hours": D("0.00")},
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_payroll_rule(case):
    given, expected = CASES[case]
    got = line(compute_payroll(given))
    for key, value in expected.items():
        assert got[key] == value, f"{case}: {key} = {got[key]!r}, expected {value!r}"
    assert got["total_pay"] == sum((got[c] for c in COMPONENTS), D(0))


SERVICE_CHARGE_CASES = {
    "fix_service_charge_eligibility_from_applied_compensation_row": (
        # Alice eligible on the row in force; Bob's staff record says eligible but his row does
        # not; Cara eligible and did not work at all. 1000 / 2 each.
        [salary(ALICE, is_service_charge_eligible=True),
         salary(BOB, is_service_charge_eligible=False),
         salary(CARA, is_service_charge_eligible=True)],
        "1000", {ALICE: D("500.00"), BOB: D("0.00"), CARA: D("500.00")}, D("0.00"),
    ),
    "service_charge_rounded_down_remainder_undistributed": (
        [salary(s, is_service_charge_eligible=True) for s in (ALICE, BOB, CARA)],
        "1000", {ALICE: D("333.33"), BOB: D("333.33"), CARA: D("333.33")}, D("0.01"),
    ),
    "service_charge_eligibility_of_the_row_in_force_on_last_day": (
        [salary(ALICE, to="2025-01-15", is_service_charge_eligible=True),
         salary(ALICE, frm="2025-01-16", id=77, is_service_charge_eligible=False),
         salary(BOB, is_service_charge_eligible=True)],
        "999.99", {ALICE: D("0.00"), BOB: D("999.99")}, D("0.00"),
    ),
    "service_charge_zero_without_a_pool_row": (
        [salary(ALICE, is_service_charge_eligible=True)], None, {ALICE: D("0.00")}, D("0.00"),
    ),
}


@pytest.mark.parametrize("case", list(SERVICE_CHARGE_CASES), ids=list(SERVICE_CHARGE_CASES))
def test_payroll_service_charge(case):
    comp, pool, shares, undistributed = SERVICE_CHARGE_CASES[case]
    result = compute_payroll(inputs(comp=comp, pool=pool))
    for staff, share in shares.items():
        assert line(result, staff)["service_charge"] == share
    assert result.service_charge["undistributed"] == undistributed
    assert result.service_charge["distributed"] + undistributed == D(pool or "0")


def test_payroll_who_is_in_the_run():
    staff = [
        {"id": ALICE, "staff_id": "S001", "staff_name": "Alice", "is_active": True},
        {"id": BOB, "staff_id": "S002", "staff_name": "Bob", "is_active": False},
        {"id": CARA, "staff_id": "S003", "staff_name": "Cara", "is_active": False},
    ]
    result = compute_payroll(inputs(
        entries=shifts(BOB, ("2025-01-06 09:00", "2025-01-06 17:00")),
        comp=[salary(ALICE), salary(BOB, to="2025-01-10"), salary(CARA, to="2025-01-10")],
        staff=staff,
    ))
    # Alice: active with compensation; Bob: inactive but worked; Cara: inactive, no sessions.
    assert list(result.lines["staff_id"]) == ["S001", "S002"]


def test_payroll_blocking_error_sessions_without_compensation():
    result = compute_payroll(inputs(
        entries=shifts(BOB, ("2025-01-06 09:00", "2025-01-06 17:00")), comp=[salary(ALICE)]
    ))
    assert result.has_blocking_errors
    assert list(result.errors["staff_id"]) == ["S002"]
    assert "Bob" in result.errors["message"].iloc[0]
    bob = line(result, BOB)
    assert bob["blocking"] and bob["total_pay"] == D("0.00") and bob["total_hours"] == D("8.00")


FLAG_CASES = {
    "missing_clock_out": ([(ALICE, "clock_in", at("2025-01-06 09:00"))], "2025-01-06"),
    "orphan_clock_out": ([(ALICE, "clock_out", at("2025-01-06 17:00"))], "2025-01-06"),
    "session_under_1h": (shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 09:59")), "2025-01-06"),
    "session_over_8h": (shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:01")), "2025-01-06"),
    "day_under_3h": (shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 11:59")), "2025-01-06"),
    "day_over_9h": (shifts(ALICE, ("2025-01-06 08:00", "2025-01-06 12:00"),
                           ("2025-01-06 12:30", "2025-01-06 17:31")), "2025-01-06"),
}


@pytest.mark.parametrize("flag", list(FLAG_CASES), ids=list(FLAG_CASES))
def test_payroll_review_flag(flag):
    entries, day = FLAG_CASES[flag]
    result = compute_payroll(inputs(entries=entries, comp=[hourly()]))
    flags = result.flags
    hits = flags[(flags["flag"] == flag) & (flags["work_date"] == dt.date.fromisoformat(day))]
    assert len(hits) == 1, flags


def test_payroll_no_flags_for_a_normal_day():
    result = compute_payroll(inputs(
        entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")), comp=[hourly()]
    ))
    assert result.flags.empty


def test_payroll_fix_second_clock_in_is_flagged_missing_clock_out():
    result = compute_payroll(inputs(
        entries=[(ALICE, "clock_in", at("2025-01-06 09:00")),
                 (ALICE, "clock_in", at("2025-01-06 10:00")),
                 (ALICE, "clock_out", at("2025-01-06 17:00"))],
        comp=[hourly()],
    ))
    assert list(result.flags["flag"]) == ["missing_clock_out"]


def test_payroll_first_week_days_before_the_1st_count_for_overtime_only():
    # Sun 29 Dec – Fri 3 Jan, 6 × 9 h; the week ends Sat 4 January: OT paid in January,
    # but only 1–3 January are January's hours.
    result = compute_payroll(inputs(entries=week_of_days(ALICE, "2024-12-29", 6, 9),
                                    comp=[hourly()]))
    got = line(result)
    assert got["total_hours"] == D("27.00")
    assert got["overtime_hours"] == D("6.00")
    assert result.flags.empty or set(result.flags["work_date"]) <= {
        dt.date(2025, 1, d) for d in range(1, 32)
    }


def test_payroll_totals_are_sums_of_rounded_components():
    result = compute_payroll(inputs(
        entries=week_of_days(ALICE, "2025-01-05", 6, 9)
        + shifts(BOB, ("2025-01-06 09:00", "2025-01-06 17:20")),
        comp=[salary(ALICE, is_service_charge_eligible=True),
              hourly(BOB, rate="133.33", is_service_charge_eligible=True)],
        pool="100.01",
    ))
    for component in COMPONENTS + ["total_pay"]:
        assert result.totals[component] == sum(result.lines[component], D(0))


def test_payroll_leaver_pro_rating_leaves_other_salaries_whole():
    result = compute_payroll(inputs(
        entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")),
        comp=[salary(ALICE, base="31000", to="2025-01-15"), salary(BOB, base="20000")],
    ))
    assert line(result, ALICE)["prorate_days"] == 15
    assert line(result, BOB)["prorate_days"] is None
    assert line(result, BOB)["base_pay"] == D("20000.00")


def test_payroll_checksum_is_stable_and_changes_with_data():
    a = inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")), comp=[hourly()])
    b = inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:00")), comp=[hourly()])
    c = inputs(entries=shifts(ALICE, ("2025-01-06 09:00", "2025-01-06 17:01")), comp=[hourly()])
    assert compute_payroll(a).checksum == compute_payroll(b).checksum
    assert compute_payroll(a).checksum != compute_payroll(c).checksum


def test_payroll_pairing_matches_the_shared_session_builder():
    entries = pd.DataFrame(
        [(1, ALICE, "clock_in", at("2025-01-06 09:00")),
         (2, ALICE, "clock_in", at("2025-01-06 10:00")),
         (3, ALICE, "clock_out", at("2025-01-06 17:00")),
         (4, ALICE, "clock_out", at("2025-01-06 18:00")),
         (5, BOB, "clock_in", at("2025-01-06 22:00")),
         (6, BOB, "clock_out", at("2025-01-07 06:00:30")),
         (7, BOB, "clock_in", at("2025-01-08 06:00")),
         (8, BOB, "clock_out", at("2025-01-09 06:00"))],
        columns=["id", "staff_id", "action", "timestamp"],
    )
    ours = pair_sessions(entries, 16)
    theirs = sessions.compute_sessions(entries, 16)
    assert list(ours["seconds"]) == list(theirs["seconds"])
    assert list(ours["flag"]) == list(theirs["flag"])
    assert [None if v < 0 else int(v) for v in ours["clock_in_id"]] == [
        None if pd.isna(v) else int(v) for v in theirs["clock_in_id"]
    ]
    assert list(ours["day"]) == [(d - dt.date(1970, 1, 1)).days for d in theirs["work_date"]]


def test_payroll_fix_joiner_is_judged_on_the_first_compensation_row_ever():
    # The month only loads rows overlapping it; the first row ever comes with the inputs. A
    # person whose earlier row ended before the month (a rehire) is not a joiner.
    given = inputs(entries=shifts(ALICE, ("2025-01-20 09:00", "2025-01-20 17:00")),
                   comp=[salary(base="31000", frm="2025-01-20")])
    given.first_compensation = {ALICE: dt.date(2025, 1, 20)}
    assert line(compute_payroll(given))["base_pay"] == D("12000.00")
    given.first_compensation = {ALICE: dt.date(2023, 5, 1)}
    assert line(compute_payroll(given))["base_pay"] == D("31000.00")
