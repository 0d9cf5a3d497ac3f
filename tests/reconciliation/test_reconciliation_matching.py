"""Matching rules of business-rules §7: similarity, every tier and confidence formula, assignment,
variance and match rate. Pure: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice_lib.reconciliation.rules import matching

D = Decimal
DAY = dt.date(2025, 1, 10)


def invoice_frame(rows):
    """rows: (date, customer, sku, quantity, amount)"""
    return pd.DataFrame.from_records(
        [(n + 2, d, c, None, s, D(q), D(a)) for n, (d, c, s, q, a) in enumerate(rows)],
        columns=["row_number", "date", "customer", "product", "sku", "quantity", "amount"],
    )


def coaching_pos(rows):
    """rows: (date, customer, hours, amount)"""
    return pd.DataFrame.from_records(
        [(d, c, D(q), None if a is None else D(a), f"b{n}") for n, (d, c, q, a) in enumerate(rows)],
        columns=["date", "customer", "quantity", "amount", "booking_id"],
    )


def restaurant_pos(rows):
    """rows: (date, sku, quantity, amount)"""
    return pd.DataFrame.from_records(
        [(d, s, f"Product {s}", D(q), D(a)) for d, s, q, a in rows],
        columns=["date", "sku", "product_name", "quantity", "amount"],
    )


@pytest.mark.parametrize("a,b,expected", [
    ("Somchai Jaidee", "Somchai Jaidee", "1"),
    ("Somchai Jaidee", "somchai, jaidee!", "1"),        # case and punctuation ignored
    ("abcdefghij", "abcdefghiX", "0.9"),                # 1 edit in 10
    ("Anna", "Anne Smith", "0.3"),                      # 7 edits, longer length 10
    ("สมชาย ใจดี", "สมชาย ใจดี", "1"),
    ("สมชาย", "สมศรี", "0.4"),                           # 3 of 5 Thai letters differ
    ("ชื่อ", "ชอ", "0.5"),                                # Thai vowel and tone marks are kept
    ("", "", "1"),
])
def test_name_similarity_is_1_minus_levenshtein_over_longer_length(a, b, expected):
    assert matching.name_similarity(a, b) == D(expected)


# --------------------------------------------------------------------------- coaching tiers

COACHING = [
    # rule, distance, length, inv qty, pos qty, inv amount, pos amount, tier, confidence
    ("exact_same_name_same_amount", 0, 14, "1", "1", "1200", "1200", "exact", "1.00"),
    ("exact_allows_50_baht", 0, 14, "1", "1", "1250", "1200", "exact", "1.00"),
    ("exact_at_sim_0_95", 1, 20, "1", "1", "1200", "1200", "exact", "1.00"),
    ("fuzzy_name_sim_0_9", 1, 10, "1", "1", "1200", "1200", "fuzzy_name", "0.73"),
    ("fuzzy_name_at_sim_0_8", 2, 10, "1", "1", "1200", "1200", "fuzzy_name", "0.70"),
    ("fuzzy_name_sim_0_94", 3, 50, "2", "2", "2400", "2450", "fuzzy_name", "0.742"),
    ("no_match_below_sim_0_8", 3, 14, "1", "1", "1200", "1200", None, None),
    ("fuzzy_amount_over_50_within_100", 0, 14, "1", "1", "1300", "1200", "fuzzy_amount", "0.6"),
    ("fuzzy_amount_by_percent", 0, 14, "1", "1", "5150", "5000", "fuzzy_amount", "0.72"),
    ("fuzzy_amount_50_01", 0, 14, "1", "1", "1250.01", "1200", "fuzzy_amount", "0.64995"),
    ("fuzzy_amount_at_5_percent", 0, 14, "1", "1", "2100", "2000", "fuzzy_amount", "0.60"),
    ("no_match_over_100_and_5_percent", 0, 14, "1", "1", "2150", "2000", None, None),
    ("fuzzy_amount_needs_sim_0_95", 1, 10, "1", "1", "1300", "1200", None, None),
    ("quantities_must_be_equal", 0, 14, "1", "2", "1200", "1200", None, None),
    ("unpriced_pos_row_never_matches", 0, 14, "1", "1", "1200", None, None, None),
]


@pytest.mark.parametrize("rule,d,length,iq,pq,ia,pa,tier,confidence", COACHING,
                         ids=[c[0] for c in COACHING])
def test_coaching_tiers(rule, d, length, iq, pq, ia, pa, tier, confidence):
    result = matching.coaching_confidence(d, length, D(iq), D(pq), D(ia),
                                          None if pa is None else D(pa))
    if tier is None:
        assert result is None
    else:
        assert result == (tier, D(confidence))


def _name_pair(distance, length):
    base = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"[:length]
    return base, base[: length - distance] + "9" * distance


@pytest.mark.parametrize("rule,d,length,iq,pq,ia,pa,tier,confidence", COACHING,
                         ids=[c[0] for c in COACHING])
def test_coaching_tiers_vectorised_agree_and_store_2_decimals(rule, d, length, iq, pq, ia, pa, tier,
                                                              confidence):
    name_a, name_b = _name_pair(d, length)
    invoices = invoice_frame([(DAY, name_a, None, iq, ia)])
    pos = coaching_pos([(DAY, name_b, pq, pa)])
    matches = matching.match_rows("coaching", invoices, pos)
    items = matching.compute_items("coaching", invoices, pos, matches)
    matched = items[items["item_type"] == "matched"]
    if tier is None:
        assert matched.empty and len(items) == 2
    else:
        assert list(matched["match_type"]) == [tier]
        assert list(matched["confidence"]) == [D(confidence).quantize(D("0.01"))]


# --------------------------------------------------------------------------- restaurant tiers

RESTAURANT = [
    ("exact_equal_quantities", "10", "10", "exact", "1"),
    ("quantity_variance_10_vs_8", "10", "8", "quantity_variance", "0.8"),
    ("quantity_variance_8_vs_10", "8", "10", "quantity_variance", "0.8"),
    ("quantity_variance_3_vs_2", "3", "2", "quantity_variance", "0.6666666666666666666666666667"),
    ("quantity_variance_floor_0_5", "10", "4", "quantity_variance", "0.5"),
    ("quantity_variance_floor_at_zero", "5", "0", "quantity_variance", "0.5"),
]


@pytest.mark.parametrize("rule,iq,pq,tier,confidence", RESTAURANT, ids=[r[0] for r in RESTAURANT])
def test_restaurant_tiers(rule, iq, pq, tier, confidence):
    assert matching.restaurant_confidence(D(iq), D(pq)) == (tier, D(confidence))
    invoices = invoice_frame([(DAY, None, "RST-001", iq, "100")])
    pos = restaurant_pos([(DAY, "RST-001", pq, "120")])
    items = matching.compute_items("restaurant", invoices, pos,
                                   matching.match_rows("restaurant", invoices, pos))
    assert items.to_dict("records") == [{
        "item_type": "matched", "match_type": tier,
        "confidence": D(confidence).quantize(D("0.01")), "invoice_row": 0, "pos_row": 0,
        "amount_variance": D("-20"), "quantity_variance": D(iq) - D(pq),
    }]


def test_restaurant_needs_same_sku_and_date():
    invoices = invoice_frame([(DAY, None, "RST-001", "1", "100"), (DAY, None, "rst 002", "1", "90")])
    pos = restaurant_pos([(DAY, "RST-002", "1", "90"),
                          (DAY + dt.timedelta(days=1), "RST-001", "1", "100")])
    matches = matching.match_rows("restaurant", invoices, pos)
    assert list(zip(matches["invoice_row"], matches["pos_row"])) == [(1, 0)]  # sku case/space-free


def test_restaurant_item_name_stands_for_its_pos_sku():
    invoices = invoice_frame([(DAY, None, None, "2", "240")])
    invoices["product"] = ["pad thai"]
    pos = restaurant_pos([(DAY, "RST-001", "2", "240")])
    pos["product_name"] = ["Pad Thai"]
    assert len(matching.match_rows("restaurant", invoices, pos)) == 1


# --------------------------------------------------------------------------- assignment

def test_best_confidence_wins_and_a_pos_row_is_used_once():
    invoices = invoice_frame([(DAY, "Somchai Jaidee", None, "1", "1300"),   # fuzzy_amount 0.6
                              (DAY, "Somchai Jaidee", None, "1", "1200")])  # exact
    pos = coaching_pos([(DAY, "Somchai Jaidee", "1", "1200")])
    items = matching.compute_items("coaching", invoices, pos,
                                   matching.match_rows("coaching", invoices, pos))
    assert items[["item_type", "match_type", "invoice_row"]].to_dict("records") == [
        {"item_type": "matched", "match_type": "exact", "invoice_row": 1},
        {"item_type": "invoice_only", "match_type": None, "invoice_row": 0},
    ]


def test_duplicate_file_rows_match_once_each():
    invoices = invoice_frame([(DAY, "Somchai Jaidee", None, "1", "1200")] * 2)
    pos = coaching_pos([(DAY, "Somchai Jaidee", "1", "1200")])
    items = matching.compute_items("coaching", invoices, pos,
                                   matching.match_rows("coaching", invoices, pos))
    assert sorted(items["item_type"]) == ["invoice_only", "matched"]


@pytest.mark.parametrize("window,matched", [(0, 0), (1, 1), (2, 1)])
def test_date_window(window, matched):
    invoices = invoice_frame([(DAY, "Somchai Jaidee", None, "1", "1200")])
    pos = coaching_pos([(DAY + dt.timedelta(days=1), "Somchai Jaidee", "1", "1200")])
    assert len(matching.match_rows("coaching", invoices, pos, window)) == matched


def test_same_date_preferred_within_window_at_equal_confidence():
    invoices = invoice_frame([(DAY, "Somchai Jaidee", None, "1", "1200")])
    pos = coaching_pos([(DAY - dt.timedelta(days=1), "Somchai Jaidee", "1", "1200"),
                        (DAY, "Somchai Jaidee", "1", "1200")])
    assert list(matching.match_rows("coaching", invoices, pos, 1)["pos_row"]) == [1]


# --------------------------------------------------------------------------- summary

def test_variance_and_match_rate():
    invoices = invoice_frame([(DAY, "Somchai Jaidee", None, "1", "1200"),
                              (DAY, "Anna Smith", None, "1", "1000"),
                              (DAY, "Nobody Known", None, "1", "500.50")])
    pos = coaching_pos([(DAY, "Somchai Jaidee", "1", "1200"), (DAY, "Anna Smith", "1", "1080"),
                        (DAY, "Walk In", "1", "800")])
    items = matching.compute_items("coaching", invoices, pos,
                                   matching.match_rows("coaching", invoices, pos))
    summary = matching.compute_summary(invoices, pos, items)
    assert summary == {
        "total_invoice_items": 3, "total_pos_records": 3, "matched_items": 2,
        "match_rate": D("66.67"), "total_invoice_amount": D("2700.50"),
        "total_pos_amount": D("3080"), "variance_amount": D("-379.50"),
        "variance_percentage": D("-12.32"),
    }
    assert sum(items["amount_variance"]) == summary["variance_amount"]


def test_empty_pos_side_leaves_every_row_invoice_only():
    invoices = invoice_frame([(DAY, "Somchai Jaidee", None, "1", "1200")])
    pos = coaching_pos([])
    items = matching.compute_items("coaching", invoices, pos,
                                   matching.match_rows("coaching", invoices, pos))
    summary = matching.compute_summary(invoices, pos, items)
    assert list(items["item_type"]) == ["invoice_only"]
    assert (summary["match_rate"], summary["variance_percentage"]) == (D("0.00"), None)


NAMES = ["Somchai Jaidee", "Somchai Jaide", "Anna Smith", "Anna Smyth", "สมชาย ใจดี", "Min"]


@settings(max_examples=60, deadline=None)
@given(
    inv=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(NAMES), st.sampled_from(["1", "2"]),
                           st.integers(900, 1400)), max_size=12),
    pos=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(NAMES), st.sampled_from(["1", "2"]),
                           st.integers(900, 1400)), max_size=12),
    window=st.integers(0, 2),
)
def test_each_row_is_used_at_most_once_and_variances_add_up(inv, pos, window):
    invoices = invoice_frame([(DAY + dt.timedelta(days=d), n, None, q, str(a))
                              for d, n, q, a in inv])
    pos_frame = coaching_pos([(DAY + dt.timedelta(days=d), n, q, str(a)) for d, n, q, a in pos])
    matches = matching.match_rows("coaching", invoices, pos_frame, window)
    assert matches["invoice_row"].is_unique and matches["pos_row"].is_unique
    items = matching.compute_items("coaching", invoices, pos_frame, matches)
    counts = items["item_type"].value_counts().to_dict() if len(items) else {}
    assert counts.get("matched", 0) + counts.get("invoice_only", 0) == len(invoices)
    assert counts.get("matched", 0) + counts.get("pos_only", 0) == len(pos_frame)
    if len(items):
        summary = matching.compute_summary(invoices, pos_frame, items)
        assert sum(items["amount_variance"], D(0)) == summary["variance_amount"]
