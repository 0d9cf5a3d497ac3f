"""The analysts' attendance explorer: period cap, status filter, paging, per-day counts and the
period-only loader on the database."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from timeclock_fixtures import ADMIN, add_entry, add_staff, add_users, at, sql

from backoffice_lib.staff.queries import attendance as attendance_queries
from backoffice_lib.staff.rules import attendance
from backoffice_lib.staff.service import attendance as attendance_service
from backoffice_lib.staff.service import schedules

MONDAY = dt.date(2025, 3, 3)
T = dt.time


def rows(*items) -> pd.DataFrame:
    """Attendance-like rows from (day offset, status, left_early, start hour)."""
    data = []
    for offset, status, left_early, hour in items:
        day = MONDAY + dt.timedelta(days=offset)
        start = at(day, hour)
        data.append(
            {
                "work_date": day,
                "status": status,
                "left_early": left_early,
                "shift_start": None if status == attendance.UNSCHEDULED else start,
                "clock_in": start,
            }
        )
    return pd.DataFrame(
        data, columns=["work_date", "status", "left_early", "shift_start", "clock_in"], dtype=object
    )


SAMPLE = rows(
    (0, "on_time", False, 9),
    (0, "late", True, 13),
    (1, "no_show", None, 9),
    (1, "unscheduled", None, 18),
    (2, "late", False, 9),
    (2, "on_time", True, 14),
)


@pytest.mark.parametrize(
    "start,end,ok",
    [
        (MONDAY, MONDAY, True),
        (MONDAY, MONDAY + dt.timedelta(days=365), True),  # 366 days: the cap, inclusive
        (MONDAY, MONDAY + dt.timedelta(days=366), False),  # 367 days
        (MONDAY, MONDAY - dt.timedelta(days=1), False),  # ends before it starts
        (None, MONDAY, False),
    ],
)
def test_period_is_capped_at_366_days_and_in_order(start, end, ok):
    if ok:
        assert attendance.compute_period(start, end) == (start, end)
    else:
        with pytest.raises(ValueError):
            attendance.compute_period(start, end)


def test_period_cap_message_says_how_long_and_what_to_choose():
    with pytest.raises(ValueError, match=r"is 400 days; choose at most 366 days"):
        attendance.compute_period(MONDAY, MONDAY + dt.timedelta(days=399))


@pytest.mark.parametrize(
    "label,expected",
    [
        ("any", 6),
        ("on time", 2),
        ("late", 2),
        ("left early", 2),  # one late and one on-time shift left early
        ("no show", 1),
        ("unscheduled", 1),
    ],
)
def test_status_filter(label, expected):
    kept = attendance.compute_filtered(SAMPLE, attendance.STATUSES[label])
    assert len(kept) == expected
    if label == "left early":
        assert list(kept["left_early"]) == [True, True]


def test_rows_are_newest_first():
    ordered = attendance.compute_newest_first(SAMPLE)
    assert [(r.work_date.day, r.clock_in.hour) for r in ordered.itertuples()] == [
        (5, 14),
        (5, 9),
        (4, 18),
        (4, 9),
        (3, 13),
        (3, 9),
    ]


@pytest.mark.parametrize(
    "page,size,expected_page,pages,count",
    [
        (1, 4, 1, 2, 4),
        (2, 4, 2, 2, 2),
        (3, 4, 2, 2, 2),  # past the end: the last page
        (0, 4, 1, 2, 4),  # before the start: the first page
        (1, 50, 1, 1, 6),
        (1, 0, 1, 6, 1),  # page size at least 1
    ],
)
def test_paging_clamps_to_existing_pages(page, size, expected_page, pages, count):
    shown, got_page, got_pages = attendance.compute_page(SAMPLE, page, size)
    assert (got_page, got_pages, len(shown)) == (expected_page, pages, count)


def test_paging_an_empty_result_is_one_empty_page():
    shown, page, pages = attendance.compute_page(SAMPLE.iloc[0:0], 5, 50)
    assert (page, pages, len(shown)) == (1, 1, 0)


def test_daily_counts_cover_every_day_with_late_and_no_shows():
    daily = attendance.compute_daily_counts(SAMPLE, MONDAY, MONDAY + dt.timedelta(days=3))
    assert [tuple(r) for r in daily.itertuples(index=False)] == [
        (MONDAY, 1, 0),
        (MONDAY + dt.timedelta(days=1), 0, 1),
        (MONDAY + dt.timedelta(days=2), 1, 0),
        (MONDAY + dt.timedelta(days=3), 0, 0),
    ]


def test_loader_reads_only_the_period_and_the_person(conn):
    add_users(conn)
    a, b = add_staff(conn, "Somchai", "E1"), add_staff(conn, "Malee", "E2")
    tuesday = MONDAY + dt.timedelta(days=1)
    for day in (MONDAY - dt.timedelta(days=7), MONDAY, tuesday):
        schedules.create_shift(conn, ADMIN, "E1", day, T(9), T(17))
    schedules.create_shift(conn, ADMIN, "E2", MONDAY, T(9), T(17))
    add_entry(conn, a, "clock_in", at(MONDAY - dt.timedelta(days=7), 9))  # outside the period
    add_entry(conn, a, "clock_out", at(MONDAY - dt.timedelta(days=7), 17))
    add_entry(conn, a, "clock_in", at(MONDAY, 9, 20))
    add_entry(conn, a, "clock_out", at(MONDAY, 16, 30))
    add_entry(conn, b, "clock_in", at(tuesday, 10))
    add_entry(conn, b, "clock_out", at(tuesday, 12))
    as_of = at(MONDAY + dt.timedelta(days=5), 0)

    everyone = attendance_service.load_period_attendance(conn, MONDAY, tuesday, as_of=as_of)
    got = [
        (r.staff_name, r.work_date, r.status, r.minutes_late, r.left_early)
        for r in everyone.itertuples()
    ]
    assert got == [
        ("Somchai", MONDAY, "late", 20, True),
        ("Malee", MONDAY, "no_show", None, None),
        ("Somchai", tuesday, "no_show", None, None),
        ("Malee", tuesday, "unscheduled", None, None),
    ]
    only_a = attendance_service.load_period_attendance(conn, MONDAY, tuesday, a, as_of=as_of)
    assert set(only_a["staff_name"]) == {"Somchai"} and len(only_a) == 2
    with pytest.raises(ValueError, match="at most 366 days"):
        attendance_service.load_period_attendance(conn, MONDAY, MONDAY + dt.timedelta(days=400), as_of=as_of)
    sql(conn, "UPDATE backoffice.staff SET is_active = false WHERE id = :i", i=a)
    options = attendance_queries.load_staff_options(conn)
    assert options.index(("Malee", b)) < options.index(("Somchai (inactive)", a))
