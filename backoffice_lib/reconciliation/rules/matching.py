"""Matching invoice rows against POS rows (business-rules §7). Pure: DataFrames in, DataFrames out.

Frames:
- ``invoices``: one row per readable file row: row_number, date, customer, product, sku, quantity,
  amount (``reading.ROW_COLUMNS``). Its index identifies the row.
- ``pos``: one row per POS record: date, quantity, amount (Decimal or None when the POS side could
  not price it), and ``customer`` (coaching) or ``sku`` / ``product_name`` (restaurant).

Rules:
- Candidates share the date (or lie within ± ``date_window`` days): blocking by date, and for the
  restaurant by SKU too, so a large file never compares every row with every row.
- Name similarity = 1 − Levenshtein distance ÷ the longer length, on lower-cased names stripped of
  punctuation. Thresholds are decided on the integer distance (20·d ≤ L is sim ≥ 0.95), so a
  boundary case never depends on float rounding.
- Coaching (quantities equal): exact (sim ≥ 0.95, |Δ| ≤ 50) 1.0; fuzzy_name (sim ≥ 0.8, |Δ| ≤ 50)
  0.7 + (sim − 0.8) × 0.3; fuzzy_amount (sim ≥ 0.95, |Δ| ≤ 100 or ≤ 5 %) 0.6 + (1 − min(pct/5, 1))
  × 0.3, where pct = |Δ| ÷ |POS amount| × 100. A pair takes its best tier.
- Restaurant (same SKU and date): exact when quantities are equal (1.0), else quantity_variance
  max(0.5, 1 − |Δqty| ÷ max(qty)).
- Assignment: best confidence first (ties: nearer date, smaller |Δamount|, file order); each POS row
  and each invoice row is used at most once.
- Variances are invoice − POS; an invoice_only row carries its whole amount, a pos_only row minus
  its amount, so the variances of all items add up to the session's variance_amount.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ... import money

ITEM_COLUMNS = [
    "item_type", "match_type", "confidence", "invoice_row", "pos_row", "amount_variance",
    "quantity_variance",
]
CANDIDATE_COLUMNS = ["invoice_row", "pos_row", "match_type", "confidence", "distance", "length",
                     "day_gap", "abs_amount_cents"]
AMOUNT_EXACT_CENTS = 5000  # 50 THB
AMOUNT_FUZZY_CENTS = 10000  # 100 THB
AMOUNT_FUZZY_PERCENT = 5


def object_frame(records: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A frame whose columns keep Python values (None stays None, Decimal stays Decimal)."""
    return pd.DataFrame(
        {name: pd.Series([r[i] for r in records], dtype=object) for i, name in enumerate(columns)}
    )


# --------------------------------------------------------------------------- scalar rules


# Punctuation and symbols; the Thai block is kept whole (its vowel and tone marks are not \w).
PUNCTUATION = re.compile(r"[^\w\s\u0E00-\u0E7F]|_")


