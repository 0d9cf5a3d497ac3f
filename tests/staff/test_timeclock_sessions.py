"""compute_sessions: business-rules §3.1, as a table of cases with exact expectations."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice_lib.bangkok import BANGKOK
from backoffice_lib.staff.rules.sessions import SESSION_COLUMNS, compute_sessions

UTC = dt.UTC


def bkk(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=BANGKOK)


def entries(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"id": i + 1, "staff_id": s, "action": a, "timestamp": t}
            for i, (s, a, t) in enumerate(rows)
        ]
    )


def summary(sessions: pd.DataFrame) -> list[tuple]:
    return [(r.staff_id, r.work_date, r.seconds, r.hours, r.flag) for r in sessions.itertuples()]


CASES = [
    (
        "pair_in_out",
        [(1, "clock_in", bkk(6, 9)), (1, "clock_out", bkk(6, 17, 30))],
        [(1, dt.date(2025, 1, 6), 30600, Decimal("8.50"), None)],
    ),
    (
        "session_across_midnight_belongs_to_clock_in_date",
        [(1, "clock_in", bkk(6, 20)), (1, "clock_out", bkk(7, 2))],
        [(1, dt.date(2025, 1, 6), 21600, Decimal("6.00"), None)],
    ),
    (
        "session_across_month_end_is_not_cut_fix",
        [
            (1, "clock_in", bkk(31, 22)),
            (1, "clock_out", dt.datetime(2025, 2, 1, 3, tzinfo=BANGKOK)),
        ],
        [(1, dt.date(2025, 1, 31), 18000, Decimal("5.00"), None)],
    ),
    (
        "bangkok_date_not_utc_date_fix",  # 06:30 Bangkok is 23:30 UTC the day before
        [
            (1, "clock_in", dt.datetime(2025, 1, 5, 23, 30, tzinfo=UTC)),
            (1, "clock_out", dt.datetime(2025, 1, 6, 8, 30, tzinfo=UTC)),
        ],
        [(1, dt.date(2025, 1, 6), 32400, Decimal("9.00"), None)],
    ),
    (
        "exactly_max_session_hours_still_pairs",
        [(1, "clock_in", bkk(6, 6)), (1, "clock_out", bkk(6, 22))],
        [(1, dt.date(2025, 1, 6), 57600, Decimal("16.00"), None)],
    ),
    (
        "over_max_session_hours_gives_missing_and_orphan",
        [(1, "clock_in", bkk(6, 6)), (1, "clock_out", bkk(6, 22, 1))],
        [
            (1, dt.date(2025, 1, 6), 0, Decimal("0.00"), "missing_clock_out"),
            (1, dt.date(2025, 1, 6), 0, Decimal("0.00"), "orphan_clock_out"),
        ],
    ),
    (
        "second_clock_in_does_not_replace_the_first_fix",
        [(1, "clock_in", bkk(6, 9)), (1, "clock_in", bkk(6, 10)), (1, "clock_out", bkk(6, 12))],
        [
            (1, dt.date(2025, 1, 6), 0, Decimal("0.00"), "missing_clock_out"),
            (1, dt.date(2025, 1, 6), 7200, Decimal("2.00"), None),
        ],
    ),
    (
        "clock_out_without_open_clock_in_is_orphan",
        [(1, "clock_out", bkk(6, 9))],
        [(1, dt.date(2025, 1, 6), 0, Decimal("0.00"), "orphan_clock_out")],
    ),
    (
        "trailing_clock_in_is_missing_clock_out",
        [(1, "clock_in", bkk(6, 9)), (1, "clock_out", bkk(6, 10)), (1, "clock_in", bkk(6, 11))],
        [
            (1, dt.date(2025, 1, 6), 3600, Decimal("1.00"), None),
            (1, dt.date(2025, 1, 6), 0, Decimal("0.00"), "missing_clock_out"),
        ],
    ),
    (
        "people_are_paired_separately_even_interleaved",
        [
            (1, "clock_in", bkk(6, 9)),
            (2, "clock_in", bkk(6, 9, 30)),
            (1, "clock_out", bkk(6, 10)),
            (2, "clock_out", bkk(6, 12)),
        ],
        [
            (1, dt.date(2025, 1, 6), 3600, Decimal("1.00"), None),
            (2, dt.date(2025, 1, 6), 9000, Decimal("2.50"), None),
        ],
    ),
    (
        "clock_in_of_one_person_never_pairs_with_the_next_persons_clock_out",
        [(1, "clock_in", bkk(6, 9)), (2, "clock_out", bkk(6, 10))],
        [
            (1, dt.date(2025, 1, 6), 0, Decimal("0.00"), "missing_clock_out"),
            (2, dt.date(2025, 1, 6), 0, Decimal("0.00"), "orphan_clock_out"),
        ],
    ),
    (
        "durations_are_whole_seconds_hours_two_decimals_half_up",  # 20 min 15.9 s -> 1215 s
        [
            (1, "clock_in", bkk(6, 9)),
            (1, "clock_out", bkk(6, 9, 20) + dt.timedelta(seconds=15, microseconds=900000)),
        ],
        [(1, dt.date(2025, 1, 6), 1215, Decimal("0.34"), None)],
    ),
    (
        "unsorted_input_is_sorted_by_time",
        [(1, "clock_out", bkk(6, 17)), (1, "clock_in", bkk(6, 9))],
        [(1, dt.date(2025, 1, 6), 28800, Decimal("8.00"), None)],
    ),
]


@pytest.mark.parametrize("rows,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_compute_sessions_rule(rows, expected):
    assert summary(compute_sessions(entries(*rows))) == expected


def test_compute_sessions_max_session_hours_is_a_parameter():
    rows = entries((1, "clock_in", bkk(6, 9)), (1, "clock_out", bkk(6, 13)))
    assert [r.flag for r in compute_sessions(rows, max_session_hours=3).itertuples()] == [
        "missing_clock_out",
        "orphan_clock_out",
    ]
    assert [r.flag for r in compute_sessions(rows, max_session_hours=4).itertuples()] == [None]


def test_compute_sessions_keeps_entry_ids_and_aware_times():
    result = compute_sessions(entries((7, "clock_in", bkk(6, 9)), (7, "clock_out", bkk(6, 10))))
    row = result.iloc[0]
    assert (row.clock_in_id, row.clock_out_id) == (1, 2)
    assert row.clock_in == bkk(6, 9) and row.clock_in.tzinfo is not None
    assert list(result.columns) == SESSION_COLUMNS
    assert isinstance(row.hours, Decimal)


def test_compute_sessions_of_no_entries_is_empty_with_columns():
    empty = compute_sessions(pd.DataFrame(columns=["staff_id", "action", "timestamp"]))
    assert list(empty.columns) == SESSION_COLUMNS and len(empty) == 0


def test_compute_sessions_refuses_naive_timestamps():
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_sessions(entries((1, "clock_in", dt.datetime(2025, 1, 6, 9))))


# --- invariants (hypothesis) -----------------------------------------------------------------


PUNCHES = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=3),
        st.sampled_from(["clock_in", "clock_out"]),
        st.integers(min_value=0, max_value=60 * 24 * 4),  # minutes into the period
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(PUNCHES)
def test_every_entry_lands_in_exactly_one_session_row(rows):
    start = bkk(6, 0)
    frame = entries(*[(s, a, start + dt.timedelta(minutes=m)) for s, a, m in rows])
    result = compute_sessions(frame)
    used = [i for i in list(result["clock_in_id"]) + list(result["clock_out_id"]) if i is not None]
    assert sorted(used) == list(range(1, len(rows) + 1))
    for row in result.itertuples():
        if row.flag is None:
            assert row.clock_in <= row.clock_out <= row.clock_in + dt.timedelta(hours=16)
            assert row.seconds == int((row.clock_out - row.clock_in).total_seconds())
        else:
            assert (row.seconds, row.hours) == (0, Decimal("0.00"))
    # a person's paired sessions never overlap each other
    for _, person in result[result["flag"].isna()].groupby("staff_id"):
        spans = sorted(zip(person["clock_in"], person["clock_out"], strict=True))
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
