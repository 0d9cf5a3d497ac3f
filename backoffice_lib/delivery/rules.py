"""Delivery's pure rules: the SMTP setting, the never-twice plan, the messages' texts.

Never twice (delivery.md §3): a message's key is kind, channel, period, recipient (the person,
not the address) and the sha256 of its unencrypted attachment. ``compute_plan`` decides, for each
message a run could send, against the outbox rows of the same kind and period:

- ``skip``: the recipient cannot get it (no e-mail, no national ID): recorded and named;
- ``already sent``: a row with its key was sent, or was being handed to the server when a run
  stopped (state ``sending``: its Message-ID was recorded before the hand-over, so the server may
  have accepted it; it is treated as sent and never sent again: ``--resend`` is the way back);
- ``send``: new, queued, skipped before (an address was added since), or failed with fewer than
  ``MAX_ATTEMPTS`` attempts; a new sha for a recipient who was sent another one corrects it;
- ``gave up``: failed ``MAX_ATTEMPTS`` times (``outbox retry`` starts the count again).

A resend (``--resend --reason``) sends again what was sent, as a row of its own (what was
never sent goes the ordinary way, once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

MAX_ATTEMPTS = 5
LINE_DEFAULT_API = "https://api.line.me"
LINE_MAX_WAIT_SECONDS = 60
SMTP_HELP = ("set BACKOFFICE_SMTP_URL (smtp://user:password@host:587?starttls=1, or smtps://… for"
             " implicit TLS) and BACKOFFICE_MAIL_FROM")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
MONTHS_TH = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
             "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
NO_EMAIL = "no e-mail address"
NO_NATIONAL_ID = "no valid national ID (the PDF's password)"
NO_TAX_ID = "no valid tax ID (the PDF's password)"


class DeliveryRefused(ValueError):
    """A delivery that cannot start as asked (a refusal: nothing sent, exit 2)."""


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SmtpSetting:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def shown(self) -> str:
        """The setting as a person may read it: never the password."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        tls = "?starttls=1" if self.starttls else ""
        return f"{scheme}://{user}{self.host}:{self.port}{tls}"


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_smtp_url(url: str | None) -> SmtpSetting:
    """``BACKOFFICE_SMTP_URL`` as a setting; refused (``DeliveryRefused``, the password never in
    the message) when unset, malformed, or ``smtp://`` with a password to a host not loopback."""
    text = (url or "").strip()
    if not text:
        raise DeliveryRefused(f"no mail server: {SMTP_HELP}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise DeliveryRefused("BACKOFFICE_SMTP_URL is not a URL like "
                              "smtp://user:password@host:587?starttls=1") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DeliveryRefused("BACKOFFICE_SMTP_URL must start smtp:// or smtps:// and name a host")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "0").lower() in ("1", "true", "yes")
    implicit = parts.scheme == "smtps"
    password = unquote(parts.password) if parts.password is not None else None
    host = parts.hostname
    if password and not implicit and not starttls and not is_loopback(host):
        raise DeliveryRefused(
            f"BACKOFFICE_SMTP_URL sends a password in clear to {host}: use ?starttls=1 or "
            "smtps:// (plain smtp:// with a password only to a loopback relay)")
    default_port = 465 if implicit else (587 if starttls else 25)
    return SmtpSetting(host=host, port=port or default_port, implicit_tls=implicit,
                       starttls=starttls,
                       username=unquote(parts.username) if parts.username else None,
                       password=password)


def mail_domain(sender: str) -> str:
    return sender.rsplit("@", 1)[-1].strip(">").strip() or "backoffice.invalid"


# --------------------------------------------------------------------------- the plan


