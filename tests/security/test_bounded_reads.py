"""Bounded reads (issue 22): a spreadsheet from outside is checked before it is parsed and read in
streaming mode; beyond the limits (``settings.upload_limits``) it is refused with a message a
manager understands, and the process goes on reading ordinary files.

One table of hostile files (xlsx bombs built part by part in ``upload_bombs``, CSV files), each
refused by ``partner_file.load_cell_rows`` (what the CLI, the notebook and the dashboard upload call)
with its message; the limits as settings; a refused file through ``backoffice reconcile``.
The time a bomb takes to be refused is measured in benchmarks/bench_uploads.py, not here.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from upload_bombs import write_shared_strings_bomb, write_styles_bomb, write_xlsx

from backoffice_lib import settings, spreadsheets
from backoffice_lib.cli import cli
from backoffice_lib.reconciliation.reports import partner_file
from backoffice_lib.reconciliation.rules import parsing


def xlsx(**kwargs):
    return lambda path: write_xlsx(path.with_suffix(".xlsx"), **kwargs)


def csv_text(text: str):
    def build(path):
        target = path.with_suffix(".csv")
        target.write_text(text, encoding="utf-8")
        return target
    return build


def raw(data: bytes, suffix: str = ".xlsx"):
    def build(path):
        target = path.with_suffix(suffix)
        target.write_bytes(data)
        return target
    return build


def sheet_xml(body: str):
    """A well-formed package whose sheet XML is ``body`` (for malformed sheets)."""
    def build(path):
        import zipfile

        from upload_bombs import CONTENT_TYPES, ROOT_RELS, WORKBOOK, WORKBOOK_RELS

        target = path.with_suffix(".xlsx")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", CONTENT_TYPES)
            archive.writestr("_rels/.rels", ROOT_RELS)
            archive.writestr("xl/workbook.xml", WORKBOOK)
            archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
            archive.writestr("xl/worksheets/sheet1.xml", body)
        return target
    return build


HEADER = "Date,SKU,Item,Qty,Amount\n"

REFUSED = [
    # name, file builder, environment, message fragment
    ("bomb: 250 KB unpacking to 59 MB (4 million cells)",
     xlsx(rows=200_000, columns=20, dimension="A1:T200000"), {}, "would unpack to 59.3 MB"),
    ("bomb without a dimension", xlsx(rows=200_000, columns=20), {}, "at most 50.0 MB is read"),
    ("packed 241 times (1.2 million cells in 18 MB)", xlsx(rows=60_000, columns=20), {},
     "packed 241 times"),
    ("declares every row of the format", xlsx(rows=3, columns=3, dimension="A1:C1048576"), {},
     "declares 1,048,576 rows; at most 100,000 rows"),
    ("declares every column of the format", xlsx(rows=3, columns=3, dimension="A1:XFD3"), {},
     "declares 16,384 columns; at most 200 columns"),
    ("declares a small sheet, holds a far column", xlsx(rows=3, columns=3, dimension="A1:C3",
                                                         far_column="XFD"), {},
     "has more than 200 columns"),
    ("no dimension, a cell in column XFD", xlsx(rows=3, columns=3, far_column="XFD"), {},
     "has more than 200 columns"),
    ("no dimension, rows beyond the limit", xlsx(rows=1_500, columns=2),
     {"BACKOFFICE_UPLOAD_MAX_ROWS": "1000"}, "has more than 1,000 rows"),
    ("301 columns in a row", xlsx(rows=2, columns=301), {}, "has more than 200 columns"),
    ("2.3 million shared texts (6 MB, under the size limit)",
     lambda p: write_shared_strings_bomb(p.with_suffix(".xlsx"), 2_300_000), {},
     "holds 2,300,000 different texts; at most 1,000,000 cells are read"),
    ("shared texts under another part name", lambda p: write_shared_strings_bomb(
        p.with_suffix(".xlsx"), 1_001, name="strings.xml"), {"BACKOFFICE_UPLOAD_MAX_CELLS": "1000"},
     "holds 1,001 different texts"),
    ("700,000 cell formats (330 KB; openpyxl took 10 s and 500 MB)",
     lambda p: write_styles_bomb(p.with_suffix(".xlsx"), 700_000), {},
     ("holds 700,002 entries in xl/styles.xml (cell formats, names…); an ordinary Excel file has "
      "far fewer than 500,000")),
    ("declares 2 million cells within the row and column limits",
     xlsx(rows=3, columns=3, dimension="A1:CV20000"), {},
     "declares 20,000 rows x 100 columns; at most 1,000,000 cells"),
    ("no dimension, cells beyond the limit", xlsx(rows=30, columns=5),
     {"BACKOFFICE_UPLOAD_MAX_CELLS": "100"}, "has more than 100 cells"),
    ("limit of 10 MB unpacked as a setting", xlsx(rows=20_000, columns=20),
     {"BACKOFFICE_UPLOAD_MAX_MB": "1"}, "at most 1.0 MB is read"),
    ("not a zip", raw(b"PK\x03\x04 not really a zip"), {}, "is not an Excel (.xlsx) file"),
    ("malformed sheet XML", sheet_xml("<worksheet><sheetData><row><c>"), {},
     "the Excel file cannot be opened"),
    ("malformed cell in the sheet data", sheet_xml(
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row><c t="n"><v>not a number</v></c></row></sheetData></worksheet>'), {},
     "the Excel file cannot be read"),
    ("an entity bomb in the sheet", sheet_xml(
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row><c t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'),
     {}, "the Excel file cannot be"),
    ("CSV: a line of 200,000 characters", csv_text(HEADER + "x" * 200_000 + "\n"), {},
     "has a line of 200,000 characters (line 2); at most 100,000"),
    ("CSV: 300 columns", csv_text(HEADER + ",".join(["1"] * 300) + "\n"), {},
     "has more than 200 columns"),
    ("CSV: rows beyond the limit", csv_text(HEADER + "2025-01-05,A,B,1,10\n" * 1_200),
     {"BACKOFFICE_UPLOAD_MAX_ROWS": "1000"}, "has more than 1,000 rows"),
    ("CSV: a line limit as a setting", csv_text(HEADER + "2025-01-05,A,B,1,10\n"),
     {"BACKOFFICE_UPLOAD_MAX_LINE": "10"}, "at most 10 are read"),
    ("a bad limit setting", csv_text(HEADER), {"BACKOFFICE_UPLOAD_MAX_ROWS": "many"},
     "BACKOFFICE_UPLOAD_MAX_ROWS must be a whole number above 0, not 'many'"),
]


@pytest.mark.parametrize("build, env, fragment",
                         [pytest.param(b, e, f, id=n) for n, b, e, f in REFUSED])
def test_a_file_beyond_the_limits_is_refused_with_a_message(
        tmp_path, monkeypatch, build, env, fragment):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    path = build(tmp_path / "partner")
    with pytest.raises(parsing.FileRefused) as refused:
        partner_file.load_cell_rows(path)
    assert fragment in str(refused.value)
    assert "Traceback" not in str(refused.value)
    monkeypatch.undo()
    assert_an_ordinary_file_still_reads(tmp_path)


def assert_an_ordinary_file_still_reads(tmp_path) -> None:
    book = Workbook()
    book.active.append(["Date", "SKU", "Item", "Qty", "Amount"])
    book.active.append([dt.date(2025, 1, 5), "RST-001", "Pad Thai", 2, 240])
    book.save(tmp_path / "ordinary.xlsx")
    assert partner_file.load_cell_rows(tmp_path / "ordinary.xlsx")[1] == (
        2, [dt.datetime(2025, 1, 5), "RST-001", "Pad Thai", 2, 240])


def test_a_file_at_the_limits_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_UPLOAD_MAX_ROWS", "1000")
    monkeypatch.setenv("BACKOFFICE_UPLOAD_MAX_COLUMNS", "20")
    rows = partner_file.load_cell_rows(write_xlsx(tmp_path / "edge.xlsx", rows=1_000, columns=20))
    assert len(rows) == 1_000
    assert {len(cells) for _, cells in rows} == {20}
    (tmp_path / "edge.csv").write_text("a,b\n" * 1_000, encoding="utf-8")
    assert len(partner_file.load_cell_rows(tmp_path / "edge.csv")) == 1_000


def test_the_streaming_read_fills_merged_cells_and_ignores_a_wrong_dimension(tmp_path):
    """Read-only mode knows no merged ranges: they are read from the sheet's XML; a dimension
    of ``A1`` (some programs write it whatever the size) does not cut the sheet short."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Daily sales"])
    sheet.merge_cells("A1:E1")
    sheet.append(["Date", "SKU", "Item", "Qty", "Amount"])
    for sku in ("RST-001", "RST-002", "RST-003"):
        sheet.append([None, sku, "Pad Thai", 1, 120])
    sheet["A3"] = dt.date(2025, 1, 5)
    sheet.merge_cells("A3:A5")
    book.save(tmp_path / "merged.xlsx")
    rows = partner_file.load_cell_rows(tmp_path / "merged.xlsx")
    assert rows[0] == (1, ["Daily sales"] * 5)
    assert [cells[0] for _, cells in rows[2:]] == [dt.datetime(2025, 1, 5)] * 3
    assert load_workbook(tmp_path / "merged.xlsx").active.dimensions == "A1:E5"


