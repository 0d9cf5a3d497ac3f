"""A partner's or coach's file read from disk (business-rules §7): CSV or .xlsx, at most 10 MB.

``load_cell_rows`` turns the file into (line, cells) rows, bounded before parsing (issue 22);
``rules.parsing`` decides the header, the columns and the values. Uploads from the review
dashboard are kept owner-only under the data dir (``save_upload``).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ... import bangkok, settings, spreadsheets
from ..rules.parsing import (
    HEADER_SCAN_ROWS,
    MAX_FILE_BYTES,
    FilePreview,
    FileRefused,
    ReadResult,
    compute_file_preview,
    compute_invoice_rows,
)

# --------------------------------------------------------------------------- files to cell rows


def _read_csv_rows(data: bytes, name: str, limits) -> list[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp874", errors="replace")
    spreadsheets.check_csv_text(text, name, limits)  # line length, before the csv module
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
            spreadsheets.check_csv_record(name, len(rows), record, limits)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileRefused(f"the CSV file cannot be read near line {start}: {exc}") from None
    return rows


def load_cell_rows(path, file_name: str | None = None) -> list[tuple[int, list]]:
    """(line number, cells) of the file's first sheet or CSV; refuses big or unknown files.

    Bounded before parsing (issue 22, ``settings.upload_limits``): an .xlsx is checked as a zip
    (unpacked size, compression ratio) and read in openpyxl's read-only streaming mode within the
    row and column limits; a CSV within the line-length, row and column limits."""
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
    try:
        limits = settings.upload_limits()
        if suffix in (".csv", ".txt", ".tsv"):
            return _read_csv_rows(path.read_bytes(), name, limits)
        if suffix in (".xlsx", ".xlsm"):
            return spreadsheets.read_xlsx_first_sheet(path, name, limits)
    except (spreadsheets.SpreadsheetRefused, ValueError) as exc:
        if isinstance(exc, FileRefused):
            raise
        raise FileRefused(str(exc)) from None
    if suffix == ".xls":
        raise FileRefused(f"{name} is an old .xls workbook; save it as .xlsx or CSV")
    raise FileRefused(f"{name} is neither CSV nor .xlsx")


def load_file_preview(path, kind: str, file_name: str | None = None,
                      mapping: dict[str, str] | None = None) -> FilePreview:
    """The header row a file would be read with, a sample below it, and what is still missing."""
    return compute_file_preview(load_cell_rows(path, file_name), kind, mapping)


def load_invoice_file(path, kind: str, file_name: str | None = None,
                      mapping: dict[str, str] | None = None) -> ReadResult:
    """Read the rows of a ``restaurant`` or ``coaching`` file into a frame of ROW_COLUMNS."""
    if kind not in ("restaurant", "coaching"):
        raise ValueError(f"unknown file kind {kind!r}")
    return compute_invoice_rows(load_cell_rows(path, file_name), kind, mapping)


def save_upload(name: str, content: bytes) -> str:
    """Keep an uploaded file under the data dir (uploads/<stamp>-<name>) and return its path."""
    safe = re.sub(r"[^\w.\-]+", "_", name)[-120:] or "upload"
    folder = settings.private_dir(settings.data_dir() / "uploads" / "reconciliation")
    path = folder / f"{bangkok.now():%Y%m%dT%H%M%S%f}-{safe}"
    settings.write_private_bytes(path, content)  # owner-only: partners' and coaches' files
    return str(path)
