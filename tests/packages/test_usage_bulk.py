"""Bulk writes keep every package usage rule (issue 17, migration 0014; business-rules §4).

Each case is a batch of usage rows, possibly after some usage already recorded. The batch is
written one row at a time in time order (used_date, then batch order; each row in a savepoint: a
refused row is left out, the next one goes on) under the row trigger of migration 0004 (the
reference), and again under the rules of 0014; then as ONE statement in each bulk form (a
multi-row VALUES, INSERT … SELECT, COPY). The statement must be refused exactly when one-by-one
refuses a row, with the same SQLSTATE and the same message as the first row refused one by one;
a batch one-by-one accepts whole must be stored whole and leave the packages with the same
first_use_date and expiration_date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import uuid
from decimal import Decimal

import psycopg
import pytest
import sqlalchemy as sa

from backoffice_lib import migrate

D = Decimal
BULK_WAYS = ("values", "insert_select", "copy")
CHECK = "23514"  # check_violation
UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000017")
PURCHASE = dt.date(2025, 1, 10)


def day(month: int, d: int) -> dt.date:
    return dt.date(2025, month, d)


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


def _original_row_function() -> str:
    """As migration 0004 wrote it (read here, not through 0014's downgrade that a test checks)."""
    original = migrate.migration_module("0004_packages").VALIDATE_PACKAGE_USAGE
    return original.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def _add_type(conn, name, hours, validity) -> int:
    return sql(conn, "INSERT INTO backoffice.package_types (name, type, hours, validity_period)"
                     " VALUES (:n, 'Monthly', CAST(:h AS numeric), CAST(:v AS interval))"
                     " RETURNING id", n=name, h=hours, v=validity).scalar_one()


def _add_package(conn, type_id, first_use=None, expiration=None, purchase=PURCHASE):
    return sql(conn, "INSERT INTO backoffice.packages (customer_name, package_type_id,"
                     " purchase_date, first_use_date, expiration_date)"
                     " VALUES ('Khun Bulk', :t, :p, :f, :e) RETURNING id",
               t=type_id, p=purchase, f=first_use, e=expiration).scalar_one()


@pytest.fixture
def packages(conn):
    ten = _add_type(conn, "Bulk 10 h, 1 month", "10", "1 month")
    unlimited = _add_type(conn, "Bulk unlimited, 3 months", None, "3 months")
    open_ended = _add_type(conn, "Bulk 5 h, no validity", "5", None)
    return {
        "new": _add_package(conn, ten),
        "new2": _add_package(conn, ten),
        "manual": _add_package(conn, ten, expiration=day(1, 31)),
        "active": _add_package(conn, ten, first_use=day(1, 15)),  # expiry 2025-02-14
        "active_manual": _add_package(conn, ten, first_use=day(1, 15), expiration=day(3, 31)),
        "unlimited": _add_package(conn, unlimited),
        "open": _add_package(conn, open_ended),
        "unknown": UNKNOWN,
    }


def _rows(packages, spec) -> list[tuple]:
    return [(packages[key], None if hours is None else D(hours), when)
            for key, hours, when in spec]


def _refusal(exc: Exception) -> tuple[str, str]:
    error = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc  # COPY raises psycopg's own
    return error.sqlstate, error.diag.message_primary


def _insert(conn, package_id, hours, when) -> None:
    sql(conn, "INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours,"
              " used_date) VALUES (:p, 'Ploy', :h, :d)", p=package_id, h=hours, d=when)


@contextlib.contextmanager
def _rules_of_migration_0004(conn):
    """Inside: the row trigger as migration 0004 wrote it, every rule on each row."""
    with conn.begin_nested() as scope:
        sql(conn, "DROP TRIGGER package_usage_validate_inserted ON backoffice.package_usage")
        conn.exec_driver_sql(_original_row_function().replace("%", "%%"))
        yield
        scope.rollback()


def _time_order(rows) -> list[int]:
    return sorted(range(len(rows)), key=lambda i: (rows[i][2], i))


def _insert_one_by_one(conn, rows) -> list[tuple[int, str, str]]:
    refused = []
    for index in _time_order(rows):
        try:
            with conn.begin_nested():
                _insert(conn, *rows[index])
        except sa.exc.DBAPIError as exc:
            refused.append((index, *_refusal(exc)))
    return refused


def _insert_in_one_statement(conn, rows, way: str) -> None:
    columns = "INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours, used_date)"
    if way == "values":
        params, values = {}, []
        for i, (package_id, hours, when) in enumerate(rows):
            values.append(f"(CAST(:p{i} AS uuid), 'Ploy', CAST(:h{i} AS numeric), CAST(:d{i} AS date))")
            params.update({f"p{i}": package_id, f"h{i}": hours, f"d{i}": when})
        sql(conn, f"{columns} VALUES " + ", ".join(values), **params)
    elif way == "insert_select":
        sql(conn, f"{columns} SELECT package_id, 'Ploy', hours, used_date"
                  " FROM unnest(CAST(:p AS uuid[]), CAST(:h AS numeric[]), CAST(:d AS date[]))"
                  " WITH ORDINALITY AS r(package_id, hours, used_date, n) ORDER BY n",
            p=[r[0] for r in rows], h=[r[1] for r in rows], d=[r[2] for r in rows])
    else:
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy("COPY backoffice.package_usage (package_id, employee_name, used_hours,"
                         " used_date) FROM STDIN") as copy:
            for package_id, hours, when in rows:
                copy.write_row((package_id, "Ploy", hours, when))


def _stored(conn, packages) -> tuple[list[tuple], dict]:
    """(usage rows of the packages, {package: (first_use_date, expiration_date)})."""
    ids = [p for p in packages.values() if p != UNKNOWN]
    usage = [tuple(r) for r in sql(
        conn, "SELECT package_id, used_hours, used_date FROM backoffice.package_usage"
              " WHERE package_id = ANY(:ids) ORDER BY package_id, used_date, used_hours", ids=ids)]
    state = {r.id: (r.first_use_date, r.expiration_date) for r in sql(
        conn, "SELECT id, first_use_date, expiration_date FROM backoffice.packages"
              " WHERE id = ANY(:ids)", ids=ids)}
    return usage, state


def _judge_both_ways(conn, packages, existing, batch):
    """(refusals one by one, stored one by one, {way: refusal or stored})."""
    for package_id, hours, when in _rows(packages, existing):
        _insert(conn, package_id, hours, when)
    rows = _rows(packages, batch)
    with _rules_of_migration_0004(conn):
        one_by_one = _insert_one_by_one(conn, rows)
        stored_one_by_one = _stored(conn, packages)
    with conn.begin_nested() as attempt:  # the rules of 0014, one single-row statement at a time
        assert _insert_one_by_one(conn, rows) == one_by_one
        assert _stored(conn, packages) == stored_one_by_one
        attempt.rollback()
    bulk = {}
    for way in BULK_WAYS:
        try:
            with conn.begin_nested() as attempt:
                _insert_in_one_statement(conn, rows, way)
                bulk[way] = _stored(conn, packages)
                attempt.rollback()
        except (sa.exc.DBAPIError, psycopg.Error) as exc:
            bulk[way] = _refusal(exc)
    return one_by_one, stored_one_by_one, bulk


# (case, existing usage, batch (package, hours, date), index in the batch of the first row refused
# in time order, words of the message). Packages: bought 2025-01-10; "new"/"new2" 10 h, 1 month,
# not activated; "manual" the same with a manual expiry 2025-01-31; "active" first used 2025-01-15
# (expiry 2025-02-14); "active_manual" first used 2025-01-15, manual expiry 2025-03-31;
# "unlimited" no hours, 3 months; "open" 5 h without validity.
CASES = [
    ("usage of two packages accepted, each activated by its first use", [],
     [("new", "2", day(1, 20)), ("new2", "3", day(1, 21)), ("new", "1.5", day(2, 1)),
      ("new2", "7", day(2, 20))], None, None),
    ("first use sets the expiry: a later row after it refused", [],
     [("new", "1", day(1, 20)), ("new", "1", day(2, 19)), ("new", "1", day(2, 20))],
     2, "expired on 2025-02-19"),
    ("manual expiry kept on first use: usage through that day accepted", [],
     [("manual", "1", day(1, 20)), ("manual", "1", day(1, 31))], None, None),
    ("manual expiry kept on first use: a later row after it refused", [],
     [("manual", "1", day(1, 20)), ("manual", "1", day(2, 1))], 1, "expired on 2025-01-31"),
    ("usage after the expiry of an activated package refused", [("active", "1", day(1, 15))],
     [("active", "1", day(2, 14)), ("active", "1", day(2, 15))], 1, "expired on 2025-02-14"),
    ("rows of one package that together overdraw it refused", [],
     [("new", "4", day(1, 20)), ("new", "4", day(1, 21)), ("new", "3", day(1, 22))],
     2, "3.00 h requested but only 2.00 h remain"),
    ("rows of one day overdraw in statement order", [],
     [("new", "6", day(1, 20)), ("new", "6", day(1, 20))],
     1, "6.00 h requested but only 4.00 h remain"),
    ("overdraw after usage already recorded refused", [("active", "8", day(1, 15))],
     [("active", "1", day(1, 20)), ("active", "1.5", day(1, 21))],
     1, "1.50 h requested but only 1.00 h remain"),
    ("a depleted package refuses any more", [("active", "10", day(1, 15))],
     [("active", "0.5", day(1, 20))], 0, "only 0"),
    ("the exact balance depletes and is accepted", [("active", "2", day(1, 15))],
     [("active", "4", day(1, 20)), ("active", "4", day(1, 21))], None, None),
    ("unlimited package takes any hours until its expiry", [],
     [("unlimited", "100", day(1, 20)), ("unlimited", "250", day(4, 19))], None, None),
    ("unlimited package refused after the expiry its first use set", [],
     [("unlimited", "100", day(1, 20)), ("unlimited", "1", day(4, 20))],
     1, "expired on 2025-04-19"),
    ("package without validity activated without an expiry", [],
     [("open", "2", day(1, 20)), ("open", "3", day(12, 31))], None, None),
    ("package without validity overdrawn", [],
     [("open", "2", day(1, 20)), ("open", "3.5", day(12, 31))],
     1, "3.50 h requested but only 3.00 h remain"),
    ("usage dated before the first use moves the automatic expiry", [("active", "1", day(1, 15))],
     [("active", "1", day(1, 12)), ("active", "1", day(2, 11))], None, None),
    ("after a first use moved earlier, a row after the moved expiry refused",
     [("active", "1", day(1, 15))],
     [("active", "1", day(1, 12)), ("active", "1", day(2, 12))], 1, "expired on 2025-02-11"),
    ("a first use moved earlier must not end the package before recorded usage",
     [("active", "1", day(1, 15)), ("active", "1", day(2, 13))],
     [("active", "1", day(1, 11)), ("active", "1", day(1, 20))],
     0, "a first use on 2025-01-11 would end the package on 2025-02-10"),
    ("a first use moved earlier keeps a manual expiry", [("active_manual", "1", day(1, 15))],
     [("active_manual", "1", day(1, 11)), ("active_manual", "1", day(3, 31))], None, None),
    ("usage before the purchase refused", [],
     [("new", "1", day(1, 9)), ("new2", "1", day(1, 20))], 0, "is before the purchase on 2025-01-10"),
    ("zero hours refused", [],
     [("new", "1", day(1, 20)), ("new2", "0", day(1, 21))], 1, "more than 0, not 0"),
    ("negative hours refused", [],
     [("new", "1", day(1, 20)), ("new", "-1", day(1, 21))], 1, "more than 0, not -1"),
    ("empty hours refused", [],
     [("new", "1", day(1, 20)), ("new", None, day(1, 21))], 1, "more than 0, not empty"),
    ("usage of an unknown package refused", [],
     [("new", "1", day(1, 20)), ("unknown", "1", day(1, 21))], 1, "unknown package"),
    ("rows of many packages interleaved, one overdrawn", [("active", "5", day(1, 15))],
     [("new", "3", day(1, 20)), ("active", "3", day(1, 20)), ("new2", "3", day(1, 21)),
      ("unlimited", "9", day(1, 22)), ("active", "2", day(1, 23)), ("new", "3", day(1, 24)),
      ("active", "0.5", day(1, 25)), ("new2", "8", day(1, 26))],
     6, "0.50 h requested but only 0 h remain"),
    ("a batch out of time order is judged in time order", [],
     [("new", "1", day(2, 20)), ("new", "1", day(1, 20))], 0, "expired on 2025-02-19"),
    ("of rows refused out of time order, the earliest is named", [],
     [("new", "1", day(1, 20)), ("new", "1", day(2, 25)), ("new2", "11", day(1, 21))],
     2, "11.00 h requested but only 10.00 h remain"),
]


@pytest.mark.parametrize("case,existing,batch,refused_index,words", CASES,
                         ids=[c[0] for c in CASES])
def test_bulk_usage_refuses_what_one_by_one_refuses(
    conn, packages, case, existing, batch, refused_index, words
):
    one_by_one, stored, bulk = _judge_both_ways(conn, packages, existing, batch)
    if refused_index is None:
        assert one_by_one == []
        assert bulk == {way: stored for way in BULK_WAYS}
        assert len(stored[0]) == len(existing) + len(batch)
        return
    first_index, first_state, first_message = one_by_one[0]
    assert (first_index, first_state) == (refused_index, CHECK)
    assert first_message.startswith("package usage refused: ") and words in first_message
    assert bulk == {way: (first_state, first_message) for way in BULK_WAYS}


@pytest.mark.parametrize("overdrawn", [False, True], ids=["accepted", "one package overdrawn"])
def test_bulk_usage_of_many_packages_judged_like_one_by_one(conn, packages, overdrawn):
    """40 packages (half activated already), 3-4 rows each, interleaved in time order."""
    ten = _add_type(conn, "Bulk many, 10 h", "10", "1 month")
    many = {f"p{i}": _add_package(conn, ten, first_use=day(1, 12) if i % 2 else None)
            for i in range(40)}
    batch = [(f"p{i}", "3", day(1, 14) + dt.timedelta(days=k * 8 + i % 5))
             for k in range(3) for i in range(40)]
    if overdrawn:
        batch.append(("p7", "1.5", day(2, 4)))  # 9 h used: 1 h remains
    one_by_one, stored, bulk = _judge_both_ways(conn, many, [], batch)
    if overdrawn:
        assert [(i, m) for i, _, m in one_by_one] == [
            (len(batch) - 1, "package usage refused: 1.50 h requested but only 1.00 h remain")]
        assert bulk == {way: one_by_one[0][1:] for way in BULK_WAYS}
    else:
        assert one_by_one == [] and len(stored[0]) == len(batch)
        assert bulk == {way: stored for way in BULK_WAYS}
        assert stored[1][many["p0"]] == (day(1, 14), day(2, 13))  # activated by the batch
        assert stored[1][many["p1"]] == (day(1, 12), day(2, 11))  # activated before


def test_a_row_refused_on_its_own_refuses_the_statement_with_its_message(conn, packages):
    """The row checks run while rows are written: a statement with a row refused on its own and
    an overdrawing row is refused with the row check's message, and writes nothing."""
    rows = _rows(packages, [("new", "11", day(1, 20)), ("new2", "0", day(1, 21))])
    for way in BULK_WAYS:
        with pytest.raises((sa.exc.DBAPIError, psycopg.Error)) as raised, conn.begin_nested():
            _insert_in_one_statement(conn, rows, way)
        assert _refusal(raised.value) == (
            CHECK, "package usage refused: used hours must be more than 0, not 0.00")
    assert _stored(conn, packages)[0] == []


def test_usage_update_keeps_the_row_rules(conn, packages):
    """Updates are judged row by row as in migration 0004: moving a usage after the expiry is
    refused, moving the first use earlier moves the automatic expiry."""
    _insert(conn, packages["new"], D("1"), day(1, 20))
    assert _stored(conn, packages)[1][packages["new"]] == (day(1, 20), day(2, 19))
    with pytest.raises(sa.exc.DBAPIError) as raised, conn.begin_nested():
        sql(conn, "UPDATE backoffice.package_usage SET used_date = :d WHERE package_id = :p",
            d=day(2, 20), p=packages["new"])
    assert _refusal(raised.value)[1].endswith("expired on 2025-02-19 (usable through that day),"
                                              " usage on 2025-02-20 is after it")
    sql(conn, "UPDATE backoffice.package_usage SET used_date = :d WHERE package_id = :p",
        d=day(1, 15), p=packages["new"])
    assert _stored(conn, packages)[1][packages["new"]] == (day(1, 15), day(2, 14))


def _function_body(c, name: str) -> str | None:
    return c.execute(sa.text("SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure(:f)"),
                     {"f": f"backoffice.{name}()"}).scalar()


def _usage_triggers(c) -> list[str]:
    return sorted(c.execute(sa.text(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'backoffice.package_usage'::regclass"
        " AND NOT tgisinternal")).scalars())


def test_downgrade_to_0013_restores_the_row_trigger_of_migration_0004(empty_database_url):
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.begin() as c:
            migrate.upgrade(c, "0014")
            assert _function_body(c, "validate_package_usage_set") is not None
            assert "package_usage_validate_inserted" in _usage_triggers(c)
            migrate.downgrade(c, "0013")
            original = _original_row_function()
            assert _function_body(c, "validate_package_usage") == original[
                original.index("$$") + 2:original.rindex("$$")]
            assert _function_body(c, "validate_package_usage_set") is None
            assert _usage_triggers(c) == ["package_usage_touch_updated_at",
                                          "package_usage_validate"]
            migrate.upgrade(c, "0014")
            assert "package_usage_validate_inserted" in _usage_triggers(c)
    finally:
        engine.dispose()


def test_a_usage_waiting_for_a_bulk_statement_cannot_overdraw_the_package(engine):
    """Two writers, committed data: a bulk statement holds the package locks until it commits;
    a usage of one of its packages written meanwhile waits, then is judged against its rows."""
    with engine.begin() as c:
        type_id = _add_type(c, f"Bulk concurrent {uuid.uuid4().hex[:6]}", "10", "1 month")
        first, second = _add_package(c, type_id), _add_package(c, type_id)
    outcome = {}
    try:
        with engine.connect() as bulk, engine.connect() as other:
            other_pid = other.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            other.commit()
            bulk_tx = bulk.begin()
            _insert_in_one_statement(bulk, [(first, D("2"), day(1, 20)), (second, D("4"), day(1, 20)),
                                            (second, D("3"), day(1, 21))], "values")

            def use_the_rest():
                try:
                    with other.begin():
                        _insert(other, second, D("4"), day(1, 22))
                    outcome["other"] = "accepted"
                except sa.exc.DBAPIError as exc:
                    outcome["other"] = _refusal(exc)

            thread = threading.Thread(target=use_the_rest)
            thread.start()
            with engine.connect() as watch:  # wait until the other writer waits for the lock
                while thread.is_alive() and not watch.execute(sa.text(
                        "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :p"),
                        {"p": other_pid}).scalar():
                    watch.rollback()
                    threading.Event().wait(0.05)
                outcome["waited"] = thread.is_alive()
            bulk_tx.commit()
            thread.join()
        assert outcome == {"waited": True, "other": (
            CHECK, "package usage refused: 4.00 h requested but only 3.00 h remain")}
        with engine.connect() as c:
            assert _stored(c, {"a": first, "b": second})[1] == {
                first: (day(1, 20), day(2, 19)), second: (day(1, 20), day(2, 19))}
    finally:
        with engine.begin() as c:
            sql(c, "DELETE FROM backoffice.package_usage WHERE package_id IN (:a, :b)",
                a=first, b=second)
            sql(c, "DELETE FROM backoffice.packages WHERE id IN (:a, :b)", a=first, b=second)
            sql(c, "DELETE FROM backoffice.package_types WHERE id = :t", t=type_id)
