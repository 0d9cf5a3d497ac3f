"""Sending payslips (delivery.md): each person paid in a finalised month gets their payslip,
encrypted with their national ID, once.

``deliver_payslips`` reads the finalised run (refused when the month is not finalised), builds
one message per person of it with the sha256 of the payslip's content, and hands them to
``delivery.service.run_delivery``, which sends what is due and records everything.

The never-twice sha: the payslip's content (its line, days, weeks and review flags, status
final) written canonically, not the PDF's bytes: the same data gives the same payslip, a payslip
that changed after a reopen and a new finalise gets a new sha (and goes out as a correction),
and a run, a rerun or a dry run decides who is due without drawing 1,000 PDFs; only the
messages sent are drawn, once, encrypted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from ... import access, database, values
from ...delivery import rules as delivery_rules
from ...delivery.service import Channels, DeliveryReport, Outgoing, run_delivery, studio_name
from .. import queries
from ..rules import PayrollResult
from ..rules.close import CloseRefused
from ..rules.statutory import national_id_is_valid
from . import load_month_payroll

AREA = "payroll"
PAYSLIP_STATUS = "final"


@dataclass
class PayslipBatch:
    """What a delivery of ``month`` would send: the messages, the run they come from."""

    month: str
    run_id: int
    user: str
    outgoing: list[Outgoing]


def compute_payslip_digests(result: PayrollResult) -> dict[int, str]:
    """staff.id -> sha256 of what that person's payslip shows (status final)."""
    groups = {}
    for name in ("days", "weeks", "flags"):
        frame = getattr(result, name)
        groups[name] = ({key: part.drop(columns="staff").to_dict("records")
                         for key, part in frame.groupby("staff", sort=False)}
                        if len(frame) else {})
    digests = {}
    for line in result.lines.to_dict("records"):
        staff = line["staff"]
        digests[int(staff)] = delivery_rules.compute_digest(
            "payslip", result.month, PAYSLIP_STATUS, result.has_net_pay,
            {k: v for k, v in line.items() if not _missing(v)},
            *[groups[name].get(staff, []) for name in ("days", "weeks", "flags")])
    return digests


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def prepare_payslip_delivery(conn: Connection, month: values.Month | str, user: str | None,
                             channels: Channels, staff_code: str | None = None
                             ) -> PayslipBatch:
    """The messages of ``month``'s payslips (admin; refused unless the month is finalised)."""
    month = values.month_key(month)
    who = access.check(conn, user, AREA, admin=True)
    finalised = queries.load_finalised_run(conn, month)
    if finalised is None:
        raise CloseRefused(f"payroll {month} is not finalised: payslips go out only for a "
                           "finalised month (finalise it first)")
    result = load_month_payroll(conn, month)
    if result.checksum != finalised["checksum"]:
        raise CloseRefused(f"payroll {month}: the data differs from the finalised run "
                           f"#{finalised['id']}; reopen and finalise it again")
    lines = result.lines
    contacts = queries.load_delivery_contacts(conn, [int(s) for s in lines["staff"]])
    if staff_code is not None:
        chosen = [s for s, c in contacts.items() if c["staff_id"] == staff_code]
        if not chosen:
            raise CloseRefused(f"nobody with employee ID {staff_code} is paid in {month}")
        lines = lines[lines["staff"].isin(chosen)]
    digests = compute_payslip_digests(result)
    studio = studio_name(channels)
    outgoing = []
    for line in lines.to_dict("records"):
        staff = int(line["staff"])
        contact = contacts[staff]
        national_id = (contact["national_id"] or "").strip()
        address = (contact["email"] or "").strip() or None
        skip = (delivery_rules.NO_EMAIL if address is None
                else None if national_id_is_valid(national_id)
                else delivery_rules.NO_NATIONAL_ID)
        name = str(line["staff_name"])
        outgoing.append(Outgoing(
            kind="payslip", channel="email", period=month, recipient_kind="staff",
            recipient_id=str(staff), recipient_name=f"{name} ({contact['staff_id']})",
            address=address, attachment_sha256=digests[staff], skip_reason=skip,
            compose=functools.partial(_compose, month, name, studio),
            attachment=None if skip else _payslip_file(result, staff, national_id),
            file_name=delivery_rules.compute_file_name("payslip", month,
                                                       str(contact["staff_id"] or staff)),
        ))
    return PayslipBatch(month, finalised["id"], who.email, outgoing)


def _compose(month: str, name: str, studio: str, corrects: bool, resend: bool):
    return delivery_rules.compose_payslip_message(month, name, studio, corrects=corrects,
                                                  resend=resend)