def test_upload_limits_are_settings_with_sane_defaults(monkeypatch):
    for variable in settings.UPLOAD_LIMIT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    limits = settings.upload_limits()
    assert (limits.max_uncompressed_bytes, limits.max_compression_ratio, limits.max_rows,
            limits.max_columns, limits.max_line_chars, limits.max_cells) == (
        50 * 1024 * 1024, 100, 100_000, 200, 100_000, 1_000_000)
    monkeypatch.setenv("BACKOFFICE_UPLOAD_MAX_MB", "5")
    monkeypatch.setenv("BACKOFFICE_UPLOAD_MAX_COLUMNS", "30")
    limits = settings.upload_limits()
    assert (limits.max_uncompressed_bytes, limits.max_columns) == (5 * 1024 * 1024, 30)
    for bad in ("0", "-1", "๕", "1.5", "ten"):
        monkeypatch.setenv("BACKOFFICE_UPLOAD_MAX_MB", bad)
        with pytest.raises(ValueError, match="BACKOFFICE_UPLOAD_MAX_MB must be a whole number"):
            settings.upload_limits()


def test_the_zip_check_reads_no_xml(tmp_path):
    """check_xlsx_archive decides from the zip's directory alone: a bomb whose sheet is not even
    XML is refused for its size before anything would parse it."""
    import zipfile

    path = tmp_path / "junk.xlsx"
    with (zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
          archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member):
        for _ in range(60):
            member.write(b"\0" * (1024 * 1024))
    with pytest.raises(spreadsheets.SpreadsheetRefused, match="would unpack to 60.0 MB"):
        spreadsheets.check_xlsx_archive(path, "junk.xlsx")


