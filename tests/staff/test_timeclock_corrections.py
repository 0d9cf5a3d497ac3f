"""Admin corrections of time entries: add a missing clock-out, edit a time, delete (§1, §8)."""

from __future__ import annotations

import datetime as dt

import pytest
from timeclock_fixtures import ADMIN, MANAGER, add_entry, add_staff, add_users, at, sql

from backoffice_lib import access, bangkok
from backoffice_lib.staff.service import timeclock

DAY = dt.date(2025, 3, 3)
NOW = at(DAY + dt.timedelta(days=2), 12)


@pytest.fixture
def person(conn):
    add_users(conn)
    return add_staff(conn, "Somchai", "E100")


def actions(conn, staff_pk):
    return [
        (r.action, r.timestamp)
        for r in sql(
            conn,
            "SELECT action, timestamp FROM backoffice.time_entries WHERE staff_id = :s"
            " ORDER BY timestamp",
            s=staff_pk,
        )
    ]


def last_audit(conn):
    return sql(
        conn,
        "SELECT user_email, action, resource_type, resource_id, details FROM backoffice.audit_logs"
        " ORDER BY timestamp DESC, id LIMIT 1",
    ).one()


def test_add_missing_clock_out_is_audited_with_reason(conn, person):
    clock_in = add_entry(conn, person, "clock_in", at(DAY, 9))
    entry_id = timeclock.add_missing_clock_out(conn, MANAGER, clock_in, at(DAY, 17), "forgot")
    assert actions(conn, person) == [("clock_in", at(DAY, 9)), ("clock_out", at(DAY, 17))]
    row = last_audit(conn)
    assert (row.user_email, row.action, row.resource_type, row.resource_id) == (
        MANAGER,
        "CREATE",
        "time_entries",
        str(entry_id),
    )
    assert (
        row.details["reason"] == "forgot" and row.details["correction"] == "add_missing_clock_out"
    )


@pytest.mark.parametrize(
    "setup,clock_out_hour,message",
    [
        ([("clock_in", 9), ("clock_out", 17)], 18, "already has a clock-out"),
        ([("clock_in", 9)], 8, "after the clock-in"),
        ([("clock_in", 9), ("clock_out", 10), ("clock_in", 11)], 12, "already has a clock-out"),
    ],
    ids=["already_closed", "before_clock_in", "not_missing"],
)
def test_add_missing_clock_out_refuses(conn, person, setup, clock_out_hour, message):
    ids = [add_entry(conn, person, a, at(DAY, h)) for a, h in setup]
    with pytest.raises(timeclock.TimeclockError, match=message):
        timeclock.add_missing_clock_out(conn, MANAGER, ids[0], at(DAY, clock_out_hour), "r")


def test_add_missing_clock_out_must_be_before_the_next_entry(conn, person):
    first = add_entry(conn, person, "clock_in", at(DAY, 9))
    out = add_entry(conn, person, "clock_out", at(DAY, 17))
    add_entry(conn, person, "clock_in", at(DAY, 18))
    sql(conn, "DELETE FROM backoffice.time_entries WHERE id = :i", i=out)  # in 9:00, in 18:00
    with pytest.raises(timeclock.TimeclockError, match="before the next entry"):
        timeclock.add_missing_clock_out(conn, MANAGER, first, at(DAY, 19), "forgot")
    timeclock.add_missing_clock_out(conn, MANAGER, first, at(DAY, 17, 30), "forgot")
    assert [a for a, _ in actions(conn, person)] == ["clock_in", "clock_out", "clock_in"]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_every_correction_needs_a_reason(conn, person, reason):
    clock_in = add_entry(conn, person, "clock_in", at(DAY, 9))
    with pytest.raises(timeclock.TimeclockError, match="needs a reason"):
        timeclock.add_missing_clock_out(conn, MANAGER, clock_in, at(DAY, 17), reason)
    with pytest.raises(timeclock.TimeclockError, match="needs a reason"):
        timeclock.edit_entry_time(conn, MANAGER, clock_in, at(DAY, 8), reason, now=NOW)
    with pytest.raises(timeclock.TimeclockError, match="needs a reason"):
        timeclock.delete_entry(conn, MANAGER, clock_in, reason, now=NOW)


