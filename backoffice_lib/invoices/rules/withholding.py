"""The withholding forms of supplier payments (supplier-tax.md §1–§4), pure.

- Which form: ``individual`` payees on ภ.ง.ด.3 (``pnd3``), ``juristic`` ones on ภ.ง.ด.53
  (``pnd53``); the month of a payment is the month of ``paid_on``; only paid, not void invoices
  with tax are listed (the queries select them); the amount paid is the subtotal.
- The attachment: payee rows numbered 1, 2, 3 … in order of tax ID then payment date, up to three
  payment lines a row (a fourth payment of the same payee starts the next row), six rows a sheet,
  numbering continued across sheets; sheet totals and the grand total.
- The text file for RD Prep: UTF-8 without a byte-order mark, ``|`` between fields, no header,
  one line per payment line, CR LF; dates ``DDMMYYYY`` in the Buddhist year, amounts with two
  decimals and no thousands separator, the rate without ``%``; a ``|`` in any text is refused.
- Supplier fields a form needs, named when missing (which supplier, which field).
- Certificate numbers: book = the Buddhist year of the payment, numbers running within a book,
  allocated in payment date then invoice number order, never reused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from ... import money
from . import InvoiceError, invoice_number_sort_key, thai_id_check_digit_valid

FORMS = ("pnd3", "pnd53")
FORM_OF_KIND = {"individual": "pnd3", "juristic": "pnd53"}
FORM_LABELS = {"pnd3": "ภ.ง.ด.3", "pnd53": "ภ.ง.ด.53"}
PAYEE_KINDS = tuple(FORM_OF_KIND)
LINES_PER_ROW = 3
ROWS_PER_SHEET = 6
CONDITION = "1"  # tax deducted from the payee; conditions 2 and 3 are refused (spec §1)
BUDDHIST_OFFSET = 543
TITLES = ("นาย", "นาง", "นางสาว", "Mr", "Mrs", "Ms")
ADDRESS_FIELDS = ("address_line", "subdistrict", "district", "province", "postal_code")
COMMON_FIELDS = ("payee_kind", "tax_id", "branch_no", *ADDRESS_FIELDS, "income_type_label")
FIELDS_OF_KIND = {"individual": ("title", "first_name", "last_name"), "juristic": ("name",)}
# What `supplier-set` may change (besides the invoice fields of rules.SUPPLIER_FIELDS)
TAX_FIELDS = ("payee_kind", "tax_id", "branch_no", "title", "first_name", "last_name",
              "address_line", "subdistrict", "district", "province", "postal_code",
              "income_type_code", "income_type_label")
PAYER_FIELDS = ("company_name", "company_tax_id", "company_branch_no")
PAYER_ADDRESS_FIELDS = ("company_address_line", "company_subdistrict", "company_district",
                        "company_province", "company_postal_code")
PND3_COLUMNS = ("seq", "tax_id", "branch", "title", "first_name", "last_name", "address_line",
                "subdistrict", "district", "province", "postal_code", "date_paid", "income_type",
                "rate", "amount_paid", "tax", "condition")
PND53_COLUMNS = ("seq", "tax_id", "branch", "name", "address_line", "subdistrict", "district",
                 "province", "postal_code", "date_paid", "income_type", "rate", "amount_paid",
                 "tax", "condition")
TEXT_COLUMNS = {"pnd3": PND3_COLUMNS, "pnd53": PND53_COLUMNS}
PAYER_LABEL = "the studio (invoice settings)"


class WithholdingError(InvoiceError):
    """A value the forms cannot hold (a ``|`` in a name, a bad postal code): one clear line."""


@dataclasses.dataclass(frozen=True)
class Payee:
    supplier_id: str
    name: str
    payee_kind: str | None
    tax_id: str | None
    branch_no: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address_line: str | None = None
    subdistrict: str | None = None
    district: str | None = None
    province: str | None = None
    postal_code: str | None = None
    income_type_code: str = "40(8)"
    income_type_label: str = "ค่าบริการ / ค่าจ้างทำของ"

    @property
    def form(self) -> str | None:
        return FORM_OF_KIND.get(self.payee_kind or "")

    @property
    def display_name(self) -> str:
        """Individual: title first last (the title joined as Thai writes it); juristic: name."""
        if self.payee_kind == "individual":
            title = self.title or ""
            joiner = " " if title in ("Mr", "Mrs", "Ms") else ""
            return f"{title}{joiner}{self.first_name or ''} {self.last_name or ''}".strip()
        return self.name

    @property
    def address(self) -> str:
        return " ".join(x for x in (self.address_line, self.subdistrict, self.district,
                                    self.province, self.postal_code) if x)


@dataclasses.dataclass(frozen=True)
class Payment:
    invoice_id: str
    invoice_number: str
    paid_on: dt.date
    rate: Decimal
    amount_paid: Decimal  # the invoice's subtotal
    tax: Decimal
    payee: Payee


@dataclasses.dataclass(frozen=True)
class FormRow:
    seq: int
    payee: Payee
    payments: tuple[Payment, ...]


@dataclasses.dataclass(frozen=True)
class Attachment:
    """One form of one month: its rows, cut into sheets of six, and the totals."""

    form: str
    month: str
    rows: tuple[FormRow, ...]

    @property
    def sheets(self) -> list[tuple[FormRow, ...]]:
        return [self.rows[i:i + ROWS_PER_SHEET] for i in range(0, len(self.rows), ROWS_PER_SHEET)]

    @property
    def payments(self) -> list[Payment]:
        return [p for row in self.rows for p in row.payments]

    @property
    def total_paid(self) -> Decimal:
        return compute_totals(self.rows)[0]

    @property
    def total_tax(self) -> Decimal:
        return compute_totals(self.rows)[1]

    def row_of(self, invoice_id) -> int | None:
        """The row number (ลำดับที่) of a payment, or None when it is not on this attachment."""
        for row in self.rows:
            if any(str(p.invoice_id) == str(invoice_id) for p in row.payments):
                return row.seq
        return None


# --------------------------------------------------------------------------- supplier data


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def compute_supplier_tax_fields(fields: dict) -> dict:
    """The supplier tax fields as given (only those), cleaned and checked; raises WithholdingError
    (or InvoiceError for the tax ID) with one line a person can act on."""
    from . import validate_tax_id

    unknown = set(fields) - set(TAX_FIELDS)
    if unknown:
        raise WithholdingError(f"unknown supplier tax fields: {', '.join(sorted(unknown))}")
    clean: dict = {}
    for key, value in fields.items():
        if isinstance(value, str):
            value = value.strip() or None
        if isinstance(value, str) and "|" in value:
            raise WithholdingError(f"{key} must not contain '|' (the filing's field separator)")
        clean[key] = value
    if "payee_kind" in clean and clean["payee_kind"] not in (None, *PAYEE_KINDS):
        raise WithholdingError(f"payee kind is individual or juristic, not {clean['payee_kind']!r}")
    if "tax_id" in clean:
        clean["tax_id"] = validate_tax_id(clean["tax_id"])
    if "branch_no" in clean:
        branch = clean["branch_no"] or "00000"
        if not re.fullmatch(r"[0-9]{1,5}", branch):
            raise WithholdingError(f"branch is 5 digits (00000 for the head office), not {branch!r}")
        clean["branch_no"] = branch.zfill(5)
    if clean.get("postal_code") is not None and not re.fullmatch(r"[0-9]{5}",
                                                                  clean["postal_code"]):
        raise WithholdingError(f"postal code is 5 digits, not {clean['postal_code']!r}")
    if clean.get("title") is not None and clean["title"] not in TITLES:
        raise WithholdingError(f"title is one of {', '.join(TITLES)}, not {clean['title']!r}")
    for key in ("income_type_code", "income_type_label"):
        if key in clean and clean[key] is None:
            raise WithholdingError(f"{key} cannot be empty")
    return clean


def compute_payer_setting(key: str, value: str) -> str:
    """An invoice setting as stored: the studio's tax ID with its check digit, its branch and
    postal code as 5 digits, no ``|`` in what the forms carry; other keys unchanged."""
    text = str(value).strip()
    if key not in PAYER_FIELDS + PAYER_ADDRESS_FIELDS:
        return str(value)
    if "|" in text:
        raise WithholdingError(f"{key} must not contain '|' (the filing's field separator)")
    if key == "company_tax_id" and text:
        from . import validate_tax_id

        text = validate_tax_id(text) or ""
    if key == "company_branch_no":
        if not re.fullmatch(r"[0-9]{1,5}", text or "0"):
            raise WithholdingError(f"branch is 5 digits (00000 for the head office), not {text!r}")
        text = (text or "0").zfill(5)
    if key == "company_postal_code" and text and not re.fullmatch(r"[0-9]{5}", text):
        raise WithholdingError(f"postal code is 5 digits, not {text!r}")
    return text


def compute_missing_fields(payees: Iterable[Payee]) -> list[tuple[str, str]]:
    """(supplier name, field) for each field a form needs that a payee lacks, by name."""
    missing = []
    for payee in sorted(payees, key=lambda p: (p.name, p.supplier_id)):
        kind_fields = FIELDS_OF_KIND.get(payee.payee_kind or "", ())
        for field in (*COMMON_FIELDS, *kind_fields):
            value = getattr(payee, field)
            if _blank(value) or (field == "tax_id" and not thai_id_check_digit_valid(value)):
                missing.append((payee.name, field))
    return missing


def compute_missing_payer_fields(company: dict, *, address: bool) -> list[tuple[str, str]]:
    """(PAYER_LABEL, key) for the invoice settings a form (``address``: a certificate) needs."""
    keys = PAYER_FIELDS + (PAYER_ADDRESS_FIELDS if address else ())
    missing = [(PAYER_LABEL, k) for k in keys if _blank(company.get(k))]
    tax_id = company.get("company_tax_id")
    if not _blank(tax_id) and not thai_id_check_digit_valid(tax_id):
        missing.append((PAYER_LABEL, "company_tax_id"))
    return missing


# --------------------------------------------------------------------------- the attachment


def compute_form_rows(payments: Iterable[Payment]) -> tuple[FormRow, ...]:
    """Rows of one form: payees by tax ID, each payee's payments by date (then invoice number)
    three to a row, rows numbered from 1 in order of tax ID then the row's first payment date."""
    by_payee: dict[str, list[Payment]] = {}
    for payment in payments:
        by_payee.setdefault(str(payment.payee.supplier_id), []).append(payment)
    chunks = []
    for group in by_payee.values():
        group.sort(key=lambda p: (p.paid_on, invoice_number_sort_key(p.invoice_number)))
        for start in range(0, len(group), LINES_PER_ROW):
            chunks.append(tuple(group[start:start + LINES_PER_ROW]))
    chunks.sort(key=lambda c: (c[0].payee.tax_id or "", c[0].paid_on,
                               invoice_number_sort_key(c[0].invoice_number)))
    return tuple(FormRow(seq, chunk[0].payee, chunk) for seq, chunk in enumerate(chunks, 1))


