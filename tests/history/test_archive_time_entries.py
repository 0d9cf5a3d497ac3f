"""Archival of time entries: only finalised payroll months, payroll figures unchanged when computed
from archive.time_entries_all, restore brings back the very same rows. On the demo data, inside
a transaction that is rolled back."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from backoffice_lib import audit, bangkok
from backoffice_lib.access import AccessDenied
from backoffice_lib.history import rules as history_rules
from backoffice_lib.history.service import archive as archival
from backoffice_lib.payroll.service import load_month_payroll

ADMIN = "admin@studio.example"
COACH = "boss@studio.example"


def _months_ago(n: int) -> str:
    month = bangkok.month_key(bangkok.today())
    for _ in range(n):
        month = bangkok.previous_month(month)
    return month


def _finalise(conn, month):
    conn.execute(
        sa.text(
            "INSERT INTO backoffice.payroll_runs (month, status, checksum, finalised_by,"
            " finalised_at) VALUES (:m, 'finalised', 'test', :u, now())"
        ),
        {"m": month, "u": ADMIN},
    )


def _month_rows(conn, month, source="archive.time_entries_all"):
    start, end = bangkok.month_bounds(month)
    return conn.execute(
        sa.text(f"SELECT t::text FROM {source} t WHERE timestamp >= :s AND timestamp < :e"
                " ORDER BY id"),
        {"s": start, "e": end},
    ).scalars().all()


@pytest.mark.parametrize(
    "rule,months,finalised,before,archive,refused",
    [
        ("finalised months before the cut-off are archived",
         ["2026-01", "2026-02", "2026-03"], ["2026-01", "2026-02", "2026-03"], "2026-03",
         ["2026-01", "2026-02"], []),
        ("a month not finalised is refused",
         ["2026-01", "2026-02"], ["2026-01"], "2026-03", ["2026-01"], ["2026-02"]),
        ("the cut-off month itself is never included",
         ["2026-03"], ["2026-03"], "2026-03", [], []),
        ("a finalised month without entries is nothing to do",
         [], ["2026-01"], "2026-06", [], []),
    ],
)
def test_archive_plan(rule, months, finalised, before, archive, refused):
    plan = history_rules.compute_time_entry_plan(months, finalised, before)
    assert (plan.archive, plan.refused) == (archive, refused), rule


def test_payroll_of_an_archived_month_is_unchanged_from_the_archive_view(demo_conn):
    month, following = _months_ago(3), _months_ago(2)
    _finalise(demo_conn, month)
    before = load_month_payroll(demo_conn, month)
    before_following = load_month_payroll(demo_conn, following)
    rows = _month_rows(demo_conn, month)

    moved = archival.run_archive_time_entries_month(demo_conn, month, ADMIN)

    assert moved == len(rows) > 100
    assert _month_rows(demo_conn, month, "backoffice.time_entries") == []
    assert _month_rows(demo_conn, month, "archive.time_entries") == rows
    # The payroll engine reads live and archived entries alike.
    after = load_month_payroll(demo_conn, month)
    assert after.checksum == before.checksum
    assert after.totals == before.totals
    # The next month's first week reaches back into the archived month: unchanged too.
    assert load_month_payroll(demo_conn, following).checksum == before_following.checksum
    audited = demo_conn.execute(
        sa.text("SELECT user_email, details ->> 'rows' FROM backoffice.audit_logs"
                " WHERE action = 'ARCHIVE' AND resource_type = 'time_entries'"
                " AND resource_id = :m"),
        {"m": month},
    ).all()
    assert audited == [(ADMIN, str(moved))]


def test_a_month_not_finalised_is_refused_and_nothing_moves(demo_conn):
    month = _months_ago(2)
    rows = _month_rows(demo_conn, month, "backoffice.time_entries")
    with pytest.raises(history_rules.ArchiveRefused, match="not finalised"):
        archival.run_archive_time_entries_month(demo_conn, month, ADMIN)
    assert _month_rows(demo_conn, month, "backoffice.time_entries") == rows


def test_archiving_is_for_admins(demo_conn):
    month = _months_ago(3)
    _finalise(demo_conn, month)
    with pytest.raises(AccessDenied):
        archival.run_archive_time_entries_month(demo_conn, month, COACH)


def test_restore_brings_back_the_same_rows_and_late_entries(demo_conn):
    month = _months_ago(4)
    _finalise(demo_conn, month)
    rows = _month_rows(demo_conn, month)
    archival.run_archive_time_entries_month(demo_conn, month, ADMIN)
    with pytest.raises(history_rules.ArchiveRefused, match="already archived"):
        archival.run_archive_time_entries_month(demo_conn, month, ADMIN)

    # An admin correction dated in the archived month waits in the DEFAULT partition.
    first, _ = bangkok.month_days(month)
    moment = bangkok.at(first + dt.timedelta(days=14), dt.time(3, 7))
    staff, previous = demo_conn.execute(
        sa.text("SELECT t.staff_id, t.action FROM backoffice.time_entries t"
                " JOIN backoffice.staff s ON s.id = t.staff_id"
                " WHERE s.is_active AND t.timestamp < :m ORDER BY t.timestamp DESC LIMIT 1"),
        {"m": moment},
    ).one()
    audit.act_as(demo_conn, ADMIN, "late correction for the archive test")
    late_id = demo_conn.execute(
        sa.text("INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                " VALUES (:s, :a, :t) RETURNING id"),
        {"s": staff, "a": "clock_out" if previous == "clock_in" else "clock_in", "t": moment},
    ).scalar_one()
    assert demo_conn.scalar(
        sa.text("SELECT tableoid::regclass::text FROM backoffice.time_entries WHERE id = :i"),
        {"i": late_id},
    ) == "backoffice.time_entries_default"

    restored = archival.run_restore_time_entries_month(demo_conn, month, ADMIN)

    assert restored == len(rows) + 1
    live = _month_rows(demo_conn, month, "backoffice.time_entries")
    assert [r for r in live if not r.startswith(f"({late_id},")] == rows
    assert _month_rows(demo_conn, month, "archive.time_entries") == []
    parts = demo_conn.execute(
        sa.text("SELECT DISTINCT tableoid::regclass::text FROM backoffice.time_entries"
                " WHERE timestamp >= :s AND timestamp < :e"),
        dict(zip(("s", "e"), bangkok.month_bounds(month))),
    ).scalars().all()
    assert parts == [f"backoffice.time_entries_{month.replace('-', '_')}"]
    with pytest.raises(history_rules.ArchiveRefused, match="not archived"):
        archival.run_restore_time_entries_month(demo_conn, month, ADMIN)
