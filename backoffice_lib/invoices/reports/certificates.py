"""Supplier withholding certificates, หนังสือรับรองการหักภาษี ณ ที่จ่าย (50 ทวิ), one PDF per
payment (supplier-tax.md §4): ``wht50_<book>-<number>.pdf``, owner-only.

Two copies on two pages (ฉบับที่ 1 for the payee's return, ฉบับที่ 2 to keep): the payer (the
studio's invoice settings) and the payee (supplier-tax.md §2), the box of the form it was filed
on ticked with the payee's row number on that month's attachment, the income line (a §40(8)
service fee on row 5), the amount paid, the tax and the total tax in Thai words (BAHTTEXT),
condition หัก ณ ที่จ่าย. A void certificate is written again marked ยกเลิก with its reason; a
replacement says ใบแทน and the number it replaces. Dated its payment day: the same certificates
made again, the same bytes.

A month's certificates are laid out as one document and cut into their files
(``render_certificates``): the font is parsed and subset once, and the form's labels, the same on
every certificate, are shaped once and their drawing replayed (``withholding.replayed``); a line
of labels and values is drawn in pieces, so that only its values are laid out again
(``pieces_line``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.engine import Connection

from ... import settings
from .. import service
from ..rules import withholding
from ..rules.baht_text import baht_text
from .withholding import FONT, THAI_MARKS, new_pdf, thb
from .withholding import replayed_cell as cell
from .withholding import replayed_fitted_cell as fitted_cell

INCOME_ROWS = (
    (1, "40(1)", "1. เงินเดือน ค่าจ้าง เบี้ยเลี้ยง โบนัส ฯลฯ ตามมาตรา 40 (1)"),
    (2, "40(2)", "2. ค่าธรรมเนียม ค่านายหน้า ฯลฯ ตามมาตรา 40 (2)"),
    (3, "40(3)", "3. ค่าแห่งลิขสิทธิ์ ฯลฯ ตามมาตรา 40 (3)"),
    (4, "40(4)", "4. ดอกเบี้ย เงินปันผล ฯลฯ ตามมาตรา 40 (4)"),
    (5, "40(8)", "5. การจ่ายเงินได้ที่ต้องหักภาษี ณ ที่จ่าย ตามคำสั่งกรมสรรพากรที่ออกตามมาตรา 3 เตรส"),
    (6, None, "6. อื่น ๆ (ระบุ)"),
)
FORM_BOXES = ("ภ.ง.ด.1ก", "ภ.ง.ด.1ก พิเศษ", "ภ.ง.ด.2", "ภ.ง.ด.3", "ภ.ง.ด.2ก", "ภ.ง.ด.3ก",
              "ภ.ง.ด.53")


def _width(pdf, text: str) -> float:
    """``pdf.get_string_width``, measured once a document per font, size and shaping."""
    key = (text, pdf.font_family, pdf.font_style, pdf.font_size_pt, bool(pdf.text_shaping))
    widths = pdf.__dict__.setdefault("_string_widths", {})
    if key not in widths:
        widths[key] = pdf.get_string_width(text)
    return widths[key]


def _measure(pdf, text: str) -> float:
    """The width ``cell`` draws ``text`` at (shaped where it has Thai marks to place)."""
    pdf.text_shaping = pdf.shaping if THAI_MARKS.search(text) else None
    return _width(pdf, text)


def pieces_line(pdf, w: float, h: float, pieces: list[str], align: str = "L") -> None:
    """A line of text (left or right in ``w``) drawn as the cells of its pieces side by side,
    then the next line: the labels between the values are replayed, only the values drawn. Too
    long a line is drawn whole and smaller (``fitted_cell``)."""
    margin = pdf.c_margin
    widths = [_measure(pdf, piece) for piece in pieces]
    if sum(widths) > w - 1.5:
        fitted_cell(pdf, w, h, "".join(pieces), align=align, new_x="LMARGIN", new_y="NEXT")
        return
    x, y = pdf.get_x(), pdf.get_y()
    start = x + (w - margin - sum(widths) if align == "R" else margin)
    for piece, width in zip(pieces, widths):
        pdf.set_xy(start - margin, y)
        cell(pdf, width + 2 * margin, h, piece)
        start += width
    pdf.set_xy(pdf.l_margin, y + h)


def income_row(code: str) -> int:
    """The certificate's income row of an income type code: 40(8) on row 5, unknown on 6."""
    for number, known, _ in INCOME_ROWS:
        if known == code:
            return number
    return 6