def compute_attachments(month: str, payments: Iterable[Payment]) -> dict[str, Attachment]:
    """The month's attachment of each form that has payments ({} when none)."""
    by_form: dict[str, list[Payment]] = {}
    for payment in payments:
        form = payment.payee.form
        if form is None:
            raise WithholdingError(f"{payment.payee.name}: payee_kind is missing")
        by_form.setdefault(form, []).append(payment)
    return {form: Attachment(form, month, compute_form_rows(by_form[form]))
            for form in FORMS if form in by_form}


def compute_totals(rows: Iterable[FormRow]) -> tuple[Decimal, Decimal]:
    """(amount paid, tax) of some rows: a sheet's totals or the grand total."""
    paid, tax = money.ZERO, money.ZERO
    for row in rows:
        for payment in row.payments:
            paid += payment.amount_paid
            tax += payment.tax
    return paid, tax


# --------------------------------------------------------------------------- the text file


def format_date_be(day: dt.date) -> str:
    """``DDMMYYYY`` in the Buddhist year: 2025-07-05 → 05072568."""
    return f"{day.day:02d}{day.month:02d}{day.year + BUDDHIST_OFFSET:04d}"


def format_amount(value: Decimal) -> str:
    """Two decimals, no thousands separator: 10000 → 10000.00."""
    return f"{money.round_money(value):.2f}"


