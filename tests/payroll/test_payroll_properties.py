"""Payroll invariants (hypothesis): shares never exceed the pool, totals are the sum of their
components, a session moved across midnight (or a month end) never loses hours, and the
vectorised pairing equals the shared session builder."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice_lib import bangkok
from backoffice_lib.payroll.rules import (
    COMPONENTS,
    PayrollInputs,
    compute_payroll,
    pair_sessions,
)
from backoffice_lib.staff.rules import sessions

COMP_KEYS = ["id", "staff_id", "compensation_type", "base_salary", "hourly_rate",
             "ot_rate_per_hour", "holiday_rate_per_hour", "is_service_charge_eligible",
             "min_hours_for_allowance", "effective_from", "effective_to"]
money_values = st.decimals(min_value=D(0), max_value=D(100000), places=2)


def staff_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame([{"id": i, "staff_id": f"S{i:03d}", "staff_name": f"P{i}",
                          "is_active": True} for i in range(1, n + 1)])


def comp_row(staff: int, kind: str, rate: D, eligible: bool) -> dict:
    return {
        "id": staff, "staff_id": staff, "compensation_type": kind,
        "base_salary": rate * 100 if kind == "salary" else D(0),
        "hourly_rate": rate if kind == "hourly" else D(0),
        "ot_rate_per_hour": rate, "holiday_rate_per_hour": rate / 2,
        "is_service_charge_eligible": eligible, "min_hours_for_allowance": 6,
        "effective_from": dt.date(2024, 1, 1), "effective_to": None,
    }


def make_inputs(month: str, n: int, comps: list[dict], entries: list[tuple], pool=None,
                holidays=()) -> PayrollInputs:
    frame = pd.DataFrame(entries, columns=["staff_id", "action", "timestamp"])
    frame.insert(0, "id", range(1, len(frame) + 1))
    return PayrollInputs(month=month, staff=staff_frame(n),
                         compensation=pd.DataFrame(comps, columns=COMP_KEYS), entries=frame,
                         holidays=set(holidays), service_charge_pool=pool)


@given(pool=money_values, eligible=st.integers(min_value=0, max_value=40),
       others=st.integers(min_value=0, max_value=5))
@settings(max_examples=60, deadline=None)
def test_payroll_service_charge_shares_never_exceed_the_pool(pool, eligible, others):
    n = eligible + others
    comps = [comp_row(i, "salary", D(100), i <= eligible) for i in range(1, n + 1)]
    result = compute_payroll(make_inputs("2025-01", n, comps, [], pool=pool))
    shares = sum(result.lines["service_charge"], D(0))
    assert shares <= pool
    assert shares + result.service_charge["undistributed"] == pool
    if eligible:
        assert result.service_charge["undistributed"] < D("0.01") * eligible
        assert len(set(result.lines.loc[result.lines["is_service_charge_eligible"],
                                        "service_charge"])) == 1


session_strategy = st.tuples(
    st.integers(min_value=1, max_value=4),  # staff
    st.integers(min_value=0, max_value=40 * 24 * 60),  # start, minutes after 28 Dec 2024
    st.integers(min_value=60, max_value=16 * 3600),  # seconds
)


@given(
    found=st.lists(session_strategy, min_size=0, max_size=25),
    kinds=st.lists(st.sampled_from(["salary", "hourly"]), min_size=4, max_size=4),
    rates=st.lists(st.decimals(min_value=D("0.01"), max_value=D("999.99"), places=2),
                   min_size=4, max_size=4),
    pool=money_values,
)
@settings(max_examples=50, deadline=None)
def test_payroll_total_is_the_sum_of_components(found, kinds, rates, pool):
    base = dt.datetime(2024, 12, 28, tzinfo=bangkok.BANGKOK)
    entries = []
    for staff, minute, seconds in found:
        start = base + dt.timedelta(minutes=minute)
        entries += [(staff, "clock_in", start),
                    (staff, "clock_out", start + dt.timedelta(seconds=seconds))]
    comps = [comp_row(i, kinds[i - 1], rates[i - 1], i % 2 == 0) for i in range(1, 5)]
    result = compute_payroll(make_inputs("2025-01", 4, comps, entries, pool=pool,
                                         holidays={dt.date(2025, 1, 1)}))
    for row in result.lines.to_dict("records"):
        assert row["total_pay"] == sum((row[c] for c in COMPONENTS), D(0))
        for c in COMPONENTS + ["total_pay"]:
            assert row[c] == row[c].quantize(D("0.01"))
    assert result.totals["total_pay"] == sum(result.lines["total_pay"], D(0))


@given(
    start_minute=st.integers(min_value=0, max_value=3 * 24 * 60),
    seconds=st.integers(min_value=60, max_value=16 * 3600),
)
@settings(max_examples=40, deadline=None)
def test_payroll_moving_a_session_across_midnight_never_loses_hours(start_minute, seconds):
    # Sessions placed anywhere from 30 January to 2 February: across midnight and the month end.
    start = dt.datetime(2025, 1, 30, tzinfo=bangkok.BANGKOK) + dt.timedelta(minutes=start_minute)
    entries = [(1, "clock_in", start), (1, "clock_out", start + dt.timedelta(seconds=seconds))]
    comps = [comp_row(1, "hourly", D(100), False)]
    january = compute_payroll(make_inputs("2025-01", 1, comps, entries))
    february = compute_payroll(make_inputs("2025-02", 1, comps, entries))
    got = sum(
        int(r.lines["total_seconds"].sum()) if len(r.lines) else 0 for r in (january, february)
    )
    assert got == seconds
    owner = january if bangkok.bangkok_date(start).month == 1 else february
    assert int(owner.lines["total_seconds"].sum()) == seconds


entry_strategy = st.lists(
    st.tuples(st.integers(min_value=1, max_value=3), st.sampled_from(["clock_in", "clock_out"]),
              st.integers(min_value=0, max_value=5 * 24 * 3600)),
    max_size=40,
)


@given(raw=entry_strategy, limit=st.sampled_from([8, 16, 24]))
@settings(max_examples=80, deadline=None)
def test_payroll_pairing_equals_the_shared_session_builder(raw, limit):
    base = dt.datetime(2025, 1, 1, tzinfo=bangkok.BANGKOK)
    entries = pd.DataFrame(
        [(i + 1, s, a, base + dt.timedelta(seconds=t)) for i, (s, a, t) in enumerate(raw)],
        columns=["id", "staff_id", "action", "timestamp"],
    )
    ours = pair_sessions(entries, limit)
    theirs = sessions.compute_sessions(entries, limit)
    def ident(v):
        return -1 if v is None or pd.isna(v) or v < 0 else int(v)

    def rows(frame):
        return sorted(
            (int(r.staff_id if hasattr(r, "staff_id") else r.staff), ident(r.clock_in_id),
             ident(r.clock_out_id), int(r.seconds), r.flag or "")
            for r in frame.itertuples(index=False)
        )

    assert rows(ours) == rows(theirs)