def test_edit_time_is_audited_with_before_and_after(conn, person):
    clock_in = add_entry(conn, person, "clock_in", at(DAY, 9, 40))
    add_entry(conn, person, "clock_out", at(DAY, 17))
    timeclock.edit_entry_time(conn, MANAGER, clock_in, at(DAY, 9), "was here at 9", now=NOW)
    assert actions(conn, person)[0] == ("clock_in", at(DAY, 9))
    row = last_audit(conn)
    assert row.action == "UPDATE" and row.details["reason"] == "was here at 9"
    assert row.details["before"]["timestamp"] == at(DAY, 9, 40).isoformat()
    assert row.details["after"]["timestamp"] == at(DAY, 9).isoformat()


def test_edit_that_breaks_the_alternation_is_refused(conn, person):
    add_entry(conn, person, "clock_in", at(DAY, 9))
    out = add_entry(conn, person, "clock_out", at(DAY, 17))
    add_entry(conn, person, "clock_in", at(DAY, 18))
    with pytest.raises(timeclock.TimeclockError):
        timeclock.edit_entry_time(conn, MANAGER, out, at(DAY, 19), "typo", now=NOW)
    with pytest.raises(timeclock.TimeclockError):
        timeclock.edit_entry_time(conn, MANAGER, out, at(DAY, 8), "typo", now=NOW)
    assert [a for a, _ in actions(conn, person)] == ["clock_in", "clock_out", "clock_in"]


def test_delete_recent_entry_with_reason(conn, person):
    entry = add_entry(conn, person, "clock_in", at(DAY, 9))
    timeclock.delete_entry(conn, MANAGER, entry, "double punch", now=NOW)
    assert actions(conn, person) == []
    row = last_audit(conn)
    assert (row.action, row.details["reason"], row.details["before"]["action"]) == (
        "DELETE",
        "double punch",
        "clock_in",
    )


@pytest.mark.parametrize(
    "user,age_days,allowed",
    [
        (MANAGER, 7, True),
        (MANAGER, 8, False),
        (ADMIN, 8, True),
        (ADMIN, 60, True),
    ],
    ids=["non_admin_7_days", "non_admin_8_days_refused", "admin_8_days", "admin_60_days"],
)
def test_entry_older_than_7_days_is_deleted_only_by_an_admin(conn, person, user, age_days, allowed):
    entry = add_entry(conn, person, "clock_in", at(DAY, 9))
    now = at(DAY, 9) + dt.timedelta(days=age_days)
    if allowed:
        timeclock.delete_entry(conn, user, entry, "duplicate", now=now)
        assert actions(conn, person) == []
    else:
        with pytest.raises(access.AccessDenied, match="older than 7 days"):
            timeclock.delete_entry(conn, user, entry, "duplicate", now=now)
        assert len(actions(conn, person)) == 1


def test_unknown_user_cannot_correct(conn, person):
    entry = add_entry(conn, person, "clock_in", at(DAY, 9))
    with pytest.raises(access.AccessDenied):
        timeclock.delete_entry(conn, "nobody@example.com", entry, "r", now=NOW)


def test_naive_correction_time_is_refused(conn, person):
    entry = add_entry(conn, person, "clock_in", at(DAY, 9))
    with pytest.raises(timeclock.TimeclockError, match="timezone-aware"):
        timeclock.add_missing_clock_out(conn, MANAGER, entry, dt.datetime(2025, 3, 3, 17), "r")


def test_correction_in_the_future_is_refused_by_the_trigger(conn, person):
    entry = add_entry(conn, person, "clock_in", bangkok.now() - dt.timedelta(hours=1))
    with pytest.raises(timeclock.TimeclockError, match="future"):
        timeclock.add_missing_clock_out(
            conn, MANAGER, entry, bangkok.now() + dt.timedelta(hours=1), "r"
        )
