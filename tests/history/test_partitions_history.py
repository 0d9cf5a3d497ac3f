"""Paged explorer queries (backoffice_lib/history/queries/pages.py): keyset pages cover every matching row once,
in order, across monthly partitions, with ties on the timestamp."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.history.queries import pages as history_pages
from backoffice_lib.history.queries import partitions

BKK = bangkok.BANGKOK
ALICE = "alice-history@studio.example"
BOB = "bob-history@studio.example"


@pytest.fixture
def audit_rows(conn):
    """260 rows of Alice and 40 of Bob from January to March 2033, two rows per instant."""
    partitions.ensure_partitions(conn, "audit_logs", "2033-01", "2033-03")
    conn.execute(
        sa.text(
            "INSERT INTO backoffice.audit_logs (user_email, action, resource_type, resource_id,"
            " timestamp)"
            " SELECT CASE WHEN g % 15 = 0 THEN :bob ELSE :alice END,"
            "        CASE WHEN g % 2 = 0 THEN 'VIEW' ELSE 'UPDATE' END, 'history-test', g::text,"
            "        timestamptz '2033-01-01 08:00+07' + (g / 2) * interval '17 hours'"
            "   FROM generate_series(0, 299) g"
        ),
        {"alice": ALICE, "bob": BOB},
    )
    return conn


def _expected(conn, where="", **params):
    return conn.execute(
        sa.text(
            "SELECT id FROM backoffice.audit_logs WHERE resource_type = 'history-test' "
            + where + " ORDER BY timestamp DESC, id DESC"
        ),
        params,
    ).scalars().all()


def _all_pages(conn, limit, **filters):
    pages, cursor = [], None
    while True:
        page = history_pages.load_audit_page(conn, resource_type="history-test", limit=limit,
                                       before=cursor, **filters)
        pages.append(page)
        if page.is_last:
            return pages
        cursor = page.next_cursor


@pytest.mark.parametrize("limit", [1, 7, 100, 300, 1000])
def test_audit_pages_cover_every_row_once_newest_first(audit_rows, limit):
    pages = _all_pages(audit_rows, limit)
    ids = [i for page in pages for i in page.rows["id"]]
    assert ids == _expected(audit_rows)
    assert all(len(page.rows) == limit for page in pages[:-1])


def test_audit_page_filters_user_action_and_month(audit_rows):
    start, end = dt.date(2033, 2, 1), dt.date(2033, 2, 28)
    pages = _all_pages(audit_rows, 25, user=ALICE, action="VIEW", start=start, end=end)
    ids = [i for page in pages for i in page.rows["id"]]
    assert ids == _expected(
        audit_rows,
        "AND user_email = :u AND action = 'VIEW' AND timestamp >= :s AND timestamp < :e",
        u=ALICE, s=bangkok.at(start), e=bangkok.at(dt.date(2033, 3, 1)),
    )
    assert len(ids) > 25
    assert set(pages[0].rows["user_email"]) == {ALICE}


def test_count_is_capped(audit_rows):
    assert history_pages.count_audit_rows(audit_rows, resource_type="history-test", user=BOB) == (20, False)
    assert history_pages.count_audit_rows(audit_rows, resource_type="history-test", cap=50) == (50, True)


def test_iter_pages_reports_progress_and_stops_at_max_rows(audit_rows):
    seen = []
    frames = list(history_pages.iter_audit_pages(audit_rows, page_size=40, max_rows=100,
                                           progress=seen.append, resource_type="history-test"))
    assert seen == [40, 80, 100]
    assert sum(len(f) for f in frames) == 100


def test_audit_months_lists_partitions_newest_first(audit_rows):
    months = [m["month"] for m in history_pages.load_audit_months(audit_rows)]
    assert months.index("2033-03") < months.index("2033-02") < months.index("2033-01")


def test_time_entry_pages_oldest_first_live_and_archived(conn):
    staff = conn.execute(sa.text(
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash) VALUES ('Pager', 'PG1', 'x')"
        " RETURNING id")).scalar_one()
    for day in range(1, 11):
        for action, hour in (("clock_in", 9), ("clock_out", 18)):
            conn.execute(
                sa.text("INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                        " VALUES (:s, :a, :t)"),
                {"s": staff, "a": action, "t": dt.datetime(2022, 5, day, hour, tzinfo=BKK)},
            )
    for include_archived in (False, True):
        stamps, cursor = [], None
        while True:
            page = history_pages.load_time_entries_page(conn, staff_id=staff, limit=6, after=cursor,
                                                  include_archived=include_archived)
            stamps += list(page.rows["timestamp"])
            if page.is_last:
                break
            cursor = page.next_cursor
        assert len(stamps) == 20 and stamps == sorted(stamps)
    one_day = history_pages.load_time_entries_page(conn, staff_id=staff, start=dt.date(2022, 5, 3),
                                             end=dt.date(2022, 5, 3))
    assert list(one_day.rows["action"]) == ["clock_in", "clock_out"]


def test_page_size_is_bounded(conn):
    with pytest.raises(ValueError, match="1 to 5000"):
        history_pages.load_audit_page(conn, limit=0)
