"""Annual withholding certificates, หนังสือรับรองการหักภาษี ณ ที่จ่าย (50 ทวิ), as PDF files
(statutory-payroll.md §4).

One PDF per person paid in the tax year, in Thai: the employer's and the employee's tax IDs and
names, income type 40(1), the income paid in the year, the tax withheld and the employee's social
security contributions (``service.filings.prepare_certificates`` adds up the months). fpdf2,
Sarabun, Thai text shaping. Same data, same bytes: the PDFs' creation date is fixed (31 December
of the year).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ... import bangkok, settings
from ..rules.filings import Certificate
from ..rules.summary import thb
from .filings import record_duties_made
from .outputs import font_files

FONT = "Sarabun"
THAI_MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
               "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "staff"


def render_certificate(cert: Certificate, employer: dict) -> bytes:
    """The 50 ทวิ of one person and year as PDF bytes."""
    return bytes(compose_certificate(cert, employer).output())


def compose_certificate(cert: Certificate, employer: dict):
    """The 50 ทวิ as an fpdf2 document not yet written (delivery protects it first)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(cert.year, 12, 31, tzinfo=dt.UTC))
    pdf.set_title(f"50 tawi {cert.year} {cert.staff_id}")
    pdf.set_author(employer.get("name") or "")
    pdf.set_creator("backoffice workbench")
    regular, bold = font_files()
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_text_shaping(True)  # Thai vowels and tone marks placed by the font (uharfbuzz)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 11, style: str = "", height: float = 7,
             align: str = "L") -> None:
        pdf.set_font(FONT, style, size)
        pdf.cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line("หนังสือรับรองการหักภาษี ณ ที่จ่าย", 16, "B", 9, "C")
    line("ตามมาตรา 50 ทวิ แห่งประมวลรัษฎากร", 12, "", 7, "C")
    line(f"ปีภาษี {cert.year + 543} (ค.ศ. {cert.year})", 11, "", 7, "C")
    pdf.ln(3)
    line("ผู้มีหน้าที่หักภาษี ณ ที่จ่าย", 12, "B")
    line(f"ชื่อ {employer.get('name') or ''}")
    line(f"เลขประจำตัวผู้เสียภาษีอากร {employer.get('tax_id') or ''}")
    line(f"ที่อยู่ {employer.get('address') or ''}")
    pdf.ln(2)
    line("ผู้ถูกหักภาษี ณ ที่จ่าย", 12, "B")
    line(f"ชื่อ {cert.title}{cert.first_name} {cert.last_name}  (รหัสพนักงาน {cert.staff_id})")
    line(f"เลขประจำตัวประชาชน {cert.national_id or '-'}")
    line("แบบ ภ.ง.ด.1ก")
    pdf.ln(3)
    widths = (width * 0.46, width * 0.18, width * 0.18, width * 0.18)
    header = ("ประเภทเงินได้พึงประเมินที่จ่าย", "ปีภาษีที่จ่าย", "จำนวนเงินที่จ่าย",
              "ภาษีที่หักและนำส่งไว้")
    pdf.set_font(FONT, "B", 10)
    for w, title in zip(widths, header):
        pdf.cell(w, 8, title, border=1, align="C")
    pdf.ln(8)
    pdf.set_font(FONT, "", 10)
    row = ("1. เงินเดือน ค่าจ้าง ฯลฯ ตามมาตรา 40 (1)", str(cert.year + 543), thb(cert.income),
           thb(cert.tax))
    for w, value, align in zip(widths, row, "LCRR"):
        pdf.cell(w, 8, value, border=1, align=align)
    pdf.ln(8)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(widths[0] + widths[1], 8, "รวมเงินที่จ่ายและภาษีที่หักนำส่ง", border=1, align="R")
    pdf.cell(widths[2], 8, thb(cert.income), border=1, align="R")
    pdf.cell(widths[3], 8, thb(cert.tax), border=1, align="R")
    pdf.ln(12)
    line(f"เงินสมทบจ่ายเข้ากองทุนประกันสังคม {thb(cert.sso)} บาท")
    first, last = cert.months[0], cert.months[-1]
    line(f"เดือนที่จ่าย: {_thai_month(first)} ถึง {_thai_month(last)} ({len(cert.months)} เดือน)",
         10)
    line("ผู้จ่ายเงิน: (1) หัก ณ ที่จ่าย", 10)
    pdf.ln(6)
    line("ขอรับรองว่าข้อความและตัวเลขดังกล่าวข้างต้นถูกต้องตรงกับความจริงทุกประการ", 10)
    pdf.ln(10)
    line("ลงชื่อ ..................................................... ผู้จ่ายเงิน", 11, "", 7, "R")
    return pdf


def _thai_month(month: str) -> str:
    year, number = bangkok.parse_month(month)
    return f"{THAI_MONTHS[number - 1]} {year + 543}"


def write_certificates(employer: dict, certificates: list[Certificate], folder: Path | str
                       ) -> dict[str, Path]:
    folder = settings.private_dir(folder, narrow_existing=False)  # pay and national IDs
    files = {}
    for cert in certificates:
        path = folder / f"50tawi_{cert.year}_{_safe(cert.staff_id)}.pdf"
        settings.write_private_bytes(path, render_certificate(cert, employer))
        files[path.name] = path
    return files


def record_certificates_made(user: str | None, year: int, files: dict[str, Path],
                             today: dt.date | None = None) -> list[str]:
    """The employees' 50 ทวิ of a year that has ended recorded as made (duty
    ``wht50_employees`` of the tax calendar); certificates of a year still running add up only
    the months so far and are not recorded."""
    if year >= (today or bangkok.today()).year:
        return [f"the certificates of {year} are not recorded as made: the year has not ended"]
    return record_duties_made(user, str(year), files, {"wht50_employees": "50tawi_"})