def compute_text_fields(form: str, row: FormRow, payment: Payment) -> list[str]:
    """The fields of one line of the RD Prep text file, in the order of TEXT_COLUMNS[form]."""
    payee = row.payee
    if form == "pnd3":
        who = [payee.title, payee.first_name, payee.last_name]
    else:
        who = [payee.name]
    fields = [str(row.seq), payee.tax_id, payee.branch_no, *who, payee.address_line,
              payee.subdistrict, payee.district, payee.province, payee.postal_code,
              format_date_be(payment.paid_on), payee.income_type_label,
              format_amount(payment.rate), format_amount(payment.amount_paid),
              format_amount(payment.tax), CONDITION]
    clean = []
    for column, value in zip(TEXT_COLUMNS[form], fields):
        text = "" if value is None else str(value)
        if "|" in text or "\r" in text or "\n" in text:
            raise WithholdingError(
                f"{payee.name}: {column} holds '|' or a line break, which the text file cannot "
                "carry; correct the supplier")
        clean.append(text)
    return clean


def compose_text_file(attachment: Attachment) -> bytes:
    """The RD Prep import file of one attachment: UTF-8 (no BOM), ``|``, CR LF, no header."""
    lines = ["|".join(compute_text_fields(attachment.form, row, payment))
             for row in attachment.rows for payment in row.payments]
    return "".join(line + "\r\n" for line in lines).encode("utf-8")


# --------------------------------------------------------------------------- certificate numbers


def book_of(paid_on: dt.date) -> int:
    """A certificate's book: the Buddhist year of its payment."""
    return paid_on.year + BUDDHIST_OFFSET


def compute_new_certificate_numbers(
    payments: Iterable[Payment], last_numbers: dict[int, int]
) -> list[tuple[Payment, int, int]]:
    """(payment, book, number) for payments that have no certificate yet, in payment date then
    invoice number order, each book continuing after its last number (``last_numbers``; a number
    once given, void or not, is never given again)."""
    ordered = sorted(payments,
                     key=lambda p: (p.paid_on, invoice_number_sort_key(p.invoice_number)))
    last = dict(last_numbers)
    allocated = []
    for payment in ordered:
        book = book_of(payment.paid_on)
        last[book] = last.get(book, 0) + 1
        allocated.append((payment, book, last[book]))
    return allocated
