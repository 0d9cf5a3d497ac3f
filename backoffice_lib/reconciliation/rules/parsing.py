"""The rules of a partner's or coach's file (business-rules §7): its cell rows into data (pure).

``reports.partner_file`` reads the CSV or .xlsx (at most 10 MB) into (line, cells) rows; the
rules below decide its header, columns, dates and amounts.

- Headers are recognised by meaning (``recognise_header``): a header that *contains* a known
  column name (``COLUMN_ALIASES``) is that column, the longest known name winning. Thai names are
  compounds without spaces and match anywhere (จำนวนเงิน stays an amount, จำนวนที่ขาย is a
  quantity, ราคาขายสุทธิ an amount); English names match whole words (``Net Amount (THB)``,
  ``Qty Sold``; ``Discount`` is not a count). Two cells naming one column: the exact name wins,
  then the longer name, then the leftmost cell.
- The header row is the row among the first 50 that names the most columns (at least two; the
  first of equals); title rows above it (merged or not) are skipped.
- A mapping (column -> header text, remembered per reconciliation type or given as
  ``--columns date=...,amount=...``) decides the columns it names before recognition. When a
  required column still cannot be decided the file is refused with ``ColumnsUndecided``, which
  carries the header row and a sample so that a person can map the columns once.
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

Pure: cell rows in, a frame and row errors out; no file, no database.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pandas as pd

from ... import money

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
        "จำนวนชั่วโมง", "ชั่วโมง", "จำนวนครั้ง", "total qty", "total quantity", "qty sold",
        "quantity sold", "no of lessons", "number of lessons",
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
NO_SKU = "-"  # a SKU cell of "-" means the line has no SKU
TOTAL_WORDS = ("total", "grand total", "subtotal", "sum", "รวม", "รวมทั้งสิ้น", "ยอดรวม")

CURRENCY_MARKS = re.compile(r"(฿|thb|บาท|baht)", re.IGNORECASE)
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
SLASH_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T].*)?$")
SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")


class ReconciliationError(ValueError):
    """Bad input that is not the file (unknown type or coach, bad period); for a person."""


class FileRefused(ValueError):
    """The whole file cannot be used; the message says why, for a person."""


@dataclass
class FilePreview:
    """What a person needs to map a file's columns: its header row and a few rows below it."""

    header_line: int  # line of the file (1-based); 0 when the file has no row at all
    header_cells: list[str]
    sample: list[list[str]]
    columns: dict[str, str]  # canonical column -> header text, as decided
    missing: list[str]  # required columns not decided ("product or sku" for a restaurant)
    decided: bool  # a header row was found (two or more columns named)


class ColumnsUndecided(FileRefused):
    """A required column cannot be decided from the header: map it once (``preview`` shows the
    header row and a sample)."""

    def __init__(self, message: str, preview: FilePreview):
        super().__init__(message)
        self.preview = preview


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
# longest first: the longest known name contained in a header decides its column
ALIASES_LONGEST_FIRST = sorted(ALIAS_TO_COLUMN.items(), key=lambda item: (-len(item[0]), item[0]))
THAI = re.compile(r"[\u0E00-\u0E7F]")


@dataclass(frozen=True)
class HeaderMatch:
    column: str  # canonical column
    alias: str  # the known name found in the header (normalized)
    exact: bool  # the whole header is that name

    @property
    def strength(self) -> tuple[bool, int]:
        return self.exact, len(self.alias)


def _contains(header: str, alias: str) -> bool:
    """Thai names are compounds without spaces: contained anywhere; other names as whole words."""
    if THAI.search(alias):
        return alias in header
    return f" {alias} " in f" {header} "


def recognise_header(value) -> HeaderMatch | None:
    """The column a header cell names: the longest known name it contains, or None."""
    return _recognise(normalize_header(value))


@functools.lru_cache(maxsize=8192)
def _recognise(header: str) -> HeaderMatch | None:
    if not header:
        return None
    for alias, column in ALIASES_LONGEST_FIRST:
        if _contains(header, alias):
            return HeaderMatch(column, alias, alias == header)
    return None


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


# --------------------------------------------------------------------------- cell rows to data


MAP_HINT = ("map the columns once in the reconciliation review dashboard, or with "
            "--columns date=<header>,amount=<header>,...")
SAMPLE_ROWS = 5


def match_header_cells(cells: list, mapping: dict[str, str] | None = None):
    """Canonical column -> cell index and -> header text of one row.

    Mapped headers (``mapping``: column -> header text, compared after ``normalize_header``) come
    first; every other cell is recognised by meaning, and when two cells name one column the
    stronger name wins (exact, then longer, then leftmost).
    """
    found: dict[str, int] = {}
    wanted = {normalize_header(text): column for column, text in (mapping or {}).items()}
    for index, cell in enumerate(cells):
        column = wanted.get(normalize_header(cell))
        if column and column not in found:
            found[column] = index
    taken = set(found.values())
    best: dict[str, tuple[tuple[bool, int], int]] = {}
    for index, cell in enumerate(cells):
        match = None if index in taken else recognise_header(cell)
        if match is None or match.column in found:
            continue
        if match.column not in best or match.strength > best[match.column][0]:
            best[match.column] = (match.strength, index)
    found.update({column: index for column, (_, index) in best.items()})
    ordered = dict(sorted(found.items(), key=lambda item: item[1]))
    return ordered, {column: _cell_text(cells[index]) for column, index in ordered.items()}


