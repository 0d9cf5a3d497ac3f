"""The invoice PDF (§6: supplier as issuer, studio as Bill to, WHT as a negative line, Thai text)
and the `backoffice invoice` commands."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import uuid
import zlib
from decimal import Decimal

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from backoffice_lib.cli import cli
from backoffice_lib.invoices import rules as invoice_rules
from backoffice_lib.invoices import service as invoice_service
from backoffice_lib.invoices.reports import pdf as invoice_pdf

SUPPLIER_NAME = "นายสมชาย ใจดี"
STUDIO_NAME = "บริษัท กอล์ฟสตูดิโอ จำกัด"


def _sample_invoice(status="issued"):
    amounts = invoice_rules.compute_invoice_amounts(
        [invoice_rules.make_item("ค่าสอนกอล์ฟ เดือนมกราคม", "10", "1500.50")], "3.00")
    return dict(invoice_number="202501001", invoice_date=dt.date(2025, 1, 15), status=status,
                supplier={"name": SUPPLIER_NAME, "address_line1": "123 ถนนสุขุมวิท",
                          "tax_id": "1234567890123", "bank_name": "กสิกรไทย",
                          "bank_account": "123-4-56789-0"},
                **amounts)


def _company():
    return dict(invoice_rules.SETTING_DEFAULTS, company_name=STUDIO_NAME, company_tax_id="0105555555555",
                company_address_line1="99 ซอยทองหล่อ", company_address_line2="กรุงเทพมหานคร 10110")


def _pdf_unicode_text(data: bytes) -> set[str]:
    """Characters the PDF's embedded fonts map to (their ToUnicode CMaps)."""
    chars = set()
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            text = zlib.decompress(stream)
        except zlib.error:
            text = stream
        for hexcode in re.findall(rb"<[0-9A-Fa-f]{4}> <([0-9A-Fa-f]{4})>", text):
            chars.add(chr(int(hexcode, 16)))
    return chars


def test_invoice_pdf_is_a_real_pdf_with_an_embedded_thai_font():
    data = invoice_pdf.render_invoice_pdf(_sample_invoice(), _company())
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in data and b"Sarabun" in data
    mapped = _pdf_unicode_text(data)
    for text in (SUPPLIER_NAME, STUDIO_NAME, "หักภาษี ณ ที่จ่าย", "14,554.85", "-450.15"):
        missing = {c for c in text if not c.isspace()} - mapped
        assert not missing, f"{text!r}: {missing} not drawn"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_invoice_pdf_text_shows_issuer_bill_to_items_and_negative_withholding(tmp_path):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(invoice_pdf.render_invoice_pdf(_sample_invoice(), _company()))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    # shaped SARA AM is drawn as NIKHAHIT + SARA AA; pdftotext puts a space after it
    text = re.sub(r"ำ +", "ำ", text)
    assert SUPPLIER_NAME in text
    assert "Bill to" in text and STUDIO_NAME in text and "0105555555555" in text
    assert "ค่าสอนกอล์ฟ เดือนมกราคม" in text and "15,005.00" in text
    assert re.search(r"Withholding tax 3%.*-450\.15", text)
    assert re.search(r"Total.*14,554\.85", text)
    assert text.index(SUPPLIER_NAME) < text.index("Bill to")


# --------------------------------------------------------------------------- CLI

@pytest.fixture(scope="module")
def committed(engine):
    """An admin, a non-admin and a supplier committed (the CLI uses its own transactions)."""
    tag = uuid.uuid4().hex[:8]
    admin, clerk = f"cli-admin-{tag}@studio.example", f"cli-clerk-{tag}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:a, true), (:c, false)"), {"a": admin, "c": clerk})
        supplier = invoice_service.create_supplier(c, admin, name=SUPPLIER_NAME, tax_id="3100400000001")
    return {"admin": admin, "clerk": clerk, "supplier": str(supplier["id"])}


def _run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_invoice_create_and_pdf(committed, tmp_path):
    result = _run("invoice", "create", "--supplier", committed["supplier"], "--date", "2031-07-09",
                  "--item", "ค่าสอน;10;1500.50", "--item", "Balls;2;100", "--user",
                  committed["admin"], "--format", "json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["invoice_number"].startswith("203107")
    assert (Decimal(str(created["subtotal"])), Decimal(str(created["tax_amount"])),
            Decimal(str(created["total_amount"]))) == (Decimal(15205), Decimal("456.15"),
                                                      Decimal("14748.85"))
    out = tmp_path / "inv.pdf"
    result = _run("invoice", "pdf", created["invoice_number"], "--out", str(out), "--user",
                  committed["admin"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("args,message", [
    (["--item", "Coaching;1"], "description;quantity;unit_price"),
    (["--item", "Coaching;1;10", "--date", "31/07/2031"], "--date must be a date"),
])
def test_cli_invoice_create_bad_input_is_one_line_exit_2(committed, args, message):
    base = {"--supplier": committed["supplier"], "--date": "2031-07-10", "--user": committed["admin"]}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    flat = [x for pair in base.items() for x in pair]
    result = CliRunner().invoke(cli, ["invoice", "create", *flat])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_cli_invoice_refuses_non_admin(committed):
    result = CliRunner().invoke(cli, ["invoice", "create", "--supplier", committed["supplier"],
                                      "--date", "2031-07-10", "--item", "X;1;1", "--user",
                                      committed["clerk"]])
    assert result.exit_code == 2 and "not an admin" in result.output


def test_cli_invoice_pdf_unknown_number(committed, tmp_path):
    result = CliRunner().invoke(cli, ["invoice", "pdf", "209901999", "--out",
                                      str(tmp_path / "x.pdf"), "--user", committed["admin"]])
    assert result.exit_code == 2 and "no invoice numbered 209901999" in result.output
