"""Tables and columns added by delivery (migration 0020; delivery.md).

- New columns: ``staff.email`` (where payslips and employees' 50 ทวิ go),
  ``public.customers.line_user_id`` (a customer who added the studio's LINE account),
  ``invoice_suppliers.email`` (where a supplier's 50 ทวิ goes). Appended here so that
  ``models/core.py`` and ``models/external.py`` stay as they were.
- ``delivery_outbox``: every message is a row before it is sent (delivery.md §3). The never-twice
  key is kind, channel, period, recipient (the person, not the address) and the sha256 of the
  unencrypted attachment: unique among the rows that are not resends (``resend_reason`` empty);
  a ``--resend`` adds a row of its own with its reason.
  States: ``queued`` (recorded, not yet handed to a server), ``sending`` (its ``message_id``
  recorded and the message being handed over: a row left in it by a crash is treated as sent,
  never sent again), ``sent``, ``failed`` (``last_error``, retried up to 5 attempts),
  ``skipped`` (``skip_reason``: no e-mail, no national ID; checked again each run).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import NOW, TSTZ, InvoiceSupplier, Staff
from .external import Customer

KINDS = ("payslip", "wht_certificate", "package_alert")
CHANNELS = ("email", "line")
RECIPIENT_KINDS = ("staff", "supplier", "customer")
STATES = ("queued", "sending", "sent", "failed", "skipped")

Staff.email = mapped_column(Text)
Customer.line_user_id = mapped_column(Text)
InvoiceSupplier.email = mapped_column(Text)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class DeliveryOutbox(Base):
    __tablename__ = "delivery_outbox"
    __table_args__ = (
        CheckConstraint(_one_of("kind", KINDS), name="kind_known"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel_known"),
        CheckConstraint(_one_of("recipient_kind", RECIPIENT_KINDS), name="recipient_kind_known"),
        CheckConstraint(_one_of("state", STATES), name="state_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("attachment_sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        CheckConstraint("state <> 'skipped' OR skip_reason IS NOT NULL", name="skipped_says_why"),
        CheckConstraint("state NOT IN ('sending', 'sent') OR message_id IS NOT NULL",
                        name="handed_over_has_message_id"),
        CheckConstraint("resend_reason IS NULL OR btrim(resend_reason) <> ''",
                        name="resend_reason_given"),
        Index(
            "uq_delivery_outbox_once",
            "kind", "channel", "period", "recipient_kind", "recipient_id", "attachment_sha256",
            unique=True,
            postgresql_where=text("resend_reason IS NULL"),
        ),
        Index(None, "kind", "period", "created_at"),
        Index(None, "created_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    channel: Mapped[str] = mapped_column(Text, nullable=False)
    period: Mapped[str] = mapped_column(Text, nullable=False)
    recipient_kind: Mapped[str] = mapped_column(Text, nullable=False)
    recipient_id: Mapped[str] = mapped_column(Text, nullable=False)
    recipient_name: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    attachment_sha256: Mapped[str] = mapped_column(Text, nullable=False)
    subject: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'queued'"))
    skip_reason: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    message_id: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    updated_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    sent_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)
    resend_reason: Mapped[str | None] = mapped_column(Text)
    corrects_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey(f"{SCHEMA}.delivery_outbox.id", ondelete="SET NULL"))