@pytest.fixture(scope="module")
def cli_admin(engine):
    email = f"bounded-{uuid.uuid4().hex[:8]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:e, true)"), {"e": email})
    return email


def test_reconcile_refuses_a_bomb_with_a_failed_session_and_goes_on(cli_admin, engine, tmp_path):
    bomb = write_xlsx(tmp_path / "bomb.xlsx", rows=200_000, columns=20, dimension="A1:T200000")
    result = CliRunner().invoke(cli, ["reconcile", "--type", "restaurant", "--file", str(bomb),
                                      "--user", cli_admin])
    assert result.exit_code == 2
    assert "bomb.xlsx would unpack to 59.3 MB; at most 50.0 MB is read" in result.output
    with engine.connect() as c:
        status, error = c.execute(sa.text(
            "SELECT status, error_message FROM backoffice.reconciliation_sessions"
            " WHERE file_name = 'bomb.xlsx' ORDER BY created_at DESC LIMIT 1")).one()
    assert status == "failed" and "would unpack to" in error
    ordinary = tmp_path / "ordinary.csv"
    ordinary.write_text(HEADER + "2031-01-05,RST-001,Pad Thai,2,240\n", encoding="utf-8")
    again = CliRunner().invoke(cli, ["reconcile", "--type", "restaurant", "--file",
                                     str(ordinary), "--user", cli_admin, "--format", "json"])
    assert "would unpack" not in again.output


def test_the_dashboard_upload_refuses_a_bomb_with_a_message_and_goes_on(cli_admin, tmp_path):
    """The review dashboard's upload handler (the kernel a manager's page talks to): the bomb's
    session fails with the message shown, and the next file is read as usual."""
    from backoffice_lib import access, database
    from backoffice_lib.reconciliation.reconciliation_dashboard import ReconciliationDashboard

    with database.transaction() as c:
        admin = access.load_user(c, cli_admin)
    view = ReconciliationDashboard(admin)
    view.rec_type.value = "restaurant"
    bomb = write_xlsx(tmp_path / "bomb.xlsx", rows=200_000, columns=20, dimension="A1:T200000")
    for name, content in (("bomb.xlsx", bomb.read_bytes()),
                          ("ordinary.csv", (HEADER + "2031-01-05,RST-001,Pad Thai,2,240\n")
                           .encode())):
        view.upload.value = ({"name": name, "type": "", "size": len(content),
                              "content": memoryview(content),
                              "last_modified": dt.datetime(2025, 1, 5, tzinfo=dt.UTC)},)
        view.on_reconcile_upload()
        if name == "bomb.xlsx":
            assert "bomb.xlsx was refused" in view.upload_status.value
            assert "would unpack to 59.3 MB; at most 50.0 MB is read" in view.upload_status.value
        else:
            assert "would unpack" not in view.upload_status.value
            assert "ordinary.csv" in view.upload_status.value
