"""Review flags grouped per person and kind, acknowledged in bulk with a reason (issue 21 item 6).

The rules are tables; the service runs in the rolled-back ``conn`` on the close tests' world.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from test_payroll_close import ADMIN, CLERK, MONTH, audits, entry, world  # noqa: F401

from backoffice_lib.access import AccessDenied
from backoffice_lib.payroll.rules import close as rules
from backoffice_lib.payroll.service import close, finalise_payroll, run_payroll

D7, D8, D9 = dt.date(2025, 1, 7), dt.date(2025, 1, 8), dt.date(2025, 1, 9)


def flags(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        [(staff, f"E{staff}", f"Person {staff}", day, flag, "") for staff, day, flag in rows],
        columns=["staff", "staff_id", "staff_name", "work_date", "flag", "detail"])


@pytest.mark.parametrize(
    "rows, acknowledged, expected",
    [
        ((), {}, []),
        (((1, D7, "day_over_9h"), (1, D8, "day_over_9h"), (1, D9, "day_over_9h")), {},
         [(1, "day_over_9h", 3, D7, D9, False)]),
        (((1, D7, "day_over_9h"), (1, D7, "session_over_8h"), (2, D8, "day_over_9h")), {},
         [(1, "day_over_9h", 1, D7, D7, False), (1, "session_over_8h", 1, D7, D7, False),
          (2, "day_over_9h", 1, D8, D8, False)]),
        (((1, D7, "day_over_9h"), (2, D8, "day_over_9h")),
         {(2, "day_over_9h"): {"reason": "long shifts", "acknowledged_by": "a@x"}},
         [(1, "day_over_9h", 1, D7, D7, False), (2, "day_over_9h", 1, D8, D8, True)]),
    ],
    ids=["no_flags_no_groups", "one_group_counts_its_days", "per_person_and_kind",
         "acknowledged_per_person_and_kind"],
)
def test_review_flags_grouped_per_person_and_kind_with_their_count(rows, acknowledged,
                                                                    expected):
    groups = rules.compute_flag_groups(flags(*rows), acknowledged)
    assert [(g["staff"], g["flag"], g["flags"], g["first_date"], g["last_date"],
             g["acknowledged"]) for g in groups.to_dict("records")] == expected


KINDS = ["day_over_9h", "session_over_8h", "day_under_3h", "missing_clock_out"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 30), st.sampled_from(KINDS)),
                max_size=60),
       st.sets(st.tuples(st.integers(1, 4), st.sampled_from(KINDS))))
def test_flag_groups_account_for_every_flag_once(rows, acknowledged):
    """Every flag is in exactly one group; a group is acknowledged only when its key is."""
    frame = flags(*[(staff, D7 + dt.timedelta(days=day), kind) for staff, day, kind in rows])
    known = {key: {"reason": "r", "acknowledged_by": "a@x"} for key in acknowledged}
    groups = rules.compute_flag_groups(frame, known)
    assert sum(groups["flags"]) == len(rows)
    keys = list(zip(groups["staff"], groups["flag"]))
    assert len(keys) == len(set(keys)) == len({(staff, kind) for staff, _, kind in rows})
    assert [bool(a) for a in groups["acknowledged"]] == [key in acknowledged for key in keys]


@pytest.mark.parametrize(
    "review_flags, to_review, acknowledged, state, detail",
    [
        (0, 0, 0, "done", "none"),
        (213, 30, 0, "todo", "30 of 30 groups to review (213 flags)"),
        (213, 12, 18, "todo", "12 of 30 groups to review (213 flags), 18 acknowledged"),
        (213, 0, 30, "done", "all 30 groups acknowledged (213 flags)"),
    ],
    ids=["no_flags_done", "counts_groups_not_flags", "acknowledged_groups_not_counted",
         "all_groups_acknowledged_done"],
)
def test_review_step_counts_only_unacknowledged_groups(review_flags, to_review, acknowledged,
                                                       state, detail):
    checklist = rules.CloseChecklist(
        month=MONTH, can_act=True, pool=None, pool_updated_at=None, holidays=[], finalised=None,
        latest_run=None, current_run=None, blocking_errors=0, review_flags=review_flags,
        people=1, total_pay=None, review_groups=to_review, acknowledged_groups=acknowledged)
    assert rules.compute_review_step(checklist) == {"step": "Review flags", "state": state,
                                                    "detail": detail}


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_acknowledging_needs_a_reason(typed):
    with pytest.raises(rules.CloseRefused, match="needs a reason"):
        rules.compute_acknowledge_reason(typed)


@pytest.fixture
def long_days(conn, world):  # noqa: F811 - the close tests' world
    for day in ("2025-01-07", "2025-01-09"):
        entry(conn, world["alice"], "clock_in", f"{day} 08:00")
        entry(conn, world["alice"], "clock_out", f"{day} 18:00")
    return world


def groups_of(checklist) -> dict[tuple[int, str], int]:
    return {(g["staff"], g["flag"]): g["flags"] for g in checklist.flag_groups.to_dict("records")}


def test_acknowledge_review_flags_in_bulk_audited_and_counted_by_the_checklist(conn, long_days):
    alice, bob = long_days["alice"], long_days["bob"]
    checklist = close.load_close_checklist(conn, MONTH, ADMIN)
    assert groups_of(checklist) == {(alice, "day_over_9h"): 2, (alice, "session_over_8h"): 2,
                                    (bob, "missing_clock_out"): 1}
    assert (checklist.review_flags, checklist.review_groups) == (5, 3)
    done = close.acknowledge_review_flags(
        conn, MONTH, ADMIN, [(alice, "day_over_9h"), (alice, "session_over_8h")],
        "  ten-hour  shifts agreed ")
    assert done == {"month": MONTH, "groups": 2, "flags": 4, "reason": "ten-hour shifts agreed"}
    checklist = close.load_close_checklist(conn, MONTH, ADMIN)
    assert (checklist.review_groups, checklist.acknowledged_groups) == (1, 2)
    step = rules.compute_review_step(checklist)
    assert step["state"] == "todo"
    assert step["detail"] == "1 of 3 groups to review (5 flags), 2 acknowledged"
    (row,) = audits(conn, "PAYROLL_FLAGS_ACKNOWLEDGE", ADMIN)
    assert row["resource_id"] == MONTH
    assert row["details"]["after"]["reason"] == "ten-hour shifts agreed"
    assert [g["flags"] for g in row["details"]["after"]["groups"]] == [2, 2]
    close.acknowledge_review_flags(conn, MONTH, ADMIN, [(bob, "missing_clock_out")],
                                   "clock-out added on paper")
    checklist = close.load_close_checklist(conn, MONTH, ADMIN)
    assert rules.compute_review_step(checklist)["state"] == "done"


def test_acknowledging_again_keeps_one_row_with_the_new_reason(conn, long_days):
    group = [(long_days["alice"], "day_over_9h")]
    close.acknowledge_review_flags(conn, MONTH, ADMIN, group, "first reason")
    close.acknowledge_review_flags(conn, MONTH, ADMIN, group, "second reason")
    rows = conn.execute(sa.text(
        "SELECT reason FROM backoffice.payroll_review_acknowledgements WHERE month = :m"),
        {"m": MONTH}).scalars().all()
    assert rows == ["second reason"]


def test_acknowledging_refused_for_a_non_admin_audited_and_nothing_written(conn, long_days):
    with pytest.raises(AccessDenied):
        close.acknowledge_review_flags(conn, MONTH, CLERK, [(long_days["alice"], "day_over_9h")],
                                       "because")
    assert len(audits(conn, "ACCESS_DENIED", CLERK)) == 1
    assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.payroll_review_acknowledgements"))\
        == 0


@pytest.mark.parametrize(
    "groups, reason, message",
    [
        ([], "a reason", "pick the groups"),
        ([("alice", "day_over_9h")], " ", "needs a reason"),
        ([("alice", "day_under_3h")], "a reason", "no such review flags"),
        ([("bob", "day_over_9h")], "a reason", "no such review flags"),
    ],
    ids=["no_group_picked", "no_reason", "a_kind_the_person_has_not", "a_person_without_it"],
)
def test_acknowledging_refuses_what_is_not_a_group_of_the_month(conn, long_days, groups, reason,
                                                                message):
    chosen = [(long_days[who], kind) for who, kind in groups]
    with pytest.raises(rules.CloseRefused, match=message):
        close.acknowledge_review_flags(conn, MONTH, ADMIN, chosen, reason)


def test_acknowledging_refused_once_the_month_is_finalised(conn, long_days):
    run_payroll(conn, MONTH, ADMIN)
    finalise_payroll(conn, MONTH, ADMIN)
    with pytest.raises(rules.CloseRefused, match="finalised .* reopen it"):
        close.acknowledge_review_flags(conn, MONTH, ADMIN, [(long_days["alice"], "day_over_9h")],
                                       "too late")
