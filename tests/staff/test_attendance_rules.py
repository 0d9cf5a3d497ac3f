"""Attendance per shift and unscheduled work (business-rules §2), pure, as tables of cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from backoffice_lib.bangkok import BANGKOK
from backoffice_lib.staff.rules.attendance import (
    compute_attendance,
    compute_attendance_summary,
    compute_generated_shifts,
    day_of_week,
)
from backoffice_lib.staff.rules.sessions import compute_sessions

DAY = dt.date(2025, 3, 4)  # a Tuesday


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def moment(text: str, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, t(text), tzinfo=BANGKOK)


def shifts(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": f"s{i}",
                "staff_id": 1,
                "schedule_date": DAY,
                "start_time": t(a),
                "end_time": t(b),
            }
            for i, (a, b) in enumerate(rows)
        ],
        columns=["id", "staff_id", "schedule_date", "start_time", "end_time"],
    )


def punches(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"id": i, "staff_id": 1, "action": a, "timestamp": moment(w)}
            for i, (a, w) in enumerate(rows)
        ],
        columns=["id", "staff_id", "action", "timestamp"],
    )


def outcome(frame: pd.DataFrame) -> list[tuple]:
    return [
        (r.status, r.minutes_late, r.left_early, r.minutes_early, r.hours)
        for r in frame.itertuples()
    ]


IN, OUT = "clock_in", "clock_out"
CASES = [
    (
        "on_time_exactly_at_start",
        [("09:00", "17:00")],
        [(IN, "09:00"), (OUT, "17:00")],
        [("on_time", 0, False, 0, Decimal("8.00"))],
    ),
    (
        "early_clock_in_is_on_time",
        [("09:00", "17:00")],
        [(IN, "08:40"), (OUT, "17:00")],
        [("on_time", 0, False, 0, Decimal("8.33"))],
    ),
    (
        "five_minutes_after_start_is_on_time",
        [("09:00", "17:00")],
        [(IN, "09:05"), (OUT, "17:00")],
        [("on_time", 0, False, 0, Decimal("7.92"))],
    ),
    (
        "five_minutes_one_second_is_late",
        [("09:00", "17:00")],
        [(IN, "09:05:01"), (OUT, "17:00")],
        [("late", 5, False, 0, Decimal("7.92"))],
    ),
    (
        "late_minutes",
        [("09:00", "17:00")],
        [(IN, "09:37"), (OUT, "17:00")],
        [("late", 37, False, 0, Decimal("7.38"))],
    ),
    (
        "leaving_five_minutes_early_is_not_left_early",
        [("09:00", "17:00")],
        [(IN, "09:00"), (OUT, "16:55")],
        [("on_time", 0, False, 0, Decimal("7.92"))],
    ),
    (
        "left_early_more_than_five_minutes",
        [("09:00", "17:00")],
        [(IN, "09:00"), (OUT, "16:30")],
        [("on_time", 0, True, 30, Decimal("7.50"))],
    ),
    (
        "late_and_left_early",
        [("09:00", "17:00")],
        [(IN, "10:00"), (OUT, "15:00")],
        [("late", 60, True, 120, Decimal("5.00"))],
    ),
    (
        "no_session_is_no_show",
        [("09:00", "17:00")],
        [],
        [("no_show", None, None, None, Decimal("0.00"))],
    ),
    (
        "session_outside_the_shift_is_no_show_plus_unscheduled",
        [("09:00", "12:00")],
        [(IN, "13:00"), (OUT, "15:00")],
        [
            ("no_show", None, None, None, Decimal("0.00")),
            ("unscheduled", None, None, None, Decimal("2.00")),
        ],
    ),
    (
        "session_ending_at_shift_start_does_not_overlap",
        [("09:00", "12:00")],
        [(IN, "07:00"), (OUT, "09:00")],
        [
            ("unscheduled", None, None, None, Decimal("2.00")),
            ("no_show", None, None, None, Decimal("0.00")),
        ],
    ),
    (
        "break_is_not_left_early_first_session_sets_lateness",
        [("09:00", "17:00")],
        [(IN, "09:10"), (OUT, "12:00"), (IN, "13:00"), (OUT, "17:00")],
        [("late", 10, False, 0, Decimal("6.83"))],
    ),
    (
        "one_session_over_two_touching_shifts",
        [("09:00", "13:00"), ("13:00", "17:00")],
        [(IN, "09:00"), (OUT, "17:00")],
        [("on_time", 0, False, 0, Decimal("8.00")), ("on_time", 0, False, 0, Decimal("8.00"))],
    ),
    (
        "missing_clock_out_attends_but_left_early_unknown",
        [("09:00", "17:00")],
        [(IN, "09:20")],
        [("late", 20, None, None, Decimal("0.00"))],
    ),
    (
        "orphan_clock_out_does_not_attend",
        [("09:00", "17:00")],
        [(OUT, "17:00")],
        [("no_show", None, None, None, Decimal("0.00"))],
    ),
]


@pytest.mark.parametrize(
    "shift_rows,punch_rows,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_attendance_rule(shift_rows, punch_rows, expected):
    result = compute_attendance(shifts(*shift_rows), compute_sessions(punches(*punch_rows)))
    assert outcome(result) == expected


def test_session_of_the_previous_evening_into_an_early_shift():
    frame = pd.DataFrame(
        [
            {
                "id": 1,
                "staff_id": 1,
                "action": IN,
                "timestamp": moment("22:00", DAY - dt.timedelta(days=1)),
            },
            {"id": 2, "staff_id": 1, "action": OUT, "timestamp": moment("02:00")},
        ]
    )
    result = compute_attendance(shifts(("01:00", "02:00")), compute_sessions(frame))
    assert outcome(result) == [("on_time", 0, False, 0, Decimal("4.00"))]


def test_shift_still_to_come_is_upcoming_not_no_show():
    result = compute_attendance(
        shifts(("09:00", "17:00")), compute_sessions(punches()), as_of=moment("08:00")
    )
    assert list(result["status"]) == ["upcoming"]


def test_open_session_before_a_later_shift_is_unscheduled_until_the_shift_starts():
    result = compute_attendance(
        shifts(("15:00", "23:00")), compute_sessions(punches((IN, "03:54"))), as_of=moment("05:00")
    )
    assert [(r.status, r.session_flag) for r in result.itertuples()] == [
        ("unscheduled", "in_progress"),
        ("upcoming", None),
    ]
    later = compute_attendance(
        shifts(("15:00", "23:00")), compute_sessions(punches((IN, "14:50"))), as_of=moment("15:10")
    )
    assert [(r.status, r.session_flag) for r in later.itertuples()] == [("on_time", "in_progress")]


def test_open_session_today_is_in_progress_not_missing_clock_out():
    result = compute_attendance(
        shifts(("09:00", "17:00")), compute_sessions(punches((IN, "09:00"))), as_of=moment("11:00")
    )
    assert (result.iloc[0].status, result.iloc[0].session_flag) == ("on_time", "in_progress")


def test_other_persons_sessions_never_attend_a_shift():
    frame = punches((IN, "09:00"), (OUT, "17:00"))
    frame["staff_id"] = 2
    result = compute_attendance(shifts(("09:00", "17:00")), compute_sessions(frame))
    assert list(result["status"]) == ["no_show", "unscheduled"]
    assert list(result["staff_id"]) == [1, 2]


def test_attendance_summary_per_person():
    shift_rows = pd.DataFrame(
        [
            {
                "id": "a",
                "staff_id": 1,
                "schedule_date": DAY + dt.timedelta(days=d),
                "start_time": t("09:00"),
                "end_time": t("17:00"),
            }
            for d in range(4)
        ]
    )
    p = [
        (IN, moment("09:00")),
        (OUT, moment("17:00")),  # on time
        (IN, moment("09:30", DAY + dt.timedelta(days=1))),
        (OUT, moment("16:00", DAY + dt.timedelta(days=1))),
        (IN, moment("09:10", DAY + dt.timedelta(days=2))),
        (OUT, moment("17:00", DAY + dt.timedelta(days=2))),
        # day 3: no show; day 5 unscheduled
        (IN, moment("10:00", DAY + dt.timedelta(days=5))),
        (OUT, moment("12:30", DAY + dt.timedelta(days=5))),
    ]
    frame = pd.DataFrame(
        [{"id": i, "staff_id": 1, "action": a, "timestamp": w} for i, (a, w) in enumerate(p)]
    )
    summary = compute_attendance_summary(compute_attendance(shift_rows, compute_sessions(frame)))
    row = summary.iloc[0].to_dict()
    assert row == {
        "staff_id": 1,
        "shifts": 4,
        "on_time": 1,
        "late": 2,
        "no_show": 1,
        "left_early": 1,
        "minutes_late": 40,
        "unscheduled_sessions": 1,
        "unscheduled_hours": Decimal("2.50"),
        "punctuality_pct": Decimal("33.33"),
    }


# --- schedule generation -------------------------------------------------------------------


def patterns(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": f"p{i}",
                "staff_id": s,
                "day_of_week": d,
                "start_time": t(a),
                "end_time": t(b),
                "location": "front desk",
                "is_active": active,
            }
            for i, (s, d, a, b, active) in enumerate(rows)
        ],
        columns=[
            "id",
            "staff_id",
            "day_of_week",
            "start_time",
            "end_time",
            "location",
            "is_active",
        ],
    )


EXISTING_COLUMNS = ["staff_id", "schedule_date", "start_time", "end_time"]


@pytest.mark.parametrize(
    "day,expected",
    [(dt.date(2025, 3, 2), 0), (dt.date(2025, 3, 3), 1), (dt.date(2025, 3, 8), 6)],
    ids=["sunday_is_0", "monday_is_1", "saturday_is_6"],
)
def test_day_of_week_zero_is_sunday(day, expected):
    assert day_of_week(day) == expected


def test_generation_creates_active_patterns_of_each_weekday():
    planned, skipped = compute_generated_shifts(
        patterns(
            (1, 1, "09:00", "17:00", True),
            (1, 3, "09:00", "17:00", True),
            (2, 1, "12:00", "20:00", False),
        ),
        pd.DataFrame(columns=EXISTING_COLUMNS),
        dt.date(2025, 3, 2),
        dt.date(2025, 3, 15),
    )
    assert [(r.staff_id, r.schedule_date) for r in planned.itertuples()] == [
        (1, dt.date(2025, 3, 3)),
        (1, dt.date(2025, 3, 5)),
        (1, dt.date(2025, 3, 10)),
        (1, dt.date(2025, 3, 12)),
    ]
    assert skipped.empty


@pytest.mark.parametrize(
    "existing,created,skipped_reason",
    [
        ([("08:00", "09:00")], 1, None),  # touching is fine
        ([("16:00", "18:00")], 0, "overlaps the shift 16:00-18:00"),
        ([("09:00", "17:00")], 0, "the shift 09:00-17:00 already exists"),  # generating twice
        ([("10:00", "11:00")], 0, "overlaps the shift 10:00-11:00"),
    ],
    ids=["touching_ok", "overlap_end", "same_shift_again", "inside"],
)
def test_generation_skips_and_reports_overlaps(existing, created, skipped_reason):
    monday = dt.date(2025, 3, 3)
    planned, skipped = compute_generated_shifts(
        patterns((1, 1, "09:00", "17:00", True)),
        pd.DataFrame([(1, monday, t(a), t(b)) for a, b in existing], columns=EXISTING_COLUMNS),
        monday,
        monday,
    )
    assert len(planned) == created
    assert list(skipped["reason"]) == ([skipped_reason] if skipped_reason else [])


def test_generation_skips_overlapping_patterns_of_one_person():
    monday = dt.date(2025, 3, 3)
    planned, skipped = compute_generated_shifts(
        patterns((1, 1, "09:00", "17:00", True), (1, 1, "16:00", "20:00", True)),
        pd.DataFrame(columns=EXISTING_COLUMNS),
        monday,
        monday,
    )
    assert len(planned) == 1 and list(skipped["reason"]) == ["overlaps the shift 09:00-17:00"]