def normalize_name(value) -> str:
    """Lower case, punctuation removed, spaces collapsed (Thai letters and marks are kept)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _normalize_text(str(value))


@functools.lru_cache(maxsize=65536)
def _normalize_text(text: str) -> str:
    text = PUNCTUATION.sub(" ", unicodedata.normalize("NFC", text).lower())
    return " ".join(text.split())


def normalize_sku(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return re.sub(r"[\W_]", "", str(value)).upper()  # "rst 002", "RST-002" and "RST002" agree


def name_distance(a: str, b: str) -> tuple[int, int]:
    """(Levenshtein distance, longer length) of two normalized names."""
    return Levenshtein.distance(a, b), max(len(a), len(b))


def name_similarity(a, b) -> Decimal:
    """1 − Levenshtein ÷ longer length, exact, on normalized names (two empty names: 1)."""
    distance, length = name_distance(normalize_name(a), normalize_name(b))
    return Decimal(1) if length == 0 else 1 - Decimal(distance) / Decimal(length)


def _sim_at_least(distance: int, length: int, percent: int) -> bool:
    # 1 − d/L ≥ p/100  ⇔  100·d ≤ (100 − p)·L
    return 100 * distance <= (100 - percent) * length


def amount_percent(amount_diff: Decimal, pos_amount: Decimal) -> Decimal:
    """|Δ| as a percent of the POS amount (∞ as a large number when the POS amount is 0)."""
    if pos_amount == 0:
        return Decimal(0) if amount_diff == 0 else Decimal("1e9")
    return abs(amount_diff) / abs(pos_amount) * 100


def coaching_confidence(
    distance: int, length: int, invoice_qty: Decimal, pos_qty: Decimal,
    invoice_amount: Decimal, pos_amount: Decimal,
) -> tuple[str, Decimal] | None:
    """Best tier and its exact confidence for one coaching pair, or None when no tier applies."""
    if invoice_qty != pos_qty or pos_amount is None:
        return None
    sim = Decimal(1) if length == 0 else 1 - Decimal(distance) / Decimal(length)
    diff = abs(invoice_amount - pos_amount)
    sim95 = length == 0 or _sim_at_least(distance, length, 95)
    sim80 = length == 0 or _sim_at_least(distance, length, 80)
    options = []
    if sim95 and diff <= Decimal(50):
        options.append(("exact", Decimal(1)))
    if sim80 and diff <= Decimal(50):
        options.append(("fuzzy_name", Decimal("0.7") + (sim - Decimal("0.8")) * Decimal("0.3")))
    pct = amount_percent(invoice_amount - pos_amount, pos_amount)
    if sim95 and (diff <= Decimal(100) or pct <= AMOUNT_FUZZY_PERCENT):
        share = min(pct / AMOUNT_FUZZY_PERCENT, Decimal(1))
        options.append(("fuzzy_amount", Decimal("0.6") + (1 - share) * Decimal("0.3")))
    if not options:
        return None
    return max(options, key=lambda option: option[1])


def restaurant_confidence(invoice_qty: Decimal, pos_qty: Decimal) -> tuple[str, Decimal]:
    """exact (1.0) when quantities are equal, else quantity_variance max(0.5, 1 − |Δ| ÷ max)."""
    if invoice_qty == pos_qty:
        return "exact", Decimal(1)
    largest = max(abs(invoice_qty), abs(pos_qty))
    return "quantity_variance", max(Decimal("0.5"), 1 - abs(invoice_qty - pos_qty) / largest)


# --------------------------------------------------------------------------- vectorised helpers


def _cents(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A Decimal column as int64 hundredths (exact: values carry 2 decimals) and a mask of the
    present values. A ``<column>_cents`` column, when the loader provides one, is used as is."""
    values = list(frame[column])
    present = np.array([v is not None and v == v for v in values], dtype=bool)  # noqa: PLR0124
    if f"{column}_cents" in frame:
        return frame[f"{column}_cents"].to_numpy(dtype=np.int64), present
    cents = np.array([int(Decimal(v).scaleb(2)) if ok else 0 for v, ok in zip(values, present)],
                     dtype=np.int64)
    return cents, present


def with_cents(frame: pd.DataFrame) -> pd.DataFrame:
    """Add quantity_cents / amount_cents to a large POS frame once, so matching need not."""
    for column in ("quantity", "amount"):
        if column in frame and f"{column}_cents" not in frame:
            values = list(frame[column])
            frame[f"{column}_cents"] = np.array(
                [int(v.scaleb(2)) if v is not None else 0 for v in values], dtype=np.int64)
    return frame


def _normalized(values, function) -> list[str]:
    """``function`` over a column, computed once per distinct value."""
    values = list(values)
    table = {v: function(v) for v in set(values) if isinstance(v, str)}
    return [table[v] if isinstance(v, str) else function(v) for v in values]


def _day_numbers(dates) -> np.ndarray:
    return np.array([d.toordinal() for d in dates], dtype=np.int64)


def _empty_candidates() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CANDIDATE_COLUMNS})


