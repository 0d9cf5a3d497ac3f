"""Reading a partner's or coach's file (business-rules §7): CSV or .xlsx, at most 10 MB.

- The header row is the first row with two or more cells that name a known column, in English or
  Thai (``COLUMN_ALIASES``); title rows above it (merged or not) are skipped.
- Merged cells of an .xlsx are filled with their top-left value (a date merged down a day's rows
  applies to each row). A UTF-8 BOM is ignored; CSV that is not UTF-8 is read as Thai Windows
  (cp874). The delimiter (, ; tab |) is sniffed.
- Amounts may carry ฿, THB, บาท, spaces and thousands separators; ``(1,200.00)`` is negative.
- Dates: ISO (2025-01-31, with or without a time), D/M/YYYY or M/D/YYYY (also with - or .),
  Excel serial numbers, real Excel dates, and Buddhist-era years (2568 → 2025). A slash date is
  read in the order the file itself proves (a row such as 25/01/2025 or 01/25/2025); when no row
  proves it, the ambiguous form is D/M for ``restaurant`` and M/D for coaching.
- Quantity defaults to 1 for coaching; a restaurant row needs one.
- Wholly empty rows and total lines ("Total", "รวม" with no date) are skipped silently; any other
  row that cannot be read is reported as ``row N: why`` (N = the line of the file, 1-based) and left
  out. A file with no header or no readable row is refused (``FileRefused``).

Pure I/O on files; no database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from .. import money

MAX_FILE_BYTES = 10 * 1024 * 1024
HEADER_SCAN_ROWS = 50
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIAL_RANGE = (20000, 80000)  # 1954 … 2119: a bare number in a date column in this range
BUDDHIST_ERA_OFFSET = 543

# canonical column -> names as they appear in files (compared after ``normalize_header``)
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "date": (
        "date", "lesson date", "sale date", "sales date", "transaction date", "invoice date",
        "day", "service date", "วันที่", "วัน", "วันที่ขาย", "วันที่เรียน", "วันเดือนปี",
    ),
    "customer": (
        "name", "student", "student name", "customer", "customer name", "client", "member",
        "ชื่อ", "ลูกค้า", "ชื่อลูกค้า", "ชื่อนักเรียน", "นักเรียน", "ชื่อ-นามสกุล", "ชื่อ นามสกุล",
    ),
    "quantity": (
        "qty", "quantity", "lessons", "hours", "hrs", "units", "count", "pcs", "จำนวน",
        "จำนวนชั่วโมง", "ชั่วโมง", "จำนวนครั้ง",
    ),
    "amount": (
        "amount", "total", "fee", "price", "total amount", "net amount", "sales", "net sales",
        "amount thb", "value", "ราคา", "จำนวนเงิน", "ยอดเงิน", "ยอดขาย", "รวมเงิน", "ค่าสอน",
        "ราคารวม", "เป็นเงิน",
    ),
    "product": (
        "item", "product", "description", "menu", "item name", "product name", "menu item",
        "ชื่อสินค้า", "สินค้า", "รายการ", "เมนู", "ชื่อเมนู",
    ),
    "sku": (
        "sku", "sku number", "sku no", "item code", "product code", "code", "barcode",
        "รหัสสินค้า", "รหัส",
    ),
}
TOTAL_WORDS = ("total", "grand total", "subtotal", "sum", "รวม", "รวมทั้งสิ้น", "ยอดรวม")

CURRENCY_MARKS = re.compile(r"(฿|thb|บาท|baht)", re.IGNORECASE)
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
SLASH_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T].*)?$")
SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")


class FileRefused(ValueError):
    """The whole file cannot be used; the message says why, for a person."""


@dataclass
class ReadResult:
    rows: pd.DataFrame  # row_number, date, customer, product, sku, quantity, amount
    row_errors: list[str] = field(default_factory=list)
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> header text in the file
    date_order: str = ""  # "D/M" or "M/D": how ambiguous slash dates were read


ROW_COLUMNS = ["row_number", "date", "customer", "product", "sku", "quantity", "amount"]


# --------------------------------------------------------------------------- cells


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).replace("\ufeff", "").replace("\xa0", " ").strip()


def normalize_header(value) -> str:
    text = _cell_text(value).lower()
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text)  # "Amount (THB)", "จำนวนเงิน (บาท)"
    text = CURRENCY_MARKS.sub(" ", text)
    text = re.sub(r"[^\w\s\u0E00-\u0E7F]|_", " ", text)  # Thai marks are not \w: keep the block
    return " ".join(text.split())


ALIAS_TO_COLUMN = {
    normalize_header(alias): column for column, aliases in COLUMN_ALIASES.items() for alias in aliases
}


THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?-?$")


def _strip_thousands(text: str, cell, what: str) -> str:
    """Remove spaces and thousands commas; a comma that is not a thousands separator is refused
    (``1 234,00`` is never read as 123400)."""
    text = re.sub(r"\s", "", text)
    if "," in text:
        if not THOUSANDS.match(text):
            raise ValueError(f"{what} {_cell_text(cell)!r} is not a number")
        text = text.replace(",", "")
    return text


def parse_amount(value) -> Decimal:
    """A money cell -> Decimal rounded to the satang; raises ValueError with a short reason."""
    if isinstance(value, bool):
        raise ValueError("amount is not a number")  # noqa: TRY004 (a cell, reported per row)
    if isinstance(value, int):
        return money.round_money(Decimal(value))
    if isinstance(value, float):
        return money.round_money(Decimal(repr(value)))  # the cell's shortest exact decimal
    if isinstance(value, Decimal):
        return money.round_money(value)
    text = _cell_text(value)
    if not text:
        raise ValueError("no amount")
    negative = text.startswith("(") and text.endswith(")")
    text = _strip_thousands(CURRENCY_MARKS.sub("", text.strip("()")), value, "amount")
    if text.endswith("-") and not text.startswith("-"):  # accounting "1200-"
        text = "-" + text[:-1]
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"amount {_cell_text(value)!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"amount {_cell_text(value)!r} is not a number")
    return money.round_money(-number if negative else number)


def parse_quantity(value) -> Decimal | None:
    """A quantity cell -> Decimal (2 decimals), or None when the cell is empty."""
    if value is None or _cell_text(value) == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    text = _strip_thousands(_cell_text(value), value, "quantity")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"quantity {_cell_text(value)!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"quantity {_cell_text(value)!r} is not a number")
    return money.round_hours(number)


def _year(value: int) -> int:
    return value - BUDDHIST_ERA_OFFSET if value > 2400 else value


def slash_date_parts(value) -> tuple[int, int] | None:
    """The two leading numbers of a slash date (for inferring the file's order), else None."""
    if isinstance(value, (dt.date, int, float)):
        return None
    match = SLASH_DATE.match(_cell_text(value))
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_date(value, day_first: bool) -> dt.date:
    """A date cell -> date; ``day_first`` settles ambiguous slash dates. Raises ValueError."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_serial(value)
    text = _cell_text(value)
    if not text:
        raise ValueError("no date")
    try:
        if match := ISO_DATE.match(text):
            return dt.date(_year(int(match.group(1))), int(match.group(2)), int(match.group(3)))
        if match := SLASH_DATE.match(text):
            first, second, year = int(match.group(1)), int(match.group(2)), _year(int(match.group(3)))
            if first > 12 and second <= 12:
                return dt.date(year, second, first)
            if second > 12 and first <= 12:
                return dt.date(year, first, second)
            return dt.date(year, second, first) if day_first else dt.date(year, first, second)
    except ValueError:
        raise ValueError(f"date {text!r} does not exist") from None
    if SERIAL.match(text):
        return _from_serial(float(text))
    raise ValueError(f"date {text!r} is not a date (use 2025-01-31, 31/01/2025 or an Excel date)")


def _from_serial(number: float) -> dt.date:
    low, high = EXCEL_SERIAL_RANGE
    if not low <= number <= high:
        raise ValueError(f"date {number!r} is not a date")
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


# --------------------------------------------------------------------------- files to cell rows


def _read_csv_rows(data: bytes) -> list[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp874", errors="replace")
    sample = "\n".join(text[:65536].splitlines()[:HEADER_SCAN_ROWS])  # the sniffer is slow on more
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = []
    start = 1
    try:
        for record in reader:
            rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileRefused(f"the CSV file cannot be read near line {start}: {exc}") from None
    return rows


def _read_xlsx_rows(path: Path) -> list[tuple[int, list]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Not read-only: merged ranges are only known on a fully loaded sheet.
        workbook = load_workbook(path, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileRefused(f"the Excel file cannot be opened: {exc}") from None
    sheet = workbook.worksheets[0]
    merged = [
        (r.min_row, r.max_row, r.min_col, r.max_col, sheet.cell(r.min_row, r.min_col).value)
        for r in sheet.merged_cells.ranges
    ]
    rows = {i: list(values) for i, values in enumerate(sheet.iter_rows(values_only=True), start=1)}
    for min_row, max_row, min_col, max_col, value in merged:
        for r in range(min_row, max_row + 1):
            cells = rows.setdefault(r, [])
            if len(cells) < max_col:
                cells.extend([None] * (max_col - len(cells)))
            for c in range(min_col, max_col + 1):
                cells[c - 1] = value
    workbook.close()
    return sorted(rows.items())


def read_cell_rows(path, file_name: str | None = None) -> list[tuple[int, list]]:
    """(line number, cells) of the file's first sheet or CSV; refuses big or unknown files."""
    path = Path(path)
    name = file_name or path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileRefused(f"cannot read {name}: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise FileRefused(
            f"{name} is {size / 1024 / 1024:.1f} MB; files of at most 10 MB are accepted"
        )
    if size == 0:
        raise FileRefused(f"{name} is empty")
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv_rows(path.read_bytes())
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx_rows(path)
    if suffix == ".xls":
        raise FileRefused(f"{name} is an old .xls workbook; save it as .xlsx or CSV")
    raise FileRefused(f"{name} is neither CSV nor .xlsx")


# --------------------------------------------------------------------------- cell rows to data


def find_header(rows: list[tuple[int, list]]) -> tuple[int, dict[str, int], dict[str, str]]:
    """Index in ``rows`` of the header, canonical column -> cell index, and -> header text."""
    for position, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        texts: dict[str, str] = {}
        for index, cell in enumerate(cells):
            column = ALIAS_TO_COLUMN.get(normalize_header(cell))
            if column and column not in found:
                found[column] = index
                texts[column] = _cell_text(cell)
        if len(found) >= 2:
            return position, found, texts
    raise FileRefused(
        "no header row found: the first rows must name at least two columns such as "
        "Date, Name, Qty, Amount, Item (or วันที่, ชื่อ, จำนวน, จำนวนเงิน, ชื่อสินค้า)"
    )


def required_columns(kind: str) -> tuple[str, ...]:
    return ("date", "amount", "customer") if kind == "coaching" else ("date", "amount", "quantity")


def _infer_day_first(date_cells: list, default_day_first: bool) -> tuple[bool, str]:
    votes_dm = votes_md = 0
    for cell in date_cells:
        parts = slash_date_parts(cell)
        if not parts:
            continue
        first, second = parts
        votes_dm += first > 12 >= second
        votes_md += second > 12 >= first
    if votes_dm and not votes_md:
        return True, "D/M"
    if votes_md and not votes_dm:
        return False, "M/D"
    return default_day_first, "D/M" if default_day_first else "M/D"


def _is_total_line(cells: list, date_text: str) -> bool:
    if date_text:
        return normalize_header(date_text) in TOTAL_WORDS
    return any(normalize_header(c) in TOTAL_WORDS for c in cells if _cell_text(c))


def read_invoice_file(path, kind: str, file_name: str | None = None) -> ReadResult:
    """Read the rows of a ``restaurant`` or ``coaching`` file into a frame of ROW_COLUMNS."""
    if kind not in ("restaurant", "coaching"):
        raise ValueError(f"unknown file kind {kind!r}")
    rows = read_cell_rows(path, file_name)
    position, columns, texts = find_header(rows)
    missing = [c for c in required_columns(kind) if c not in columns]
    if kind == "restaurant" and "sku" not in columns and "product" not in columns:
        missing.append("product or SKU")
    if missing:
        raise FileRefused(
            f"the header (line {rows[position][0]}) has no column for {', '.join(missing)}; "
            f"found {', '.join(texts.values())}"
        )
    body = rows[position + 1:]

    def cell(cells: list, column: str):
        index = columns.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    day_first, order = _infer_day_first([cell(c, "date") for _, c in body], kind == "restaurant")
    records, errors = [], []
    for line, cells in body:
        if not any(_cell_text(c) for c in cells):
            continue
        date_cell = cell(cells, "date")
        if _is_total_line(cells, _cell_text(date_cell)):
            continue
        try:
            day = parse_date(date_cell, day_first)
            amount = parse_amount(cell(cells, "amount"))
            quantity = parse_quantity(cell(cells, "quantity"))
            if quantity is None:
                if kind == "restaurant":
                    raise ValueError("no quantity")
                quantity = Decimal("1.00")
            customer = _cell_text(cell(cells, "customer")) or None
            product = _cell_text(cell(cells, "product")) or None
            sku = _cell_text(cell(cells, "sku")) or None
            if kind == "coaching" and not customer:
                raise ValueError("no name")
            if kind == "restaurant" and not (sku or product):
                raise ValueError("no item or SKU")
        except ValueError as exc:
            errors.append(f"row {line}: {exc}")
            continue
        records.append((line, day, customer, product, sku, quantity, amount))
    frame = pd.DataFrame(
        {name: pd.Series([r[i] for r in records], dtype=object) for i, name in enumerate(ROW_COLUMNS)}
    )
    if frame.empty:
        detail = f" ({len(errors)} unreadable: {errors[0]}…)" if errors else ""
        raise FileRefused(f"the file has no readable rows below its header{detail}")
    return ReadResult(frame, errors, rows[position][0], texts, order)
