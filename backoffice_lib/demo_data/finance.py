"""Settings, Thai public holidays, the monthly service charge, suppliers and their invoices."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal

import holidays

from .. import money
from ..invoices.rules import compute_tax_id_check_digit
from .customers import CATALOGUE, COACH_RATES
from .people import COACHES
from .period import Dice, Period, add_months

MARKER_KEY = "demo_dataset"
PAYROLL_SETTINGS = [
    ("daily_allowance_thb", "100", "Daily allowance (THB) per working day, salary staff"),
    ("weekly_ot_threshold_hours", "48", "Hours per Sunday-Saturday week before overtime"),
    ("max_session_hours", "16", "Longest clock-in to clock-out pairing, in hours"),
    ("pin_max_failed_attempts", "10", "Wrong PINs before the kiosk locks a person"),
    ("pin_lockout_minutes", "60", "Minutes a locked person waits"),
    ("package_expiry_warning_days", "7", "Days before expiry that a package is flagged"),
]
INVOICE_SETTINGS = {
    "default_wht_rate": "3.00",
    "company_name": "Fairway Golf Studio Co., Ltd.",
    "company_tax_id": "0105566012344",
    "company_address_line1": "88/8 Sukhumvit Soi 24, Khlong Tan",
    "company_address_line2": "Khlong Toei, Bangkok 10110",
    "bank_name": "Kasikornbank",
    "bank_account_number": "123-4-56789-0",
    "company_branch_no": "00000",
    "company_address_line": "88/8 ถนนสุขุมวิท ซอย 24",
    "company_subdistrict": "คลองตัน",
    "company_district": "คลองเตย",
    "company_province": "กรุงเทพมหานคร",
    "company_postal_code": "10110",
}
# The payee data of the withholding forms (supplier-tax.md §2): the coaches are individuals,
# the partner restaurant and the contractors companies (juristic persons).
COACH_PAYEES = {
    "BOSS": ("นาย", "ธนพล", "สุขสวัสดิ์"),
    "RATCHAVIN": ("นาย", "รัชวิน", "วงศ์ไทย"),
    "MIN": ("นางสาว", "มินตรา", "แสงทอง"),
    "NOON": ("นางสาว", "นุ่มนวล", "ใจงาม"),
}
COACH_AREA = {"subdistrict": "สามเสนใน", "district": "พญาไท", "province": "กรุงเทพมหานคร",
              "postal_code": "10400"}
COMPANY_ADDRESSES = {
    "Baan Aroi Kitchen Co., Ltd.": ("88/9 ถนนสุขุมวิท ซอย 24", "คลองตัน", "คลองเตย", "10110"),
    "Siam Simulator Service Co., Ltd.": ("55 ถนนพระราม 9", "ห้วยขวาง", "ห้วยขวาง", "10310"),
    "Bangkok Turf & Net Co., Ltd.": ("120 ถนนลาดพร้าว", "จอมพล", "จตุจักร", "10900"),
}
INCOME_TYPE = {"income_type_code": "40(8)", "income_type_label": "ค่าบริการ / ค่าจ้างทำของ"}
PAYMENT_DELAY_DAYS = (2, 3, 4, 5, 6, 9)  # an invoice is paid this long after its date


def marker_value(seed: int, scale: int, as_of: dt.date) -> str:
    return f"seed={seed} scale={scale} as_of={as_of.isoformat()}"


def payroll_setting_rows(seed: int, scale: int, period: Period) -> list[dict]:
    rows = [{"setting_key": k, "setting_value": v, "description": d} for k, v, d in PAYROLL_SETTINGS]
    rows.append({"setting_key": MARKER_KEY, "setting_value": marker_value(seed, scale, period.as_of),
                 "description": "Demo data: `backoffice demo load` may replace this database"})
    return rows


def holiday_rows(period: Period) -> list[dict]:
    calendar = holidays.Thailand(years=range(period.start.year, period.as_of.year + 1),
                                 language="en_US")
    return [{"holiday_date": day, "holiday_name": name, "is_active": True}
            for day, name in sorted(calendar.items())]


def service_charge_rows(rng: Dice, period: Period) -> list[dict]:
    """One pool per full month of the period (the current month's is entered at its end)."""
    return [{"month_year": f"{m:%Y-%m}",
             "total_amount": Decimal(rng.randrange(2_000_000, 4_000_001)) / 100}
            for m in period.full_months()]


def invoice_setting_rows() -> list[dict]:
    return [{"key": k, "value": v} for k, v in INVOICE_SETTINGS.items()]


def supplier_rows(rng: Dice) -> list[dict]:
    def tax_id(first: str = "1") -> str:
        """A valid Thai tax ID (the check digit computed) from the same random stream."""
        twelve = (first + rng.digits(12))[:12]
        return twelve + str(compute_tax_id_check_digit(twelve))

    rows = []
    for email, code, name, display in COACHES:
        rows.append({
            "id": rng.uuid4(), "name": f"{display} (freelance golf coach)",
            "address_line1": f"{rng.randrange(10, 500)}/{rng.randrange(1, 90)} Soi Ari",
            "address_line2": "Phaya Thai, Bangkok 10400", "tax_id": tax_id(),
            "default_description": f"Golf coaching by {name}", "default_unit_price": None,
            "bank_name": rng.choice(["Kasikornbank", "SCB", "Bangkok Bank"]),
            "bank_account": f"{rng.digits(3)}-{rng.digits(1)}-{rng.digits(5)}-{rng.digits(1)}",
            "_coach_code": code,
        })
        title, first, last = COACH_PAYEES[code]
        street = rows[-1]["address_line1"].replace("Soi Ari", "ซอยอารีย์")
        rows[-1].update(payee_kind="individual", branch_no="00000", title=title, first_name=first,
                        last_name=last, address_line=street, **COACH_AREA, **INCOME_TYPE)
    for name, line1, description, price in [
        ("Baan Aroi Kitchen Co., Ltd.", "88/9 Sukhumvit Soi 24", "Food and beverage share", None),
        ("Siam Simulator Service Co., Ltd.", "55 Rama IX Road", "Simulator calibration", "1800.00"),
        ("Bangkok Turf & Net Co., Ltd.", "120 Lat Phrao Road", "Hitting mat replacement",
         "4500.00"),
    ]:
        rows.append({
            "id": rng.uuid4(), "name": name, "address_line1": line1,
            "address_line2": "Bangkok", "tax_id": tax_id("0"),
            "default_description": description,
            "default_unit_price": Decimal(price) if price else None,
            "bank_name": "Bangkok Bank", "bank_account": f"{rng.digits(3)}-{rng.digits(7)}",
            "_coach_code": None,
        })
        line, subdistrict, district, postal_code = COMPANY_ADDRESSES[name]
        rows[-1].update(payee_kind="juristic", branch_no="00000", title=None, first_name=None,
                        last_name=None, address_line=line, subdistrict=subdistrict,
                        district=district, province="กรุงเทพมหานคร", postal_code=postal_code,
                        **INCOME_TYPE)
    return rows


def coaching_hours(bookings: list[dict], usage: list[dict], packages: list[dict]):
    """(coach code, month 'YYYY-MM', rate_type) -> hours of confirmed coaching bookings, priced
    the way the coach_earnings view prices them."""
    names = {k.id: k.name for k in CATALOGUE if k.type == "Coaching"}
    package_kind = {p["id"]: p["package_type_id"] for p in packages}
    by_booking = {u["booking_id"]: names.get(package_kind[u["package_id"]])
                  for u in usage if u["booking_id"]}
    hours: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for b in bookings:
        if b["status"] != "confirmed" or not b["booking_type"].startswith("Coaching ("):
            continue
        code = b["booking_type"][len("Coaching ("):-1].upper()
        rate_type = by_booking.get(b["id"]) or (
            "Individual, 2 PAX" if (b["number_of_people"] or 1) >= 2 else "Individual, 1 PAX")
        hours[(code, f"{b['date']:%Y-%m}", rate_type)] += b["duration"]
    return hours


# The partner restaurant's products on the POS: its food and drinks, not bays or the pro shop.
RESTAURANT_CATEGORIES = ("Restaurant", "Drinks")


def partner_product_rows() -> list[dict]:
    """partner_products: what the POS side of the restaurant's reconciliation counts."""
    return [{"id": uuid.uuid5(uuid.NAMESPACE_URL, f"demo:partner_products/restaurant/{category}"),
             "reconciliation_type": "restaurant", "match_on": "category", "value": category,
             "created_by": "admin@studio.example"} for category in RESTAURANT_CATEGORIES]


def restaurant_sales(sales: list[dict]) -> dict[str, Decimal]:
    """Month 'YYYY-MM' -> non-voided restaurant and drinks sales (the partner's share is 70%)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in sales:
        if line["product_category"] in RESTAURANT_CATEGORIES and not line["is_voided"]:
            totals[f"{line['sale_date']:%Y-%m}"] += line["item_price_incl_vat"]
    return totals


def build_invoices(rng: Dice, period: Period, suppliers: list[dict], created_by,
                   hours: dict, restaurant_sales: dict[str, Decimal]):
    """Invoices of the full months with their items; totals computed as business-rules §6 says."""
    drafts = []  # (invoice_date, supplier, rate, [(description, quantity, unit_price)])
    for month in period.full_months():
        key, last = f"{month:%Y-%m}", add_months(month, 1) - dt.timedelta(days=1)
        label = f"{month:%B %Y}"
        for supplier in suppliers:
            code = supplier["_coach_code"]
            if code:
                items = [(f"Coaching lessons, {rate_type}, {label}", hours_, COACH_RATES[rate_type])
                         for (c, m, rate_type), hours_ in sorted(hours.items())
                         if c == code and m == key]
                if items:
                    drafts.append((last, supplier, Decimal("3.00"), items))
            elif supplier["default_description"] == "Food and beverage share":
                share = money.round_money(restaurant_sales.get(key, Decimal(0)) * Decimal("0.70"))
                drafts.append((last, supplier, Decimal("3.00"),
                               [(f"Food and beverage share (70%), {label}", Decimal(1), share)]))
            elif supplier["default_description"] == "Simulator calibration":
                items = [("Simulator calibration", Decimal(rng.randrange(2, 5)), Decimal(1800))]
                if rng.chance(0.3):
                    items.append(("Projector lamp replacement", Decimal(1), Decimal(6500)))
                drafts.append((month + dt.timedelta(days=rng.randrange(9, 20)), supplier,
                               Decimal("3.00"), items))
            elif rng.chance(0.35):
                drafts.append((month + dt.timedelta(days=rng.randrange(5, 25)), supplier,
                               Decimal("3.00"),
                               [("Hitting mat replacement", Decimal(rng.randrange(1, 4)),
                                 Decimal(4500))]))
    drafts.sort(key=lambda d: (d[0], d[1]["name"]))
    invoices, items, sequence = [], [], defaultdict(int)
    for invoice_date, supplier, rate, lines in drafts:
        prefix = f"{invoice_date:%Y%m}"
        sequence[prefix] += 1
        invoice_id = rng.uuid4()
        totals = [money.round_money(q * p) for _, q, p in lines]
        subtotal = sum(totals, money.ZERO)
        tax = money.round_money(subtotal * rate / 100)
        invoices.append({
            "id": invoice_id, "invoice_number": f"{prefix}{sequence[prefix]:03d}",
            "supplier_id": supplier["id"], "invoice_date": invoice_date, "subtotal": subtotal,
            "tax_rate": rate, "tax_amount": tax, "total_amount": subtotal - tax,
            "pdf_file_path": None, "created_by": created_by, "updated_by": None,
            "status": "issued", "paid_on": None,
        })
        for (description, quantity, price), total in zip(lines, totals):
            items.append({"id": rng.uuid4(), "invoice_id": invoice_id, "description": description,
                          "quantity": quantity.quantize(Decimal("0.01")),
                          "unit_price": money.round_money(price), "line_total": total})
    mark_paid(invoices, period.clock.date())
    return invoices, items


def mark_paid(invoices: list[dict], today: dt.date) -> None:
    """Most invoices paid a few days after their date (a month-end invoice in the next month);
    one paid later than ``today`` stays unpaid, and so does the latest one, always."""
    for invoice in invoices[:-1]:
        delay = PAYMENT_DELAY_DAYS[int(invoice["invoice_number"]) % len(PAYMENT_DELAY_DAYS)]
        paid_on = invoice["invoice_date"] + dt.timedelta(days=delay)
        invoice["paid_on"] = paid_on if paid_on <= today else None
