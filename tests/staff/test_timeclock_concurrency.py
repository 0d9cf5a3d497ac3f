"""Concurrency of the time clock on committed data (two threads, two connections).

These tests commit, so they use ``engine`` and delete what they inserted.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
import sqlalchemy as sa
from timeclock_fixtures import FAST_HASH, PIN, sql

from backoffice_lib import bangkok, database
from backoffice_lib.staff.service import timeclock

WRONG = "000000"


@pytest.fixture
def committed(engine):
    """A committed user and staff member, removed afterwards with everything they caused."""
    tag = uuid.uuid4().hex[:8]
    email = f"kiosk-{tag}@studio.example"
    with engine.begin() as c:
        sql(c, "INSERT INTO backoffice.allowed_users (email) VALUES (:e)", e=email)
        pk = sql(
            c,
            "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash) VALUES (:n, :s, :h)"
            " RETURNING id",
            n=f"Concurrent {tag}",
            s=f"C-{tag}",
            h=FAST_HASH,
        ).scalar_one()
    yield {"email": email, "pk": pk, "ref": f"C-{tag}"}
    with engine.begin() as c:
        sql(c, "DELETE FROM backoffice.time_entries WHERE staff_id = :s", s=pk)
        sql(c, "DELETE FROM backoffice.staff_audit_log WHERE staff_id = :s", s=pk)
        sql(c, "DELETE FROM backoffice.staff WHERE id = :s", s=pk)
        sql(
            c,
            "DELETE FROM backoffice.staff_audit_log WHERE staff_id IS NULL"
            " AND changes_summary LIKE :n",
            n=f"%Concurrent {tag}%",
        )
        sql(c, "DELETE FROM backoffice.audit_logs WHERE user_email = :e", e=email)
        sql(c, "DELETE FROM backoffice.allowed_users WHERE email = :e", e=email)


def run_together(*functions):
    """Start the functions in threads released by one barrier; return their results in order."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def runner(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - collected and asserted on by the test
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def entries(engine, pk):
    with engine.connect() as c:
        return [
            r.action
            for r in sql(
                c,
                "SELECT action FROM backoffice.time_entries WHERE staff_id = :s ORDER BY timestamp",
                s=pk,
            )
        ]


def test_two_punches_at_the_same_moment_leave_a_valid_alternating_sequence(engine, committed):
    moment = bangkok.now() - dt.timedelta(minutes=1)

    def punch():
        with database.transaction(engine) as c:
            return timeclock.punch(
                c, committed["email"], committed["ref"], PIN, confirm=True, now=moment
            )

    results = run_together(punch, punch)
    statuses = sorted(r.status for r in results)
    assert statuses == ["punched", "refused"]
    assert entries(engine, committed["pk"]) == ["clock_in"]


def test_two_writers_bypassing_the_library_are_serialised_by_the_trigger(engine, committed):
    """The trigger's advisory lock: the second clock_in waits for the first and is refused."""
    inserted = threading.Event()
    base = bangkok.now() - dt.timedelta(minutes=30)

    def first():
        with engine.begin() as c:
            sql(
                c,
                "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                " VALUES (:s, 'clock_in', :t)",
                s=committed["pk"],
                t=base,
            )
            inserted.set()
            threading.Event().wait(0.5)  # keep the transaction open while the other one tries
        return "committed"

    def second():
        inserted.wait(10)
        with engine.begin() as c:
            sql(
                c,
                "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                " VALUES (:s, 'clock_in', :t)",
                s=committed["pk"],
                t=base + dt.timedelta(minutes=5),
            )
        return "committed"

    results = run_together(first, second)
    assert results[0] == "committed"
    assert isinstance(results[1], sa.exc.IntegrityError)
    assert "already has a clock_in" in str(results[1])
    assert entries(engine, committed["pk"]) == ["clock_in"]


def test_wrong_pins_at_the_same_moment_are_all_counted_fix(engine, committed):
    def wrong():
        with database.transaction(engine) as c:
            return timeclock.punch(c, committed["email"], committed["ref"], WRONG)

    results = run_together(wrong, wrong, wrong)
    assert sorted(r.remaining_attempts for r in results) == [7, 8, 9]
    with engine.connect() as c:
        assert (
            sql(
                c, "SELECT failed_attempts FROM backoffice.staff WHERE id = :s", s=committed["pk"]
            ).scalar()
            == 3
        )
        # and each attempt left its audit row, committed with the count
        assert (
            sql(
                c,
                "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                " AND action = 'PIN_FAILED'",
                e=committed["email"],
            ).scalar()
            == 3
        )