def coaching_candidates(invoices: pd.DataFrame, pos: pd.DataFrame, date_window: int = 0):
    """Every (invoice row, POS row) pair that reaches a coaching tier, with its confidence."""
    if invoices.empty or pos.empty:
        return _empty_candidates()
    inv_names = _normalized(invoices["customer"], normalize_name)
    pos_names = _normalized(pos["customer"], normalize_name)
    inv_days, pos_days = _day_numbers(invoices["date"]), _day_numbers(pos["date"])
    inv_qty, _ = _cents(invoices, "quantity")
    pos_qty, _ = _cents(pos, "quantity")
    inv_amt, _ = _cents(invoices, "amount")
    pos_amt, pos_priced = _cents(pos, "amount")

    pos_order = np.argsort(pos_days, kind="stable")
    sorted_days = pos_days[pos_order]
    pairs_inv, pairs_pos = [], []
    for day in np.unique(inv_days):
        inv_idx = np.flatnonzero(inv_days == day)
        lo = np.searchsorted(sorted_days, day - date_window, side="left")
        hi = np.searchsorted(sorted_days, day + date_window, side="right")
        if lo == hi:
            continue
        block = pos_order[lo:hi]
        # cheap vectorised prefilter on quantity and a loose amount band, then names
        scores = process.cdist(
            [inv_names[i] for i in inv_idx], [pos_names[j] for j in block],
            scorer=Levenshtein.normalized_similarity, score_cutoff=0.79, workers=-1,
            dtype=np.float32,
        )
        same_qty = inv_qty[inv_idx][:, None] == pos_qty[block][None, :]
        rows, cols = np.nonzero((scores > 0) & same_qty & pos_priced[block][None, :])
        pairs_inv.append(inv_idx[rows])
        pairs_pos.append(block[cols])
    if not pairs_inv:
        return _empty_candidates()
    inv_sel, pos_sel = np.concatenate(pairs_inv), np.concatenate(pairs_pos)
    if inv_sel.size == 0:
        return _empty_candidates()
    distance = np.array([Levenshtein.distance(inv_names[i], pos_names[j])
                         for i, j in zip(inv_sel, pos_sel)], dtype=np.int64)
    length = np.array([max(len(inv_names[i]), len(pos_names[j]))
                       for i, j in zip(inv_sel, pos_sel)], dtype=np.int64)
    diff = np.abs(inv_amt[inv_sel] - pos_amt[pos_sel])
    base = np.abs(pos_amt[pos_sel])
    sim95 = (length == 0) | (20 * distance <= length)
    sim80 = (length == 0) | (5 * distance <= length)
    # pct ≤ 5  ⇔  100·|Δ| ≤ 5·|POS|   (POS amount 0: only Δ = 0)
    pct_ok = 100 * diff <= AMOUNT_FUZZY_PERCENT * base
    sim = np.where(length == 0, 1.0, 1.0 - distance / np.maximum(length, 1))
    pct = np.where(base == 0, np.where(diff == 0, 0.0, np.inf), diff * 100.0 / np.maximum(base, 1))
    exact = sim95 & (diff <= AMOUNT_EXACT_CENTS)
    fuzzy_name = sim80 & (diff <= AMOUNT_EXACT_CENTS)
    fuzzy_amount = sim95 & ((diff <= AMOUNT_FUZZY_CENTS) | pct_ok)
    conf_name = np.where(fuzzy_name, 0.7 + (sim - 0.8) * 0.3, -1.0)
    conf_amount = np.where(fuzzy_amount, 0.6 + (1 - np.minimum(pct / 5, 1)) * 0.3, -1.0)
    confidence = np.where(exact, 1.0, np.maximum(conf_name, conf_amount))
    match_type = np.where(exact, "exact", np.where(conf_name >= conf_amount, "fuzzy_name",
                                                   "fuzzy_amount"))
    keep = confidence >= 0
    return pd.DataFrame({
        "invoice_row": invoices.index.to_numpy()[inv_sel[keep]],
        "pos_row": pos.index.to_numpy()[pos_sel[keep]],
        "match_type": match_type[keep],
        "confidence": confidence[keep],
        "distance": distance[keep],
        "length": length[keep],
        "day_gap": np.abs(inv_days[inv_sel[keep]] - pos_days[pos_sel[keep]]),
        "abs_amount_cents": diff[keep],
    })


