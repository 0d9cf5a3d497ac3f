"""Files people open in a spreadsheet: what the workbench writes is data, never a formula; what it
reads from outside is bounded before it is parsed (issue 22).

Writing (the OWASP CSV-injection rule). A text value beginning with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return could run as a formula in Excel or LibreOffice (``=HYPERLINK(...)``,
``@SUM(1)``, ``-2+3``). Every CSV and workbook the workbench writes goes through one rule:

- ``inert_value`` / ``inert_row``: such text gets a leading single quote (``'=HYPERLINK(...)``), the
  form every spreadsheet shows as text. Use them on each CSV field.
- ``make_workbook_inert(book)``: before an openpyxl workbook is saved, every text cell is a string
  cell (data type ``s``, never ``f``ormula or ``e``rror) and such text is also marked
  quote-prefixed, its characters unchanged; editing the cell later does not turn it into a formula.
- ``inert_sql(expression)``: the same rule inside a PostgreSQL ``COPY ... TO STDOUT`` query.
- ``workbook_frame`` / ``workbook_row``: a control character a workbook cannot hold becomes
  U+FFFD before openpyxl sees it (openpyxl refuses the whole file for one stray byte).

Numbers stay numbers: ``int``, ``Decimal``, ``float`` (negatives included) are never touched, and
neither is text that is exactly a plain decimal number (``-1200.00``, the CLI's money columns):
a spreadsheet reads it as that number, never as a formula. ``-2+3`` or ``-1e5`` are not plain.

Reading. An ``.xlsx`` is a zip: 300 KB can unpack to gigabytes or declare millions of cells.
``check_xlsx_archive`` looks at the zip before any XML is parsed (total uncompressed size, the
compression ratio of each large member), ``read_xlsx_first_sheet`` then opens it with openpyxl in
read-only streaming mode, refuses a sheet whose declared dimension is beyond the limits and stops
at the first row or column beyond them whatever it declared; merged ranges are filled with their
top-left value. ``check_csv_text`` bounds a CSV's line length before the ``csv`` module parses it and
``check_csv_record`` its rows and columns while it does. The limits are ``settings.upload_limits()``
(environment variables with defaults); a refusal is ``SpreadsheetRefused``, a message for a person.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from . import settings

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z", re.ASCII)
QUOTE = "'"
CHUNK = 1 << 20  # bytes read at a time from a zip member


# --------------------------------------------------------------------------- writing


def is_formula_text(value) -> bool:
    """True for text a spreadsheet could evaluate: it begins with = + - @, a tab or a CR and is
    not a plain decimal number."""
    return (isinstance(value, str) and value.startswith(FORMULA_STARTS)
            and not PLAIN_NUMBER.match(value))


def inert_value(value):
    """``value`` for a CSV field: formula-like text gets a leading ``'``; anything else (numbers,
    dates, None, ordinary text) is returned unchanged. A carriage return inside text becomes a
    line feed (as in a workbook's XML): Python's ``csv`` quotes a field holding the line end it
    writes (``\n``) but not a lone ``\r``, which a spreadsheet would read as a new row."""
    if not isinstance(value, str):
        return value
    text = QUOTE + value if is_formula_text(value) else value
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def inert_row(values: Iterable) -> list:
    """``inert_value`` of each field of a CSV row."""
    return [inert_value(v) for v in values]


def inert_frame(frame):
    """A copy of a pandas DataFrame with ``inert_value`` applied to every cell (for ``to_csv``)."""
    return frame.map(inert_value) if len(frame.columns) else frame.copy()


# Control characters a workbook's XML cannot hold (openpyxl refuses the whole file for one).
NOT_IN_WORKBOOKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"


def workbook_text(value):
    """``value`` for a workbook cell: a control character a workbook cannot hold (a bell typed in
    a name, a partner file's stray byte) becomes U+FFFD instead of failing the whole file."""
    if isinstance(value, str) and NOT_IN_WORKBOOKS.search(value):
        return NOT_IN_WORKBOOKS.sub(REPLACEMENT, value)
    return value


def workbook_row(values: Iterable) -> list:
    """``workbook_text`` of each value of a row for ``sheet.append``."""
    return [workbook_text(v) for v in values]


def workbook_frame(frame):
    """A copy of a DataFrame whose text cells a workbook can hold (``workbook_text``), for
    ``to_excel``; ``make_workbook_inert`` then makes formula-like text inert."""
    return frame.map(workbook_text) if len(frame.columns) else frame.copy()


def make_cell_inert(cell) -> None:
    """One openpyxl cell: text is a string cell; formula-like text is also quote-prefixed."""
    value = cell.value
    if not isinstance(value, str):
        return
    if cell.data_type != "s":  # "=..." was taken for a formula, "#REF!" for an error
        cell.data_type = "s"
    if is_formula_text(value):
        cell.quotePrefix = True


def make_workbook_inert(book) -> None:
    """Every text cell of every sheet of an openpyxl workbook (call it just before saving)."""
    for sheet in book.worksheets:
        for cell in sheet._cells.values():  # the written cells only, no empty ones created
            if isinstance(cell.value, str):
                make_cell_inert(cell)


def inert_sql(expression: str) -> str:
    """PostgreSQL text expression -> the same rule: formula-like text gets a leading quote."""
    return (f"CASE WHEN ({expression}) ~ '^[-=+@\\t\\r]' AND ({expression}) !~ '^-?[0-9]+(\\.[0-9]+)?$'"
            f" THEN '''' || ({expression}) ELSE ({expression}) END")


def is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


# --------------------------------------------------------------------------- reading


class SpreadsheetRefused(ValueError):
    """An upload beyond the limits (or not a spreadsheet); the message says why, for a person."""


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def normalise_zip(data: bytes, stamp) -> bytes:
    """A workbook's zip rewritten with one fixed date on every entry (openpyxl stamps the current
    time), so the same data gives the same bytes and the same checksum on every run."""
    import io

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl sets "modified" to now on save
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    content,
                )
            target.writestr(fixed, content)
    return out.getvalue()


def check_xlsx_archive(path: str | Path, name: str,
                       limits: settings.UploadLimits | None = None) -> None:
    """Refuse an .xlsx whose zip is not one, unpacks beyond the size limit, packs a large member
    more tightly than the ratio limit, or whose other parts hold more shared texts than the cell
    limit or more elements than an ordinary file (openpyxl loads them all before the first row,
    ~10 µs each). The zip's directory, then a count of tags on the bytes of the parts other than
    the sheets: no XML is parsed."""
    limits = limits or settings.upload_limits()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SpreadsheetRefused(f"{name} is not an Excel (.xlsx) file; save it again from "
                                 "Excel or export it as CSV") from None
    if len(members) > limits.max_zip_members:
        raise SpreadsheetRefused(f"{name} holds {len(members):,} parts; an Excel file of at most "
                                 f"{limits.max_zip_members:,} is read")
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise SpreadsheetRefused(
            f"{name} would unpack to {_megabytes(total)}; at most "
            f"{_megabytes(limits.max_uncompressed_bytes)} is read. Keep only the sheet you need "
            "or save it as CSV")
    for member in members:
        if member.file_size > limits.ratio_checked_from_bytes:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise SpreadsheetRefused(
                    f"{name} is packed {ratio:,.0f} times ({member.filename}): not an ordinary "
                    "spreadsheet (a zip bomb?); save it again from Excel or as CSV")
    texts, texts_elements, part, elements = _count_elements(path, members)
    if texts > limits.max_cells or texts_elements > 4 * limits.max_cells:
        raise SpreadsheetRefused(
            f"{name} holds {texts:,} different texts; at most {limits.max_cells:,} cells are "
            "read. Keep only the sheet you need or save it as CSV")
    if elements > MAX_PART_ELEMENTS:
        raise SpreadsheetRefused(
            f"{name} holds {elements:,} entries in {part} (cell formats, names…); an ordinary "
            f"Excel file has far fewer than {MAX_PART_ELEMENTS:,}. Save it again from Excel or "
            "as CSV")


# openpyxl parses every part but the sheets when it opens a workbook (the shared-string table,
# the styles, the workbook's names, document properties), all before the first row, ~10 µs an
# element: counted first on the bytes (``bytes.count``, no parsing). The shared-string table is
# bounded by the cell limit; any other part by MAX_PART_ELEMENTS (Excel keeps at most 64,000 cell
# formats; a styles part of 700,000 took openpyxl 10 s and 500 MB).
MAX_PART_ELEMENTS = 500_000
ROOT = re.compile(rb"\s*(?:<\?[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:(\w+):)?(\w+)", re.DOTALL)


def _count_elements(path, members) -> tuple[int, int, str, int]:
    """(texts of the shared-string table, all its elements, the other part with the most
    elements, their count): elements are ``<`` not followed by ``/``, ``?`` or ``!``; a ``<`` cut
    between chunks is carried into the next one."""
    texts = texts_elements = most = 0
    worst = ""
    with zipfile.ZipFile(path) as archive:
        for member in members:
            if member.filename.startswith("xl/worksheets/") or member.is_dir():
                continue
            tail, text_tag, found = b"", None, 0
            with archive.open(member) as source:
                while True:
                    chunk = source.read(CHUNK)
                    data = tail + chunk
                    if text_tag is None:
                        root = ROOT.match(data)
                        is_table = bool(root) and root.group(2) == b"sst"
                        prefix = root.group(1) + b":" if root and root.group(1) else b""
                        text_tag = b"<" + prefix + b"si" if is_table else b""
                    cut = data.rfind(b"<", max(0, len(data) - 32)) if chunk else -1
                    body, tail = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
                    found += (body.count(b"<") - body.count(b"</") - body.count(b"<?")
                              - body.count(b"<!"))
                    if text_tag:
                        texts += body.count(text_tag)
                    if not chunk:
                        break
            if text_tag:
                texts_elements += found
            elif found > most:
                most, worst = found, member.filename
    return texts, texts_elements, worst, most


def _check_extent(name: str, rows: int | None, columns: int | None,
                  limits: settings.UploadLimits, declared: bool) -> None:
    """Refuse ``rows`` or ``columns`` beyond the limits: as the sheet declares them, or as met
    while reading (then the message names the limit)."""
    if rows is not None and rows > limits.max_rows:
        said = f"declares {rows:,}" if declared else f"has more than {limits.max_rows:,}"
        raise SpreadsheetRefused(
            f"{name} {said} rows; at most {limits.max_rows:,} rows are read. Split the file "
            "(by month, for example) or keep only the rows you need")
    if columns is not None and columns > limits.max_columns:
        said = f"declares {columns:,}" if declared else f"has more than {limits.max_columns:,}"
        raise SpreadsheetRefused(
            f"{name} {said} columns; at most {limits.max_columns:,} columns are read. Delete "
            "the columns you do not need")


MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+):([A-Z]+[0-9]+)\"")


