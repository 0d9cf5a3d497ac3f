"""Exports are data (issue 22): every module of the library that writes a CSV or a workbook goes
through the one rule of ``backoffice_lib/spreadsheets.py``. Read from the source, so that a new
writer without it fails here before a formula reaches finance (the behaviour of each writer is
tested in test_exports_are_data.py)."""

from __future__ import annotations

import re
from pathlib import Path

LIB = Path(__file__).resolve().parents[2] / "backoffice_lib"
WRITES = re.compile(
    r"csv\.writer\(|csv\.DictWriter\(|\.to_csv\(|\.to_excel\(|\bWorkbook\(|ExcelWriter\("
    r"|TO STDOUT")
USES_THE_RULE = re.compile(r"\bspreadsheets\.(inert_value|inert_row|inert_frame|inert_sql"
                           r"|make_workbook_inert)\b")
# Files that write no spreadsheet a person opens: the importer copies a database (no file).
NOT_EXPORTS = {"spreadsheets.py"}


def writers() -> dict[str, str]:
    found = {}
    for path in sorted(LIB.rglob("*.py")):
        relative = path.relative_to(LIB).as_posix()
        if relative in NOT_EXPORTS or relative.startswith(("importer/", "migrations/")):
            continue
        text = path.read_text(encoding="utf-8")
        if WRITES.search(text):
            found[relative] = text
    return found


def test_the_writers_are_found():
    assert len(writers()) >= 8  # packages (3), payroll (2), reconciliation, CLI (2), history


def test_every_csv_or_workbook_writer_uses_the_rule():
    missing = [name for name, text in writers().items() if not USES_THE_RULE.search(text)]
    assert missing == [], f"write through backoffice_lib/spreadsheets.py: {missing}"