def restaurant_keys(invoices: pd.DataFrame, pos: pd.DataFrame) -> pd.Series:
    """The SKU an invoice row stands for: its SKU, else its item text as a SKU or a POS name."""
    pos_skus: set[str] = set()
    by_name: dict[str, str] = {}
    if not pos.empty:
        pairs = set(zip(pos["sku"], pos["product_name"]))
        for sku, name in sorted(pairs, key=lambda p: (str(p[0]), str(p[1]))):
            pos_skus.add(normalize_sku(sku))
            by_name.setdefault(normalize_name(name), normalize_sku(sku))
    keys = []
    for sku, product in zip(invoices["sku"], invoices["product"]):
        if isinstance(sku, str) and normalize_sku(sku):
            keys.append(normalize_sku(sku))
        elif normalize_sku(product) in pos_skus:
            keys.append(normalize_sku(product))
        else:
            keys.append(by_name.get(normalize_name(product), "name:" + normalize_name(product)))
    return pd.Series(keys, index=invoices.index, dtype=object)


def restaurant_candidates(invoices: pd.DataFrame, pos: pd.DataFrame, date_window: int = 0):
    """Every (invoice row, POS row) pair with the same SKU and date (± window), with confidence."""
    if invoices.empty or pos.empty:
        return _empty_candidates()
    inv_qty, _ = _cents(invoices, "quantity")
    pos_qty, _ = _cents(pos, "quantity")
    inv_amt, _ = _cents(invoices, "amount")
    pos_amt, _ = _cents(pos, "amount")
    left = pd.DataFrame({
        "i": np.arange(len(invoices)), "key": restaurant_keys(invoices, pos).to_numpy(),
        "day": _day_numbers(invoices["date"]),
    })
    right = pd.DataFrame({
        "j": np.arange(len(pos)), "key": _normalized(pos["sku"], normalize_sku),
        "day": _day_numbers(pos["date"]),
    })
    shifted = [left.assign(day=left["day"] + offset, gap=abs(offset))
               for offset in range(-date_window, date_window + 1)]
    pairs = pd.concat(shifted, ignore_index=True).merge(right, on=["key", "day"], how="inner")
    if pairs.empty:
        return _empty_candidates()
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    dq = np.abs(inv_qty[i] - pos_qty[j])
    largest = np.maximum(np.abs(inv_qty[i]), np.abs(pos_qty[j]))
    confidence = np.where(dq == 0, 1.0, np.maximum(0.5, 1 - dq / np.maximum(largest, 1)))
    return pd.DataFrame({
        "invoice_row": invoices.index.to_numpy()[i],
        "pos_row": pos.index.to_numpy()[j],
        "match_type": np.where(dq == 0, "exact", "quantity_variance"),
        "confidence": confidence,
        "distance": 0,
        "length": 0,
        "day_gap": pairs["gap"].to_numpy(),
        "abs_amount_cents": np.abs(inv_amt[i] - pos_amt[j]),
    })


def assign_matches(candidates: pd.DataFrame) -> pd.DataFrame:
    """Best confidence first; each invoice row and each POS row is used at most once."""
    if candidates.empty:
        return candidates.iloc[0:0]
    ordered = candidates.sort_values(
        ["confidence", "day_gap", "abs_amount_cents", "invoice_row", "pos_row"],
        ascending=[False, True, True, True, True], kind="stable",
    )
    used_inv, used_pos, keep = set(), set(), []
    for position, inv, pos in zip(range(len(ordered)), ordered["invoice_row"], ordered["pos_row"]):
        if inv in used_inv or pos in used_pos:
            continue
        used_inv.add(inv)
        used_pos.add(pos)
        keep.append(position)
    return ordered.iloc[keep].reset_index(drop=True)


