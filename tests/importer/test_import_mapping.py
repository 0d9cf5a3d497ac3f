"""The pure rules of the live import: conversions, the never-read clear PIN, refusal predictions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from backoffice_lib.importer.rules import mapping
from backoffice_lib.importer.rules.mapping import RowRefused

BKK = dt.timezone(dt.timedelta(hours=7))


@pytest.mark.parametrize(("text", "expected"), [
    ("14:00", dt.time(14, 0)),
    ("9:30", dt.time(9, 30)),
    ("14:00:30", dt.time(14, 0, 30)),
    (" 08:05 ", dt.time(8, 5)),
    ("", None),
    (None, None),
])
def test_bookings_text_start_time_is_converted(text, expected):
    assert mapping.parse_start_time(text) == expected


@pytest.mark.parametrize("text", ["later", "25:00", "14h00", "14:60"])
def test_bookings_unreadable_start_time_is_refused_with_its_rule(text):
    with pytest.raises(RowRefused) as refused:
        mapping.parse_start_time(text)
    assert refused.value.rule == "booking_start_time_unreadable"
    assert refused.value.columns == ("start_time",)


@pytest.mark.parametrize(("booking_type", "code", "stored"), [
    ("Coaching (Boss)", "BOSS", "Coaching (Boss)"),
    ("Coaching (Boss - Ratchavin)", "RATCHAVIN", "Coaching (Ratchavin)"),
    ("Coaching (min)", "MIN", "Coaching (min)"),
    ("Driving Range", None, "Driving Range"),
    (None, None, None),
])
def test_coach_code_is_the_name_after_the_dash(booking_type, code, stored):
    assert mapping.compute_coach_code(booking_type) == code
    assert mapping.convert_booking_type(booking_type) == stored


def test_bookings_name_becomes_customer_name_and_real_duration_exact_hours():
    row = mapping.convert_booking({
        "id": "BK1", "customer_id": None, "name": "Somchai", "date": dt.date(2026, 1, 2),
        "start_time": "14:00", "duration": 1.1, "number_of_people": 1,
        "booking_type": "Coaching (Boss - Ratchavin)", "status": "confirmed", "created_at": None})
    assert row["customer_name"] == "Somchai"
    assert row["start_time"] == dt.time(14)
    assert row["duration"] == Decimal("1.10")
    assert row["booking_type"] == "Coaching (Ratchavin)"


@pytest.mark.parametrize(("sku", "expected"), [
    ("-", None), (" - ", None), ("", None), (None, None), ("RST-001", "RST-001"),
])
def test_pos_sku_dash_means_no_sku(sku, expected):
    assert mapping.sku_or_none(sku) == expected


@pytest.mark.parametrize(("is_voided", "archived", "expected"), [
    (None, False, False), (False, False, False), (True, False, True),
    (None, True, True), (False, True, True),
])
def test_pos_is_voided_null_is_false_and_archive_lines_are_voided(is_voided, archived, expected):
    row = {"id": 1, "date": dt.date(2026, 1, 1), "sales_timestamp": dt.datetime(2026, 1, 1, 3),
           "is_voided": is_voided, "sku_number": "-", "item_cnt": 2,
           "item_price_incl_vat": Decimal("10.00")}
    converted = mapping.convert_pos_line(row, archived=archived)
    assert converted["is_voided"] is expected
    assert converted["sale_date"] == dt.date(2026, 1, 1)
    assert converted["sale_time"] == dt.datetime(2026, 1, 1, 3, tzinfo=dt.UTC)
    assert converted["sku_number"] is None


def test_timestamps_without_zone_are_utc_and_aware_ones_are_kept():
    assert mapping.to_aware(dt.datetime(2026, 1, 1, 2)) == dt.datetime(2026, 1, 1, 2, tzinfo=dt.UTC)
    aware = dt.datetime(2026, 1, 1, 9, tzinfo=BKK)
    assert mapping.to_aware(aware) is aware


def test_clear_pin_is_never_read():
    for spec in mapping.TABLES:
        assert "clear_pin" not in spec.read, spec.name
        assert "clear_pin" not in spec.columns, spec.name


@pytest.mark.parametrize(("value", "expected"), [
    ({"clear_pin": "123456", "staff_name": "A"}, {"staff_name": "A"}),
    ({"after": {"pin_hash": "x", "clear_pin": "1", "id": 3}}, {"after": {"id": 3}}),
    ([{"clear_pin": "1"}], [{}]),
    (None, None),
])
def test_strip_secrets_removes_pins_at_any_depth(value, expected):
    assert mapping.strip_secrets(value) == expected


def test_audit_row_in_the_staff_audit_shape_is_converted_to_the_seed_columns():
    row = mapping.convert_audit_row({
        "id": uuid.uuid4(), "user_email": None, "action": "", "resource_type": None,
        "resource_id": None, "details": None, "timestamp": dt.datetime(2026, 1, 1, 3),
        "action_type": "deactivated", "changed_by_type": "admin",
        "changed_by_identifier": "admin@studio.example",
        "old_data_snapshot": {"id": 7, "is_active": True, "clear_pin": "111111"},
        "new_data_snapshot": {"id": 7, "is_active": False, "pin_hash": "$2b$"},
        "reason": "left"})
    assert (row["user_email"], row["action"], row["resource_type"], row["resource_id"]) == (
        "admin@studio.example", "DEACTIVATED", "staff", "7")
    assert row["details"] == {"before": {"id": 7, "is_active": True},
                              "after": {"id": 7, "is_active": False}, "reason": "left",
                              "changed_by_type": "admin",
                              "converted_from": "staff_audit_log shape"}


def test_audit_row_in_the_seed_shape_is_kept():
    row = mapping.convert_audit_row({
        "id": 1, "user_email": "a@b", "action": "VIEW", "resource_type": "payroll",
        "resource_id": "2026-01", "details": {"x": 1}, "timestamp": dt.datetime(2026, 1, 1)})
    assert (row["user_email"], row["action"], row["details"]) == ("a@b", "VIEW", {"x": 1})


@pytest.mark.parametrize(("price", "percent", "expected"), [
    (Decimal(5000), Decimal(10), Decimal("500.00")),
    (Decimal(2999), Decimal("12.5"), Decimal("374.88")),
    (Decimal(5000), None, None),
    (None, Decimal(10), None),
    (Decimal(5000), Decimal(0), None),
])
def test_package_discount_percent_becomes_the_discount_amount(price, percent, expected):
    assert mapping.compute_discount_amount(price, percent) == expected


def _entry(staff, action, hhmmss, day=5):
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return {"staff_id": staff, "action": action,
            "timestamp": dt.datetime(2026, 1, day, h, m, s, tzinfo=BKK)}


NOW = dt.datetime(2026, 2, 1, tzinfo=BKK)


@pytest.mark.parametrize(("name", "entries", "groups", "suspects"), [
    ("pairs", [_entry(1, "clock_in", "09:00:00"), _entry(1, "clock_out", "17:00:00")],
     [0, 0], [None, None]),
    ("double tap", [_entry(1, "clock_in", "09:00:00"), _entry(1, "clock_out", "09:00:20"),
                    _entry(1, "clock_in", "09:05:00"), _entry(1, "clock_out", "17:00:00")],
     [0, 0, 1, 1], [None, "time_entry_within_one_minute", None, None]),
    ("open session", [_entry(1, "clock_in", "09:00:00", 7), _entry(1, "clock_in", "09:00:00", 8),
                      _entry(1, "clock_out", "17:00:00", 8)],
     [0, 1, 1], [None, "time_entry_alternation", "time_entry_alternation"]),
    ("orphan clock-out", [_entry(1, "clock_out", "09:00:00"), _entry(1, "clock_in", "10:00:00")],
     [0, 1], [None, None]),
    ("future", [_entry(2, "clock_in", "09:00:00", 28)], [0], [None]),
    ("two people", [_entry(1, "clock_in", "09:00:00"), _entry(2, "clock_out", "09:00:10")],
     [0, 1], [None, None]),
])
def test_time_entries_plan_groups_sessions_and_predicts_refusals(name, entries, groups, suspects):
    plan = mapping.plan_time_entries(entries, now=NOW)
    assert plan.groups == groups, name
    # a suspect group marks all its rows with the rule
    expected = []
    for i, g in enumerate(groups):
        rules = {suspects[j] for j, h in enumerate(groups) if h == g} - {None}
        expected.append(rules.pop() if rules else None)
    assert plan.suspects == expected, name


def test_time_entries_in_the_future_are_suspect():
    entry = {"staff_id": 1, "action": "clock_in", "timestamp": NOW + dt.timedelta(minutes=6)}
    assert mapping.plan_time_entries([entry], now=NOW).suspects == ["time_entry_in_future"]


def test_time_entries_plan_starts_from_the_last_entry_already_in_the_workbench():
    last = {1: ("clock_in", dt.datetime(2026, 1, 4, 9, tzinfo=BKK))}
    plan = mapping.plan_time_entries([_entry(1, "clock_in", "09:00:00")], last, NOW)
    assert plan.suspects == ["time_entry_alternation"]


def test_compensation_plan_suspects_the_second_open_row():
    rows = [{"staff_id": 1, "effective_from": dt.date(2025, 1, 1), "effective_to": None},
            {"staff_id": 1, "effective_from": dt.date(2026, 1, 1), "effective_to": None},
            {"staff_id": 2, "effective_from": dt.date(2026, 1, 1), "effective_to": None}]
    assert mapping.plan_compensation(rows).suspects == [None, "pay_rate_overlap", None]


def test_package_usage_plan_in_date_order_suspects_overuse_expiry_and_double_booking():
    packages = {"p": {"hours": Decimal(5), "purchase_date": dt.date(2026, 1, 1),
                      "expiration_date": dt.date(2026, 6, 30), "used": Decimal(0)}}
    rows = [
        {"package_id": "p", "used_hours": Decimal(3), "used_date": dt.date(2026, 1, 2),
         "booking_id": "B1"},
        {"package_id": "p", "used_hours": Decimal(1), "used_date": dt.date(2025, 12, 31),
         "booking_id": None},
        {"package_id": "p", "used_hours": Decimal(1), "used_date": dt.date(2026, 7, 1),
         "booking_id": None},
        {"package_id": "p", "used_hours": Decimal(1), "used_date": dt.date(2026, 2, 1),
         "booking_id": "B1"},
        {"package_id": "p", "used_hours": Decimal("2.5"), "used_date": dt.date(2026, 2, 2),
         "booking_id": None},
        {"package_id": "q", "used_hours": Decimal(1), "used_date": dt.date(2026, 2, 2),
         "booking_id": None},
    ]
    plan = mapping.plan_package_usage(rows, packages, {"B1"}, set())
    assert plan.suspects == [None, "package_usage_before_purchase", "package_usage_after_expiry",
                             "booking_used_twice", "package_overuse", "missing_reference"]


@pytest.mark.parametrize(("sqlstate", "message", "constraint", "rule"), [
    ("23514", "staff member 1 already has a clock_in before 2026-01-08", None,
     "time_entry_alternation"),
    ("23514", "staff member 1 already has an entry at x, within 1 minute of y", None,
     "time_entry_within_one_minute"),
    ("23514", "package usage refused: 1 h requested but only 0.50 h remain", None,
     "package_overuse"),
    ("23P01", "conflicting key value violates exclusion constraint", 
     "ex_staff_compensation_no_overlap", "pay_rate_overlap"),
    ("23514", "new row violates check constraint",
     "ck_monthly_service_charge_month_year_format", "month_out_of_range"),
    ("23505", "duplicate key value", "uq_package_usage_booking_id", "booking_used_twice"),
    ("23505", "duplicate key value", "pk_staff", "duplicate_value"),
    ("23502", "null value in column", None, "missing_required_value"),
    ("42501", "payroll for the month of 2026-01-05 is finalised", None,
     "payroll_month_finalised"),
])
def test_database_refusals_are_named_by_rule(sqlstate, message, constraint, rule):
    assert mapping.compute_rule(sqlstate, message, constraint) == rule


@pytest.mark.parametrize(("rule", "fix"), [
    ("time_entry_alternation", "add_missing_clock_out"),
    ("pay_rate_overlap", "close_pay_rate"),
    ("package_overuse", "accept_overuse"),
    ("time_entry_within_one_minute", None),
])
def test_each_rule_offers_its_fix(rule, fix):
    offered = mapping.compute_fix(rule)
    assert (offered[0] if offered else None) == fix


@pytest.mark.parametrize(("head", "kind"), [
    (b"PGDMP\x01\x10\x00", "custom"),
    (b"--\n-- PostgreSQL database dump\n", "plain"),
    (b"SET statement_timeout = 0;", "plain"),
    (b"\\restrict abc\n", "plain"),
    (b"\x89PNG\r\n", None),
    (b"name,amount\n", None),
])
def test_dump_format_is_read_from_the_first_bytes(head, kind):
    from backoffice_lib.importer.queries.source import compute_dump_format

    assert compute_dump_format(head) == kind


def test_live_shape_needs_the_required_tables_and_columns():
    from backoffice_lib.importer.queries.source import compute_shape_problems

    full = {spec.source: set(spec.read) for spec in mapping.TABLES}
    assert compute_shape_problems(full) == []
    missing_table = {k: v for k, v in full.items() if k != "pos.lengolf_sales"}
    assert compute_shape_problems(missing_table) == ["no table pos.lengolf_sales"]
    workbench_bookings = {**full, "public.bookings": {"id", "customer_name", "start_time"}}
    assert compute_shape_problems(workbench_bookings) == ["public.bookings lacks name"]
    optional_absent = {k: v for k, v in full.items() if k != "pos.lengolf_sales_voided_archive"}
    assert compute_shape_problems(optional_absent) == []


@pytest.mark.parametrize("typed, stored", [
    ("0-1055-61000-12-7", "0105561000127"),  # separators of a valid ID dropped
    ("0105561000127", "0105561000127"),
    ("0105561000125", "0105561000125"),  # fails its check digit: kept, the database refuses it
    ("0-1055-61000-12-5", "0-1055-61000-12-5"),  # never guessed
    ("  ", None),
    (None, None),
])
def test_supplier_tax_id_keeps_its_digits_and_is_never_guessed_or_dropped(typed, stored):
    row = mapping.convert_supplier({"id": uuid.uuid4(), "name": "Payee", "tax_id": typed})
    assert row["tax_id"] == stored


def test_a_tax_id_refused_by_its_check_names_the_rule():
    assert mapping.compute_rule(
        "23514", 'new row violates check constraint "ck_invoice_suppliers_tax_id_check_digit"',
        "ck_invoice_suppliers_tax_id_check_digit") == "tax_id_check_digit"