def _payslip_file(result: PayrollResult, staff: int, password: str) -> Callable[[], bytes]:
    def build() -> bytes:
        from ...delivery.reports import render_protected
        from ..reports.outputs import compose_payslip

        return render_protected(compose_payslip(result, staff, PAYSLIP_STATUS), password)

    return build


def deliver_payslips(month: values.Month | str, user: str | None, *, dry_run: bool = False,
                     resend_reason: str | None = None, staff_code: str | None = None,
                     channels: Channels | None = None, engine: Engine | None = None,
                     workers: int | None = None) -> DeliveryReport:
    """Send ``month``'s payslips (see the module); the report of the run. Refusals
    (``ValueError``): not finalised, ``--resend`` without a reason, unknown employee ID, no
    mail server (unless a dry run)."""
    if resend_reason is not None:
        resend_reason = " ".join(resend_reason.split())
        if not resend_reason:
            raise CloseRefused("--resend needs a reason (kept in the audit)")
    channels = channels or Channels.from_settings()
    with database.transaction(engine) as conn:
        batch = prepare_payslip_delivery(conn, month, user, channels, staff_code)
    return run_delivery(batch.outgoing, kind="payslip", period=batch.month, user=batch.user,
                        area=AREA, dry_run=dry_run, resend_reason=resend_reason,
                        channels=channels, engine=engine, workers=workers)


# --------------------------------------------------------------------------- 50 ทวิ (employees)


def deliver_employee_certificates(year: int, user: str | None, *,
                                  channels: Channels | None = None,
                                  engine: Engine | None = None, dry_run: bool = False,
                                  today=None) -> DeliveryReport:
    """E-mail each person paid in ``year`` their 50 ทวิ, encrypted with their national ID, once
    (the sha: the certificate's figures; a changed one goes again as a correction)."""
    from .filings import prepare_certificates

    channels = channels or Channels.from_settings()
    with database.transaction(engine) as conn:
        employer, found = prepare_certificates(conn, year, user, today=today)
        who = access.check(conn, user, AREA, admin=True)
        contacts = queries.load_delivery_contacts(conn, [c.staff for c in found])
    studio = studio_name(channels)
    outgoing = []
    for cert in found:
        contact = contacts.get(cert.staff, {})
        national_id = (cert.national_id or "").strip()
        address = (contact.get("email") or "").strip() or None
        skip = (delivery_rules.NO_EMAIL if address is None
                else None if national_id_is_valid(national_id)
                else delivery_rules.NO_NATIONAL_ID)
        outgoing.append(Outgoing(
            kind="wht_certificate", channel="email", period=str(year), recipient_kind="staff",
            recipient_id=str(cert.staff), recipient_name=f"{cert.staff_name} ({cert.staff_id})",
            address=address,
            attachment_sha256=delivery_rules.compute_digest("50tawi", employer, vars(cert)),
            skip_reason=skip,
            compose=functools.partial(_compose_certificate, str(year), cert.staff_name, studio),
            attachment=None if skip else _certificate_file(cert, employer, national_id),
            file_name=delivery_rules.compute_file_name("50tawi", str(year), cert.staff_id),
        ))
    return run_delivery(outgoing, kind="wht_certificate", period=str(year), user=who.email,
                        area=AREA, dry_run=dry_run, channels=channels, engine=engine)


def _compose_certificate(period: str, name: str, studio: str, corrects: bool, resend: bool):
    return delivery_rules.compose_certificate_message(
        period, name, studio, password_kind="your 13-digit national ID number",
        password_kind_th="เลขประจำตัวประชาชน 13 หลักของท่าน", corrects=corrects, resend=resend)


def _certificate_file(cert, employer: dict, password: str) -> Callable[[], bytes]:
    def build() -> bytes:
        from ...delivery.reports import render_protected
        from ..reports.certificates import compose_certificate

        return render_protected(compose_certificate(cert, employer), password)

    return build


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def set_staff_email(conn: Connection, user: str | None, staff: int, address: str | None
                    ) -> dict:
    """Where a person's payslips and 50 ทวิ go (empty: nowhere; they are then skipped and
    named); admins, audited."""
    from ... import audit
    from ..rules.statutory import BadStatutoryValue

    who = access.check(conn, user, AREA, admin=True)
    value = (address or "").strip() or None
    if value is not None and not EMAIL.match(value):
        raise BadStatutoryValue(f"{value!r} is not an e-mail address")
    audit.act_as(conn, who.email, "payslip e-mail")
    before = queries.save_staff_email(conn, staff, value)
    if before != value:
        audit.record(conn, who.email, "STAFF_EMAIL_SET", "staff", staff,
                     before={"email": before}, after={"email": value})
    return {"before": before, "email": value}
