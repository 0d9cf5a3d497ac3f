"""The 50 ทวิ files of a month (supplier-tax.md §4): laid out as one document and cut into one
file per certificate, each standing alone with the text it would have alone; the form's labels
replayed exactly as drawn."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from test_withholding_rules import COACH, RESTAURANT, pay  # the same payees and payments

from backoffice_lib.invoices.reports import certificates
from backoffice_lib.invoices.rules.withholding import Payee, Payment

pypdf = pytest.importorskip("pypdf")

PAYER = {"company_name": "บริษัท แฟร์เวย์ กอล์ฟ สตูดิโอ จำกัด", "company_tax_id": "0105566012344",
         "company_branch_no": "00000", "company_address_line": "88/8 ถนนสุขุมวิท ซอย 24",
         "company_subdistrict": "คลองตัน", "company_district": "คลองเตย",
         "company_province": "กรุงเทพมหานคร", "company_postal_code": "10110"}


def certificate(payment: Payment, number: int, **more) -> dict:
    return {"payment": payment, "book": "2568", "number": number, "state": "issued",
            "form": payment.payee.form, "row_no": number, "replaces_book": None,
            "replaces_number": None, "void_reason": None, **more}


def month() -> list[dict]:
    """An issued certificate, a void one, its replacement, and one of a long-named payee."""
    long_name = Payee(**{**RESTAURANT.__dict__, "name": "บริษัท " + "ผู้รับจ้างทำของ " * 9
                         + "จำกัด"})
    return [
        certificate(pay(COACH, dt.date(2025, 7, 3), "INV-1", "1234.56"), 1),
        certificate(pay(RESTAURANT, dt.date(2025, 7, 4), "INV-2"), 2, state="void",
                    row_no=None, void_reason="paid on the wrong day"),
        certificate(pay(RESTAURANT, dt.date(2025, 7, 5), "INV-2"), 3, replaces_book="2568",
                    replaces_number=2),
        certificate(pay(long_name, dt.date(2025, 7, 31), "INV-3", "20000.00"), 4),
    ]


def texts(content: bytes) -> list[str]:
    """Each page's text. A SARA AM (ำ) is drawn as two glyphs, the second with no character of
    its own, which the reader shows as whatever its code in that file's font is: left out."""
    reader = pypdf.PdfReader(io.BytesIO(content), strict=True)
    return [re.sub("(?<=ำ).", "", page.extract_text()) for page in reader.pages]


def test_each_file_of_a_month_holds_the_text_its_certificate_has_alone():
    month_certificates = month()
    files = certificates.render_certificates(month_certificates, PAYER)
    assert list(files) == ["wht50_2568-1.pdf", "wht50_2568-2.pdf", "wht50_2568-3.pdf",
                           "wht50_2568-4.pdf"]
    for cert, content in zip(month_certificates, files.values()):
        alone = certificates.render_certificate(cert, PAYER)
        assert texts(content) == texts(alone)
    void, replacement = texts(files["wht50_2568-2.pdf"]), texts(files["wht50_2568-3.pdf"])
    assert "ยกเลิก" in void[0] and "paid on the wrong day" in void[0]
    assert "ใบแทน ฉบับเลขที่ 2568-2" in replacement[0] and "ยกเลิก" not in replacement[0]
    first = texts(files["wht50_2568-1.pdf"])
    assert [page.count("ฉบับที่ ") for page in first] == [1, 1]
    assert "ฉบับที่ 1" in first[0] and "ฉบับที่ 2" in first[1]
    assert "เล่มที่ 2568   เลขที่ 1" in first[0] and "ดับที่ 1 ในแบบ" in first[0]
    assert "1,234.56" in first[0] and "(สามสิบเจ็ดบาทสี่สตางค์)" in first[0]
    assert "ใบแจ้งหนี้เลขที่ INV-1" in first[0]


def test_each_file_stands_alone_with_its_own_title_date_and_fonts():
    files = certificates.render_certificates(month(), PAYER)
    for number, day in ((1, 3), (2, 4), (3, 5), (4, 31)):
        reader = pypdf.PdfReader(io.BytesIO(files[f"wht50_2568-{number}.pdf"]), strict=True)
        assert len(reader.pages) == 2
        assert reader.metadata.title == f"50 tawi 2568-{number}"
        assert reader.metadata.creation_date == dt.datetime(2025, 7, day, tzinfo=dt.UTC)
        assert reader.metadata.author == PAYER["company_name"]
        assert reader.metadata.creator == "backoffice workbench"
        for page in reader.pages:
            fonts = page["/Resources"]["/Font"]
            assert sorted(fonts) == ["/F1", "/F2"]
            for font in fonts.values():
                descriptor = font.get_object()["/DescendantFonts"][0]["/FontDescriptor"]
                assert len(descriptor["/FontFile2"].get_data()) > 1000  # embedded, subset


def test_the_same_certificates_make_the_same_bytes():
    assert certificates.render_certificates(month(), PAYER) == \
        certificates.render_certificates(month(), PAYER)
    assert certificates.render_certificates([], PAYER) == {}


def test_a_replayed_form_is_byte_for_byte_the_form_drawn():
    """The same certificate twice in one document: the second time every label and value is
    replayed from the first, and both pages' drawings are the same bytes."""
    cert = month()[0]
    pdf = certificates.compose_certificate(cert, PAYER)
    drawn = len(pdf._drawn_cells)
    certificates._add_certificate(pdf, cert, PAYER)
    assert len(pdf._drawn_cells) == drawn  # nothing new was laid out
    assert pdf.pages[3].contents == pdf.pages[1].contents
    assert pdf.pages[4].contents == pdf.pages[2].contents
