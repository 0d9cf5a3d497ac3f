"""Bulk writes keep the schedule rules (issue 17): no overlapping shifts of one person.

``staff_schedules`` has no trigger: its rules are the exclusion constraint
``ex_staff_schedules_no_overlap`` (migration 0001: per person, shifts as ``[start, end)`` ranges
must not overlap), the check ``ck_staff_schedules_ends_after_start`` and the staff foreign key.
PostgreSQL checks an exclusion constraint as each row is written (it is not deferrable), so a
statement of many rows meets the rows before it just as one-by-one inserts do. Each case is a
batch of shifts in time order, possibly after shifts already planned, written one row at a time
(each in a savepoint: a refused row is left out) and as ONE statement (multi-row VALUES,
INSERT … SELECT, COPY): the statement is refused exactly when one-by-one refuses a row, with the
same SQLSTATE, constraint, message and detail (the conflicting shifts) as the first row refused.
"""

from __future__ import annotations

import datetime as dt
import re

import psycopg
import pytest
import sqlalchemy as sa
from timeclock_fixtures import add_staff, sql

DAY = dt.date(2025, 3, 3)
BULK_WAYS = ("values", "insert_select", "copy")
UNKNOWN_STAFF = 987654
OVERLAP = ("23P01", "ex_staff_schedules_no_overlap")
ENDS_BEFORE_START = ("23514", "ck_staff_schedules_ends_after_start")
NO_SUCH_STAFF = ("23503", "fk_staff_schedules_staff_id_staff")
COLUMNS = "backoffice.staff_schedules (staff_id, schedule_date, start_time, end_time)"


@pytest.fixture
def people(conn):
    return {"ann": add_staff(conn, "Ann", "SCHED-ANN"), "bob": add_staff(conn, "Bob", "SCHED-BOB"),
            "unknown": UNKNOWN_STAFF}


def shift(who, start, end, days=0):
    return (who, DAY + dt.timedelta(days=days), dt.time(*start), dt.time(*end))


def _rows(people, spec):
    return [(people[who], when, start, end) for who, when, start, end in spec]


def _refusal(exc):
    error = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc  # COPY raises psycopg's own
    diag = error.diag
    # a refused check shows the whole row, its generated id too: the id is no part of the rule
    detail = re.sub(r"^Failing row contains \([0-9a-f-]{36}, ", "Failing row contains (id, ",
                    diag.message_detail or "")
    return (error.sqlstate, diag.constraint_name, diag.message_primary, detail)


def _insert_one_by_one(conn, rows):
    refused = []
    for index, (staff, when, start, end) in enumerate(rows):
        try:
            with conn.begin_nested():
                sql(conn, f"INSERT INTO {COLUMNS} VALUES (:s, :d, :a, :b)",
                    s=staff, d=when, a=start, b=end)
        except sa.exc.DBAPIError as exc:
            refused.append((index, _refusal(exc)))
    return refused


def _insert_in_one_statement(conn, rows, way):
    if way == "values":
        params, values = {}, []
        for i, (staff, when, start, end) in enumerate(rows):
            values.append(f"(:s{i}, :d{i}, CAST(:a{i} AS time), CAST(:b{i} AS time))")
            params.update({f"s{i}": staff, f"d{i}": when, f"a{i}": start, f"b{i}": end})
        sql(conn, f"INSERT INTO {COLUMNS} VALUES " + ", ".join(values), **params)
    elif way == "insert_select":
        sql(conn, f"INSERT INTO {COLUMNS} SELECT s, d, a, b FROM unnest(CAST(:s AS integer[]),"
                  " CAST(:d AS date[]), CAST(:a AS time[]), CAST(:b AS time[])) WITH ORDINALITY"
                  " AS r(s, d, a, b, n) ORDER BY n",
            s=[r[0] for r in rows], d=[r[1] for r in rows], a=[r[2] for r in rows],
            b=[r[3] for r in rows])
    else:
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {COLUMNS} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _stored(conn, people):
    return [tuple(r) for r in sql(
        conn, "SELECT staff_id, schedule_date, start_time, end_time FROM backoffice.staff_schedules"
              " WHERE staff_id = ANY(:s) ORDER BY staff_id, schedule_date, start_time",
        s=list(people.values()))]


# (case, shifts already planned, batch in time order, index of the first row refused, rule)
CASES = [
    ("shifts of two people at the same hours accepted", [],
     [shift("ann", (9,), (17,)), shift("bob", (9,), (17,)), shift("ann", (9,), (17,), days=1)],
     None, None),
    ("a shift starting when the last one ends accepted", [],
     [shift("ann", (9,), (13,)), shift("ann", (13,), (17,))], None, None),
    ("overlapping shifts in the batch refused", [],
     [shift("ann", (9,), (17,)), shift("bob", (10,), (18,)), shift("ann", (16,), (20,))],
     2, OVERLAP),
    ("the same shift twice in the batch refused", [],
     [shift("bob", (9,), (17,)), shift("bob", (9,), (17,))], 1, OVERLAP),
    ("a shift inside another refused", [],
     [shift("ann", (8,), (20,)), shift("ann", (12,), (13,))], 1, OVERLAP),
    ("a shift overlapping one already planned refused", [shift("ann", (12,), (20,))],
     [shift("bob", (9,), (17,)), shift("ann", (9,), (12, 30))], 1, OVERLAP),
    ("a shift ending before it starts refused", [],
     [shift("ann", (9,), (17,)), shift("bob", (17,), (9,))], 1, ENDS_BEFORE_START),
    ("a shift of an unknown staff member refused", [],
     [shift("ann", (9,), (17,)), shift("unknown", (9,), (17,))], 1, NO_SUCH_STAFF),
]


@pytest.mark.parametrize("case,planned,batch,refused_index,rule", CASES,
                         ids=[c[0] for c in CASES])
def test_bulk_schedules_refuse_what_one_by_one_refuses(
    conn, people, case, planned, batch, refused_index, rule
):
    for staff, when, start, end in _rows(people, planned):
        sql(conn, f"INSERT INTO {COLUMNS} VALUES (:s, :d, :a, :b)", s=staff, d=when, a=start, b=end)
    rows = _rows(people, batch)
    with conn.begin_nested() as attempt:
        one_by_one = _insert_one_by_one(conn, rows)
        stored_one_by_one = _stored(conn, people)
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
    if refused_index is None:
        assert one_by_one == []
        assert len(stored_one_by_one) == len(planned) + len(batch)
        assert bulk == {way: stored_one_by_one for way in BULK_WAYS}
        return
    first_index, first_refusal = one_by_one[0]
    assert (first_index, first_refusal[:2]) == (refused_index, rule)
    assert bulk == {way: first_refusal for way in BULK_WAYS}
