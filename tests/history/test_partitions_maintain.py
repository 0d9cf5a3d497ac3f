"""Monthly partitions of time_entries and audit_logs: the DEFAULT partition refuses no write,
``maintain`` creates months ahead and gives stray months their own partition, pruning works."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from backoffice_lib import audit, bangkok
from backoffice_lib.history import rules as history_rules
from backoffice_lib.history.queries import partitions
from backoffice_lib.history.service import partitions as partitions_service

BKK = bangkok.BANGKOK


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


def _where(conn, table, **filters):
    condition = " AND ".join(f"{k} = :{k}" for k in filters)
    return sql(
        conn, f"SELECT tableoid::regclass::text FROM backoffice.{table} WHERE {condition}", **filters
    ).scalars().all()


def _staff(conn, name="Partition Tester") -> int:
    return sql(
        conn,
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash) VALUES (:n, :n, 'x')"
        " RETURNING id",
        n=name,
    ).scalar_one()


@pytest.mark.parametrize(
    "table,name,month",
    [
        ("time_entries", "time_entries_2026_01", "2026-01"),
        ("audit_logs", "audit_logs_2031_12", "2031-12"),
        ("audit_logs", "audit_logs_default", None),
        ("time_entries", "time_entries_2026_13", None),
        ("time_entries", "audit_logs_2026_01", None),
    ],
)
def test_month_of_partition_name(table, name, month):
    assert history_rules.month_of_partition(table, name) == month


@pytest.mark.parametrize(
    "today,ahead,expected",
    [
        (dt.date(2026, 11, 26), 0, ["2026-11"]),
        (dt.date(2026, 11, 26), 3, ["2026-11", "2026-12", "2027-01", "2027-02"]),
        (dt.date(2026, 12, 31), 1, ["2026-12", "2027-01"]),
    ],
)
def test_months_ahead_cross_the_year(today, ahead, expected):
    assert history_rules.compute_months_ahead(today, ahead) == expected


def test_partitions_follow_bangkok_months_not_utc(conn):
    """A punch at 00:30 on 1 March Bangkok time (17:30 UTC on 28 February) is a March row."""
    partitions.ensure_partition(conn, "audit_logs", "2030-02")
    partitions.ensure_partition(conn, "audit_logs", "2030-03")
    audit.record(conn, "bkk@studio.example", "VIEW", "bkk-test", "1")
    sql(
        conn,
        "UPDATE backoffice.audit_logs SET timestamp = :t WHERE resource_type = 'bkk-test'",
        t=dt.datetime(2030, 3, 1, 0, 30, tzinfo=BKK),
    )
    assert _where(conn, "audit_logs", resource_type="bkk-test") == ["backoffice.audit_logs_2030_03"]


def test_default_partition_takes_a_row_no_month_covers(conn):
    audit.record(conn, "old@studio.example", "VIEW", "default-test", "1")
    sql(
        conn,
        "UPDATE backoffice.audit_logs SET timestamp = '1999-05-05 10:00+07'"
        " WHERE resource_type = 'default-test'",
    )
    assert _where(conn, "audit_logs", resource_type="default-test") == [
        "backoffice.audit_logs_default"
    ]


def test_maintain_creates_months_ahead_once_and_audits_it(conn):
    created = partitions_service.run_maintain(conn, 2, today=dt.date(2041, 6, 15))
    assert created == {
        "time_entries": ["time_entries_2041_06", "time_entries_2041_07", "time_entries_2041_08"],
        "audit_logs": ["audit_logs_2041_06", "audit_logs_2041_07", "audit_logs_2041_08"],
    }
    again = partitions_service.run_maintain(conn, 2, today=dt.date(2041, 6, 15))
    assert again == {"time_entries": [], "audit_logs": []}
    audited = sql(
        conn, "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'CREATE_PARTITIONS'"
        " AND details -> 'created' -> 'audit_logs' ? 'audit_logs_2041_06'"
    ).scalar()
    assert audited == 1


def test_maintain_moves_rows_from_default_into_their_month_keeping_ids(conn):
    staff = _staff(conn)
    stamps = [
        dt.datetime(2001, 3, 5, 9, 0, tzinfo=BKK),
        dt.datetime(2001, 3, 5, 17, 0, tzinfo=BKK),
    ]
    ids = [
        sql(
            conn,
            "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
            " VALUES (:s, :a, :t) RETURNING id",
            s=staff, a=action, t=stamp,
        ).scalar_one()
        for action, stamp in zip(("clock_in", "clock_out"), stamps)
    ]
    assert set(_where(conn, "time_entries", staff_id=staff)) == {
        "backoffice.time_entries_default"
    }
    created = partitions_service.run_maintain(conn, 0, today=dt.date(2001, 3, 20))
    assert "time_entries_2001_03" in created["time_entries"]
    rows = sql(
        conn,
        "SELECT id, timestamp, tableoid::regclass::text AS part FROM backoffice.time_entries"
        " WHERE staff_id = :s ORDER BY timestamp",
        s=staff,
    ).all()
    assert [r.id for r in rows] == ids
    assert [r.timestamp for r in rows] == stamps
    assert {r.part for r in rows} == {"backoffice.time_entries_2001_03"}
    # validate_time_entry() still guards the partitioned table after the move.
    with pytest.raises(sa.exc.DBAPIError, match="already has a clock_out"), conn.begin_nested():
        sql(
            conn,
            "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
            " VALUES (:s, 'clock_out', :t)",
            s=staff, t=dt.datetime(2001, 3, 5, 18, 0, tzinfo=BKK),
        )


def test_triggers_of_the_table_stay_on_every_partition(conn):
    names = set(
        sql(
            conn,
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'backoffice.time_entries'::regclass"
            " AND NOT tgisinternal",
        ).scalars()
    )
    assert "time_entries_validate" in names
    assert sql(conn, "SELECT relkind FROM pg_class WHERE oid = 'backoffice.time_entries'::regclass"
               ).scalar() == "p"
    assert sql(conn, "SELECT relkind FROM pg_class WHERE oid = 'backoffice.audit_logs'::regclass"
               ).scalar() == "p"


def test_a_one_month_audit_query_reads_one_partition(conn):
    partitions.ensure_partitions(conn, "audit_logs", "2035-01", "2035-03")
    start, end = bangkok.month_bounds("2035-02")
    plan = "\n".join(
        sql(
            conn,
            "EXPLAIN SELECT * FROM backoffice.audit_logs WHERE user_email = :u"
            " AND timestamp >= :start AND timestamp < :end",
            u="a@studio.example", start=start, end=end,
        ).scalars()
    )
    assert "audit_logs_2035_02" in plan
    assert "audit_logs_2035_01" not in plan and "audit_logs_2035_03" not in plan
    assert "audit_logs_default" not in plan


def test_unknown_table_or_bad_month_is_refused(conn):
    with pytest.raises(history_rules.PartitionError):
        partitions.ensure_partition(conn, "staff", "2030-01")
    with pytest.raises(bangkok.BadMonth):
        partitions.ensure_partition(conn, "audit_logs", "2030-13")
