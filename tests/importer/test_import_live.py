"""The live import end to end: a live-shaped database with the live system's typical faults,
imported into this module's workbench database (dry run, import, rerun, a changed live row)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from live_fixture import CLEAR_PINS, P2, live_database, run_live

from backoffice_lib.importer import service
from backoffice_lib.importer.queries.source import SourceUnreadable, open_source

ADMIN = "admin@studio.example"
WORKBENCH_TABLES = (
    "backoffice.staff", "backoffice.time_entries", "backoffice.staff_compensation",
    "backoffice.packages", "backoffice.package_usage", "public.bookings", "pos.sales",
    "backoffice.reconciliation_sessions", "backoffice.reconciliation_items",
    "backoffice.import_runs", "backoffice.import_quarantine", "backoffice.import_row_versions",
)
EXPECTED = {  # table: (read, imported, updated, unchanged, quarantined) of the first import
    "allowed_users": (3, 2, 1, 0, 0),
    "staff": (3, 3, 0, 0, 0),
    "staff_compensation": (4, 3, 0, 0, 1),
    "time_entries": (13, 9, 0, 0, 4),
    "staff_schedules": (3, 2, 0, 0, 1),
    "staff_weekly_schedules": (2, 1, 0, 0, 1),
    "monthly_service_charge": (2, 1, 0, 0, 1),
    "bookings": (4, 3, 0, 0, 1),
    "packages": (3, 3, 0, 0, 0),
    "package_usage": (5, 3, 0, 0, 2),
    "lengolf_sales": (3, 3, 0, 0, 0),
    "lengolf_sales_voided_archive": (1, 1, 0, 0, 0),
    "audit_logs": (3, 2, 0, 0, 1),
    "staff_audit_log": (1, 1, 0, 0, 0),
    "reconciliation_sessions": (3, 2, 0, 0, 1),
    "reconciliation_items": (4, 3, 0, 0, 1),
}


@pytest.fixture(scope="module")
def live_url():
    with live_database() as url:
        yield url


@pytest.fixture(scope="module")
def workbench(engine):
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"), {"e": ADMIN})
    return engine


def _source(url) -> str:
    return url.render_as_string(hide_password=False)


def _counts(report) -> dict:
    return {t["table"]: tuple(t[k] for k in service.COUNT_KEYS) for t in report["tables"]}


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def test_import_dry_run_reports_and_leaves_nothing_then_the_import_keeps_the_same(workbench,
                                                                                 live_url):
    before = {t: _rows(workbench, f"SELECT count(*) FROM {t}")[0][0] for t in WORKBENCH_TABLES}
    dry = service.import_live(_source(live_url), ADMIN, dry_run=True, engine=workbench)
    after = {t: _rows(workbench, f"SELECT count(*) FROM {t}")[0][0] for t in WORKBENCH_TABLES}
    assert dry["dry_run"] is True
    assert after == before
    assert _rows(workbench, "SELECT count(*) FROM pg_database WHERE datname LIKE 'live_import_%'"
                 )[0][0] == 0

    report = service.import_live(_source(live_url), ADMIN, engine=workbench)
    counts = _counts(report)
    assert _counts(dry) == counts
    for table, expected in EXPECTED.items():
        assert counts[table] == expected, table
    assert report["totals"]["read"] == sum(c[0] for c in counts.values())
    assert report["totals"]["quarantined"] == 14


def test_import_quarantine_holds_each_refusal_with_its_rule_and_group(workbench):
    rows = _rows(workbench, "SELECT table_name, live_key, rule, status FROM"
                 " backoffice.import_quarantine ORDER BY table_name, live_key")
    assert [(r.table_name, r.live_key, r.rule) for r in rows] == [
        ("audit_logs", "00000000-0000-4000-8000-00000000aa03", "audit_row_incomplete"),
        ("bookings", "BK4", "booking_start_time_unreadable"),
        ("monthly_service_charge", "2", "month_out_of_range"),
        ("package_usage", "00000000-0000-4000-8000-0000000000b4", "package_overuse"),
        ("package_usage", "00000000-0000-4000-8000-0000000000b5", "depends_on_quarantined"),
        ("reconciliation_items", "00000000-0000-4000-8000-0000000000f4",
         "depends_on_quarantined"),
        ("reconciliation_sessions", "00000000-0000-4000-8000-0000000000e3", "check_failed"),
        ("staff_compensation", "2", "pay_rate_overlap"),
        ("staff_schedules", "00000000-0000-4000-8000-00000000cc02", "shift_overlap"),
        ("staff_weekly_schedules", "00000000-0000-4000-8000-00000000dd02", "check_failed"),
        ("time_entries", "3", "time_entry_within_one_minute"),
        ("time_entries", "4", "time_entry_within_one_minute"),
        ("time_entries", "8", "time_entry_alternation"),
        ("time_entries", "9", "time_entry_alternation"),
    ]
    groups = _rows(workbench, "SELECT live_key, group_key FROM backoffice.import_quarantine"
                   " WHERE table_name = 'time_entries' ORDER BY live_key::int")
    assert groups[0].group_key == groups[1].group_key != groups[2].group_key == groups[3].group_key
    message = _rows(workbench, "SELECT message FROM backoffice.import_quarantine"
                    " WHERE rule = 'package_overuse'")[0][0]
    assert "only 0.50 h remain" in message


def test_import_mapping_lands_in_the_workbench(workbench):
    staff = _rows(workbench, "SELECT id, staff_id, is_active FROM backoffice.staff ORDER BY id")
    assert [tuple(r) for r in staff] == [(1, "EMP001", True), (2, "EMP002", True),
                                          (3, "EMP003", False)]
    entries = _rows(workbench, "SELECT id FROM backoffice.time_entries WHERE staff_id = 3")
    assert sorted(r.id for r in entries) == [12, 13]
    bookings = _rows(workbench, "SELECT id, customer_name, start_time, duration, booking_type"
                     " FROM public.bookings ORDER BY id")
    assert [tuple(r) for r in bookings] == [
        ("BK1", "Somchai Jaidee", dt.time(14, 0), Decimal("1.00"), "Coaching (Boss)"),
        ("BK2", "Anna Smith", dt.time(9, 30), Decimal("1.50"), "Coaching (Ratchavin)"),
        ("BK3", "Somchai Jaidee", dt.time(18, 0), Decimal("2.00"), "Driving Range"),
    ]
    sales = _rows(workbench, "SELECT id, sku_number, is_voided FROM pos.sales ORDER BY id")
    assert [tuple(r) for r in sales] == [(1, "RST-001", False), (2, None, False),
                                         (3, "RST-002", True), (1000, "RST-003", True)]
    discount = _rows(workbench, "SELECT discount_amount FROM backoffice.packages"
                     " WHERE customer_name = 'Somchai Jaidee'")[0][0]
    assert discount == Decimal("500.00")
    converted = _rows(workbench, "SELECT user_email, action, resource_type, resource_id, details"
                      " FROM backoffice.audit_logs"
                      " WHERE id = '00000000-0000-4000-8000-00000000aa02'")[0]
    assert (converted.user_email, converted.action, converted.resource_type,
            converted.resource_id) == (ADMIN, "PIN_CHANGED", "staff", "1")
    assert converted.details["before"] == {"id": 1, "staff_name": "Nattaya"}
    next_ids = _rows(workbench, "SELECT nextval(pg_get_serial_sequence('backoffice.staff', 'id')),"
                     " nextval(pg_get_serial_sequence('backoffice.time_entries', 'id'))")[0]
    assert next_ids[0] > 3 and next_ids[1] > 13
    admin = _rows(workbench, "SELECT id FROM backoffice.allowed_users WHERE email = :e", e=ADMIN)
    assert str(admin[0].id) == "00000000-0000-4000-8000-00000000ad01"


def test_import_brings_reconciliation_sessions_and_items_with_their_statuses(workbench):
    sessions = _rows(workbench, "SELECT id::text, admin_user_id::text, status, match_rate,"
                     " variance_amount, error_message, completed_at"
                     " FROM backoffice.reconciliation_sessions ORDER BY created_at")
    assert [(s.id[-2:], s.status, s.match_rate, s.variance_amount, s.error_message)
            for s in sessions] == [
        ("e1", "completed", Decimal("50.00"), Decimal("150.00"), None),
        ("e2", "failed", None, None, "no date column in the file"),
    ]
    assert sessions[0].admin_user_id == "00000000-0000-4000-8000-00000000ad01"
    assert sessions[0].completed_at == dt.datetime(2026, 2, 1, 3, 1, tzinfo=dt.UTC)
    items = _rows(workbench, "SELECT id::text, item_type, status, confidence, amount_variance,"
                  " resolution_notes, resolved_by, resolved_at, invoice_data, pos_data"
                  " FROM backoffice.reconciliation_items ORDER BY id")
    assert [(i.id[-2:], i.item_type, i.status, i.resolved_by) for i in items] == [
        ("f1", "matched", "approved", ADMIN),
        ("f2", "invoice_only", "disputed", ADMIN),
        ("f3", "pos_only", "unresolved", None),
    ]
    assert items[0].confidence == Decimal("0.95")
    assert items[0].invoice_data == {"description": "Pad Thai", "amount": 240}
    assert items[1].resolution_notes == "the supplier billed it twice"
    assert items[1].resolved_at == dt.datetime(2026, 2, 2, 2, 5, tzinfo=dt.UTC)
    assert items[2].amount_variance == Decimal("-1500.00") and items[2].invoice_data is None


def test_import_never_copies_or_reports_the_clear_pin(workbench):
    dumped = _rows(workbench, "SELECT string_agg(t::text, ' ') FROM ("
                   " SELECT details::text AS t FROM backoffice.audit_logs"
                   " UNION ALL SELECT coalesce(old_data_snapshot::text, '') ||"
                   "  coalesce(new_data_snapshot::text, '') FROM backoffice.staff_audit_log"
                   " UNION ALL SELECT \"row\"::text FROM backoffice.import_quarantine"
                   " UNION ALL SELECT report::text FROM backoffice.import_runs"
                   " UNION ALL SELECT to_jsonb(s)::text FROM backoffice.staff s) x")[0][0]
    assert "clear_pin" not in dumped
    for pin in (*CLEAR_PINS, "999999"):
        assert pin not in dumped


def test_import_rerun_counts_unchanged_then_imports_only_new_and_changed(workbench, live_url):
    again = service.import_live(_source(live_url), ADMIN, engine=workbench)
    totals = again["totals"]
    assert (totals["imported"], totals["updated"], totals["quarantined"]) == (0, 0, 14)
    assert totals["unchanged"] == totals["read"] - 14

    run_live(live_url, "UPDATE backoffice.staff SET staff_name = 'Nattaya S.' WHERE id = 2")
    run_live(live_url, "INSERT INTO backoffice.time_entries (id, staff_id, action, \"timestamp\")"
                       " VALUES (14, 2, 'clock_in', '2026-01-09 03:00+00'),"
                       " (15, 3, 'clock_in', '2025-12-02 02:00+00')")  # 3 left since
    run_live(live_url, "WITH moved AS (DELETE FROM pos.lengolf_sales WHERE id = 1 RETURNING *)"
                       " INSERT INTO pos.lengolf_sales_voided_archive SELECT *, now() FROM moved")
    third = service.import_live(_source(live_url), ADMIN, engine=workbench)
    counts = _counts(third)
    assert counts["lengolf_sales_voided_archive"] == (2, 0, 1, 1, 0)
    assert _rows(workbench, "SELECT is_voided FROM pos.sales WHERE id = 1")[0][0] is True
    assert counts["staff"] == (3, 0, 1, 2, 0)
    assert counts["time_entries"] == (15, 2, 0, 9, 4)
    assert _rows(workbench, "SELECT is_active FROM backoffice.staff WHERE id = 3")[0][0] is False
    audited = _rows(workbench, "SELECT user_email, details FROM backoffice.audit_logs"
                    " WHERE action = 'IMPORT_UPDATE' AND resource_type = 'backoffice.staff'")
    assert len(audited) == 1
    assert audited[0].details["after"]["staff_name"] == "Nattaya S."
    assert "live-import" in audited[0].details["actor"]
    assert "read at" in audited[0].details["snapshot"]
    trigger_rows = _rows(workbench, "SELECT changed_by_identifier FROM backoffice.staff_audit_log"
                         " WHERE new_data_snapshot->>'staff_name' = 'Nattaya S.'")
    assert trigger_rows[0][0].startswith("live-import")


def test_import_review_fixes_go_through_the_rules(workbench, live_url):
    def pending(rule):
        return _rows(workbench, "SELECT id FROM backoffice.import_quarantine WHERE rule = :r"
                     " AND status = 'pending' ORDER BY live_key", r=rule)[0][0]

    with workbench.begin() as conn:
        result = service.fix_add_missing_clock_out(
            conn, ADMIN, pending("time_entry_alternation"), "forgot to clock out on the 7th")
        assert len(result["resolved"]) == 2
        service.fix_close_pay_rate(conn, ADMIN, pending("pay_rate_overlap"), "raise in 2026")
        overuse = service.fix_accept_overuse(conn, ADMIN, pending("package_overuse"),
                                             "customer agreed")
        assert "0.50 h recorded" in overuse["resolution"]
        service.dismiss_quarantined(conn, ADMIN, pending("time_entry_within_one_minute"),
                                    "double tap")
    entries = _rows(workbench, "SELECT id, action FROM backoffice.time_entries WHERE staff_id = 1"
                    " ORDER BY timestamp")
    assert [r.action for r in entries] == ["clock_in", "clock_out"] * 4
    closed = _rows(workbench, "SELECT effective_to FROM backoffice.staff_compensation WHERE id = 1")
    assert closed[0][0] == dt.date(2025, 12, 31)
    used = _rows(workbench, "SELECT sum(used_hours) FROM backoffice.package_usage"
                 " WHERE package_id = :p", p=P2)[0][0]
    assert used == Decimal("5.00")
    with pytest.raises(service.QuarantineError, match="needs a reason"), workbench.begin() as conn:
        service.dismiss_quarantined(conn, ADMIN, pending("audit_row_incomplete"), " ")

    again = service.import_live(_source(live_url), ADMIN, engine=workbench)
    assert again["totals"]["imported"] == 0
    # month 13, the unreadable start time and the usage of its booking, the empty audit row,
    # the overlapping shift, the weekday 7, the session of an unknown status and its item
    assert again["totals"]["quarantined"] == 8


def test_import_refuses_a_source_that_is_not_the_live_shape(workbench, database_url):
    not_live = _source(database_url.set(database="postgres"))
    with pytest.raises(SourceUnreadable, match="not the live system's shape"), open_source(
            not_live, workbench):
        pass
    with pytest.raises(SourceUnreadable, match="no file"), open_source(
            "/nonexistent/live.dump", workbench):
        pass


def test_import_dependants_wait_with_their_parent_and_follow_its_fix(workbench, live_url):
    dependant = _rows(workbench, "SELECT depends_on, message FROM backoffice.import_quarantine"
                      " WHERE rule = 'depends_on_quarantined' AND table_name = 'package_usage'")[0]
    assert dependant.depends_on == "bookings:BK4"
    assert "booking_start_time_unreadable" in dependant.message
    booking = _rows(workbench, "SELECT id FROM backoffice.import_quarantine"
                    " WHERE table_name = 'bookings' AND live_key = 'BK4'")[0][0]
    with workbench.begin() as conn:
        result = service.retry_quarantined(conn, ADMIN, booking, "start time unknown: kept empty")
    assert len(result["dependants_imported"]) == 1
    used = _rows(workbench, "SELECT booking_id FROM backoffice.package_usage"
                 " WHERE id = '00000000-0000-4000-8000-0000000000b5'")
    assert used[0][0] == "BK4"
    again = service.import_live(_source(live_url), ADMIN, engine=workbench)
    assert (again["totals"]["imported"], again["totals"]["quarantined"]) == (0, 6)