def _choose_header(rows, mapping) -> tuple[int, dict[str, int], dict[str, str], bool]:
    """(position in rows, columns, texts, decided): the row naming the most columns (at least
    two, the first of equals); else a guess (the first row with two filled cells), undecided."""
    best = None
    for position, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        found, texts = match_header_cells(cells, mapping)
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (position, found, texts)
    if best is not None:
        return (*best, True)
    for position, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        if sum(1 for c in cells if _cell_text(c)) >= 2:
            found, texts = match_header_cells(cells, mapping)
            return position, found, texts, False
    return 0, {}, {}, False


def required_columns(kind: str) -> tuple[str, ...]:
    return ("date", "amount", "customer") if kind == "coaching" else ("date", "amount", "quantity")


def missing_columns(kind: str, columns) -> list[str]:
    missing = [c for c in required_columns(kind) if c not in columns]
    if kind == "restaurant" and "sku" not in columns and "product" not in columns:
        missing.append("product or SKU")
    return missing


def _preview(rows, position: int, columns: dict, texts: dict, kind: str, decided: bool):
    if not rows:
        return FilePreview(0, [], [], {}, missing_columns(kind, {}), False)
    line, cells = rows[position]
    header = [_cell_text(c) for c in cells]
    sample = []
    for _, body in rows[position + 1:]:
        if len(sample) >= SAMPLE_ROWS:
            break
        values = [_sample_text(c) for c in body]
        if any(values):
            sample.append(values)
    return FilePreview(line, header, sample, dict(texts), missing_columns(kind, columns), decided)


def _sample_text(value) -> str:
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return _cell_text(value)


def compute_file_preview(rows: list[tuple[int, list]], kind: str,
                         mapping: dict[str, str] | None = None) -> FilePreview:
    """The header row a file's cell rows would be read with, a sample below it, and what is
    still missing."""
    position, columns, texts, decided = _choose_header(rows, mapping)
    return _preview(rows, position, columns, texts, kind, decided)


def find_header(rows: list[tuple[int, list]], kind: str = "restaurant",
                mapping: dict[str, str] | None = None):
    """Index in ``rows`` of the header, canonical column -> cell index, and -> header text.

    Raises ``ColumnsUndecided`` when no header row is found or a required column is missing.
    """
    position, columns, texts, decided = _choose_header(rows, mapping)
    preview = _preview(rows, position, columns, texts, kind, decided)
    if not decided:
        raise ColumnsUndecided(
            "no header row found: the first rows must name at least two columns such as "
            "Date, Name, Qty, Amount, Item (or วันที่, ชื่อ, จำนวน, จำนวนเงิน, ชื่อสินค้า); "
            + MAP_HINT, preview)
    if preview.missing:
        raise ColumnsUndecided(
            f"the header (line {rows[position][0]}) has no column for "
            f"{', '.join(preview.missing)}; found {', '.join(texts.values())}; " + MAP_HINT,
            preview)
    return position, columns, texts


def parse_column_mapping(text: str | None) -> dict[str, str]:
    """``date=Tag,amount=Betrag`` (the CLI form) -> {column: header}; raises ValueError."""
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        column, sep, header = part.partition("=")
        column, header = column.strip().lower(), header.strip()
        if not sep or not header:
            raise ValueError(f"--columns takes column=header pairs, not {part.strip()!r}")
        check_column_name(column)
        if column in mapping:
            raise ValueError(f"--columns names {column} twice")
        mapping[column] = header
    if not mapping:
        raise ValueError("--columns is empty: give column=header pairs such as amount=Net Total")
    return mapping


def check_column_name(column: str) -> None:
    if column not in COLUMN_ALIASES:
        raise ValueError(f"unknown column {column!r}; the columns are {', '.join(COLUMN_ALIASES)}")


def check_mapping_against_header(mapping: dict[str, str], preview: FilePreview) -> None:
    """Each mapped header must be a cell of the file's header row; one header, one column."""
    cells = {normalize_header(c): c for c in preview.header_cells if _cell_text(c)}
    seen: dict[str, str] = {}
    for column, header in mapping.items():
        key = normalize_header(header)
        if key not in cells:
            shown = ", ".join(c for c in preview.header_cells if c) or "nothing"
            raise ValueError(f"the file's header (line {preview.header_line}) has no column "
                             f"{header!r} for {column}; it has {shown}")
        if key in seen:
            raise ValueError(f"{header!r} cannot be both {seen[key]} and {column}")
        seen[key] = column


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


def compute_invoice_rows(rows: list[tuple[int, list]], kind: str,
                         mapping: dict[str, str] | None = None) -> ReadResult:
    """The (line, cells) rows of a ``restaurant`` or ``coaching`` file as a frame of ROW_COLUMNS.

    ``mapping`` (column -> header text) decides the columns it names before recognition.
    """
    if kind not in ("restaurant", "coaching"):
        raise ValueError(f"unknown file kind {kind!r}")
    position, columns, texts = find_header(rows, kind, mapping)
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
            if sku == NO_SKU:
                sku = None
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


def compute_period(rows: pd.DataFrame, date_from: dt.date | None, date_to: dt.date | None):
    """(start, end, rows inside, row errors for rows outside) of a file and an optional period."""
    start = date_from or min(rows["date"])
    end = date_to or max(rows["date"])
    if start > end:
        raise FileRefused(f"the period {start} to {end} is empty (start after end)")
    inside = rows["date"].map(lambda d: start <= d <= end).astype(bool)
    errors = [
        f"row {n}: date {d} is outside the period {start} to {end}"
        for n, d in zip(rows.loc[~inside, "row_number"], rows.loc[~inside, "date"])
    ]
    return start, end, rows.loc[inside], errors
