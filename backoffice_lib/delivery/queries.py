"""The outbox's SQL (``backoffice.delivery_outbox``, migration 0020): the only SQL of delivery."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from ..models.delivery import DeliveryOutbox

OUTBOX = DeliveryOutbox.__table__
LIST_COLUMNS = ("id", "kind", "channel", "period", "recipient_kind", "recipient_id",
                "recipient_name", "address", "state", "skip_reason", "last_error", "attempts",
                "message_id", "subject", "requested_by", "created_at", "sent_at",
                "resend_reason", "corrects_id", "attachment_sha256")


def load_outbox_rows(conn: Connection, kind: str, period: str) -> list[dict]:
    """Every row of ``kind`` and ``period`` (what a run plans against)."""
    query = sa.select(OUTBOX).where(OUTBOX.c.kind == kind, OUTBOX.c.period == period)
    return [dict(r._mapping) for r in conn.execute(query)]


def load_outbox(conn: Connection, *, kind: str | None = None, period: str | None = None,
                state: str | None = None, limit: int | None = None) -> list[dict]:
    """Rows newest first, filtered."""
    query = sa.select(*[OUTBOX.c[c] for c in LIST_COLUMNS]).order_by(
        OUTBOX.c.created_at.desc(), OUTBOX.c.id.desc())
    if kind:
        query = query.where(OUTBOX.c.kind == kind)
    if period:
        query = query.where(OUTBOX.c.period == period)
    if state:
        query = query.where(OUTBOX.c.state == state)
    if limit:
        query = query.limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def save_skipped(conn: Connection, row_id: int | None, values: dict) -> int:
    """Record a message that could not be sent (``skip_reason``); returns its id."""
    values = {**values, "state": "skipped", "updated_at": sa.func.now(), "address": None,
              "message_id": None}
    if row_id is None:
        return conn.execute(sa.insert(OUTBOX).values(**values).returning(OUTBOX.c.id)).scalar_one()
    conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row_id).values(**values))
    return row_id


def save_handing_over(conn: Connection, row_id: int | None, values: dict,
                      message_id: str) -> int | None:
    """The row in state ``sending`` with its Message-ID, one more attempt, before the message is
    handed over; None when another run recorded the same key meanwhile (it sends it)."""
    values = {**values, "state": "sending", "message_id": message_id, "skip_reason": None,
              "updated_at": sa.func.now()}
    if row_id is None:
        query = (pg_insert(OUTBOX).values(**values, attempts=1)
                 .on_conflict_do_nothing().returning(OUTBOX.c.id))
        return conn.execute(query).scalar_one_or_none()
    query = (sa.update(OUTBOX)
             .where(OUTBOX.c.id == row_id, OUTBOX.c.state.in_(("queued", "failed", "skipped")))
             .values(**values, attempts=OUTBOX.c.attempts + 1).returning(OUTBOX.c.id))
    return conn.execute(query).scalar_one_or_none()


def save_sent(conn: Connection, row_id: int, message_id: str) -> None:
    """The message was accepted. Committed without waiting for the disk: lost in a database
    crash, the row stays ``sending``, which a run treats as sent all the same."""
    conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
    conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row_id).values(
        state="sent", message_id=message_id, last_error=None, sent_at=sa.func.now(),
        updated_at=sa.func.now()))


def save_failed(conn: Connection, row_id: int, error: str) -> None:
    conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row_id).values(
        state="failed", message_id=None, last_error=error, updated_at=sa.func.now()))


def save_failed_untried(conn: Connection, row_id: int | None, values: dict, error: str) -> int:
    """A due message that could not be tried (the server unreachable): failed, one attempt."""
    values = {**values, "state": "failed", "message_id": None, "last_error": error,
              "updated_at": sa.func.now()}
    if row_id is None:
        query = (pg_insert(OUTBOX).values(**values, attempts=1)
                 .on_conflict_do_nothing().returning(OUTBOX.c.id))
        return conn.execute(query).scalar_one_or_none()
    conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row_id).values(
        **values, attempts=OUTBOX.c.attempts + 1))
    return row_id


def save_settled_after_crash(conn: Connection, row_id: int) -> None:
    """A row left ``sending`` by a run that stopped: treated as sent (never sent again)."""
    conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row_id, OUTBOX.c.state == "sending")
                 .values(state="sent", sent_at=OUTBOX.c.updated_at, updated_at=sa.func.now(),
                         last_error="the run stopped after handing it to the server: "
                                    "treated as sent"))


def save_retry(conn: Connection, *, kind: str | None, period: str | None,
               ids: list[int] | None = None) -> list[dict]:
    """Failed rows (filtered) back to ``queued`` with their attempt count at 0; returns them."""
    query = sa.update(OUTBOX).where(OUTBOX.c.state == "failed")
    if kind:
        query = query.where(OUTBOX.c.kind == kind)
    if period:
        query = query.where(OUTBOX.c.period == period)
    if ids:
        query = query.where(OUTBOX.c.id.in_(ids))
    query = query.values(state="queued", attempts=0, updated_at=sa.func.now()).returning(
        OUTBOX.c.id, OUTBOX.c.kind, OUTBOX.c.period, OUTBOX.c.recipient_name,
        OUTBOX.c.attempts, OUTBOX.c.last_error)
    return [dict(r._mapping) for r in conn.execute(query)]


def load_now(conn: Connection) -> dt.datetime:
    return conn.execute(sa.select(sa.func.now())).scalar_one()
