"""The invoice PDF (business-rules §6): the supplier as issuer, the studio as "Bill to", the items,
subtotal, withholding tax as a negative line, and the net total.

Rendered with fpdf2 and the Sarabun TTF font (package ``fontpkg-sarabun``), so Thai names and
addresses come out as Thai text. When ``uharfbuzz`` is installed, text shaping places Thai vowel and
tone marks with the font's own positioning; without it the font's glyphs are drawn as they are.
Pure: takes the invoice (``invoices.load_invoice``) and the settings, returns the PDF's bytes.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

FONT_FAMILY = "Sarabun"


def font_files() -> dict[str, Path]:
    import fontpkg_sarabun

    root = Path(fontpkg_sarabun.ROOT) / "files"
    return {"": root / "Sarabun-Regular.ttf", "B": root / "Sarabun-Bold.ttf"}


def _thb(value) -> str:
    return f"{Decimal(value):,.2f}"


def _qty(value) -> str:
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _enable_shaping(pdf: FPDF) -> None:
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return
    pdf.set_text_shaping(True)


def render_invoice_pdf(invoice: dict, company: dict) -> bytes:
    """One A4 page (more if the items need it) for ``invoice``; ``company`` is invoice_settings."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=18)
    for style, path in font_files().items():
        pdf.add_font(FONT_FAMILY, style, str(path))
    _enable_shaping(pdf)
    supplier = invoice["supplier"]
    pdf.set_title(f"Invoice {invoice['invoice_number']}")
    pdf.set_author(supplier.get("name") or "")
    pdf.set_creator("backoffice workbench")
    pdf.add_page()
    width = pdf.epw

    # Issuer: the supplier.
    pdf.set_font(FONT_FAMILY, "B", 16)
    pdf.cell(width * 0.6, 9, supplier.get("name") or "", new_x="RIGHT", new_y="TOP")
    pdf.set_font(FONT_FAMILY, "B", 20)
    title = "VOID INVOICE" if invoice.get("status") == "void" else "INVOICE"
    pdf.cell(width * 0.4, 9, f"{title} / ใบแจ้งหนี้", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 10)
    issuer_lines = [x for x in (supplier.get("address_line1"), supplier.get("address_line2")) if x]
    if supplier.get("tax_id"):
        issuer_lines.append(f"Tax ID / เลขประจำตัวผู้เสียภาษี: {supplier['tax_id']}")
    meta = [
        f"No. / เลขที่: {invoice['invoice_number']}",
        f"Date / วันที่: {invoice['invoice_date']:%d/%m/%Y}",
    ]
    for i in range(max(len(issuer_lines), len(meta))):
        left = issuer_lines[i] if i < len(issuer_lines) else ""
        right = meta[i] if i < len(meta) else ""
        pdf.cell(width * 0.6, 5.5, left or "", new_x="RIGHT", new_y="TOP")
        pdf.cell(width * 0.4, 5.5, right, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    # Bill to: the studio.
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.cell(width, 6, "Bill to / เรียกเก็บเงินจาก", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 10)
    bill_to = [company.get("company_name"), company.get("company_address_line1"),
               company.get("company_address_line2")]
    if company.get("company_tax_id"):
        bill_to.append(f"Tax ID / เลขประจำตัวผู้เสียภาษี: {company['company_tax_id']}")
    for line in bill_to:
        if line:
            pdf.cell(width, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    # Items.
    widths = [width * 0.52, width * 0.12, width * 0.18, width * 0.18]
    headers = ["Description / รายการ", "Qty / จำนวน", "Unit price / ราคา", "Amount / จำนวนเงิน"]
    pdf.set_font(FONT_FAMILY, "B", 10)
    pdf.set_fill_color(235, 235, 235)
    for w, head, align in zip(widths, headers, "LRRR"):
        pdf.cell(w, 8, head, border=1, align=align, fill=True, new_x="RIGHT", new_y="TOP")
    pdf.ln(8)
    pdf.set_font(FONT_FAMILY, "", 10)
    for item in invoice["items"]:
        # a long description wraps inside its column; the row grows with it
        lines = pdf.multi_cell(widths[0], 7, item["description"], dry_run=True, output="LINES")
        height = 7 * max(1, len(lines))
        if pdf.will_page_break(height):
            pdf.add_page()
        top = pdf.get_y()
        pdf.multi_cell(widths[0], 7, item["description"], border=1, new_x="RIGHT", new_y="TOP",
                       max_line_height=7)
        pdf.set_xy(pdf.l_margin + widths[0], top)
        cells = [_qty(item["quantity"]), _thb(item["unit_price"]), _thb(item["line_total"])]
        for w, text in zip(widths[1:], cells):
            pdf.cell(w, height, text, border=1, align="R", new_x="RIGHT", new_y="TOP")
        pdf.set_xy(pdf.l_margin, top + height)
    pdf.ln(2)

    # Totals: subtotal, withholding tax as a negative line, net total.
    label_w, value_w = widths[0] + widths[1] + widths[2], widths[3]
    rate = Decimal(invoice["tax_rate"]).normalize()
    totals = [
        ("Subtotal / รวมเงิน", _thb(invoice["subtotal"]), ""),
        (f"Withholding tax {rate:f}% / หักภาษี ณ ที่จ่าย", f"-{_thb(invoice['tax_amount'])}", ""),
        ("Total / ยอดชำระสุทธิ (THB)", _thb(invoice["total_amount"]), "B"),
    ]
    for label, value, style in totals:
        pdf.set_font(FONT_FAMILY, style, 11 if style else 10)
        pdf.cell(label_w, 7, label, align="R", new_x="RIGHT", new_y="TOP")
        pdf.cell(value_w, 7, value, border="T" if style else 0, align="R",
                 new_x="LMARGIN", new_y="NEXT")

    if supplier.get("bank_name") or supplier.get("bank_account"):
        pdf.ln(8)
        pdf.set_font(FONT_FAMILY, "", 10)
        bank = " ".join(x for x in (supplier.get("bank_name"), supplier.get("bank_account")) if x)
        pdf.cell(width, 6, f"Pay to / โอนเงินเข้าบัญชี: {bank}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