def match_rows(kind: str, invoices: pd.DataFrame, pos: pd.DataFrame, date_window: int = 0):
    """The chosen matches of a ``restaurant`` or ``coaching`` reconciliation."""
    if date_window < 0:
        raise ValueError("the date window is a number of days, 0 or more")
    if kind == "restaurant":
        candidates = restaurant_candidates(invoices, pos, date_window)
    elif kind == "coaching":
        candidates = coaching_candidates(invoices, pos, date_window)
    else:
        raise ValueError(f"unknown reconciliation kind {kind!r}")
    return assign_matches(candidates)


def _exact_tier(kind: str, match, invoice, pos_row) -> tuple[str, Decimal]:
    """The stored tier and confidence, recomputed exactly in Decimal, rounded to 2 decimals."""
    if kind == "restaurant":
        tier, confidence = restaurant_confidence(invoice["quantity"], pos_row["quantity"])
    else:
        tier, confidence = coaching_confidence(
            int(match["distance"]), int(match["length"]), invoice["quantity"],
            pos_row["quantity"], invoice["amount"], pos_row["amount"],
        )
    return tier, money.round_money(confidence)


def compute_items(kind: str, invoices: pd.DataFrame, pos: pd.DataFrame, matches: pd.DataFrame):
    """One item per match, per unmatched invoice row and per unmatched POS row (ITEM_COLUMNS)."""
    inv_amount = dict(zip(invoices.index, invoices["amount"]))
    inv_qty = dict(zip(invoices.index, invoices["quantity"]))
    pos_amount = dict(zip(pos.index, pos["amount"]))
    pos_qty = dict(zip(pos.index, pos["quantity"]))
    records = []
    for match in matches.to_dict("records"):
        i, j = match["invoice_row"], match["pos_row"]
        invoice = {"quantity": inv_qty[i], "amount": inv_amount[i]}
        pos_row = {"quantity": pos_qty[j], "amount": pos_amount[j]}
        tier, confidence = _exact_tier(kind, match, invoice, pos_row)
        records.append((
            "matched", tier, confidence, i, j,
            inv_amount[i] - (pos_amount[j] if pos_amount[j] is not None else money.ZERO),
            inv_qty[i] - pos_qty[j],
        ))
    matched_inv = set(matches["invoice_row"]) if len(matches) else set()
    matched_pos = set(matches["pos_row"]) if len(matches) else set()
    for index in invoices.index:
        if index not in matched_inv:
            records.append(("invoice_only", None, None, index, None, inv_amount[index],
                            inv_qty[index]))
    for index in pos.index:
        if index not in matched_pos:
            amount = pos_amount[index]
            records.append(("pos_only", None, None, None, index,
                            -(amount if amount is not None else money.ZERO), -pos_qty[index]))
    return object_frame(records, ITEM_COLUMNS)


def compute_summary(invoices: pd.DataFrame, pos: pd.DataFrame, items: pd.DataFrame) -> dict:
    """Session figures: counts, match rate (%), amounts and variance (invoice − POS)."""
    total_invoice = sum((a for a in invoices["amount"]), money.ZERO)
    total_pos = sum((a for a in pos["amount"] if a is not None), money.ZERO) if len(pos) else money.ZERO
    matched = int((items["item_type"] == "matched").sum()) if len(items) else 0
    count = len(invoices)
    variance = total_invoice - total_pos
    return {
        "total_invoice_items": count,
        "total_pos_records": len(pos),
        "matched_items": matched,
        "match_rate": money.round_money(Decimal(matched) * 100 / count) if count else money.ZERO,
        "total_invoice_amount": total_invoice,
        "total_pos_amount": total_pos,
        "variance_amount": variance,
        "variance_percentage": (
            money.round_money(variance * 100 / total_pos) if total_pos else None
        ),
    }


@dataclass(frozen=True)
class PartnerProducts:
    """A partner's products on the POS: product categories and SKUs (normalized)."""

    categories: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()

    @property
    def kept(self) -> bool:
        return bool(self.categories or self.skus)

    def describe(self) -> str:
        if not self.kept:
            return "every POS line with a SKU (no product list is kept for this partner)"
        parts = []
        if self.categories:
            parts.append("categories " + ", ".join(self.categories))
        if self.skus:
            parts.append("SKUs " + ", ".join(self.skus))
        return "the partner's products: " + "; ".join(parts)
