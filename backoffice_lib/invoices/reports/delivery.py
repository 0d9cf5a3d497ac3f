"""Suppliers' 50 ทวิ reach them (delivery.md §2, supplier-tax.md): each issued certificate of a
month's payments e-mailed to its supplier (``invoice_suppliers.email``), encrypted with the
supplier's 13-digit tax ID, once. A supplier without an e-mail or a tax ID is skipped and named.

A supplier paid twice in a month gets two certificates: the outbox's recipient is the supplier
and the payment (``<supplier id>/<invoice id>``), so that the second is not taken for a
correction of the first; a certificate replaced after a payment date changed is a new one.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable

from sqlalchemy.engine import Engine

from ... import database
from ...delivery import rules as delivery_rules
from ...delivery.service import Channels, DeliveryReport, Outgoing, run_delivery, studio_name
from .. import queries, service

AREA = "invoices"
TAX_ID = re.compile(r"^[0-9]{13}$")


def deliver_supplier_certificates(month: str, user: str | None, *,
                                  channels: Channels | None = None,
                                  engine: Engine | None = None, dry_run: bool = False
                                  ) -> DeliveryReport:
    """E-mail the month's issued supplier certificates (numbers allocated on first making, as
    ``invoice certificates`` does, audited); the run's report."""
    channels = channels or Channels.from_settings()
    with database.transaction(engine) as conn:
        certificates, company = service.prepare_withholding_certificates(conn, user, month)
        emails = queries.load_supplier_emails(
            conn, [c["payment"].payee.supplier_id for c in certificates])
    studio = studio_name(channels)
    outgoing = []
    for cert in certificates:
        if cert["state"] != "issued":
            continue
        payment = cert["payment"]
        payee = payment.payee
        address = (emails.get(str(payee.supplier_id)) or "").strip() or None
        tax_id = (payee.tax_id or "").strip()
        skip = (delivery_rules.NO_EMAIL if address is None
                else None if TAX_ID.match(tax_id) else delivery_rules.NO_TAX_ID)
        number = f"{cert['book']}-{cert['number']}"
        outgoing.append(Outgoing(
            kind="wht_certificate", channel="email", period=month, recipient_kind="supplier",
            recipient_id=f"{payee.supplier_id}/{payment.invoice_id}",
            recipient_name=f"{payee.name} (50 ทวิ {number})", address=address,
            attachment_sha256=delivery_rules.compute_digest(
                "supplier 50tawi", number, cert["form"], cert["paid_on"], cert["row_no"],
                dataclasses.asdict(payment), company),
            skip_reason=skip,
            compose=functools.partial(_compose, month, payee.name, studio),
            attachment=None if skip else _certificate_file(cert, company, tax_id),
            file_name=delivery_rules.compute_file_name("wht50", number)))
    return run_delivery(outgoing, kind="wht_certificate", period=month, user=user, area=AREA,
                        dry_run=dry_run, channels=channels, engine=engine)


def _compose(month: str, name: str, studio: str, corrects: bool, resend: bool):
    return delivery_rules.compose_certificate_message(
        month, name, studio, password_kind="your 13-digit tax ID number",
        password_kind_th="เลขประจำตัวผู้เสียภาษีอากร 13 หลักของท่าน", corrects=corrects,
        resend=resend)


def _certificate_file(cert: dict, company: dict, password: str) -> Callable[[], bytes]:
    def build() -> bytes:
        from ...delivery.reports import render_protected
        from .certificates import compose_certificate

        return render_protected(compose_certificate(cert, company), password)

    return build


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def save_supplier_email(conn, user: str | None, supplier_id, address: str | None) -> dict:
    """Where a supplier's 50 ทวิ goes (empty: nowhere); admins of invoices, audited."""
    from ... import access, audit

    who = access.check(conn, user, AREA)
    supplier = service.load_supplier(conn, supplier_id)
    value = (address or "").strip() or None
    if value is not None and not EMAIL.match(value):
        raise service.InvoiceError(f"{value!r} is not an e-mail address")
    if supplier.get("email") != value:
        queries.update_supplier_row(conn, supplier["id"], {"email": value})
        audit.record(conn, who.email, "UPDATE", "invoice_supplier", supplier["id"],
                     before={"email": supplier.get("email")}, after={"email": value})
    return {**supplier, "email": value}
