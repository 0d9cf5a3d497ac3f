"""The rules of supplier invoices (business-rules §6), pure: items, amounts, numbers, tax IDs.
(The withholding forms and certificates of supplier-tax.md: ``rules.withholding``; amounts in Thai
words: ``rules.baht_text``.)

line_total = quantity × unit_price; subtotal = Σ line_total; tax_amount = subtotal × tax_rate / 100;
total_amount = subtotal − tax_amount (net paid to the supplier, the withholding tax is remitted by the
studio). Each is rounded to 2 decimals, half up, by ``money.round_money``. Numbers are ``YYYYMM`` of
the invoice date + a sequence of at least 3 digits. A Thai tax ID is 13 digits, the last a check
digit. Values and DataFrames in and out: no SQL, no files, no widgets.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from ... import money

SETTING_DEFAULTS = {
    "default_wht_rate": "3.00",
    "company_name": "Golf Studio Bangkok",
    "company_tax_id": "",
    "company_address_line1": "",
    "company_address_line2": "",
    "bank_name": "",
    "bank_account_number": "",
    # the payer on the withholding forms (supplier-tax.md §2)
    "company_branch_no": "00000",
    "company_address_line": "",
    "company_subdistrict": "",
    "company_district": "",
    "company_province": "",
    "company_postal_code": "",
}
SUPPLIER_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "tax_id",
    "default_description",
    "default_unit_price",
    "bank_name",
    "bank_account",
)

class InvoiceError(ValueError):
    """Input a person can fix (bad item, unknown supplier, refused deletion); one clear line."""


@dataclass(frozen=True)
class ItemInput:
    description: str
    quantity: Decimal
    unit_price: Decimal


# --------------------------------------------------------------------------- pure arithmetic


def _decimal(value, what: str) -> Decimal:
    if isinstance(value, float):
        raise InvoiceError(f"{what} must be exact (a string or Decimal), not a float")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise InvoiceError(f"{what} is not a number: {value!r}") from None
    if not number.is_finite():
        raise InvoiceError(f"{what} is not a number: {value!r}")
    return number


def parse_item(text: str) -> ItemInput:
    """``"desc;qty;unit_price"`` (the CLI form) -> ItemInput; a description may contain ';'."""
    parts = text.rsplit(";", 2)
    if len(parts) != 3:
        raise InvoiceError(f'item must look like "description;quantity;unit_price", not {text!r}')
    return make_item(*parts)


def make_item(description, quantity, unit_price) -> ItemInput:
    description = (description or "").strip()
    if not description:
        raise InvoiceError("an item needs a description")
    qty = _decimal(quantity, f"quantity of {description!r}")
    price = _decimal(unit_price, f"unit price of {description!r}")
    if qty <= 0:
        raise InvoiceError(f"quantity of {description!r} must be more than 0, not {qty}")
    if price < 0:
        raise InvoiceError(f"unit price of {description!r} must not be negative, not {price}")
    for value, what in ((qty, "quantity"), (price, "unit price")):
        if value != value.quantize(money.CENT):
            raise InvoiceError(f"{what} of {description!r} has more than 2 decimals: {value}")
    return ItemInput(description, qty, price)


def validate_tax_rate(value) -> Decimal:
    rate = _decimal(value, "tax rate")
    if rate < 0 or rate > 100:
        raise InvoiceError(f"tax rate is a percent from 0 to 100, not {rate}")
    if rate != rate.quantize(money.CENT):
        raise InvoiceError(f"tax rate has more than 2 decimals: {rate}")
    return rate


def compute_invoice_amounts(items: list[ItemInput], tax_rate) -> dict:
    """Line totals, subtotal, withholding tax and net total of an invoice (business-rules §6)."""
    if not items:
        raise InvoiceError("an invoice needs at least one item")
    rate = validate_tax_rate(tax_rate)
    lines = [
        {
            "description": item.description,
            "quantity": item.quantity,
            "unit_price": item.unit_price,
            "line_total": money.round_money(item.quantity * item.unit_price),
        }
        for item in items
    ]
    subtotal = sum((line["line_total"] for line in lines), money.ZERO)
    tax_amount = money.round_money(subtotal * rate / Decimal(100))
    return {
        "items": lines,
        "subtotal": subtotal,
        "tax_rate": rate,
        "tax_amount": tax_amount,
        "total_amount": subtotal - tax_amount,
    }


def format_invoice_number(invoice_date: dt.date, sequence: int) -> str:
    """``YYYYMM`` + the sequence with at least 3 digits: 202501001 … 202501999, 2025011000."""
    if sequence < 1:
        raise ValueError("invoice sequence starts at 1")
    return f"{invoice_date.year:04d}{invoice_date.month:02d}{sequence:03d}"


def invoice_number_sort_key(number: str) -> tuple[int, int, str]:
    """Numeric order of invoice numbers: by month, then by sequence as a number."""
    if re.fullmatch(r"\d{7,}", number or ""):
        return int(number[:6]), int(number[6:]), number
    return 0, 0, number or ""


TAX_ID_LENGTH = 13


def compute_tax_id_check_digit(first_twelve: str) -> int:
    """The check digit of a Thai tax ID: (11 − Σ dᵢ·(13 − i) mod 11) mod 10, i = 0…11."""
    total = sum(int(digit) * (TAX_ID_LENGTH - i) for i, digit in enumerate(first_twelve))
    return (11 - total % 11) % 10


def thai_id_check_digit_valid(value: str) -> bool:
    """True for 13 ASCII digits whose last is the Thai ID check digit (a national ID or a
    juristic person's tax ID); the SQL twin is ``backoffice.thai_tax_id_valid(text)``."""
    text = str(value or "")
    if not re.fullmatch(r"[0-9]{13}", text):
        return False
    return int(text[12]) == compute_tax_id_check_digit(text[:12])


def validate_tax_id(value) -> str | None:
    """A Thai tax ID as its 13 digits (spaces and dashes as typed are dropped); None when empty.

    Raises InvoiceError for anything else: not 13 digits, or a wrong check digit (a typo).
    """
    text = re.sub(r"[\s\-]", "", str(value or ""))
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise InvoiceError(f"a tax ID is 13 digits, not {str(value).strip()!r}")
    if len(text) != TAX_ID_LENGTH:
        raise InvoiceError(f"a tax ID is 13 digits; {text} has {len(text)}")
    expected = compute_tax_id_check_digit(text[:12])
    if int(text[12]) != expected:
        raise InvoiceError(
            f"tax ID {text} is not valid: its last digit should be {expected} (check digit); "
            "look for a typo"
        )
    return text


# --------------------------------------------------------------------------- suppliers


def compute_supplier_fields(fields: dict) -> dict:
    unknown = set(fields) - set(SUPPLIER_FIELDS)
    if unknown:
        raise InvoiceError(f"unknown supplier fields: {', '.join(sorted(unknown))}")
    clean = {}
    for key, value in fields.items():
        if isinstance(value, str):
            value = value.strip() or None
        if key == "default_unit_price" and value is not None:
            value = _decimal(value, "default unit price")
        if key == "tax_id":
            value = validate_tax_id(value)
        clean[key] = value
    if "name" in clean and not clean["name"]:
        raise InvoiceError("a supplier needs a name")
    return clean


# --------------------------------------------------------------------------- a month's totals


def _column_total(frame, column: str) -> Decimal:
    return sum((Decimal(v) for v in frame[column]), money.ZERO) if len(frame) else money.ZERO


def compute_month_totals(invoices) -> dict:
    """Totals of a month's invoices, void ones excluded: what is paid and the WHT to remit."""
    live = invoices[invoices["status"] != "void"] if len(invoices) else invoices
    return {
        "invoices": len(live),
        "void_invoices": len(invoices) - len(live),
        "subtotal": _column_total(live, "subtotal"),
        "withholding_tax_to_remit": _column_total(live, "tax_amount"),
        "net_paid": _column_total(live, "total_amount"),
    }


def compute_withholding_by_supplier(invoices):
    """Withholding tax to remit per supplier (tax id), void invoices excluded."""
    columns = ["supplier_name", "supplier_tax_id", "invoices", "subtotal", "tax_amount",
               "total_amount"]
    live = invoices[invoices["status"] != "void"] if len(invoices) else invoices
    rows = []
    for (name, tax_id), group in live.groupby(["supplier_name", "supplier_tax_id"], dropna=False,
                                              sort=True):
        rows.append({
            "supplier_name": name, "supplier_tax_id": tax_id, "invoices": len(group),
            "subtotal": sum(group["subtotal"], money.ZERO),
            "tax_amount": sum(group["tax_amount"], money.ZERO),
            "total_amount": sum(group["total_amount"], money.ZERO),
        })
    return pd.DataFrame(rows, columns=columns)
