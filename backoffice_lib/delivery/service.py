"""A delivery run: plan against the outbox, record each message before it leaves, send, record.

Unlike other services a run commits as it goes, on purpose (delivery.md §3): a message is a row
before it is sent, and its Message-ID is committed (state ``sending``) before the server is
handed the message, so that a run killed between the server's accept and the row's update never
sends it twice (the next run treats a ``sending`` row as sent). Each step is its own short
transaction on the engine; the domains that send (payroll, invoices, packages) build the
messages in their own transaction, then call ``run_delivery``.

Access: the caller's area, admins (business-rules §8); ``run_delivery`` checks it again.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine

from .. import access, audit, database, settings
from . import queries
from .channels import (
    ChannelUnreachable,
    LineChannel,
    SendFailed,
    SmtpChannel,
    compose_email,
    new_message_id,
)
from .rules import (
    DeliveryRefused,
    MessageText,
    Planned,
    compute_exit_code,
    compute_plan,
    one_line,
    parse_smtp_url,
)

OUTBOX_AREA = "payroll"  # the outbox names people and what they were paid: payroll's admins


@dataclass
class Outgoing:
    """One message a run could send. ``compose`` gives its texts (corrects?, resend?);
    ``attachment`` builds the protected file, only when the message is sent."""

    kind: str
    channel: str
    period: str
    recipient_kind: str
    recipient_id: str
    recipient_name: str
    address: str | None
    attachment_sha256: str
    compose: Callable[[bool, bool], MessageText]
    skip_reason: str | None = None
    attachment: Callable[[], bytes] | None = None
    file_name: str | None = None

    def key(self) -> dict:
        return {"channel": self.channel, "recipient_kind": self.recipient_kind,
                "recipient_id": self.recipient_id,
                "attachment_sha256": self.attachment_sha256, "skip_reason": self.skip_reason}

    def row_values(self, user: str, subject: str | None, resend_reason: str | None,
                   corrects_id: int | None) -> dict:
        return {"kind": self.kind, "channel": self.channel, "period": self.period,
                "recipient_kind": self.recipient_kind, "recipient_id": self.recipient_id,
                "recipient_name": self.recipient_name, "address": self.address,
                "attachment_sha256": self.attachment_sha256, "subject": subject,
                "requested_by": user, "resend_reason": resend_reason,
                "corrects_id": corrects_id}


@dataclass
class DeliveryReport:
    kind: str
    period: str
    dry_run: bool
    sent: list[dict] = field(default_factory=list)
    already_sent: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    would_send: list[dict] = field(default_factory=list)
    unreachable: bool = False
    resend_reason: str | None = None

    @property
    def exit_code(self) -> int:
        if self.dry_run:
            return 0
        return compute_exit_code(len(self.sent), len(self.failed), self.unreachable)

    def counts(self) -> dict:
        return {"sent": len(self.sent), "already_sent": len(self.already_sent),
                "skipped": len(self.skipped), "failed": len(self.failed),
                "would_send": len(self.would_send)}

    def rows(self) -> list[dict]:
        """One row per person and outcome, for a table."""
        out = []
        for outcome, entries in (("would send", self.would_send), ("sent", self.sent),
                                 ("already sent", self.already_sent),
                                 ("skipped", self.skipped), ("failed", self.failed)):
            out += [{"outcome": outcome, **entry} for entry in entries]
        return out


def _entry(message: Outgoing, why: str = "", **extra) -> dict:
    return {"recipient": message.recipient_name, "recipient_id": message.recipient_id,
            "channel": message.channel, "address": message.address or "", "why": why, **extra}


@dataclass
class Channels:
    """What a run sends through; built from the settings when not given (tests give their own)."""

    smtp_url: str | None = None
    mail_from: str | None = None
    line_api: str | None = None
    line_token: str | None = None
    line_sleep: Callable[[float], None] | None = None

    @classmethod
    def from_settings(cls) -> Channels:
        return cls(smtp_url=settings.smtp_url(), mail_from=settings.mail_from(),
                   line_api=settings.line_api(), line_token=settings.line_token())


def studio_name(channels: Channels) -> str:
    """The signature: the display name of BACKOFFICE_MAIL_FROM, else a plain one."""
    import email.utils

    name, _ = email.utils.parseaddr(channels.mail_from or "")
    return name or "Golf studio back office"


def run_delivery(outgoing: list[Outgoing], *, kind: str, period: str, user: str,
                 area: str | None, dry_run: bool = False, resend_reason: str | None = None,
                 channels: Channels | None = None, engine: Engine | None = None,
                 workers: int | None = None, skip_unset_channels: bool = False,
                 admin: bool = True) -> DeliveryReport:
    """Send what is due of ``outgoing`` (all of one kind and period), once; the report.

    ``area``: the area checked for ``user`` (its admins unless ``admin`` is False: the daily
    package alerts, which any user of packages may run); None only for a scheduled job acting
    as the system. ``workers``: processes drawing the attachments (None: one
    per CPU, at most 4, when many are due; 1 draws them here, as a dashboard's kernel does).
    ``skip_unset_channels``: a channel without its settings skips its messages (named, tried
    again when the same period runs again) instead of refusing the run."""
    engine = engine or database.get_engine()
    channels = channels or Channels.from_settings()
    report = DeliveryReport(kind, period, dry_run, resend_reason=resend_reason)
    if skip_unset_channels and not dry_run:
        _skip_unset(channels, outgoing)
    with database.transaction(engine) as conn:
        email = access.check(conn, user, area, admin=admin).email if area else user
        who = _Actor(email)
        plan = compute_plan([m.key() for m in outgoing], queries.load_outbox_rows(conn, kind, period),
                            resend=resend_reason is not None)
    due = [p for p in plan if p.action == "send"]
    if dry_run:
        _report_plan(report, outgoing, plan)
        return report
    smtp = _smtp_for(channels, [outgoing[p.index] for p in due])
    line = _line_for(channels, [outgoing[p.index] for p in due])
    with database.transaction(engine) as conn:
        for p in plan:
            message = outgoing[p.index]
            if p.action == "skip" and p.record:
                queries.save_skipped(conn, p.row_id, {
                    **message.row_values(who.email, None, None, None),
                    "skip_reason": message.skip_reason})
            if p.action == "skip":
                report.skipped.append(_entry(message, message.skip_reason or ""))
            elif p.action == "already sent":
                if p.note:
                    queries.save_settled_after_crash(conn, p.row_id)
                report.already_sent.append(_entry(message, p.note))
            elif p.action == "gave up":
                report.failed.append(_entry(message, p.note))
    if smtp is not None:  # unreachable: every due e-mail fails at once, nothing drawn
        try:
            smtp.ensure_connected()
        except ChannelUnreachable as error:
            smtp.down = one_line(error, (smtp.setting.password,))
            report.unreachable = True
    try:  # one connection for the run, a transaction per step (a checkout each cost more)
        with engine.connect() as session:
            files = _attachments([None if outgoing[p.index].channel == "email" and smtp.down
                                  else outgoing[p.index].attachment for p in due], workers)
            for p, made in zip(due, files):
                _send_one(session, report, outgoing[p.index], p, who.email, resend_reason, smtp,
                          line, made)
    finally:
        if smtp is not None:
            smtp.close()
    with database.transaction(engine) as conn:
        audit.record(conn, who.email, "DELIVERY_RUN", "delivery_outbox", f"{kind} {period}",
                     after=report.counts(),
                     details={"kind": kind, "period": period,
                              "failed": [f"{e['recipient']}: {e['why']}" for e in report.failed]})
        if resend_reason is not None:
            audit.record(conn, who.email, "DELIVERY_RESEND", "delivery_outbox",
                         f"{kind} {period}",
                         after={"sent": [e["recipient_id"] for e in report.sent]},
                         details={"reason": resend_reason, "kind": kind, "period": period,
                                  "recipients": [e["recipient"] for e in report.sent]})
    return report


@dataclass
class _Actor:
    email: str


def _skip_unset(channels: Channels, outgoing: list[Outgoing]) -> None:
    """Messages on a channel without its settings: skipped, with how to set it."""
    unset = {}
    try:
        _smtp_for(channels, [m for m in outgoing if m.channel == "email"])
    except DeliveryRefused as refused:
        unset["email"] = f"not sent: {refused}"
    try:
        _line_for(channels, [m for m in outgoing if m.channel == "line"])
    except DeliveryRefused as refused:
        unset["line"] = f"not sent: {refused}"
    for message in outgoing:
        if message.channel in unset and not message.skip_reason:
            message.skip_reason = unset[message.channel]


def _report_plan(report: DeliveryReport, outgoing: list[Outgoing], plan: list[Planned]) -> None:
    for p in plan:
        message = outgoing[p.index]
        if p.action == "skip":
            report.skipped.append(_entry(message, message.skip_reason or ""))
        elif p.action == "already sent":
            report.already_sent.append(_entry(message, p.note))
        elif p.action == "gave up":
            report.failed.append(_entry(message, p.note))
        else:
            why = ("corrects the one sent earlier" if p.corrects_id
                   else "sent again" if p.note == "resend" else "")
            report.would_send.append(_entry(message, why))


def _smtp_for(channels: Channels, due: list[Outgoing]) -> SmtpChannel | None:
    if not any(m.channel == "email" for m in due):
        return None
    setting = parse_smtp_url(channels.smtp_url)  # DeliveryRefused: how to set it
    if not channels.mail_from:
        raise DeliveryRefused("no sender: set BACKOFFICE_MAIL_FROM (e.g. "
                              "\"Golf Studio <office@studio.example>\")")
    return SmtpChannel(setting, channels.mail_from)


def _line_for(channels: Channels, due: list[Outgoing]) -> LineChannel | None:
    if not any(m.channel == "line" for m in due):
        return None
    if not channels.line_token:
        raise DeliveryRefused("no LINE channel access token: set BACKOFFICE_LINE_TOKEN")
    extra = {"sleep": channels.line_sleep} if channels.line_sleep else {}
    return LineChannel(channels.line_api or "https://api.line.me", channels.line_token, **extra)


# --------------------------------------------------------------------------- attachments
# Drawing and encrypting a PDF is most of a run's time: with many due, forked processes draw
# them (they only draw: no database, no network) while this one sends, in order.
_JOBS: list[Callable[[], bytes] | None] = []
PARALLEL_FROM = 16


def _draw(index: int) -> tuple[bool, bytes | str]:
    job = _JOBS[index]
    try:
        return True, job() if job else b""
    except Exception as error:  # noqa: BLE001  (a file that cannot be made fails alone)
        return False, "the attachment could not be made: " + one_line(error)


def _attachments(jobs: list[Callable[[], bytes] | None], workers: int | None):
    """(ok, bytes or why) for each job, in order, drawn here or by forked processes."""
    if workers is None:
        cpus = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                else os.cpu_count() or 1)
        workers = min(4, cpus)
    if workers < 2 or len(jobs) < PARALLEL_FROM:
        _JOBS[:] = jobs
        try:
            for index in range(len(jobs)):
                yield _draw(index)
        finally:
            _JOBS.clear()
        return
    _JOBS[:] = jobs
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            _JOBS.clear()  # the children have their copy
            yield from pool.imap(_draw, range(len(jobs)), chunksize=2)
    finally:
        _JOBS.clear()


def _send_one(session: Connection, report: DeliveryReport, message: Outgoing, p: Planned,
              user: str, resend_reason: str | None, smtp: SmtpChannel | None,
              line: LineChannel | None, made: tuple[bool, bytes | str]) -> None:
    secrets = (smtp.setting.password if smtp else None, line.token if line else None)
    if p.note != "resend":  # never sent before: an ordinary row, the key keeps it once
        resend_reason = None
    text = message.compose(p.corrects_id is not None, resend_reason is not None)
    values = message.row_values(user, text.subject, resend_reason, p.corrects_id)
    channel_down = (message.channel == "email" and smtp is not None and smtp.down) or (
        message.channel == "line" and line is not None and line.down)
    if channel_down:
        _record_untried(session, report, message, p, values, channel_down)
        return
    drawn, attachment = made
    if not drawn:
        _record_untried(session, report, message, p, values, one_line(attachment, secrets))
        return
    attachment = attachment if message.attachment else None
    if message.channel == "email":
        try:
            smtp.ensure_connected()
        except ChannelUnreachable as error:
            smtp.down = one_line(error, secrets)
            report.unreachable = True
            _record_untried(session, report, message, p, values, smtp.down)
            return
    message_id = (new_message_id(smtp.sender) if message.channel == "email"
                  else new_message_id("line.invalid"))
    with session.begin():
        row_id = queries.save_handing_over(session, p.row_id, values, message_id)
    if row_id is None:  # another run took it meanwhile
        report.already_sent.append(_entry(message, "sent by another run"))
        return
    try:
        if message.channel == "email":
            smtp.send(compose_email(sender=smtp.sender, to=message.address, subject=text.subject,
                                    body=text.body, message_id=message_id,
                                    attachment=attachment, file_name=message.file_name))
            final_id = message_id
        else:
            final_id = line.push(message.address, text.body, message_id.strip("<>"))
    except ChannelUnreachable as error:
        reason = one_line(error, secrets)
        if message.channel == "email":
            smtp.down = reason
        else:
            line.down = reason
        report.unreachable = True
        with session.begin():
            queries.save_failed(session, row_id, reason)
        report.failed.append(_entry(message, reason))
        return
    except SendFailed as error:
        with session.begin():
            queries.save_failed(session, row_id, one_line(error, secrets))
        report.failed.append(_entry(message, one_line(error, secrets)))
        return
    with session.begin():
        queries.save_sent(session, row_id, final_id)
    report.sent.append(_entry(message, "corrects the one sent earlier" if p.corrects_id else "",
                              message_id=final_id))


def _record_untried(session: Connection, report: DeliveryReport, message: Outgoing, p: Planned,
                    values: dict, reason: str) -> None:
    with session.begin():
        queries.save_failed_untried(session, p.row_id, values, reason)
    report.failed.append(_entry(message, reason))


# --------------------------------------------------------------------------- the outbox


def load_outbox(conn: Connection, user: str | None, *, kind: str | None = None,
                period: str | None = None, state: str | None = None,
                limit: int | None = None) -> list[dict]:
    """The outbox, newest first (payroll's admins)."""
    access.check(conn, user, OUTBOX_AREA, admin=True)
    return queries.load_outbox(conn, kind=kind, period=period, state=state, limit=limit)


def retry_outbox(conn: Connection, user: str | None, *, kind: str | None = None,
                 period: str | None = None, ids: list[int] | None = None) -> list[dict]:
    """Failed messages back to the queue with their attempt count started again; audited. The
    next run of their kind sends them."""
    who = access.check(conn, user, OUTBOX_AREA, admin=True)
    rows = queries.save_retry(conn, kind=kind, period=period, ids=ids)
    if rows:
        audit.record(conn, who.email, "OUTBOX_RETRY", "delivery_outbox",
                     ",".join(str(r["id"]) for r in rows[:50]),
                     after={"messages": len(rows), "state": "queued", "attempts": 0},
                     details={"kind": kind, "period": period,
                              "before": [{"id": r["id"], "last_error": r["last_error"]}
                                         for r in rows[:50]]})
    return rows
