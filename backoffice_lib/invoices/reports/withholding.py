"""The month's withholding filings as files (supplier-tax.md §3): for each of ภ.ง.ด.3 and
ภ.ง.ด.53 that has payments, ``<form>_<YYYY-MM>.txt`` (the RD Prep import file,
``rules.withholding.compose_text_file``), ``.xlsx`` (one line per payment line, through
``spreadsheets``) and ``.pdf`` (the attachment: six rows a sheet, sheet x of y, the payer's tax ID
and branch on each sheet, sheet totals and the grand total).

``write_withholding_filings`` is what the command, the job and the month close call: the service
checks access and every field first (``MissingFields``: nothing written), the files are written
owner-only, then recorded with their checksums in the filing register, all in the caller's
transaction. Same data, same bytes: the files carry the month's last day as their date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Connection

from ... import bangkok, settings, spreadsheets
from .. import service
from ..rules import withholding
from ..rules.withholding import Attachment, FormRow

FONT = "Sarabun"
THAI_MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
               "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]
XLSX_COLUMNS = {
    "pnd3": ["ลำดับที่ seq", "เลขประจำตัวผู้เสียภาษี tax_id", "สาขา branch", "คำนำหน้า title",
             "ชื่อ first_name", "ชื่อสกุล last_name", "ที่อยู่ address_line", "ตำบล/แขวง subdistrict",
             "อำเภอ/เขต district", "จังหวัด province", "รหัสไปรษณีย์ postal_code",
             "วันที่จ่าย date_paid", "ประเภทเงินได้ income_type", "อัตราภาษี % rate",
             "จำนวนเงินที่จ่าย amount_paid", "ภาษีที่หัก tax", "เงื่อนไข condition", "invoice"],
    "pnd53": ["ลำดับที่ seq", "เลขประจำตัวผู้เสียภาษี tax_id", "สาขา branch", "ชื่อ name",
              "ที่อยู่ address_line", "ตำบล/แขวง subdistrict", "อำเภอ/เขต district",
              "จังหวัด province", "รหัสไปรษณีย์ postal_code", "วันที่จ่าย date_paid",
              "ประเภทเงินได้ income_type", "อัตราภาษี % rate", "จำนวนเงินที่จ่าย amount_paid",
              "ภาษีที่หัก tax", "เงื่อนไข condition", "invoice"],
}


def thai_month(month: str) -> str:
    year, number = bangkok.parse_month(month)
    return f"{THAI_MONTHS[number - 1]} {year + withholding.BUDDHIST_OFFSET}"


def thb(value: Decimal) -> str:
    return f"{Decimal(value):,.2f}"


def fixed_moment(month: str) -> dt.datetime:
    """The date stamped into a month's files: its last day, 00:00 UTC."""
    _, last = bangkok.month_days(month)
    return dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- the workbook