def _merged_ranges(archive_open, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """(min_row, max_row, min_col, max_col) of each ``<mergeCell>`` of the sheet XML, scanned as
    bytes in chunks (the ranges follow the sheet data; cell text cannot hold a raw ``<``)."""
    from openpyxl.utils.cell import range_boundaries

    found, tail = [], b""
    with archive_open(sheet_path) as source:
        while chunk := source.read(CHUNK):
            data = tail + chunk
            last_end = 0
            for match in MERGE_CELL.finditer(data):
                min_col, min_row, max_col, max_row = range_boundaries(
                    f"{match.group(1).decode()}:{match.group(2).decode()}")
                found.append((min_row, max_row, min_col, max_col))
                last_end = match.end()
            tail = data[max(last_end, len(data) - 256):]
    return found


def read_xlsx_first_sheet(path: str | Path, name: str,
                          limits: settings.UploadLimits | None = None) -> list[tuple[int, list]]:
    """(row number, values) of the first sheet's rows, within the limits, merged cells filled with
    their top-left value. ``check_xlsx_archive`` first; openpyxl in read-only streaming mode."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    limits = limits or settings.upload_limits()
    check_xlsx_archive(path, name, limits)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, TypeError, OSError, ValueError, SyntaxError,
            zipfile.BadZipFile) as exc:  # XML errors (defusedxml's too) are SyntaxErrors
        raise SpreadsheetRefused(f"the Excel file cannot be opened: {exc}") from None
    try:
        if not book.worksheets:
            raise SpreadsheetRefused(f"{name} has no sheet")
        sheet = book.worksheets[0]
        declared_rows, declared_columns = sheet.max_row, sheet.max_column
        _check_extent(name, declared_rows, declared_columns, limits, declared=True)
        if declared_rows and declared_columns and \
                declared_rows * declared_columns > limits.max_cells:
            raise SpreadsheetRefused(
                f"{name} declares {declared_rows:,} rows x {declared_columns:,} columns; at most "
                f"{limits.max_cells:,} cells are read. Delete the rows and columns you do not need")
        rows = _stream_rows(sheet, name, limits)
        merged = _merged_ranges(book._archive.open, sheet._worksheet_path)
    except SpreadsheetRefused:
        raise
    except (KeyError, TypeError, ValueError, SyntaxError, OSError, zipfile.BadZipFile) as exc:
        # a malformed sheet (XML errors are SyntaxError subclasses) is refused, not a traceback
        raise SpreadsheetRefused(f"the Excel file cannot be read: {exc}") from None
    finally:
        book.close()
    _fill_merged(rows, merged, name, limits)
    return sorted(rows.items())


def _stream_rows(sheet, name: str, limits: settings.UploadLimits) -> dict[int, list]:
    """Row number -> values (every row as wide as the widest), stopping at the first row or
    filled column beyond the limits. The declared dimension was checked but is not trusted for
    reading (some programs write ``A1`` whatever the size). Each row is as wide as its last cell
    (at most 16,384 columns, the format's limit): the first too wide is refused."""
    sheet.reset_dimensions()
    rows: dict[int, list] = {}
    widest = filled = 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > limits.max_rows:
            _check_extent(name, number, None, limits, declared=False)
        if len(values) > limits.max_columns and any(
                v is not None for v in values[limits.max_columns:]):
            _check_extent(name, None, len(values), limits, declared=False)
        cells = list(values[: limits.max_columns])
        while cells and cells[-1] is None:
            cells.pop()
        widest = max(widest, len(cells))
        filled += len(cells)
        if filled > limits.max_cells:
            raise SpreadsheetRefused(
                f"{name} has more than {limits.max_cells:,} cells; at most {limits.max_cells:,} "
                "are read. Split the file (by month, for example)")
        rows[number] = cells
    for cells in rows.values():
        cells.extend([None] * (widest - len(cells)))
    return rows


def _fill_merged(rows: dict[int, list], merged, name: str, limits: settings.UploadLimits) -> None:
    filled = 0
    for min_row, max_row, min_col, max_col in merged:
        if min_row > limits.max_rows or min_col > limits.max_columns:
            continue
        max_row, max_col = min(max_row, limits.max_rows), min(max_col, limits.max_columns)
        filled += (max_row - min_row + 1) * (max_col - min_col + 1)
        if filled > limits.max_cells:
            raise SpreadsheetRefused(f"{name} merges more than {limits.max_cells:,} cells; "
                                     "unmerge them or save the sheet as CSV")
        top_left = rows.get(min_row, [])
        value = top_left[min_col - 1] if min_col - 1 < len(top_left) else None
        for r in range(min_row, max_row + 1):
            cells = rows.setdefault(r, [])
            if len(cells) < max_col:
                cells.extend([None] * (max_col - len(cells)))
            for c in range(min_col, max_col + 1):
                cells[c - 1] = value


def check_csv_text(text: str, name: str, limits: settings.UploadLimits | None = None) -> None:
    """Refuse a CSV with a line longer than the limit (before the ``csv`` module reads it)."""
    limits = limits or settings.upload_limits()
    start = 0
    length = len(text)
    line = 1
    while start < length:
        end = text.find("\n", start)
        end = length if end < 0 else end
        if end - start > limits.max_line_chars:
            raise SpreadsheetRefused(
                f"{name} has a line of {end - start:,} characters (line {line}); at most "
                f"{limits.max_line_chars:,} are read. Is it really a CSV file?")
        start, line = end + 1, line + 1


def check_csv_record(name: str, count: int, record: list,
                     limits: settings.UploadLimits) -> None:
    """The ``count``-th record (1-based) of a CSV: refused beyond the row or column limit."""
    if count > limits.max_rows:
        _check_extent(name, count, None, limits, declared=False)
    if len(record) > limits.max_columns:
        _check_extent(name, None, len(record), limits, declared=False)