def _box(pdf, x: float, y: float, ticked: bool) -> None:
    pdf.rect(x, y + 1, 3.5, 3.5)
    if ticked:
        pdf.line(x + 0.5, y + 3, x + 1.5, y + 4.3)
        pdf.line(x + 1.5, y + 4.3, x + 3.2, y + 1.3)


COPIES = {1: "(สำหรับผู้ถูกหักภาษี ณ ที่จ่าย ใช้แนบพร้อมกับแบบแสดงรายการภาษี)",
          2: "(สำหรับผู้ถูกหักภาษี ณ ที่จ่าย เก็บไว้เป็นหลักฐาน)"}


def _copy_line(pdf, copy: int) -> None:
    """The line that tells the copies apart, at the top of the page (bold then regular: both
    fonts of the body are then in the page's resources)."""
    pdf.set_xy(pdf.l_margin, pdf.t_margin)
    pdf.set_font(FONT, "B", 9)
    label = f"ฉบับที่ {copy} "
    cell(pdf, _width(pdf, label) + 1, 5.6, label)
    pdf.set_font(FONT, "", 9)
    cell(pdf, 0, 5.6, COPIES[copy])


def _body(pdf, cert: dict, company: dict) -> None:
    """Everything of a copy but its first line."""
    payment: withholding.Payment = cert["payment"]
    payee = payment.payee
    width = pdf.epw
    pdf.set_xy(pdf.l_margin, pdf.t_margin + 5.6)

    def line(text: str, size: float = 10, style: str = "", height: float = 5.6,
             align: str = "L") -> None:
        pdf.set_font(FONT, style, size)
        fitted_cell(pdf, width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")

    def pieces(texts: list[str], size: float = 10, style: str = "", height: float = 5.6,
               align: str = "L") -> None:
        pdf.set_font(FONT, style, size)
        pieces_line(pdf, width, height, texts, align)

    line("หนังสือรับรองการหักภาษี ณ ที่จ่าย", 15, "B", 8, "C")
    line("ตามมาตรา 50 ทวิ แห่งประมวลรัษฎากร", 11, "", 6, "C")
    pieces(["เล่มที่ ", str(cert["book"]), "   เลขที่ ", str(cert["number"])], 11, "B", 6, "R")
    if cert.get("replaces_book"):
        line(f"ใบแทน ฉบับเลขที่ {cert['replaces_book']}-{cert['replaces_number']}", 11, "B", 6,
             "R")
    if cert["state"] == "void":
        pdf.set_text_color(200, 0, 0)
        line("ยกเลิก", 22, "B", 10, "C")
        line(f"เหตุผล: {cert.get('void_reason') or ''}", 9, "", 5, "C")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    line("ผู้มีหน้าที่หักภาษี ณ ที่จ่าย:", 11, "B")
    line(f"ชื่อ {company.get('company_name') or ''}")
    line(f"เลขประจำตัวผู้เสียภาษีอากร {company.get('company_tax_id') or ''}   สาขาที่ "
         f"{company.get('company_branch_no') or '00000'}")
    payer_address = " ".join(company.get(k) or "" for k in withholding.PAYER_ADDRESS_FIELDS)
    line(f"ที่อยู่ {payer_address.strip()}")
    pdf.ln(1)
    line("ผู้ถูกหักภาษี ณ ที่จ่าย:", 11, "B")
    line(f"ชื่อ {payee.display_name}")
    line(f"เลขประจำตัวผู้เสียภาษีอากร {payee.tax_id or ''}   สาขาที่ {payee.branch_no}")
    line(f"ที่อยู่ {payee.address}")
    pdf.ln(1)
    row_no = cert.get("row_no")
    pieces(["ลำดับที่ ", str(row_no) if row_no else "-", " ในแบบ"], 10)
    label = withholding.FORM_LABELS[cert["form"]]
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_font(FONT, "", 10)
    for box in FORM_BOXES:
        _box(pdf, x, y, box == label)
        pdf.set_xy(x + 4.5, y)
        text = f"({box})"
        cell(pdf, _width(pdf, text) + 1, 5.6, text)
        x += _width(pdf, text) + 8
    pdf.set_xy(pdf.l_margin, y + 8)

    widths = (width * 0.55, width * 0.13, width * 0.16, width * 0.16)
    _lines_row(pdf, widths, [["ประเภทเงินได้พึงประเมินที่จ่าย"], ["วัน เดือน", "หรือปีภาษี ที่จ่าย"],
                             ["จำนวนเงิน", "ที่จ่าย"], ["ภาษีที่หัก", "และนำส่งไว้"]], "CCCC", "B")
    filled = income_row(payee.income_type_code)
    paid_on: dt.date = payment.paid_on
    for number, _, text in INCOME_ROWS:
        cells: list[list[str]] = [[text], [], [], []]
        if number == 5:
            cells[0] = [text[:text.index(" ตามคำสั่ง")], "   " + text[text.index("ตามคำสั่ง"):]]
        if number == filled:
            if number >= 5:
                cells[0].append(f"   ({payee.income_type_label})")
            cells[1:] = [[f"{paid_on:%d/%m}/{paid_on.year + 543}"], [thb(payment.amount_paid)],
                         [thb(payment.tax)]]
        _lines_row(pdf, widths, cells, "LCRR", "")
    pdf.set_font(FONT, "B", 9)
    cell(pdf, widths[0] + widths[1], 7, "รวมเงินที่จ่ายและภาษีที่หักนำส่ง", border=1, align="R")
    cell(pdf, widths[2], 7, thb(payment.amount_paid), border=1, align="R")
    cell(pdf, widths[3], 7, thb(payment.tax), border=1, align="R")
    pdf.ln(9)
    pieces(["รวมเงินภาษีที่หักนำส่ง (ตัวอักษร)  ", f"({baht_text(payment.tax)})"], 10, "B")
    pdf.ln(1)
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_font(FONT, "", 10)
    cell(pdf, 20, 5.6, "ผู้จ่ายเงิน")
    for n, (text, ticked) in enumerate(((("(1) หัก ณ ที่จ่าย"), True),
                                        (("(2) ออกให้ตลอดไป"), False),
                                        (("(3) ออกให้ครั้งเดียว"), False))):
        bx = x + 22 + n * 45
        _box(pdf, bx, y, ticked)
        pdf.set_xy(bx + 4.5, y)
        cell(pdf, 40, 5.6, text)
    pdf.set_xy(pdf.l_margin, y + 9)
    line("ขอรับรองว่าข้อความและตัวเลขดังกล่าวข้างต้นถูกต้องตรงกับความจริงทุกประการ", 10)
    pdf.ln(8)
    line("ลงชื่อ ..................................................... ผู้จ่ายเงิน", 10, "", 6, "R")
    line(f"{paid_on:%d/%m}/{paid_on.year + 543}  (วัน เดือน ปี ที่ออกหนังสือรับรองฯ)", 9, "", 5, "R")
    pieces(["ใบแจ้งหนี้เลขที่ ", payment.invoice_number], 8, "", 5, "L")


def _lines_row(pdf, widths, cells: list[list[str]], aligns: str, style: str) -> None:
    """A bordered table row whose cells hold one or more lines (the tallest sets the height)."""
    height = 5.2 * max(1, *(len(c) for c in cells))
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_font(FONT, style, 8.5)
    for w, lines, align in zip(widths, cells, aligns):
        pdf.rect(x, y, w, height)
        for n, text in enumerate(lines):
            pdf.set_xy(x, y + n * 5.2)
            cell(pdf, w, 5.2, text, align=align)
        x += w
    pdf.set_xy(pdf.l_margin, y + height)


def render_certificate(cert: dict, company: dict) -> bytes:
    """One certificate (two copies) as PDF bytes; ``cert`` as service.prepare_withholding_
    certificates returns it."""
    return bytes(compose_certificate(cert, company).output())


def compose_certificate(cert: dict, company: dict):
    """The certificate as an fpdf2 document not yet written (delivery protects it first)."""
    pdf = new_pdf(f"50 tawi {cert['book']}-{cert['number']}", company.get("company_name") or "",
                  _made_on(cert))
    _add_certificate(pdf, cert, company)
    return pdf


def _add_certificate(pdf, cert: dict, company: dict) -> bytes:
    """The certificate's two pages, added to ``pdf``: each the line of its copy, then the body;
    returns the body's drawing. The second copy's body is the first's bytes, not laid out and
    shaped again: the same drawing from the same state (the copy lines leave the same font,
    position and colour; the body sets every font it uses)."""
    pdf.set_margins(15, 12, 15)
    pdf.add_page()
    _copy_line(pdf, 1)
    start = len(pdf.pages[pdf.page].contents)
    _body(pdf, cert, company)
    body = bytes(pdf.pages[pdf.page].contents[start:])
    pdf.add_page()
    _copy_line(pdf, 2)
    pdf.pages[pdf.page].contents.extend(body)
    return body


def render_certificates(certificates: list[dict], company: dict) -> dict[str, bytes]:
    """Every certificate's PDF bytes by file name, as ``render_certificate`` would draw each.

    Laid out as one document (the font parsed and subset once, the form's labels shaped once:
    a month of certificates in seconds, not minutes), then cut into one file per certificate:
    its two pages, the fonts embedded, its own title and date (``_cut``). The same certificates
    make the same bytes."""
    if not certificates:
        return {}
    pdf = new_pdf(_TITLE, company.get("company_name") or "", _made_on(certificates[0]))
    drawings = []
    for cert in certificates:
        body = _add_certificate(pdf, cert, company)
        first, second = pdf.pages[pdf.page - 1].contents, pdf.pages[pdf.page].contents
        drawings.append(Drawing(bytes(first[:-len(body)]), bytes(second[:-len(body)]), body))
        first.clear()  # what fpdf2 writes of the month is only its fonts (and empty pages)
        second.clear()
    return _cut(bytes(pdf.output()), certificates, drawings)


class Drawing(NamedTuple):
    """A certificate's drawing: each page's start (its copy's line) and the body they share."""

    first: bytes
    second: bytes
    body: bytes


_TITLE = "50 tawi"
CATALOG = (b"<< /OpenAction [3 0 R /FitH null] /PageLayout /OneColumn /Pages 1 0 R"
           b" /Type /Catalog >>\n")  # as fpdf2 writes it, the first page 3
_REF = re.compile(rb"(\d+) 0 R")


def _cut(document: bytes, certificates: list[dict], drawings: list[Drawing]) -> dict[str, bytes]:
    """The files of ``document`` (an fpdf2 output: a page tree, its pages, the fonts their
    resources name, the info) and of each certificate's ``drawings``: its two pages, each
    drawn by its start and the body they share (one compressed stream), with a copy of the
    fonts (streams copied as they are) and the info retitled and redated; objects renumbered,
    a cross-reference table of its own."""
    import hashlib
    import zlib

    def stream(data: bytes) -> bytes:
        data = zlib.compress(data)
        return b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\n" % (len(data),
                                                                                       data)

    xref = document.rindex(b"\nxref\n") + 1
    count = int(document[xref:].split(b"\n")[1].split()[1])
    offsets = [int(line[:10]) for line in document[xref:].split(b"\n")[3:2 + count]]
    bounds = dict(zip(range(1, count), zip(offsets, [*offsets[1:], xref])))

    def body(number: int) -> bytes:
        """The object's bytes between ``N 0 obj`` and ``endobj``."""
        start, end = bounds[number]
        chunk = document[start:end]
        return chunk[chunk.index(b" obj\n") + 5:chunk.rindex(b"endobj")]

    def refs(chunk: bytes) -> list[int]:
        head = chunk.split(b"stream\n", 1)[0]  # never inside a stream's data
        return [int(n) for n in _REF.findall(head)]

    trailer = document[document.index(b"trailer", xref):]
    info = int(re.search(rb"/Info (\d+) 0 R", trailer).group(1))
    root = int(re.search(rb"/Root (\d+) 0 R", trailer).group(1))
    pages_root = int(re.search(rb"/Pages (\d+) 0 R", body(root)).group(1))
    media_box = re.search(rb"/MediaBox \[[^\]]*\]", body(pages_root)).group(0)
    pages = [int(n) for n in re.findall(rb"(\d+) 0 R", re.search(
        rb"/Kids \[([^\]]*)\]", body(pages_root)).group(1))]
    resources = [int(re.search(rb"/Resources (\d+) 0 R", body(p)).group(1)) for p in pages]

    # the fonts (every object the pages' resources lead to): numbered 8 on in each file, after
    # the page tree (1), the catalog (2), the pages (3, 6) with their starts (4, 7) and body (5)
    seen: set[int] = set()
    todo = [n for r in set(resources) for n in refs(body(r))]
    while todo:
        number = todo.pop()
        if number not in seen:
            seen.add(number)
            todo.extend(refs(body(number)))
    shared = sorted(seen)
    renumbered = {old: 8 + n for n, old in enumerate(shared)}

    def renumber(chunk: bytes) -> bytes:
        head, stream, rest = chunk.partition(b"stream\n")
        head = _REF.sub(lambda m: b"%d 0 R" % renumbered[int(m.group(1))], head)
        return head + stream + rest

    fonts = [renumber(body(n)) for n in shared]
    resources_number = len(shared) + 8
    info_number = resources_number + 2
    header = document[:bounds[1][0]]
    info_body = body(info)
    made_first = f"({_pdf_date(_made_on(certificates[0]))})".encode()
    files = {}
    for n, (cert, drawing) in enumerate(zip(certificates, drawings, strict=True)):
        first, second = 2 * n, 2 * n + 1
        title = f"({_TITLE} {cert['book']}-{cert['number']})".encode()
        made = f"({_pdf_date(_made_on(cert))})".encode()
        objects = [
            b"<< /Count 2 /Kids [3 0 R 6 0 R] " + media_box + b" /Type /Pages >>\n",
            CATALOG,
            b"<< /Contents [4 0 R 5 0 R] /Parent 1 0 R /Resources %d 0 R /Type /Page >>\n"
            % resources_number,
            stream(drawing.first),
            stream(drawing.body),
            b"<< /Contents [7 0 R 5 0 R] /Parent 1 0 R /Resources %d 0 R /Type /Page >>\n"
            % (resources_number + 1),
            stream(drawing.second),
            *fonts,
            renumber(body(resources[first])),
            renumber(body(resources[second])),
            info_body.replace(b"/Title (%s)" % _TITLE.encode(), b"/Title " + title)
            .replace(b"/CreationDate " + made_first, b"/CreationDate " + made),
        ]
        out = bytearray(header)
        positions = []
        for number, chunk in enumerate(objects, 1):
            positions.append(len(out))
            out += b"%d 0 obj\n" % number + chunk + b"endobj\n"
        file_id = hashlib.md5(out).hexdigest().upper()
        table = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % at for at in positions)
        out += (b"trailer\n<<\n/Size %d\n/Root 2 0 R\n/Info %d 0 R\n/ID [<%s><%s>]\n>>\n"
                b"startxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info_number,
                                                 file_id.encode(), file_id.encode(), table))
        files[certificate_file_name(cert)] = bytes(out)
    return files


