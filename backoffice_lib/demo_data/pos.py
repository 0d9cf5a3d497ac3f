"""Point-of-sale lines (pos.sales): restaurant and drinks by SKU, bay rentals, package sales.

About 20-60 lines a day at scale 1 (times the scale), in receipts of 1-5 lines, numbered per day
in time order; about one line in a hundred is voided. Nothing after the period's clock.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .. import bangkok
from .customers import CATALOGUE
from .names import BAY_PRODUCTS, RESTAURANT_MENU
from .period import Dice, Period

VOID_SHARE = 0.01
KINDS = {k.id: k for k in CATALOGUE}


def _line(receipt: dict, sku: str, name: str, category: str, count: int, price: Decimal,
          voided: bool) -> dict:
    return {
        "receipt_number": receipt["receipt_number"], "sale_date": receipt["sale_date"],
        "sale_time": receipt["sale_time"], "customer_id": receipt["customer_id"],
        "customer_name": receipt["customer_name"], "product_name": name,
        "product_category": category, "sku_number": sku,
        "item_cnt": Decimal(count).quantize(Decimal("0.01")),
        "item_price_incl_vat": (price * count).quantize(Decimal("0.01")), "is_voided": voided,
    }


def build_sales(rng: Dice, period: Period, scale: int, customers: list[dict],
                packages: list[dict]) -> list[dict]:
    sold_on: dict[dt.date, list[dict]] = {}
    for package in packages:
        sold_on.setdefault(package["purchase_date"], []).append(package)
    rows = []
    for day in period.days():
        busy = day.weekday() >= 4  # Friday to Sunday
        target = (rng.randrange(35, 61) if busy else rng.randrange(20, 51)) * scale
        receipts = []
        lines = 0
        while lines < target:
            customer = rng.choice(customers) if rng.chance(0.25) else None
            moment = bangkok.at(day, dt.time(rng.randrange(10, 23), rng.randrange(60),
                                             rng.randrange(60)))
            size = rng.randrange(1, 6)
            receipts.append((moment, customer, size, None))
            lines += size
        for package in sold_on.get(day, []):
            moment = package["created_at"]
            receipts.append((moment, {"id": package["customer_id"],
                                      "customer_name": package["customer_name"]}, 1, package))
        receipts.sort(key=lambda r: (r[0], r[2]))
        for number, (moment, customer, size, package) in enumerate(receipts, start=1):
            if moment > period.clock:
                break
            receipt = {
                "receipt_number": f"R{day:%y%m%d}-{number:04d}", "sale_date": day,
                "sale_time": moment, "customer_id": customer["id"] if customer else None,
                "customer_name": customer["customer_name"] if customer else "Walk-in",
            }
            if package is not None:
                kind = KINDS[package["package_type_id"]]
                price = Decimal(kind.price) - (package["discount_amount"] or Decimal(0))
                rows.append(_line(receipt, f"PKG-{kind.id:03d}", kind.display_name, "Package",
                                  1, price, False))
                continue
            for _ in range(size):
                if rng.chance(0.75):
                    sku, name, category, price = rng.choice(RESTAURANT_MENU)
                    count = rng.choice((1, 1, 1, 2, 2, 3, 4))
                else:
                    sku, name, category, price = rng.choice(BAY_PRODUCTS)
                    count = 1
                rows.append(_line(receipt, sku, name, category, count, Decimal(price),
                                  rng.chance(VOID_SHARE)))
    return rows
