"""Audit explorer and overview data: filters and paging in SQL, Bangkok days, before/after diffs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.history import audit_explorer_dashboard as board
from backoffice_lib.history import rules as history_rules
from backoffice_lib.history.queries import audit_events
from backoffice_lib.workbench import rules as overview_rules
from backoffice_lib.workbench import service as overview_service

UTC = dt.UTC
START, END = dt.date(2031, 3, 1), dt.date(2031, 3, 31)


@pytest.fixture
def trail(conn):
    """Audit rows in March 2031 (a period no other test writes)."""
    rows = [
        # (utc timestamp, user, action, resource_type, resource_id, details)
        (dt.datetime(2031, 3, 1, 3, 0, tzinfo=UTC), "ratchavin@studio.example", "UPDATE", "packages",
         "p1", {"before": {"hours": "10.00", "note": "a"}, "after": {"hours": "12.00", "note": "a"}}),
        (dt.datetime(2031, 3, 1, 18, 0, tzinfo=UTC), "admin@studio.example", "CREATE", "invoices",
         "i1", {"after": {"number": "INV-1"}}),  # 01:00 on 2 March in Bangkok
        (dt.datetime(2031, 3, 5, 9, 0, tzinfo=UTC), "admin@studio.example", "UPDATE", "packages",
         "p2", {"before": {"hours": "5.00"}, "after": {"hours": "4.00", "flag": True}}),
        (dt.datetime(2031, 4, 1, 9, 0, tzinfo=UTC), "admin@studio.example", "UPDATE", "packages",
         "p3", {}),  # outside the period
    ]
    for at, user, action, rtype, rid, details in rows:
        conn.execute(
            sa.insert(audit_events.AUDIT).values(
                timestamp=at, user_email=user, action=action, resource_type=rtype,
                resource_id=rid, details=details,
            )
        )
    conn.execute(
        sa.insert(audit_events.STAFF_AUDIT).values(
            staff_id=None, action_type="deactivated", changed_by_type="admin",
            changed_by_identifier="admin@studio.example", changes_summary="left the studio",
            old_data_snapshot={"is_active": True, "staff_name": "Noon"},
            new_data_snapshot={"is_active": False, "staff_name": "Noon"},
            reason="resigned", created_at=dt.datetime(2031, 3, 10, 2, 0, tzinfo=UTC),
        )
    )
    return conn


def _flt(**kwargs):
    return history_rules.compute_filter(start=START, end=END, **kwargs)


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        ({}, 4),
        ({"user": "RatchaVIN"}, 1),
        ({"action": "UPDATE"}, 2),
        ({"resource_type": "packages"}, 2),
        ({"resource_type": "staff"}, 1),
        ({"resource_type": "packages", "resource_id": "p2"}, 1),
        ({"source": "staff_audit_log"}, 1),
        ({"source": "audit_logs", "action": "deactivated"}, 0),
        ({"action": history_rules.ANY, "user": "  "}, 4),
        ({"user": "Admin@Studio.example"}, 3),
        ({"user": "in@studio.example"}, 0),
        ({"user": "%"}, 0),
    ],
    ids=["period-only", "user-substring-any-case", "action", "resource", "staff-resource",
         "resource-id", "staff-source", "source-and-action", "any-and-blank-mean-no-filter",
         "full-email-is-exact-any-case", "full-email-not-a-substring", "wildcards-are-literal"],
)
def test_filters_are_applied_by_postgresql(trail, filters, count):
    flt = _flt(**filters)
    assert audit_events.load_event_count(trail, flt) == count
    assert len(audit_events.load_events(trail, flt, offset=0, limit=50)) == count


def test_pages_are_newest_first_and_cut_by_sql(trail):
    flt = _flt()
    first = audit_events.load_events(trail, flt, offset=0, limit=3)
    second = audit_events.load_events(trail, flt, offset=3, limit=3)
    assert [e["resource_id"] for e in first] == [None, "p2", "i1"]
    assert [e["resource_id"] for e in second] == ["p1"]


@pytest.mark.parametrize(
    ("page", "size", "total", "bounds"),
    [(1, 50, 0, (1, 0, 1)), (3, 50, 120, (3, 100, 3)), (9, 50, 120, (3, 100, 3)),
     (0, 10, 35, (1, 0, 4)), (2, 10_000, 700, (2, 500, 2))],
    ids=["empty", "last-page", "past-the-end-clamped", "before-the-start", "page-size-capped"],
)
def test_page_bounds(page, size, total, bounds):
    assert history_rules.compute_page_bounds(page, size, total) == bounds


def test_count_stops_at_the_cap(trail):
    assert audit_events.load_event_count(trail, _flt(), cap=2) == 3  # "more than 2"
    assert board.compute_page_label(1, 50, history_rules.COUNT_CAP + 1, 1, 201) == (
        "events 1–50 of more than 10,000 · page 1"
    )
    assert board.compute_page_label(1, 4, 4, 1, 1) == "events 1–4 of 4 · page 1 of 1"


def test_timeline_counts_per_bangkok_day_and_source(trail):
    rows = audit_events.load_timeline(trail, _flt())
    assert [(r["day"], r["source"], r["events"]) for r in rows] == [
        (dt.date(2031, 3, 1), "audit_logs", 1),
        (dt.date(2031, 3, 2), "audit_logs", 1),  # 18:00 UTC is the next day in Bangkok
        (dt.date(2031, 3, 5), "audit_logs", 1),
        (dt.date(2031, 3, 10), "staff_audit_log", 1),
    ]


def test_period_in_the_wrong_order_is_refused():
    with pytest.raises(ValueError, match="ends"):
        history_rules.compute_filter(start=END, end=START)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"hours": "5.00"}, {"hours": "4.00", "flag": True},
         [("hours", "5.00", "4.00", "changed"), ("flag", None, True, "added")]),
        ({"a": 1, "b": 2}, {"a": 1}, [("b", 2, None, "removed"), ("a", 1, 1, "same")]),
        (None, {"n": {"x": 1}}, [("n.x", None, 1, "added")]),
        (None, None, []),
    ],
    ids=["changed-and-added", "removed-and-same", "nested-keys", "nothing-recorded"],
)
def test_before_after_diff(before, after, expected):
    diff = history_rules.compute_diff(before, after)
    assert [(d["field"], d["before"], d["after"], d["change"]) for d in diff] == expected


def test_event_detail_reads_before_after_of_both_trails(trail):
    events = audit_events.load_events(trail, _flt(), offset=0, limit=10)
    staff = next(e for e in events if e["source"] == "staff_audit_log")
    detail = audit_events.load_event_detail(trail, staff["source"], staff["id"])
    assert detail["note"] == "left the studio; resigned"
    assert history_rules.compute_diff(detail["before"], detail["after"])[0] == {
        "field": "is_active", "before": True, "after": False, "change": "changed"
    }
    package = next(e for e in events if e["resource_id"] == "p1")
    detail = audit_events.load_event_detail(trail, package["source"], package["id"])
    assert (detail["before"], detail["after"]) == ({"hours": "10.00", "note": "a"},
                                                   {"hours": "12.00", "note": "a"})
    html = board.render_diff(detail, history_rules.compute_diff(detail["before"], detail["after"]))
    assert "10.00" in html and "12.00" in html and "changed" in html


def test_overview_reads_the_month_from_the_database(demo_engine):
    month = bangkok.month_key(bangkok.today())
    first, last = bangkok.month_days(month)
    with demo_engine.connect() as conn:
        data = overview_service.load_overview(conn, "admin@studio.example", month)
        sold = conn.scalar(sa.text(
            "SELECT count(*) FROM backoffice.packages WHERE purchase_date BETWEEN :f AND :l"),
            {"f": first, "l": last})
        used = conn.scalar(sa.text(
            "SELECT coalesce(sum(used_hours), 0) FROM backoffice.package_usage"
            " WHERE used_date BETWEEN :f AND :l"), {"f": first, "l": last})
    kpis = {k.label: k for k in data["kpis"]}
    assert kpis["Packages sold"].value == str(sold)
    assert sum(data["usage_hours"], Decimal(0)) == used
    assert len(data["days"]) == (min(last, bangkok.today()) - first).days + 1  # to today
    assert set(kpis) == {"Payroll cost", "Packages sold", "Package hours used",
                         "Studio sales (POS)", "Reconciliation"}


@pytest.mark.parametrize(
    ("run", "available", "value", "note"),
    [
        (None, False, "–", "not recorded"),
        (None, True, "–", "no payroll run for 2031-03"),
        ({"status": "finalised", "total_pay": Decimal("123456.785"), "people": 14,
          "created_at": dt.datetime(2031, 4, 1, tzinfo=UTC)}, True, "฿123,456.79", "finalised"),
        ({"status": "draft", "total_pay": Decimal(10), "people": 1,
          "created_at": dt.datetime(2031, 4, 1, tzinfo=UTC)}, True, "฿10.00", "draft, not final"),
    ],
    ids=["payroll-not-there-yet-degrades", "month-not-run", "finalised-rounded-half-up", "draft"],
)
def test_overview_payroll_cost_degrades_gracefully(run, available, value, note):
    kpi = overview_rules.compute_payroll_kpi("2031-03", run, available)
    assert kpi.value == value
    assert note in kpi.note


def test_overview_month_options_count_back_over_the_year_end():
    assert overview_rules.compute_month_options(dt.date(2026, 2, 10), 4) == [
        "2026-02", "2026-01", "2025-12", "2025-11"
    ]


def test_filter_options_come_from_recent_history_plus_the_standard_actions(conn):
    """Opening the explorer never scans years of audit rows: options look back a bounded time."""
    now = dt.datetime.now(UTC)
    for at, action, rtype in [
        (now - dt.timedelta(days=2), "RECENT_ACTION", "recent_resource"),
        (now - dt.timedelta(days=400), "ANCIENT_ACTION", "ancient_resource"),
    ]:
        conn.execute(sa.insert(audit_events.AUDIT).values(
            timestamp=at, user_email="admin@studio.example", action=action, resource_type=rtype,
        ))
    options = audit_events.load_filter_options(conn)
    assert "RECENT_ACTION" in options["actions"] and "ANCIENT_ACTION" not in options["actions"]
    assert "recent_resource" in options["resource_types"]
    assert "ancient_resource" not in options["resource_types"]
    assert set(audit_events.STANDARD_ACTIONS) <= set(options["actions"])
    older = audit_events.load_filter_options(conn, since=bangkok.today() - dt.timedelta(days=500))
    assert "ANCIENT_ACTION" in older["actions"]


def test_clicks_of_an_admin_demoted_while_the_explorer_is_open_are_refused_server_side(engine):
    """The page was built for an admin; once demoted, its handlers refuse by themselves (the
    service's access check), each refusal audited, and no event is shown any more."""
    import uuid

    from backoffice_lib import access, database

    email, other = (f"{who}-{uuid.uuid4().hex[:6]}@studio.example" for who in ("ax", "ax-other"))
    with engine.begin() as c:
        for who in (email, other):
            c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                              " VALUES (:e, true)"), {"e": who})
    with database.transaction() as c:
        view = board.AuditExplorerDashboard(access.load_user(c, email), days=3)
    assert "read at" in view.status.value
    with engine.begin() as c:
        c.execute(sa.text("UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :e"),
                  {"e": email})
    refusals = ("SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                " AND action = 'ACCESS_DENIED'")
    with engine.connect() as c:
        before = c.scalar(sa.text(refusals), {"e": email})
    view.on_filter()
    assert "not an admin" in view.status.value
    view.on_page(+1)
    assert "not an admin" in view.status.value
    view.events = [{"source": "audit_logs", "id": "1"}]
    view.on_pick({"new": 0})
    assert "not an admin" in view.diff.value
    with engine.connect() as c:
        assert c.scalar(sa.text(refusals), {"e": email}) == before + 3
