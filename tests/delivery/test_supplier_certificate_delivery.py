"""Suppliers' 50 ทวิ reach them (delivery.md §2): each issued certificate of a month's payments
e-mailed to its supplier, encrypted with the supplier's tax ID, once; no e-mail: skipped."""

from __future__ import annotations

import datetime as dt
import io

from cli_runner import run_backoffice
from delivery_fixtures import ADMIN, SENDER, smtp_server, world  # noqa: F401 (fixtures)
from pypdf import PdfReader

from backoffice_lib import database
from backoffice_lib.invoices import rules, service
from backoffice_lib.invoices.reports.delivery import (
    deliver_supplier_certificates,
    save_supplier_email,
)

PAYER = {"company_name": "บริษัท แฟร์เวย์ กอล์ฟ สตูดิโอ จำกัด", "company_tax_id": "0105566012344",
         "company_branch_no": "00000", "company_address_line": "88/8 ถนนสุขุมวิท ซอย 24",
         "company_subdistrict": "คลองตัน", "company_district": "คลองเตย",
         "company_province": "กรุงเทพมหานคร", "company_postal_code": "10110"}
ADDRESS = {"address_line": "12/3 ซอยอารีย์ 4", "subdistrict": "สามเสนใน", "district": "พญาไท",
           "province": "กรุงเทพมหานคร", "postal_code": "10400"}


def tax_id(n: int) -> str:
    twelve = f"1{n:011d}"
    return twelve + str(rules.compute_tax_id_check_digit(twelve))


def paid_coach(conn, n: int, email: str | None) -> dict:
    supplier = service.create_supplier(
        conn, ADMIN, name=f"Coach {n}", payee_kind="individual", tax_id=tax_id(n), title="นาย",
        first_name=f"ผู้สอน{n}", last_name="ใจดี", **ADDRESS)
    if email:
        save_supplier_email(conn, ADMIN, supplier["id"], email)
    for day, paid in ((dt.date(2025, 5, 2), dt.date(2025, 5, 9)),
                      (dt.date(2025, 5, 12), dt.date(2025, 5, 20))):
        created = service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                         invoice_date=day,
                                         items=[rules.make_item("ค่าสอนกอล์ฟ", "1", "10000")])
        service.mark_invoice_paid(conn, ADMIN, created["invoice_number"], paid)
    return supplier


def test_each_supplier_gets_each_certificate_once_encrypted_with_its_tax_id(world,
                                                                           smtp_server):
    with database.transaction(world.engine) as conn:
        for key, value in PAYER.items():
            service.save_invoice_setting(conn, ADMIN, key, value)
        paid_coach(conn, 1, "coach1@suppliers.example.org")
        paid_coach(conn, 2, None)
    report = deliver_supplier_certificates("2025-05", ADMIN, channels=smtp_server.channels(),
                                           engine=world.engine)
    assert len(report.sent) == 2 and report.exit_code == 0  # two payments, two certificates
    assert {e["why"] for e in report.sent} == {""}  # the second is no "correction"
    assert [e["why"] for e in report.skipped] == ["no e-mail address"] * 2
    for _, message in smtp_server.recorder.messages:
        reader = PdfReader(io.BytesIO(next(message.iter_attachments()).get_content()))
        assert reader.trailer["/Encrypt"]["/R"] == 6 and not reader.decrypt(tax_id(2))
        assert reader.decrypt(tax_id(1))
        assert tax_id(1) not in message.get_body(("plain",)).get_content()
    again = deliver_supplier_certificates("2025-05", ADMIN, channels=smtp_server.channels(),
                                          engine=world.engine)
    assert again.sent == [] and len(again.already_sent) == 2
    done = run_backoffice("invoice", "certificates", "--month", "2025-05", "--deliver",
                          env=world.env(BACKOFFICE_SMTP_URL=smtp_server.url,
                                        BACKOFFICE_MAIL_FROM=SENDER))
    assert done.returncode == 0 and "2 already sent" in done.stdout, done.stdout + done.stderr
    assert len(smtp_server.recorder.messages) == 2
