"""Shifts, weekly patterns and generation on the database (business-rules §2)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from timeclock_fixtures import ADMIN, MANAGER, add_entry, add_staff, add_users, at, sql

from backoffice_lib import access
from backoffice_lib.staff.service import schedules

MONDAY = dt.date(2025, 3, 3)
T = dt.time


@pytest.fixture
def people(conn):
    add_users(conn)
    return add_staff(conn, "Somchai", "E1"), add_staff(conn, "Malee", "E2")


def shifts(conn):
    return [
        (r.staff_id, r.schedule_date, r.start_time, r.end_time, r.created_by)
        for r in sql(
            conn,
            "SELECT staff_id, schedule_date, start_time, end_time, created_by"
            " FROM backoffice.staff_schedules ORDER BY schedule_date, staff_id, start_time",
        )
    ]


def test_generate_creates_each_weekdays_active_patterns_as_weekly_template(conn, people):
    a, b = people
    schedules.create_weekly_pattern(conn, ADMIN, "E1", 1, T(9), T(17))  # Mondays
    schedules.create_weekly_pattern(conn, ADMIN, "E2", 2, T(12), T(20))  # Tuesdays
    inactive = schedules.create_weekly_pattern(conn, ADMIN, "E2", 1, T(8), T(12))
    schedules.set_pattern_active(conn, ADMIN, inactive, False)
    report = schedules.run_generate_schedules(conn, ADMIN, MONDAY, MONDAY + dt.timedelta(days=7))
    assert shifts(conn) == [
        (a, MONDAY, T(9), T(17), "weekly_template"),
        (b, MONDAY + dt.timedelta(days=1), T(12), T(20), "weekly_template"),
        (a, MONDAY + dt.timedelta(days=7), T(9), T(17), "weekly_template"),
    ]
    assert len(report.created) == 3 and report.skipped.empty
    details = sql(
        conn, "SELECT details FROM backoffice.audit_logs WHERE action = 'GENERATE'"
    ).scalar()
    assert details["created"] == 3 and details["from"] == "2025-03-03"


def test_generating_twice_skips_and_reports_every_overlap_fix(conn, people):
    schedules.create_weekly_pattern(conn, ADMIN, "E1", 1, T(9), T(17))
    schedules.run_generate_schedules(conn, ADMIN, MONDAY, MONDAY)
    again = schedules.run_generate_schedules(conn, ADMIN, MONDAY, MONDAY)
    assert again.created.empty
    assert list(again.skipped["reason"]) == ["the shift 09:00-17:00 already exists"]
    assert len(shifts(conn)) == 1


def test_identical_shifts_already_exist_and_only_a_different_shift_overlaps_fix(conn, people):
    schedules.create_weekly_pattern(conn, ADMIN, "E1", 1, T(9), T(17))
    schedules.create_weekly_pattern(conn, ADMIN, "E2", 1, T(9), T(17))
    schedules.run_generate_schedules(conn, ADMIN, MONDAY, MONDAY)
    schedules.create_weekly_pattern(conn, ADMIN, "E1", 1, T(16), T(20))
    again = schedules.run_generate_schedules(conn, ADMIN, MONDAY, MONDAY)
    assert sorted(again.skipped["reason"]) == [
        "overlaps the shift 09:00-17:00",
        "the shift 09:00-17:00 already exists",
        "the shift 09:00-17:00 already exists",
    ]
    assert again.existing_count() == 2
    assert again.summary() == "created 0 shifts, 2 already exist, skipped 1 overlapping"


def test_generation_keeps_manual_shifts_and_skips_overlapping_patterns(conn, people):
    a, _ = people
    schedules.create_shift(conn, ADMIN, "E1", MONDAY, T(16), T(22), notes="event")
    schedules.create_weekly_pattern(conn, ADMIN, "E1", 1, T(9), T(17))
    report = schedules.run_generate_schedules(conn, ADMIN, MONDAY, MONDAY)
    assert report.summary() == "created 0 shifts, skipped 1 overlapping"
    assert shifts(conn) == [(a, MONDAY, T(16), T(22), ADMIN)]


@pytest.mark.parametrize(
    "start,end,ok",
    [
        (T(17), T(20), True),
        (T(6), T(9), True),
        (T(16), T(18), False),
        (T(8), T(10), False),
        (T(9), T(17), False),
    ],
    ids=["touching_after", "touching_before", "overlap_end", "overlap_start", "same"],
)
def test_create_shift_overlap_rule(conn, people, start, end, ok):
    schedules.create_shift(conn, ADMIN, "E1", MONDAY, T(9), T(17))
    if ok:
        schedules.create_shift(conn, ADMIN, "E1", MONDAY, start, end)
    else:
        with pytest.raises(schedules.ScheduleError, match="already has the shift 09:00-17:00"):
            schedules.create_shift(conn, ADMIN, "E1", MONDAY, start, end)


def test_other_persons_shift_does_not_clash(conn, people):
    schedules.create_shift(conn, ADMIN, "E1", MONDAY, T(9), T(17))
    schedules.create_shift(conn, ADMIN, "E2", MONDAY, T(9), T(17))
    assert len(shifts(conn)) == 2


@pytest.mark.parametrize("start,end", [(T(17), T(9)), (T(9), T(9))], ids=["overnight", "empty"])
def test_shift_must_end_after_it_starts(conn, people, start, end):
    with pytest.raises(schedules.ScheduleError, match="ends after it starts"):
        schedules.create_shift(conn, ADMIN, "E1", MONDAY, start, end)


def test_bulk_creation_obeys_the_overlap_rule_fix(conn, people):
    a, b = people
    bulk = pd.DataFrame(
        [
            {"staff_id": a, "schedule_date": MONDAY, "start_time": T(9), "end_time": T(17)},
            {"staff_id": a, "schedule_date": MONDAY, "start_time": T(12), "end_time": T(14)},
            {"staff_id": b, "schedule_date": MONDAY, "start_time": T(12), "end_time": T(14)},
        ]
    )
    report = schedules.create_shifts(conn, ADMIN, bulk)
    assert len(report.created) == 2 and list(report.skipped["reason"]) == [
        "overlaps the shift 09:00-17:00"
    ]


def test_database_constraint_catches_what_the_precheck_cannot_see(conn, people):
    a, _ = people
    values = {
        "staff_id": a,
        "schedule_date": MONDAY,
        "start_time": T(9),
        "end_time": T(17),
        "location": None,
        "notes": None,
        "created_by": "another writer",
    }
    schedules._insert_shift(conn, values)
    with pytest.raises(schedules.ScheduleError, match="found by the database"):
        schedules._insert_shift(conn, dict(values, start_time=T(10)))
    assert len(shifts(conn)) == 1  # and the transaction is still usable


def test_schedules_are_for_admins(conn, people):
    with pytest.raises(access.AccessDenied, match="not an admin"):
        schedules.run_generate_schedules(conn, MANAGER, MONDAY, MONDAY)


def test_load_attendance_joins_shifts_and_punches(conn, people):
    a, b = people
    schedules.create_shift(conn, ADMIN, "E1", MONDAY, T(9), T(17))
    schedules.create_shift(conn, ADMIN, "E2", MONDAY, T(9), T(17))
    add_entry(conn, a, "clock_in", at(MONDAY, 9, 20))
    add_entry(conn, a, "clock_out", at(MONDAY, 17))
    add_entry(conn, b, "clock_in", at(MONDAY + dt.timedelta(days=1), 10))
    add_entry(conn, b, "clock_out", at(MONDAY + dt.timedelta(days=1), 12))
    result = schedules.load_attendance(
        conn, MONDAY, MONDAY + dt.timedelta(days=1), as_of=at(MONDAY + dt.timedelta(days=3), 0)
    )
    assert [(r.staff_name, r.work_date, r.status, r.minutes_late) for r in result.itertuples()] == [
        ("Somchai", MONDAY, "late", 20),
        ("Malee", MONDAY, "no_show", None),
        ("Malee", MONDAY + dt.timedelta(days=1), "unscheduled", None),
    ]
