"""Reconciliation sessions on the real database (business-rules §7): the POS side, one transaction
for session and items, failed imports, reviewer actions, export and the `backoffice reconcile` CLI."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import load_workbook

from backoffice_lib.access import AccessDenied
from backoffice_lib.cli import cli
from backoffice_lib.reconciliation import queries, service
from backoffice_lib.reconciliation.reports import workbook

FILES = Path(__file__).resolve().parents[1] / "files"
D = Decimal
ADMIN = "rec-admin@studio.example"
CLERK = "rec-clerk@studio.example"


@pytest.fixture
def admin_id(conn):
    conn.execute(sa.text(
        "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:c, false)"), {"c": CLERK})
    return conn.execute(sa.text(
        "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true) RETURNING id"),
        {"a": ADMIN}).scalar_one()


def add_sales(conn, rows):
    """rows: (date, sku, product, qty, amount, voided)"""
    conn.execute(sa.text(
        "INSERT INTO pos.sales (sale_date, sku_number, product_name, item_cnt, item_price_incl_vat,"
        " is_voided) VALUES (:d, :s, :p, :q, :a, :v)"),
        [{"d": d, "s": s, "p": p, "q": q, "a": a, "v": v} for d, s, p, q, a, v in rows])


@pytest.fixture
def restaurant_sales(conn, admin_id):
    add_sales(conn, [
        ("2025-01-05", "RST-001", "Pad Thai", 1, 120, False),
        ("2025-01-05", "RST-001", "Pad Thai", 1, 120, False),
        ("2025-01-05", "RST-001", "Pad Thai", 1, 120, True),     # voided: never counts
        ("2025-01-05", None, "Open item", 1, 999, False),       # no SKU: never counts
        ("2025-01-05", "RST-002", "Som Tam", 2, 180, False),
        ("2025-01-05", "RST-003", "Khao Pad Goong", 1, 130, False),
        ("2025-01-06", "RST-001", "Pad Thai", 1, 120, False),   # outside the file's period
    ])


@pytest.fixture
def coach(conn, admin_id):
    conn.execute(sa.text(
        "INSERT INTO backoffice.allowed_users (email, is_coach, coach_code)"
        " VALUES ('tcoach@studio.example', true, 'TCOACH')"))
    conn.execute(sa.text(
        "INSERT INTO backoffice.coach_rates (rate_type, rate) VALUES ('Individual, 1 PAX', 1000),"
        " ('Individual, 2 PAX', 1500) ON CONFLICT (rate_type) DO UPDATE SET rate = excluded.rate"))
    bookings = [
        ("tb1", "Somchai Jaidee", "2025-03-02", 1, 1, "confirmed"),
        ("tb2", "Anna Smyth", "2025-03-04", 2, 1, "confirmed"),
        ("tb3", "Walk In", "2025-03-04", 1, 1, "cancelled"),    # cancelled: not in the view
        ("tb4", "Min Lee", "2025-03-04", 1, 2, "confirmed"),
    ]
    conn.execute(sa.text(
        "INSERT INTO public.bookings (id, customer_name, date, start_time, duration,"
        " number_of_people, booking_type, status) VALUES (:i, :n, :d, '10:00', :h, :p,"
        " 'Coaching (Tcoach)', :s)"),
        [{"i": i, "n": n, "d": d, "h": h, "p": p, "s": s} for i, n, d, h, p, s in bookings])
    return "TCOACH"


def _items(conn, session_id):
    return queries.load_items(conn, session_id)


def test_restaurant_session_sums_pos_per_date_and_sku(conn, restaurant_sales, admin_id):
    result = service.run_reconciliation(conn, ADMIN, "restaurant", FILES / "restaurant_bom.csv")
    assert {k: result[k] for k in service.RESULT_KEYS if k != "session_id"} == {
        "status": "completed", "total_invoice_items": 2, "total_pos_records": 3,
        "matched_items": 2, "match_rate": D("100.00"), "variance_amount": D("-220.00"),
        "row_errors": [], "error": None,
    }
    session = queries.load_session(conn, result["session_id"])
    assert (session["status"], session["file_name"], session["admin_user_id"]) == (
        "completed", "restaurant_bom.csv", admin_id)
    assert (str(session["date_range_start"]), str(session["date_range_end"])) == (
        "2025-01-05", "2025-01-05")
    assert session["completed_at"] is not None
    items = _items(conn, result["session_id"])
    by_sku = {(r["item_type"], r.get("pos_sku") or r.get("invoice_sku")): r
              for r in items.to_dict("records")}
    exact = by_sku[("matched", "RST-001")]
    assert (exact["match_type"], exact["confidence"], exact["pos_quantity"], exact["pos_amount"]) \
        == ("exact", D("1.00"), "2.00", "240.00")
    variance = by_sku[("matched", "RST-002")]
    assert (variance["match_type"], variance["confidence"], variance["quantity_variance"],
            variance["amount_variance"]) == ("quantity_variance", D("0.50"), D("-1.00"),
                                             D("-90.00"))
    assert by_sku[("pos_only", "RST-003")]["amount_variance"] == D("-130.00")
    assert set(items["status"]) == {"unresolved"}
    audited = conn.execute(sa.text(
        "SELECT user_email, details->'after'->>'status' FROM backoffice.audit_logs"
        " WHERE action = 'RECONCILE' AND resource_id = :i"), {"i": result["session_id"]}).one()
    assert tuple(audited) == (ADMIN, "completed")


def test_coaching_session_reads_the_coachs_confirmed_earnings(conn, coach):
    result = service.run_reconciliation(conn, ADMIN, "coaching_tcoach",
                                        FILES / "coaching_md_dates.csv")
    # POS side: Somchai 1 h × 1000, Anna Smyth 2 h × 1000, Min Lee 1 h at the 2 PAX rate 1500;
    # the cancelled booking is not there. The file's fees are 20 % off: nothing matches.
    assert (result["status"], result["total_invoice_items"], result["total_pos_records"],
            result["matched_items"], result["variance_amount"]) == (
        "completed", 2, 3, 0, D("-900.00"))
    session = queries.load_session(conn, result["session_id"])
    assert session["reconciliation_type"] == "coaching_TCOACH"
    assert (str(session["date_range_start"]), str(session["date_range_end"])) == (
        "2025-03-02", "2025-03-04")
    pos_rows = _items(conn, result["session_id"]).query("item_type == 'pos_only'")
    assert sorted(pos_rows["pos_amount"]) == ["1000.00", "1500.00", "2000.00"]


def test_coaching_match_tiers_against_the_view(conn, coach, tmp_path):
    path = tmp_path / "coach.csv"
    path.write_text("Lesson Date,Student,Lessons,Fee\n"
                    "2025-03-02,Somchai Jaidee,1,1000\n"      # exact
                    "2025-03-04,Anna Smith,2,2000\n"          # fuzzy_name (sim 0.9)
                    "2025-03-04,Min Lee,1,1560\n"             # fuzzy_amount (Δ 60, 4 %)
                    "2025-03-05,Nobody,1,800\n")              # invoice_only
    result = service.run_reconciliation(conn, ADMIN, "coaching_TCOACH", path)
    items = _items(conn, result["session_id"]).to_dict("records")
    kinds = sorted((r["item_type"], r.get("match_type") or "-", r["confidence"]) for r in items)
    assert kinds == [
        ("invoice_only", "-", None),
        ("matched", "exact", D("1.00")),
        ("matched", "fuzzy_amount", D("0.66")),
        ("matched", "fuzzy_name", D("0.73")),
    ]
    assert (result["matched_items"], result["match_rate"]) == (3, D("75.00"))


@pytest.mark.parametrize("file_name,error", [
    ("no_header.csv", "no header row found"),
])
def test_failed_import_leaves_a_failed_session_and_no_items(conn, admin_id, file_name, error):
    result = service.run_reconciliation(conn, ADMIN, "restaurant", FILES / file_name)
    assert result["status"] == "failed" and error in result["error"]
    session = queries.load_session(conn, result["session_id"])
    assert (session["status"], session["file_name"], session["admin_user_id"]) == (
        "failed", file_name, admin_id)
    assert error in session["error_message"]
    assert _items(conn, result["session_id"]).empty
    assert conn.execute(sa.text(
        "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'RECONCILE'"
        " AND resource_id = :i AND details->'after'->>'status' = 'failed'"),
        {"i": result["session_id"]}).scalar() == 1


def test_file_over_10_mb_fails_the_session(conn, admin_id, tmp_path):
    path = tmp_path / "huge.csv"
    line = "2025-01-05,RST-001,Pad Thai,2,240.00\n"
    path.write_text("Date,SKU,Item,Qty,Amount\n" + line * (10 * 1024 * 1024 // len(line) + 1))
    result = service.run_reconciliation(conn, ADMIN, "restaurant", path)
    assert result["status"] == "failed" and "at most 10 MB" in result["error"]
    assert _items(conn, result["session_id"]).empty


def test_unreadable_rows_are_reported_and_rows_outside_the_period_left_out(conn, restaurant_sales):
    result = service.run_reconciliation(
        conn, ADMIN, "restaurant", FILES / "restaurant_empty_rows.csv",
        date_from=dt.date(2025, 1, 5), date_to=dt.date(2025, 1, 5))
    assert result["row_errors"] == [
        "row 7: amount 'abc' is not a number", "row 9: date '2025-02-30' does not exist",
        "row 8: date 2025-01-06 is outside the period 2025-01-05 to 2025-01-05"]
    assert (result["total_invoice_items"], result["matched_items"]) == (1, 1)
    assert queries.load_session(conn, result["session_id"])["row_errors"] == result["row_errors"]


@pytest.mark.parametrize("rec_type,message", [
    ("bakery", "restaurant or coaching_<coach>"),
    ("coaching_NOBODY", "unknown coach"),
])
def test_bad_type_is_refused_before_any_session(conn, admin_id, rec_type, message):
    with pytest.raises(service.ReconciliationError, match=message):
        service.run_reconciliation(conn, ADMIN, rec_type, FILES / "restaurant_bom.csv")
    assert conn.execute(sa.text("SELECT count(*) FROM backoffice.reconciliation_sessions"
                                " WHERE admin_user_id = :a"), {"a": admin_id}).scalar() == 0


def test_non_admin_cannot_reconcile(conn, admin_id):
    with pytest.raises(AccessDenied):
        service.run_reconciliation(conn, CLERK, "restaurant", FILES / "restaurant_bom.csv")


# --------------------------------------------------------------------------- reviewing

def test_reviewer_actions_are_recorded_and_audited(conn, restaurant_sales):
    result = service.run_reconciliation(conn, ADMIN, "restaurant", FILES / "restaurant_bom.csv")
    ids = list(_items(conn, result["session_id"]).sort_values("item_type")["id"])
    service.review_item(conn, ADMIN, ids[0], "approve")
    service.review_item(conn, ADMIN, ids[1], "adjust", "credit note 17 from the restaurant")
    service.review_item(conn, ADMIN, ids[2], "dispute", "not on the POS")
    rows = {r["id"]: r for r in _items(conn, result["session_id"]).to_dict("records")}
    assert [rows[i]["status"] for i in ids] == ["approved", "adjusted", "disputed"]
    assert rows[ids[1]]["resolution_notes"] == "credit note 17 from the restaurant"
    assert {rows[i]["resolved_by"] for i in ids} == {ADMIN}
    assert all(rows[i]["resolved_at"] is not None for i in ids)
    audits = conn.execute(sa.text(
        "SELECT details->'after'->>'status' FROM backoffice.audit_logs"
        " WHERE resource_type = 'reconciliation_item' AND resource_id = ANY(:ids)"),
        {"ids": [str(i) for i in ids]}).scalars().all()
    assert sorted(audits) == ["adjusted", "approved", "disputed"]


@pytest.mark.parametrize("action,notes,message", [
    ("dispute", "", "say why"), ("adjust", None, "say why"), ("delete", "x", "must be one of"),
])
def test_review_needs_a_known_action_and_notes(conn, restaurant_sales, action, notes, message):
    result = service.run_reconciliation(conn, ADMIN, "restaurant", FILES / "restaurant_bom.csv")
    item = _items(conn, result["session_id"])["id"].iloc[0]
    with pytest.raises(service.ReconciliationError, match=message):
        service.review_item(conn, ADMIN, item, action, notes)


def test_export_writes_matched_invoice_only_and_pos_only_sheets(conn, restaurant_sales, tmp_path):
    result = service.run_reconciliation(conn, ADMIN, "restaurant", FILES / "restaurant_bom.csv")
    path = workbook.save_session_workbook(conn, result["session_id"], tmp_path / "out.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["summary", "matched", "invoice_only", "pos_only"]
    matched = list(book["matched"].iter_rows(values_only=True))
    assert len(matched) == 3  # header + 2
    header = matched[0]
    assert isinstance(matched[1][header.index("amount_variance")], (int, float))
    assert len(list(book["pos_only"].iter_rows(values_only=True))) == 2


# --------------------------------------------------------------------------- CLI

@pytest.fixture(scope="module")
def cli_admin(engine):
    email = f"rec-cli-{uuid.uuid4().hex[:8]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:e, true)"), {"e": email})
    return email


def test_cli_reconcile_json_completed(cli_admin, tmp_path):
    path = tmp_path / "far.csv"
    path.write_text("Date,SKU,Item,Qty,Amount\n2031-01-05,RST-001,Pad Thai,2,240\n")
    result = CliRunner().invoke(cli, ["reconcile", "--type", "restaurant", "--file", str(path),
                                      "--user", cli_admin, "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert list(payload) == list(service.RESULT_KEYS)
    assert (payload["status"], payload["total_invoice_items"], payload["matched_items"],
            payload["match_rate"], payload["variance_amount"], payload["error"]) == (
        "completed", 1, 0, 0, 240, None)


def test_cli_reconcile_refused_file_exits_2_with_failed_session(cli_admin, engine):
    result = CliRunner().invoke(cli, ["reconcile", "--type", "restaurant", "--file",
                                      str(FILES / "no_header.csv"), "--user", cli_admin,
                                      "--format", "json"])
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["status"] == "failed" and "no header row" in payload["error"]
    with engine.connect() as c:
        status = c.execute(sa.text("SELECT status FROM backoffice.reconciliation_sessions"
                                   " WHERE id = :i"), {"i": payload["session_id"]}).scalar()
    assert status == "failed"


@pytest.mark.parametrize("args,message", [
    (["--type", "bakery"], "restaurant or coaching_<coach>"),
    (["--from", "2025-13-01"], "error: --from "),  # wording: bangkok.parse_date
    (["--file", "/nonexistent.csv"], "no such file"),
])
def test_cli_reconcile_bad_input_is_one_line_exit_2(cli_admin, args, message):
    base = {"--type": "restaurant", "--file": str(FILES / "restaurant_bom.csv"), "--user": cli_admin}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    result = CliRunner().invoke(cli, ["reconcile", *[x for kv in base.items() for x in kv]])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output
