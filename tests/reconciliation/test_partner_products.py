"""The POS side of a partner's reconciliation counts only that partner's products (issue 13):
the product categories or SKUs kept in partner_products, never bay or pro-shop lines; a SKU of
``-`` means no SKU; a partner with no list kept counts every line with a SKU and says so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backoffice_lib.reconciliation import queries, service

ADMIN = "pp-admin@studio.example"
CLERK = "pp-clerk@studio.example"
DAY = "2031-03-05"


@pytest.fixture
def sales(conn):
    conn.execute(sa.text(
        "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true), (:c, false)"),
        {"a": ADMIN, "c": CLERK})
    rows = [
        # sku, product, category, qty, amount
        ("RST-001", "Pad Thai", "Restaurant", 2, 240),
        ("RST-010", "Singha Beer", "Drinks", 3, 360),
        ("BAY-1H", "Bay Rental 1 Hour", "Bay", 1, 600),
        ("GLV-001", "Golf Glove", "Pro Shop", 1, 450),
        ("-", "Open food item", "Restaurant", 1, 99),  # '-' means no SKU: never counts
        ("SPC-7", "Chef's special", "Specials", 1, 250),  # listed by SKU below
    ]
    conn.execute(sa.text(
        "INSERT INTO pos.sales (sale_date, sku_number, product_name, product_category, item_cnt,"
        " item_price_incl_vat) VALUES (:d, :s, :p, :c, :q, :a)"),
        [{"d": DAY, "s": s, "p": p, "c": c, "q": q, "a": a} for s, p, c, q, a in rows])


def _pos_skus(conn, products):
    day = dt.date.fromisoformat(DAY)
    frame = queries.load_pos_restaurant(conn, day, day, products)
    return sorted(frame["sku"]), sum(frame["amount"], Decimal(0))


SCOPES = [
    # rule, kept (match_on, value), POS SKUs counted, POS amount
    ("no_list_kept_counts_every_line_with_a_sku", [],
     ["BAY-1H", "GLV-001", "RST-001", "RST-010", "SPC-7"], "1900"),
    ("categories_count_only_the_partners_lines", [("category", "Restaurant"),
                                                  ("category", "Drinks")],
     ["RST-001", "RST-010"], "600"),
    ("a_sku_list_counts_those_skus_normalized", [("sku", "rst 001"), ("sku", "spc7")],
     ["RST-001", "SPC-7"], "490"),
    ("categories_and_skus_together", [("category", "Drinks"), ("sku", "SPC-7")],
     ["RST-010", "SPC-7"], "610"),
]


@pytest.mark.parametrize("rule,kept,skus,amount", SCOPES, ids=[s[0] for s in SCOPES])
def test_pos_side_counts_only_the_partners_products(conn, sales, rule, kept, skus, amount):
    for match_on, value in kept:
        service.save_partner_product(conn, ADMIN, "restaurant", match_on, value)
    products = queries.load_partner_products(conn, "restaurant")
    assert _pos_skus(conn, products) == (skus, Decimal(amount))


def test_partner_reconciliation_leaves_bay_and_pro_shop_lines_out(conn, sales, tmp_path):
    for category in ("Restaurant", "Drinks"):
        service.save_partner_product(conn, ADMIN, "restaurant", "category", category)
    path = tmp_path / "partner.csv"
    path.write_text(f"วันที่,รหัสสินค้า,จำนวนที่ขาย,ราคาขายสุทธิ\n{DAY},RST-001,2,240\n"
                    f"{DAY},RST-010,3,360\n", encoding="utf-8")
    result = service.run_reconciliation(conn, ADMIN, "restaurant", path)
    assert (result["status"], result["total_pos_records"], result["matched_items"],
            result["variance_amount"]) == ("completed", 2, 2, Decimal("0.00"))
    session = queries.load_session(conn, result["session_id"])
    assert session["pos_scope"] == "the partner's products: categories Drinks, Restaurant"


def test_without_a_product_list_the_session_says_every_line_was_counted(conn, sales, tmp_path):
    path = tmp_path / "partner.csv"
    path.write_text(f"Date,SKU,Qty,Amount\n{DAY},RST-001,2,240\n")
    result = service.run_reconciliation(conn, ADMIN, "restaurant", path)
    assert result["total_pos_records"] == 5  # bay, glove and the special count: no list kept
    session = queries.load_session(conn, result["session_id"])
    assert "no product list is kept" in session["pos_scope"]


def test_keeping_a_partner_product_is_audited_once(conn, sales):
    service.save_partner_product(conn, ADMIN, "restaurant", "category", "Restaurant")
    service.save_partner_product(conn, ADMIN, "restaurant", "category", "Restaurant")
    audits = conn.execute(sa.text(
        "SELECT details->'after'->>'value' FROM backoffice.audit_logs"
        " WHERE resource_type = 'partner_product' AND user_email = :a"), {"a": ADMIN}).scalars()
    assert list(audits) == ["Restaurant"]


@pytest.mark.parametrize("match_on,value,message", [
    ("sku", "-", "needs a category name or a SKU"),
    ("category", "  ", "needs a category name or a SKU"),
    ("brand", "Singha", "a category or a sku"),
])
def test_bad_partner_products_are_refused(conn, sales, match_on, value, message):
    with pytest.raises(service.ReconciliationError, match=message):
        service.save_partner_product(conn, ADMIN, "restaurant", match_on, value)


def test_only_admins_keep_partner_products(conn, sales):
    with pytest.raises(service.access.AccessDenied):
        service.save_partner_product(conn, CLERK, "restaurant", "category", "Bay")


def test_demo_data_keeps_the_restaurants_food_and_drinks(demo_engine):
    with demo_engine.connect() as c:
        products = queries.load_partner_products(c, "restaurant")
        categories = set(c.execute(sa.text(
            "SELECT DISTINCT product_category FROM pos.sales")).scalars())
    assert products.categories == ("Drinks", "Restaurant")
    assert {"Bay", "Pro Shop"} <= categories - set(products.categories)


def test_stopping_a_partner_product_is_audited_and_unknown_ones_refused(conn, sales):
    service.save_partner_product(conn, ADMIN, "restaurant", "sku", "SPC-7")
    service.delete_partner_product(conn, ADMIN, "restaurant", "sku", "SPC-7")
    assert queries.load_partner_products(conn, "restaurant").kept is False
    deleted = conn.execute(sa.text(
        "SELECT details->'before'->>'value' FROM backoffice.audit_logs"
        " WHERE resource_type = 'partner_product' AND action = 'DELETE'")).scalar()
    assert deleted == "SPC-7"
    with pytest.raises(service.ReconciliationError, match="keeps no sku 'SPC-7'"):
        service.delete_partner_product(conn, ADMIN, "restaurant", "sku", "SPC-7")


def test_review_dashboard_keeps_and_drops_the_restaurants_products(engine, monkeypatch):
    import uuid

    import ipywidgets as widgets

    from backoffice_lib.reconciliation.reconciliation_dashboard import reconciliation_dashboard

    email = f"pp-dash-{uuid.uuid4().hex[:6]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                  {"e": email})
    monkeypatch.setenv("BACKOFFICE_USER", email)
    board = reconciliation_dashboard("")
    products = next(w for w in board.children
                    if isinstance(w, widgets.HTML) and "rec-products" in w.value)
    assert "No product list is kept" in products.value
    row = board.children[board.children.index(products) + 1]
    _kind, value, keep, drop = row.children
    value.value = "Restaurant"
    keep.click()
    assert "Only these POS lines count for the restaurant: category Restaurant" in products.value
    value.value = "Restaurant"
    drop.click()
    assert "No product list is kept" in products.value
    with engine.connect() as c:
        actions = c.execute(sa.text(
            "SELECT action FROM backoffice.audit_logs WHERE user_email = :e"
            " AND resource_type = 'partner_product' ORDER BY timestamp, action"), {"e": email})
        assert sorted(actions.scalars()) == ["CREATE", "DELETE"]
