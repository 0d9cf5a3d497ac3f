"""Bounded reads (issue 22): how fast a hostile spreadsheet is refused, and at what memory.

    .venv/bin/python -m benchmarks.bench_uploads

Target: a bomb (a ~250 KB .xlsx declaring millions of cells; the review's 356 KB file needed over
1 GB and 25 s) is refused in under a second with a message, the process unharmed. Each case runs
in a fresh process (``--read PATH``) that reports its time (imports done) and the peak of its
Python allocations (tracemalloc, a second read); the ordinary files show what reading within the limits costs (read-only streaming).
Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

TARGET_SECONDS = 1.0
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'),
}


def write_bomb(path: Path, rows: int, columns: int, dimension: str | None) -> Path:
    """Cells holding 1 without ``r`` attributes: they compress about 240 times."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(HEAD.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            block = (b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>") * 1000
            for _ in range(rows // 1000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def write_shared_texts(path: Path, texts: int) -> Path:
    """A two-cell sheet over a table of ``texts`` different short texts (openpyxl would load them
    all, ~10 µs each, before the first row)."""
    kind = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rel = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            text = text.replace("</Types>", kind).replace("</Relationships>", rel) \
                if name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels") else text
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", HEAD + (
            '<sheetData><row><c t="s"><v>0</v></c></row></sheetData></worksheet>'))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
            table.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for start in range(0, texts, 10_000):
                table.write(b"".join(b"<si><t>%d</t></si>" % i
                                     for i in range(start, min(texts, start + 10_000))))
            table.write(b"</sst>")
    return path


def write_styles(path: Path, formats: int) -> Path:
    """A one-cell sheet over a styles part of ``formats`` cell formats, varied so that it packs
    under the ratio limit (openpyxl parses every one before the first row)."""
    kind = ('<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/></Types>')
    rel = ('<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships/styles" Target="styles.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            text = text.replace("</Types>", kind).replace("</Relationships>", rel) \
                if name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels") else text
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", HEAD + (
            "<sheetData><row><c><v>1</v></c></row></sheetData></worksheet>"))
        with archive.open("xl/styles.xml", "w", force_zip64=True) as styles:
            styles.write(b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                         b'2006/main"><cellXfs>')
            for start in range(0, formats, 10_000):
                styles.write(b"".join(b'<xf numFmtId="%d" fontId="0"/>' % (i * 7919 % 1000)
                                      for i in range(start, min(formats, start + 10_000))))
            styles.write(b"</cellXfs></styleSheet>")
    return path


def write_ordinary(path: Path, rows: int) -> Path:
    """A partner file as Excel writes it (its dimension first): date, SKU, item, quantity,
    amount. (openpyxl's write-only mode writes no dimension: openpyxl then reads such a sheet
    twice, once looking for it.)"""
    from openpyxl import Workbook

    rng = random.Random(7)
    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "SKU", "Item", "Qty", "Amount"])
    for n in range(rows):
        sheet.append([dt.date(2025, 1, 1) + dt.timedelta(days=n % 28), f"RST-{n % 300:03d}",
                      f"Menu item {n % 300}", rng.randint(1, 5), rng.randint(50, 900)])
    book.save(path)
    return path


def write_long_csv_line(path: Path) -> Path:
    path.write_text("Date,SKU,Item,Qty,Amount\n" + "," * (9 * 1024 * 1024) + "\n")
    return path


CASES = {
    # name: (builder, what it shows)
    "bomb 4M cells, dimension declared": (
        lambda p: write_bomb(p / "bomb.xlsx", 200_000, 20, "A1:T200000"), "refused"),
    "bomb 4M cells, no dimension": (
        lambda p: write_bomb(p / "bomb.xlsx", 200_000, 20, None), "refused"),
    "bomb 1.2M cells (18 MB, under the size limit)": (
        lambda p: write_bomb(p / "bomb.xlsx", 60_000, 20, None), "refused"),
    "bomb declaring 1,048,576 x 16,384 in 1 KB": (
        lambda p: write_bomb(p / "bomb.xlsx", 1000, 3, "A1:XFD1048576"), "refused"),
    "2.3 million shared texts (49 MB unpacked, under the size limit)": (
        lambda p: write_shared_texts(p / "texts.xlsx", 2_300_000), "refused"),
    "700,000 cell formats in the styles (20 MB unpacked)": (
        lambda p: write_styles(p / "styles.xlsx", 700_000), "refused"),
    "CSV: one line of 9 MB of commas": (lambda p: write_long_csv_line(p / "line.csv"), "refused"),
    "ordinary .xlsx, 5,000 rows": (lambda p: write_ordinary(p / "sales.xlsx", 5_000), "read"),
    "ordinary .xlsx, 50,000 rows": (lambda p: write_ordinary(p / "sales.xlsx", 50_000), "read"),
    "ordinary .xlsx, 50,000 rows, as read before (full load, for comparison)": (
        lambda p: write_ordinary(p / "sales.xlsx", 50_000), "--full-load"),
}


def _read(path: Path) -> str:
    from backoffice_lib.reconciliation.reports import partner_file
    from backoffice_lib.reconciliation.rules import parsing

    try:
        return f"read {len(partner_file.load_cell_rows(path)):,} rows"
    except parsing.FileRefused as refused:
        return f"refused: {refused}"


def _full_load(path: Path) -> str:
    """How the partner file was read before issue 22: openpyxl's full (not read-only) load."""
    from openpyxl import load_workbook

    book = load_workbook(path, data_only=True)
    return f"read {len(list(book.worksheets[0].iter_rows(values_only=True))):,} rows (full load)"


def run_case(path: Path, read=_read) -> dict:
    """In a fresh process: read ``path`` as the reconciliation does (built by the parent, so
    that building it counts neither in the time nor in the memory): once timed, once under
    tracemalloc for the peak of Python's allocations."""
    import tracemalloc

    import openpyxl  # noqa: F401

    from backoffice_lib.reconciliation.reports import partner_file  # noqa: F401 - imported before timing

    start = time.perf_counter()
    outcome = read(path)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    read(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": seconds, "peak_mb": peak / 1024 / 1024, "outcome": outcome}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in ("--read", "--full-load"):
        reader = _read if sys.argv[1] == "--read" else _full_load
        print(json.dumps(run_case(Path(sys.argv[2]), reader)))
        return
    print(f"bounded reads (issue 22): target: a bomb refused in under {TARGET_SECONDS:.0f} s")
    for name, (builder, kind) in CASES.items():
        with tempfile.TemporaryDirectory() as folder:
            path = builder(Path(folder))
            size = path.stat().st_size
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_uploads",
                 kind if kind.startswith("--") else "--read", str(path)],
                capture_output=True, text=True, check=True)
        result = json.loads(done.stdout)
        ratio = (f"  ({result['seconds'] / TARGET_SECONDS:.3f} of the target)"
                 if kind == "refused" else "")
        print(f"- {name}: {size / 1024:,.0f} KB, {result['seconds'] * 1000:,.1f} ms, "
              f"peak {result['peak_mb']:,.1f} MB{ratio}\n    {result['outcome'][:150]}")


if __name__ == "__main__":
    main()
