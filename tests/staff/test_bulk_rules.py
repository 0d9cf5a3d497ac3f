"""Bulk writes keep every time-entry rule (issue 17, migration 0008).

Each case is a batch of punches, in time order, possibly after some existing entries. The batch is
written one row at a time (each in a savepoint: a refused row is left out, the next one goes on)
under the row trigger of migration 0001 (the reference), and again under the rules of 0008; then
as ONE statement in each bulk form (a multi-row VALUES, INSERT … SELECT, COPY). The statement must
be refused exactly when one-by-one refuses a row, with the same SQLSTATE and the same message as
the first row refused one by one; a batch one-by-one accepts whole must be stored whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import psycopg
import pytest
import sqlalchemy as sa
from timeclock_fixtures import BKK, add_staff, sql

from backoffice_lib.migrations.rules_0001 import RULES_SQL

DAY = dt.date(2024, 7, 1)  # a Monday; the default partition holds it if no monthly one does
BULK_WAYS = ("values", "insert_select", "copy")
UNKNOWN_STAFF = 987654
STATEMENT_TRIGGERS = ("time_entries_validate_inserted", "time_entries_validate_updated",
                      "time_entries_payroll_lock_inserted", "time_entries_payroll_lock")
CHECK = "23514"  # check_violation
LOCKED_PAYROLL = "42501"  # insufficient_privilege


def at(minutes: float) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(8), tzinfo=BKK) + dt.timedelta(minutes=minutes)


def in_future(minutes: float) -> dt.datetime:
    return dt.datetime.now(BKK) + dt.timedelta(minutes=minutes)


@pytest.fixture
def people(conn):
    return {
        "ann": add_staff(conn, "Ann", "BULK-ANN"),
        "bob": add_staff(conn, "Bob", "BULK-BOB"),
        "gone": add_staff(conn, "Gone", "BULK-GONE", active=False),
        "unknown": UNKNOWN_STAFF,
        "nobody": None,
    }


def _rows(people, spec) -> list[tuple]:
    return [(people[who], action, when) for who, action, when in spec]


def _refusal(exc: Exception) -> tuple[str, str]:
    error = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc  # COPY raises psycopg's own
    return error.sqlstate, error.diag.message_primary


@contextlib.contextmanager
def _rules_of_migration_0001(conn):
    """Inside: the row triggers as migrations 0001 and 0003 wrote them, each row on its own."""
    (original,) = [s for s in RULES_SQL if "CREATE FUNCTION backoffice.validate_time_entry()" in s]
    with conn.begin_nested() as scope:
        for trigger in STATEMENT_TRIGGERS:
            sql(conn, f"DROP TRIGGER {trigger} ON backoffice.time_entries")
        sql(conn, "CREATE TRIGGER time_entries_payroll_lock BEFORE INSERT OR UPDATE OR DELETE"
                  " ON backoffice.time_entries FOR EACH ROW"
                  " EXECUTE FUNCTION backoffice.guard_finalised_payroll_time_entries()")
        conn.exec_driver_sql(original.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
                             .replace("%", "%%"))
        yield
        scope.rollback()


def _insert_one_by_one(conn, rows) -> list[tuple[int, str, str]]:
    refused = []
    for index, (staff, action, when) in enumerate(rows):
        try:
            with conn.begin_nested():
                sql(conn, "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                          " VALUES (:s, :a, :t)", s=staff, a=action, t=when)
        except sa.exc.DBAPIError as exc:
            refused.append((index, *_refusal(exc)))
    return refused


def _insert_in_one_statement(conn, rows, way: str) -> None:
    if way == "values":
        params, values = {}, []
        for i, (staff, action, when) in enumerate(rows):
            values.append(f"(CAST(:s{i} AS integer), :a{i}, :t{i})")
            params.update({f"s{i}": staff, f"a{i}": action, f"t{i}": when})
        sql(conn, "INSERT INTO backoffice.time_entries (staff_id, action, timestamp) VALUES "
                  + ", ".join(values), **params)
    elif way == "insert_select":
        sql(conn, "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                  " SELECT staff_id, action, ts FROM unnest(CAST(:s AS integer[]),"
                  " CAST(:a AS text[]), CAST(:t AS timestamptz[])) WITH ORDINALITY"
                  " AS r(staff_id, action, ts, n) ORDER BY n",
            s=[r[0] for r in rows], a=[r[1] for r in rows], t=[r[2] for r in rows])
    else:
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy("COPY backoffice.time_entries (staff_id, action, timestamp)"
                         " FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _stored(conn, people) -> list[tuple]:
    return [tuple(r) for r in sql(
        conn, "SELECT staff_id, action, timestamp FROM backoffice.time_entries"
              " WHERE staff_id = ANY(:s) ORDER BY timestamp, staff_id",
        s=[p for p in people.values() if p is not None])]


def _judge_both_ways(conn, people, existing, batch):
    """(refusals one by one, stored rows one by one, {way: refusal or stored rows})."""
    for staff, action, when in _rows(people, existing):
        sql(conn, "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                  " VALUES (:s, :a, :t)", s=staff, a=action, t=when)
    rows = _rows(people, batch)
    with _rules_of_migration_0001(conn):
        one_by_one = _insert_one_by_one(conn, rows)
        stored_one_by_one = _stored(conn, people)
    with conn.begin_nested() as attempt:  # the rules of 0008, one single-row statement at a time
        assert _insert_one_by_one(conn, rows) == one_by_one
        assert _stored(conn, people) == stored_one_by_one
        attempt.rollback()
    bulk = {}
    for way in BULK_WAYS:
        try:
            with conn.begin_nested() as attempt:
                _insert_in_one_statement(conn, rows, way)
                bulk[way] = _stored(conn, people)
                attempt.rollback()
        except (sa.exc.DBAPIError, psycopg.Error) as exc:
            bulk[way] = _refusal(exc)
    return one_by_one, stored_one_by_one, bulk


# (case, existing entries, batch in time order, index of the first row refused, SQLSTATE, words
# of the message); minutes after 08:00 on DAY
CASES = [
    ("alternating punches of two people accepted", [],
     [("ann", "clock_in", at(0)), ("bob", "clock_in", at(1)), ("ann", "clock_out", at(480)),
      ("bob", "clock_out", at(481)), ("ann", "clock_in", at(1440))], None, None, None),
    ("double clock_in in the batch refused", [],
     [("ann", "clock_in", at(0)), ("ann", "clock_in", at(60))],
     1, CHECK, "already has a clock_in before"),
    ("clock_in after an existing clock_in refused", [("ann", "clock_in", at(-120))],
     [("ann", "clock_in", at(0)), ("ann", "clock_out", at(60))],
     0, CHECK, "already has a clock_in before"),
    ("double clock_out after existing entries refused",
     [("ann", "clock_in", at(-300)), ("ann", "clock_out", at(-200))],
     [("bob", "clock_in", at(-10)), ("ann", "clock_out", at(0))],
     1, CHECK, "already has a clock_out before"),
    ("entry within 1 minute of one in the batch refused", [],
     [("ann", "clock_in", at(0)), ("ann", "clock_out", at(0.5))],
     1, CHECK, "within 1 minute of"),
    ("entries at the same moment refused", [],
     [("ann", "clock_in", at(0)), ("ann", "clock_in", at(0))],
     1, CHECK, "within 1 minute of"),
    ("entry within 1 minute before an existing one refused",
     [("ann", "clock_in", at(0)), ("ann", "clock_out", at(480))],
     [("ann", "clock_out", at(479.5))],
     0, CHECK, "within 1 minute of"),
    ("entry within 1 minute after an existing one refused", [("ann", "clock_in", at(0))],
     [("bob", "clock_in", at(0.2)), ("ann", "clock_out", at(0.5))],
     1, CHECK, "within 1 minute of"),
    ("one person's break in an interleaved batch refused", [],
     [("ann", "clock_in", at(0)), ("bob", "clock_out", at(1)), ("ann", "clock_out", at(480)),
      ("bob", "clock_out", at(481))], 3, CHECK, "already has a clock_out before"),
    ("unknown action refused", [],
     [("ann", "clock_in", at(0)), ("ann", "break", at(60))],
     1, CHECK, "must be clock_in or clock_out"),
    ("entry of an inactive staff member refused", [],
     [("ann", "clock_in", at(0)), ("gone", "clock_in", at(1))], 1, CHECK, "is inactive"),
    ("entry of an unknown staff member refused", [],
     [("unknown", "clock_in", at(0))], 0, CHECK, "unknown staff member"),
    ("entry without a staff member refused", [],
     [("ann", "clock_in", at(0)), ("nobody", "clock_in", at(1))], 1, CHECK, "needs a staff"),
    ("entry in the future refused", [],
     [("ann", "clock_in", in_future(-60)), ("ann", "clock_out", in_future(24 * 60))],
     1, CHECK, "is in the future"),
]


@pytest.mark.parametrize(
    "case,existing,batch,refused_index,sqlstate,words", CASES, ids=[c[0] for c in CASES]
)
def test_bulk_insert_refuses_what_one_by_one_refuses(
    conn, people, case, existing, batch, refused_index, sqlstate, words
):
    one_by_one, stored, bulk = _judge_both_ways(conn, people, existing, batch)
    if refused_index is None:
        assert one_by_one == []
        assert all(bulk[way] == stored for way in BULK_WAYS), bulk
        assert len(stored) == len(existing) + len(batch)
        return
    first_index, first_state, first_message = one_by_one[0]
    assert (first_index, first_state) == (refused_index, sqlstate)
    assert words in first_message
    assert bulk == {way: (first_state, first_message) for way in BULK_WAYS}


def test_bulk_insert_into_a_finalised_payroll_month_refused_like_one_by_one(conn, people):
    sql(conn, "INSERT INTO backoffice.payroll_runs (month, status, checksum, finalised_by,"
              " finalised_at) VALUES ('2024-07', 'finalised', 'x', 'bulk@test', now())")
    one_by_one, _, bulk = _judge_both_ways(
        conn, people, [], [("ann", "clock_in", at(0)), ("ann", "clock_out", at(480))])
    assert [(i, state) for i, state, _ in one_by_one] == [(0, LOCKED_PAYROLL), (1, LOCKED_PAYROLL)]
    assert "is finalised" in one_by_one[0][2]
    assert bulk == {way: one_by_one[0][1:] for way in BULK_WAYS}


def test_a_statement_is_judged_in_time_order_not_statement_order(conn, people):
    """The evening punch written before the morning one: in time order the day alternates."""
    rows = _rows(people, [("ann", "clock_out", at(480)), ("ann", "clock_in", at(0))])
    _insert_in_one_statement(conn, rows, "values")
    assert [a for _, a, _ in _stored(conn, people)] == ["clock_in", "clock_out"]


def test_bulk_update_refuses_what_row_by_row_updates_refuse(conn, people):
    ann = people["ann"]
    for minutes, action in ((0, "clock_in"), (480, "clock_out"), (1440, "clock_in"),
                            (1920, "clock_out")):
        sql(conn, "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                  " VALUES (:s, :a, :t)", s=ann, a=action, t=at(minutes))
    moves = [(at(1440), at(1440 + 30)), (at(1920), at(1440 + 30.5))]  # second lands within 1 min
    refusals = []
    with conn.begin_nested() as attempt:
        for old, new in moves:
            try:
                with conn.begin_nested():
                    sql(conn, "UPDATE backoffice.time_entries SET timestamp = :n"
                              " WHERE staff_id = :s AND timestamp = :o", n=new, s=ann, o=old)
            except sa.exc.DBAPIError as exc:
                refusals.append(_refusal(exc))
        attempt.rollback()
    assert len(refusals) == 1 and "within 1 minute of" in refusals[0][1]
    with pytest.raises(sa.exc.DBAPIError) as raised, conn.begin_nested():
        sql(conn, "UPDATE backoffice.time_entries SET timestamp = CASE timestamp"
                  " WHEN :o1 THEN CAST(:n1 AS timestamptz) WHEN :o2 THEN CAST(:n2 AS timestamptz) END"
                  " WHERE staff_id = :s AND timestamp IN (:o1, :o2)",
            o1=moves[0][0], n1=moves[0][1], o2=moves[1][0], n2=moves[1][1], s=ann)
    assert _refusal(raised.value) == refusals[0]


def test_overlapping_shifts_in_one_statement_refused_like_one_by_one(conn, people):
    shifts = [(DAY, dt.time(9), dt.time(17)), (DAY, dt.time(16), dt.time(20))]
    constraints = []
    for day, start, end in shifts:
        try:
            with conn.begin_nested():
                sql(conn, "INSERT INTO backoffice.staff_schedules (staff_id, schedule_date,"
                          " start_time, end_time) VALUES (:s, :d, :a, :b)",
                    s=people["ann"], d=day, a=start, b=end)
        except sa.exc.IntegrityError as exc:
            constraints.append(exc.orig.diag.constraint_name)
    assert constraints == ["ex_staff_schedules_no_overlap"]
    sql(conn, "DELETE FROM backoffice.staff_schedules WHERE staff_id = :s", s=people["ann"])
    with pytest.raises(sa.exc.IntegrityError) as raised, conn.begin_nested():
        sql(conn, "INSERT INTO backoffice.staff_schedules (staff_id, schedule_date, start_time,"
                  " end_time) VALUES (:s, :d, :a1, :b1), (:s, :d, :a2, :b2)",
            s=people["ann"], d=DAY, a1=shifts[0][1], b1=shifts[0][2], a2=shifts[1][1],
            b2=shifts[1][2])
    assert raised.value.orig.diag.constraint_name == "ex_staff_schedules_no_overlap"
