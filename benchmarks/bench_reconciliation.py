"""Reconciliation speed: 5,000 invoice rows against 200,000 POS rows.

    .venv/bin/python -m benchmarks.bench_reconciliation

Targets (issue 6): reconciling (matching, items, summary) takes under 5 s, and at most 3× the time
of reading both inputs (the invoice file through ``partner_file.load_invoice_file``, the POS rows from a
CSV into the Decimal frame the service builds from the database). Both kinds are measured:
coaching (name similarity blocked by date, ± 1 day window) and restaurant (blocked by date and SKU).
Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from backoffice_lib.reconciliation.reports import partner_file
from backoffice_lib.reconciliation.rules import matching

INVOICE_ROWS = 5_000
POS_ROWS = 200_000
TARGET_SECONDS = 5.0
TARGET_RATIO = 3.0
FIRST_DAY = dt.date(2025, 1, 1)

FIRST = ["Somchai", "Anna", "Kenji", "Ploy", "Nattapong", "Laura", "Wei", "Siriporn", "David",
         "Chloe", "Arthit", "Yuki", "Ravi", "Mali", "Thomas", "Pim", "Minjun", "Kanya"]
LAST = ["Jaidee", "Smith", "Tanaka", "Srisuk", "Chen", "Wong", "Patel", "Boonmee", "Lee", "Kim",
        "Saetang", "Brown", "Nguyen", "Rattana", "Evans", "Kaewmanee"]


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name))
    return name[:i] + rng.choice("aeiou") + name[i + 1:]


def make_coaching(folder: Path, rng: random.Random, days: int = 365) -> tuple[Path, Path]:
    names = [f"{f} {l}" for f in FIRST for l in LAST]
    pos_path, inv_path = folder / "coaching_pos.csv", folder / "coaching_invoice.csv"
    pos_rows = []
    for _ in range(POS_ROWS):
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(days))
        hours = rng.choice(["1", "1", "1.5", "2"])
        pos_rows.append((day.isoformat(), rng.choice(names), hours, str(int(Decimal(hours) * 1000))))
    with pos_path.open("w", newline="") as handle:
        csv.writer(handle).writerows([("date", "customer", "quantity", "amount"), *pos_rows])
    with inv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Lesson Date", "Student", "Lessons", "Fee"])
        for day, name, hours, amount in rng.sample(pos_rows, INVOICE_ROWS):
            roll = rng.random()
            if roll < 0.1:
                name = _typo(name, rng)
            elif roll < 0.2:
                amount = str(int(amount) + rng.choice([60, 80, -70]))
            elif roll < 0.25:
                name = rng.choice(names)  # a lesson the POS does not know
            y, m, d = day.split("-")
            writer.writerow([f"{int(m)}/{int(d)}/{y}", name, hours, f"฿{int(amount):,}.00"])
    return inv_path, pos_path


def make_restaurant(folder: Path, rng: random.Random, days: int = 365) -> tuple[Path, Path]:
    skus = [f"SKU-{n:04d}" for n in range(POS_ROWS // days + 1)]
    pos_path, inv_path = folder / "restaurant_pos.csv", folder / "restaurant_invoice.csv"
    pos_rows = []
    for offset in range(days):
        day = (FIRST_DAY + dt.timedelta(days=offset)).isoformat()
        for sku in skus:
            if len(pos_rows) == POS_ROWS:
                break
            qty = rng.randint(1, 20)
            pos_rows.append((day, sku, f"Product {sku}", str(qty), str(qty * 120)))
    with pos_path.open("w", newline="") as handle:
        csv.writer(handle).writerows([("date", "sku", "product_name", "quantity", "amount"),
                                      *pos_rows])
    with inv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["วันที่", "รหัสสินค้า", "ชื่อสินค้า", "จำนวน", "จำนวนเงิน"])
        for day, sku, name, qty, amount in rng.sample(pos_rows, INVOICE_ROWS):
            if rng.random() < 0.1:
                qty = str(int(qty) + 1)
            y, m, d = day.split("-")
            writer.writerow([f"{int(d)}/{int(m)}/{y}", sku, name, qty, f"{int(amount):,}.00 บาท"])
    return inv_path, pos_path


def read_pos(path: Path, kind: str):
    """The POS rows as the service holds them: Python dates and Decimals in an object frame."""
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        records = []
        for row in reader:
            values = dict(zip(header, row))
            record = [dt.date.fromisoformat(values["date"])]
            record += [values["customer"]] if kind == "coaching" else [values["sku"],
                                                                      values["product_name"]]
            record += [Decimal(values["quantity"]).quantize(Decimal("0.01")),
                       Decimal(values["amount"]).quantize(Decimal("0.01"))]
            records.append(tuple(record))
    columns = ["date", "customer"] if kind == "coaching" else ["date", "sku", "product_name"]
    return matching.with_cents(matching.object_frame(records, [*columns, "quantity", "amount"]))


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def bench(kind: str, inv_path: Path, pos_path: Path, window: int) -> dict:
    wall, cpu = _clock()
    invoices = partner_file.load_invoice_file(inv_path, kind).rows
    pos = read_pos(pos_path, kind)
    wall_read, cpu_read = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = _clock()
    matches = matching.match_rows(kind, invoices, pos, window)
    items = matching.compute_items(kind, invoices, pos, matches)
    summary = matching.compute_summary(invoices, pos, items)
    wall_rec, cpu_rec = time.perf_counter() - wall, time.process_time() - cpu
    return {"kind": kind, "window": window, "invoice_rows": len(invoices), "pos_rows": len(pos),
            "matched": summary["matched_items"], "match_rate": summary["match_rate"],
            "read_s": wall_read, "reconcile_s": wall_rec, "ratio": wall_rec / wall_read,
            "read_cpu": cpu_read, "reconcile_cpu": cpu_rec}


def main() -> None:
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = [
            bench("coaching", *make_coaching(folder, rng), window=1),
            bench("restaurant", *make_restaurant(folder, rng), window=1),
        ]
    print(f"reconciliation: {INVOICE_ROWS:,} invoice rows against {POS_ROWS:,} POS rows")
    for r in runs:
        ok_time = "OK" if r["reconcile_s"] < TARGET_SECONDS else "MISSED"
        ok_ratio = "OK" if r["ratio"] <= TARGET_RATIO else "MISSED"
        print(
            f"  {r['kind']:<10} window ±{r['window']}: read both inputs {r['read_s']:.2f} s, "
            f"reconcile {r['reconcile_s']:.2f} s ({ok_time}: target < {TARGET_SECONDS:.0f} s), "
            f"ratio reconcile/read {r['ratio']:.2f}× ({ok_ratio}: target ≤ {TARGET_RATIO:.0f}×); "
            f"{r['matched']:,} matched, match rate {r['match_rate']} %"
        )
        print(f"  {'':<10} CPU time: read {r['read_cpu']:.2f} s, reconcile "
              f"{r['reconcile_cpu']:.2f} s (all threads; wall time above is what counts)")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores while measuring")


if __name__ == "__main__":
    main()