def compute_digest(*parts) -> str:
    """sha256 of values written canonically (JSON, keys sorted, Decimal and dates as text)."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Planned:
    """What a run does with one message: action, the row it reuses, the row it corrects."""

    index: int  # position of the message in the run's list
    action: str  # skip | already sent | send | gave up
    row_id: int | None = None
    corrects_id: int | None = None
    note: str = ""
    record: bool = True  # False: reported only (a resend skipped: the sent row stays)


def compute_plan(messages: list[dict], rows: list[dict], *, resend: bool = False,
                 max_attempts: int = MAX_ATTEMPTS) -> list[Planned]:
    """Decide each message of a run (``messages``: dicts with channel, recipient_kind,
    recipient_id, attachment_sha256 and skip_reason) against the outbox ``rows`` of the same
    kind and period (dicts with id, channel, recipient_kind, recipient_id, attachment_sha256,
    state, attempts, resend_reason, sent_at)."""
    keyed: dict[tuple, dict] = {}
    sent_to: dict[tuple, dict] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        person = (row["channel"], row["recipient_kind"], str(row["recipient_id"]))
        if row["resend_reason"] is None:
            keyed[(*person, row["attachment_sha256"])] = row
        if row["state"] in ("sent", "sending"):
            sent_to[person] = row  # the latest message the person was handed
    plan = []
    for index, message in enumerate(messages):
        person = (message["channel"], message["recipient_kind"], str(message["recipient_id"]))
        row = keyed.get((*person, message["attachment_sha256"]))
        if message.get("skip_reason"):
            if row is not None and row["state"] in ("sent", "sending") and not resend:
                plan.append(Planned(index, "already sent", row["id"]))
            elif row is not None and row["state"] in ("sent", "sending"):  # a resend: said
                plan.append(Planned(index, "skip", row["id"], note=message["skip_reason"],
                                    record=False))
            else:
                plan.append(Planned(index, "skip", row["id"] if row else None,
                                    note=message["skip_reason"]))
            continue
        if resend and row is not None and row["state"] in ("sent", "sending"):
            plan.append(Planned(index, "send", None, note="resend"))
            continue  # (one never sent goes the ordinary way: a resend row would not stop
            #           the next run from sending it again)
        if row is None:
            earlier = sent_to.get(person)
            plan.append(Planned(index, "send", None,
                                corrects_id=earlier["id"] if earlier else None))
        elif row["state"] == "sent":
            plan.append(Planned(index, "already sent", row["id"]))
        elif row["state"] == "sending":
            plan.append(Planned(index, "already sent", row["id"],
                                note="handed to the server when a run stopped: treated as sent"))
        elif row["state"] == "failed" and row["attempts"] >= max_attempts:
            plan.append(Planned(index, "gave up", row["id"],
                                note=f"{row['attempts']} attempts failed; `outbox retry` to try "
                                     "again"))
        else:  # queued, skipped before, failed fewer times
            earlier = sent_to.get(person)
            plan.append(Planned(index, "send", row["id"],
                                corrects_id=earlier["id"] if earlier else None))
    return plan


def compute_exit_code(sent: int, failed: int, unreachable: bool) -> int:
    """0 nothing failed; 2 nothing could be tried (the server unreachable); else 1."""
    if failed == 0:
        return 0
    return 2 if unreachable and sent == 0 else 1


def one_line(error: BaseException | str, secrets: tuple[str | None, ...] = ()) -> str:
    """An error as one line without any of ``secrets`` (nor a URL's password)."""
    from ..settings import mask_secrets

    text = str(error) if isinstance(error, str) else (f"{type(error).__name__}: {error}"
                                                      if str(error) else type(error).__name__)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = mask_secrets(" ".join(text.split()))
    return text[:300]


# --------------------------------------------------------------------------- texts


def month_names(month: str) -> tuple[str, str]:
    """('พฤศจิกายน 2569', 'November 2026') for '2026-11' (Thai: the Buddhist year)."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{MONTHS_TH[number - 1]} {year + 543}", f"{MONTHS_EN[number - 1]} {year}"


@dataclass(frozen=True)
class MessageText:
    subject: str
    body: str


def compose_payslip_message(month: str, name: str, studio: str, *, corrects: bool = False,
                            resend: bool = False) -> MessageText:
    """The payslip's e-mail in Thai then English: the month, that the PDF is protected and what
    kind of password opens it (never the password)."""
    thai, english = month_names(month)
    subject = f"สลิปเงินเดือน {thai} / Payslip {english}"
    if corrects:
        subject = f"ฉบับแก้ไข: {subject} (corrects the one sent earlier)"
    elif resend:
        subject = f"ส่งอีกครั้ง: {subject} (sent again)"
    correction_th = ("ฉบับนี้แก้ไขสลิปที่ส่งไปก่อนหน้า โปรดใช้ฉบับนี้แทน\n\n" if corrects else "")
    correction_en = ("This payslip corrects the one sent earlier: please use this one.\n\n"
                     if corrects else "")
    body = (
        f"เรียน คุณ{name}\n\n"
        f"แนบสลิปเงินเดือนประจำเดือน {thai} มาพร้อมอีเมลนี้\n{correction_th}"
        "ไฟล์ PDF ถูกป้องกันด้วยรหัสผ่าน: รหัสผ่านคือเลขประจำตัวประชาชน 13 หลักของท่าน"
        " (ตัวเลขติดกัน ไม่มีขีด)\n\n"
        f"Dear {name},\n\n"
        f"Your payslip for {english} is attached.\n{correction_en}"
        "The PDF is password-protected: the password is your 13-digit national ID number"
        " (digits only, no dashes).\n\n"
        f"{studio}\n"
    )
    return MessageText(subject, body)


def compose_certificate_message(period: str, name: str, studio: str, *, password_kind: str,
                                password_kind_th: str, corrects: bool = False,
                                resend: bool = False) -> MessageText:
    """A 50 ทวิ's e-mail (employees: the tax year; suppliers: the month), Thai then English."""
    if len(period) == 7:
        thai, english = month_names(period)
    else:
        thai, english = f"ปีภาษี {int(period) + 543}", f"tax year {period}"
    subject = f"หนังสือรับรองการหักภาษี ณ ที่จ่าย (50 ทวิ) {thai} / Withholding tax certificate {english}"
    if corrects:
        subject = f"ฉบับแก้ไข: {subject} (corrects the one sent earlier)"
    elif resend:
        subject = f"ส่งอีกครั้ง: {subject} (sent again)"
    body = (
        f"เรียน {name}\n\n"
        f"แนบหนังสือรับรองการหักภาษี ณ ที่จ่าย (50 ทวิ) {thai} มาพร้อมอีเมลนี้\n"
        f"ไฟล์ PDF ถูกป้องกันด้วยรหัสผ่าน: รหัสผ่านคือ{password_kind_th}\n\n"
        f"Dear {name},\n\n"
        f"Your withholding tax certificate (50 Tawi) for {english} is attached.\n"
        f"The PDF is password-protected: the password is {password_kind}.\n\n"
        f"{studio}\n"
    )
    return MessageText(subject, body)


ALERT_LEVELS = {  # alert_level: (Thai, English)
    "expiring_soon": ("ใกล้หมดอายุ", "expires soon"),
    "low_balance": ("ชั่วโมงใกล้หมด", "is running low"),
    "not_activated": ("ยังไม่ได้เริ่มใช้", "has not been used yet"),
}


def compute_alert_sha(package_id, alert_level: str) -> str:
    """The never-twice sha of a package alert: once per package and level (and channel, the
    outbox key's own part). Plain sha256 of ``package_alert <id> <level>``, so that SQL can
    find an alert's messages (``encode(sha256(...), 'hex')``)."""
    return hashlib.sha256(f"package_alert {package_id} {alert_level}".encode()).hexdigest()


def compose_alert_text(customer: str, package: str, level: str, hours_left,
                       expires: dt.date | None, studio: str) -> MessageText:
    """A package alert, Thai then English in one text: the package, hours left, expiry."""
    thai, english = ALERT_LEVELS.get(level, (level, level))
    hours = "ไม่จำกัด / unlimited" if hours_left is None else f"{hours_left:.2f}"
    hours_en = "unlimited" if hours_left is None else f"{hours_left:.2f}"
    expiry_th = f" หมดอายุวันที่ {expires:%d/%m}/{expires.year + 543}" if expires else ""
    expiry_en = f", expires on {expires:%d %B %Y}" if expires else ""
    body = (
        f"เรียน คุณ{customer}\nแพ็กเกจ {package} ของท่าน{thai}: เหลือ {hours.split(' / ')[0]}"
        f" ชั่วโมง{expiry_th}\n\n"
        f"Dear {customer},\nyour package {package} {english}: {hours_en} hours left"
        f"{expiry_en}.\n\n{studio}"
    )
    return MessageText(f"แพ็กเกจของท่าน{thai} / Your package {english}", body)


SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def compute_file_name(*parts: str) -> str:
    """An attachment's file name from safe parts (never a national ID: callers pass codes)."""
    return "_".join(SAFE_NAME.sub("_", p) for p in parts if p) + ".pdf"