def _made_on(cert: dict) -> dt.datetime:
    paid_on = cert["payment"].paid_on
    return dt.datetime(paid_on.year, paid_on.month, paid_on.day, tzinfo=dt.UTC)


def _pdf_date(moment: dt.datetime) -> str:
    return f"D:{moment:%Y%m%d%H%M%S}Z"  # as fpdf2 writes a UTC creation date


def certificate_file_name(cert: dict) -> str:
    return f"wht50_{cert['book']}-{cert['number']}.pdf"


def write_withholding_certificates(conn: Connection, user: str, month: str,
                                   out_dir: str | Path) -> list[Path]:
    """The 50 ทวิ of every payment of ``month`` (numbers allocated on first making) and of the
    month's void ones, into ``out_dir`` (owner-only); audited. Raises service.MissingFields."""
    from ... import audit

    certificates, company = service.prepare_withholding_certificates(conn, user, month)
    rendered = render_certificates(certificates, company)
    if not rendered:
        return []
    folder = settings.private_dir(out_dir, narrow_existing=False)  # names, tax IDs, amounts
    paths = [settings.write_private_bytes(folder / name, content)
             for name, content in rendered.items()]
    audit.record(conn, user, "EXPORT", "wht_certificate_files", month,
                 details={"month": month, "files": sorted(rendered)})
    return paths