def render_workbook(attachment: Attachment) -> bytes:
    """One line per payment line, the text file's columns (amounts as numbers) and the invoice."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = withholding.FORM_LABELS[attachment.form]
    header = XLSX_COLUMNS[attachment.form]
    sheet.append(header)
    for column in range(1, len(header) + 1):
        sheet.cell(1, column).font = Font(bold=True)
    number = 1
    for row in attachment.rows:
        for payment in row.payments:
            fields = withholding.compute_text_fields(attachment.form, row, payment)
            values = [row.seq, *fields[1:-5], payment.paid_on, fields[-5], payment.rate,
                      payment.amount_paid, payment.tax, fields[-1], payment.invoice_number]
            sheet.append(spreadsheets.workbook_row(values))
            number += 1
            sheet.cell(number, len(fields) - 4).number_format = "dd/mm/yyyy"
            for column in range(len(fields) - 2, len(fields)):
                sheet.cell(number, column).number_format = "#,##0.00"
    paid, tax = withholding.compute_totals(attachment.rows)
    sheet.append(spreadsheets.workbook_row(
        ["รวม total", *[None] * (len(header) - 5), paid, tax, None, None]))
    sheet.cell(number + 1, 1).font = Font(bold=True)
    stamp = fixed_moment(attachment.month).replace(tzinfo=None)
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.creator = "backoffice workbench"
    spreadsheets.make_workbook_inert(book)  # names and addresses are data, never formulas
    buffer = io.BytesIO()
    book.save(buffer)
    return spreadsheets.normalise_zip(buffer.getvalue(), fixed_moment(attachment.month))


# --------------------------------------------------------------------------- the PDF attachment

# column widths (mm) of the landscape attachment, 273 in all
WIDTHS = (12, 33, 78, 22, 42, 14, 28, 28, 16)
HEADER = ("ลำดับที่", "เลขประจำตัวผู้เสียภาษี\nสาขา", "ชื่อผู้มีเงินได้\nที่อยู่", "วันเดือนปี\nที่จ่าย",
          "ประเภทเงินได้", "อัตรา\nภาษี %", "จำนวนเงินที่จ่าย\nแต่ละประเภท",
          "ภาษีที่หัก\nและนำส่ง", "เงื่อนไข")
LINE = 5.2
# Thai marks placed by the shaping engine (above/below vowels, tone marks, SARA AM); text without
# them (digits, dates, most names' letters) draws the same unshaped, many times faster.
THAI_MARKS = re.compile("[\u0e31\u0e33-\u0e3a\u0e47-\u0e4e]")


def new_pdf(title: str, author: str, moment: dt.datetime, orientation: str = "P"):
    """An FPDF with Sarabun (regular, bold) and Thai shaping, dated ``moment``."""
    from fpdf import FPDF

    from .pdf import _enable_shaping, font_files

    pdf = FPDF(orientation=orientation, format="A4", unit="mm")
    pdf.set_creation_date(moment)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("backoffice workbench")
    pdf.set_auto_page_break(False)
    for style, path in font_files().items():
        pdf.add_font(FONT, style, str(path))
    _enable_shaping(pdf)
    pdf.shaping = pdf.text_shaping  # what cell() turns on for text with Thai marks
    return pdf


def cell(pdf, w: float, h: float, text: str = "", **kwargs) -> None:
    """``pdf.cell`` with Thai shaping only where the text has marks to place."""
    pdf.text_shaping = pdf.shaping if THAI_MARKS.search(text) else None
    pdf.cell(w, h, text, **kwargs)


def _row_lines(row: FormRow) -> list[list[str]]:
    """The three text lines of a row, column by column."""
    payee = row.payee
    second_address = " ".join(x for x in (payee.subdistrict, payee.district, payee.province,
                                           payee.postal_code) if x)
    columns = [[str(row.seq)], [payee.tax_id or "", f"สาขา {payee.branch_no}"],
               [payee.display_name, payee.address_line or "", second_address]]
    columns += [[], [], [], [], [], []]
    for payment in row.payments:
        columns[3].append(f"{payment.paid_on:%d/%m}/{payment.paid_on.year + 543}")
        columns[4].append(payee.income_type_label)
        columns[5].append(f"{payment.rate:.2f}")
        columns[6].append(thb(payment.amount_paid))
        columns[7].append(thb(payment.tax))
        columns[8].append(withholding.CONDITION)
    return columns


def render_attachment_pdf(attachment: Attachment, company: dict) -> bytes:
    """The attachment (ใบแนบ) of one form and month, six payee rows a sheet."""
    label = withholding.FORM_LABELS[attachment.form]
    pdf = new_pdf(f"{label} {attachment.month}", company.get("company_name") or "",
                  fixed_moment(attachment.month), orientation="L")
    sheets = attachment.sheets
    grand = withholding.compute_totals(attachment.rows)
    aligns = "CLLCLRRRC"
    for index, sheet_rows in enumerate(sheets, 1):
        pdf.add_page()
        pdf.set_font(FONT, "B", 15)
        replayed_cell(pdf, 150, 8, f"ใบแนบ {label}", new_x="RIGHT", new_y="TOP")
        pdf.set_font(FONT, "", 11)
        replayed_cell(pdf, 0, 8, f"แผ่นที่ {index} ในจำนวน {len(sheets)} แผ่น", align="R",
                 new_x="LMARGIN", new_y="NEXT")
        replayed_cell(pdf, 0, 6, "เลขประจำตัวผู้เสียภาษีอากร (ของผู้มีหน้าที่หักภาษี ณ ที่จ่าย) "
                       f"{company.get('company_tax_id') or ''}   สาขาที่ "
                       f"{company.get('company_branch_no') or '00000'}",
                 new_x="LMARGIN", new_y="NEXT")
        replayed_cell(pdf, 0, 6, f"{company.get('company_name') or ''}   เดือนที่จ่ายเงินได้ "
                       f"{thai_month(attachment.month)}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font(FONT, "B", 9)
        top = pdf.get_y()
        x = pdf.l_margin
        for width, title in zip(WIDTHS, HEADER):
            pdf.rect(x, top, width, 2 * LINE)
            for n, part in enumerate(title.split("\n")):
                pdf.set_xy(x, top + n * LINE + (LINE / 2 if "\n" not in title else 0))
                replayed_cell(pdf, width, LINE, part, align="C")
            x += width
        y = top + 2 * LINE
        pdf.set_font(FONT, "", 9)
        for row in sheet_rows:
            x = pdf.l_margin
            for width, lines, align in zip(WIDTHS, _row_lines(row), aligns):
                pdf.rect(x, y, width, 3 * LINE)
                for n, text in enumerate(lines):
                    pdf.set_xy(x, y + n * LINE)
                    replayed_fitted_cell(pdf, width, LINE, text, align=align)
                x += width
            y += 3 * LINE
        _totals_line(pdf, y, "รวมยอดเงินได้และภาษีที่นำส่ง (แผ่นนี้)",
                     withholding.compute_totals(sheet_rows))
        if index == len(sheets):
            _totals_line(pdf, y + LINE + 1, "รวมทั้งสิ้น (ทุกแผ่น)", grand)
    return bytes(pdf.output())


def surely_fits(pdf, text: str, w: float) -> bool:
    """Whether ``text`` fits a cell ``w`` wide even if every character were the font's widest:
    most texts, then drawn without being measured (shaped) first."""
    widest = pdf.__dict__.setdefault("_widest_em", {})
    font = pdf.current_font
    if font.fontkey not in widest:
        widest[font.fontkey] = max(font.cw.values()) * 1.05 / 1000
    return len(text) * widest[font.fontkey] * pdf.font_size_pt / pdf.k <= (w or pdf.epw) - 1.5


def fitted_cell(pdf, w: float, h: float, text: str, **kwargs) -> None:
    """A cell whose text is drawn smaller (down to 6 pt) rather than past its column."""
    if surely_fits(pdf, text, w):
        cell(pdf, w, h, text, **kwargs)
        return
    size = original = pdf.font_size_pt
    fitted = pdf.__dict__.setdefault("_fitted_sizes", {})  # a column's repeated texts: once
    key = (text, pdf.current_font.fontkey, original, w, bool(pdf.text_shaping))
    if key in fitted:
        size = fitted[key]
        pdf.set_font_size(size)
    else:
        while size > 6 and pdf.get_string_width(text) > (w or pdf.epw) - 1.5:
            size -= 0.5
            pdf.set_font_size(size)
        fitted[key] = size
    cell(pdf, w, h, text, **kwargs)
    if size != original:
        pdf.set_font_size(original)


def replayed(pdf, draw, *args, **kwargs) -> None:
    """``draw(pdf, *args, **kwargs)``, or what it drew last time in this document from the same
    place, font, colour and shaping: its bytes appended again, the position and font state it
    left set (a form's labels, the same on every page: laid out and shaped once a document)."""
    from fpdf.enums import PDFResourceType

    key = (draw, args, tuple(sorted(kwargs.items())), pdf.x, pdf.y, pdf.font_family,
           pdf.font_style, pdf.font_size_pt, pdf.current_font_is_set_on_page, pdf.text_color,
           pdf.fill_color, bool(pdf.text_shaping))
    drawn = pdf.__dict__.setdefault("_drawn_cells", {})
    contents = pdf.pages[pdf.page].contents
    known = drawn.get(key)
    if known is None:
        start = len(contents)
        draw(pdf, *args, **kwargs)
        drawn[key] = (bytes(contents[start:]), pdf.x, pdf.y, pdf.font_size_pt,
                      pdf.current_font_is_set_on_page, pdf.text_shaping)
        return
    data, pdf.x, pdf.y, size, on_page, pdf.text_shaping = known
    contents.extend(data)
    pdf.font_size_pt = size
    pdf.current_font_is_set_on_page = on_page
    pdf._resource_catalog.add(PDFResourceType.FONT, pdf.current_font.i, pdf.page)


def replayed_cell(pdf, w: float, h: float, text: str = "", **kwargs) -> None:
    replayed(pdf, cell, w, h, text, **kwargs)


def replayed_fitted_cell(pdf, w: float, h: float, text: str, **kwargs) -> None:
    replayed(pdf, fitted_cell, w, h, text, **kwargs)


def _totals_line(pdf, y: float, label: str, totals: tuple[Decimal, Decimal]) -> None:
    before = sum(WIDTHS[:6])
    pdf.set_font(FONT, "B", 9)
    pdf.set_xy(pdf.l_margin, y)
    replayed_cell(pdf, before, LINE + 1, label, align="R", border=1)
    replayed_cell(pdf, WIDTHS[6], LINE + 1, thb(totals[0]), align="R", border=1)
    replayed_cell(pdf, WIDTHS[7], LINE + 1, thb(totals[1]), align="R", border=1)


# --------------------------------------------------------------------------- writing


def file_entry(path: Path, content: bytes) -> dict:
    return {"name": path.name, "sha256": hashlib.sha256(content).hexdigest(),
            "bytes": len(content)}


def render_filing_files(attachment: Attachment, company: dict) -> dict[str, bytes]:
    """File name -> bytes of one form's month (rendered before anything is written)."""
    stem = f"{attachment.form}_{attachment.month}"
    return {f"{stem}.txt": withholding.compose_text_file(attachment),
            f"{stem}.xlsx": render_workbook(attachment),
            f"{stem}.pdf": render_attachment_pdf(attachment, company)}


def write_withholding_filings(conn: Connection, user: str, month: str,
                              out_dir: str | Path) -> list[Path]:
    """ภ.ง.ด.3 and ภ.ง.ด.53 of ``month`` into ``out_dir`` (owner-only), recorded in the filing
    register; [] when nothing was withheld. Raises service.MissingFields (nothing written) or
    WithholdingError (a '|' in a field; nothing written)."""
    attachments, company = service.prepare_withholding_forms(conn, user, month)
    rendered = {form: render_filing_files(a, company) for form, a in attachments.items()}
    if not rendered:
        return []
    folder = settings.private_dir(out_dir, narrow_existing=False)
    paths = []
    for form, files in rendered.items():
        entries = []
        for name, content in files.items():
            path = settings.write_private_bytes(folder / name, content)
            paths.append(path)
            entries.append(file_entry(path, content))
        service.record_filing_files(conn, user, form, month, entries)
    return paths
