"""The social-security upload file (สปส.1-10 as text), pure: every byte position lives here.

The layout comes from community implementations of Thai payroll tools, not from an official
specification (statutory-payroll.md §3): TIS-620 text, 135 bytes a record, records separated by
CR LF, amounts as whole satang without a decimal point, zero-padded on the left; text padded with
spaces on the right (cut to its width in bytes); dates in Buddhist-era years.

Header (record type ``1``)            Detail (record type ``2``, one per insured person)
  1-1    record type "1"                1-1     record type "2"
  2-11   employer account (10)          2-14    national ID (13)
  12-17  branch (6)                     15-17   title code (003 นาย, 004 นางสาว, 005 นาง)
  18-23  pay date ddmmyy (B.E.)         18-47   first name (30)
  24-27  period mmyy (B.E.)             48-82   last name (35)
  28-72  company name (45)              83-96   wage (14, satang)
  73-76  rate × 100 (4: 5 % → 0500)     97-108  contribution (12, satang)
  77-82  employee count (6)             109-135 spaces (27)
  83-97  total wages (15, satang)
  98-111 total contributions (14, satang: both shares)
  112-123 employee share (12, satang)
  124-135 employer share (12, satang)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ... import money

RECORD_BYTES = 135
ENCODING = "tis-620"
NEWLINE = b"\r\n"
TITLE_CODES = {"นาย": "003", "mr": "003", "mr.": "003",
               "นางสาว": "004", "ms": "004", "ms.": "004", "miss": "004",
               "นาง": "005", "mrs": "005", "mrs.": "005"}
BUDDHIST_ERA_OFFSET = 543


class UploadFileError(ValueError):
    """A value does not fit the upload file (too long a number, unknown title, bad ID)."""


@dataclass(frozen=True)
class UploadHeader:
    employer_account: str
    branch: str
    pay_date: dt.date
    period: dt.date  # any day of the month filed
    company_name: str
    employee_rate: Decimal  # 0.05
    employee_count: int
    total_wages: Decimal
    employee_share: Decimal
    employer_share: Decimal


@dataclass(frozen=True)
class UploadLine:
    national_id: str
    title: str
    first_name: str
    last_name: str
    wage: Decimal
    contribution: Decimal


def title_code(title: str | None) -> str:
    code = TITLE_CODES.get((title or "").strip().lower())
    if code is None:
        raise UploadFileError(f"title {title!r} has no social-security code "
                              "(นาย/นาง/นางสาว or Mr/Mrs/Ms)")
    return code


def _digits(value: str, width: int, name: str) -> bytes:
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > width:
        raise UploadFileError(f"{name} must be at most {width} digits, not {value!r}")
    return text.rjust(width, "0").encode("ascii")


def _number(value: int, width: int, name: str) -> bytes:
    text = str(int(value))
    if int(value) < 0 or len(text) > width:
        raise UploadFileError(f"{name} {value} does not fit {width} digits")
    return text.rjust(width, "0").encode("ascii")


def _satang(amount, width: int, name: str) -> bytes:
    """An amount in THB as whole satang: 1650.5 → b'000000165050'."""
    cents = money.round_money(amount) * 100
    return _number(int(cents), width, name)


def _text(value: str | None, width: int) -> bytes:
    """TIS-620 text cut to ``width`` bytes (never inside a character: one byte each) and padded."""
    data = (value or "").strip().encode(ENCODING, errors="replace")[:width]
    return data.ljust(width, b" ")


def _be_date(day: dt.date, pattern: str) -> str:
    year = f"{(day.year + BUDDHIST_ERA_OFFSET) % 100:02d}"
    return pattern.format(dd=f"{day.day:02d}", mm=f"{day.month:02d}", yy=year)


def header_record(h: UploadHeader) -> bytes:
    record = b"".join([
        b"1",
        _digits(h.employer_account, 10, "employer account"),
        _digits(h.branch, 6, "branch"),
        _be_date(h.pay_date, "{dd}{mm}{yy}").encode("ascii"),
        _be_date(h.period, "{mm}{yy}").encode("ascii"),
        _text(h.company_name, 45),
        _number(int(money.round_money(h.employee_rate * 100) * 100), 4, "rate"),
        _number(h.employee_count, 6, "employee count"),
        _satang(h.total_wages, 15, "total wages"),
        _satang(h.employee_share + h.employer_share, 14, "total contributions"),
        _satang(h.employee_share, 12, "employee share"),
        _satang(h.employer_share, 12, "employer share"),
    ])
    assert len(record) == RECORD_BYTES, len(record)
    return record


def detail_record(line: UploadLine) -> bytes:
    if len(line.national_id or "") != 13:
        raise UploadFileError(f"national ID must be 13 digits, not {line.national_id!r}")
    record = b"".join([
        b"2",
        _digits(line.national_id, 13, "national ID"),
        title_code(line.title).encode("ascii"),
        _text(line.first_name, 30),
        _text(line.last_name, 35),
        _satang(line.wage, 14, "wage"),
        _satang(line.contribution, 12, "contribution"),
        b" " * 27,
    ])
    assert len(record) == RECORD_BYTES, len(record)
    return record


def compose_upload_file(header: UploadHeader, lines: list[UploadLine]) -> bytes:
    """The whole file: the header record, then one detail record per line, each ending CR LF."""
    records = [header_record(header)] + [detail_record(line) for line in lines]
    return b"".join(record + NEWLINE for record in records)
