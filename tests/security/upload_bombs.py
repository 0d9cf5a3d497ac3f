"""Hostile spreadsheets for the bounded-read tests: an .xlsx written part by part with zipfile
(openpyxl would take minutes to write millions of cells), streamed so that the test's own memory
stays small."""

from __future__ import annotations

import zipfile
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def write_xlsx(path: Path, *, rows: int, columns: int, dimension: str | None = None,
               far_column: str | None = None) -> Path:
    """An .xlsx whose first sheet has ``rows`` x ``columns`` cells holding 1 (no ``r``
    attributes: it compresses ~1000 times), an optional declared ``dimension`` and an optional
    last row holding one cell in ``far_column`` (such as ``"ZZ"``)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_HEAD.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            row = b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>"
            block = row * 1000
            for _ in range(rows // 1000):
                sheet.write(block)
            sheet.write(row * (rows % 1000))
            if far_column:
                last = rows + 1
                sheet.write(f'<row r="{last}"><c r="{far_column}{last}"><v>1</v></c></row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


SHARED_STRINGS_TYPE = ('<Override PartName="/xl/{name}" ContentType="application/vnd.'
                       'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
SHARED_STRINGS_REL = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
                      'officeDocument/2006/relationships/sharedStrings" Target="{name}"/>')


def write_shared_strings_bomb(path: Path, texts: int, name: str = "sharedStrings.xml") -> Path:
    """A two-cell sheet over a shared-string table of ``texts`` different short texts (openpyxl
    loads the whole table before the first row); ``name`` may hide the table under another
    part name (the content types say what it is)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.replace(
            "</Types>", SHARED_STRINGS_TYPE.format(name=name) + "</Types>"))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.replace(
            "</Relationships>", SHARED_STRINGS_REL.format(name=name) + "</Relationships>"))
        archive.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + (
            '<sheetData><row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row></sheetData>'
            '</worksheet>'))
        with archive.open(f"xl/{name}", "w", force_zip64=True) as table:
            table.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for start in range(0, texts, 10_000):
                table.write(b"".join(b"<si><t>%d</t></si>" % i
                                     for i in range(start, min(texts, start + 10_000))))
            table.write(b"</sst>")
    return path


STYLES_TYPE = ('<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.styles+xml"/>')
STYLES_REL = ('<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/'
              '2006/relationships/styles" Target="styles.xml"/>')


def write_styles_bomb(path: Path, formats: int) -> Path:
    """A one-cell sheet over a styles part of ``formats`` cell formats (numbers varied so that it
    does not compress beyond the ratio limit): 700,000 of them took openpyxl 10 s and 500 MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.replace(
            "</Types>", STYLES_TYPE + "</Types>"))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.replace(
            "</Relationships>", STYLES_REL + "</Relationships>"))
        archive.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + (
            "<sheetData><row><c><v>1</v></c></row></sheetData></worksheet>"))
        with archive.open("xl/styles.xml", "w", force_zip64=True) as styles:
            styles.write(b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                         b'2006/main"><cellXfs>')
            for start in range(0, formats, 10_000):
                styles.write(b"".join(b'<xf numFmtId="%d" fontId="0"/>' % (i * 7919 % 1000)
                                      for i in range(start, min(formats, start + 10_000))))
            styles.write(b"</cellXfs></styleSheet>")
    return path
