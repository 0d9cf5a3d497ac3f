"""Corrections of a finalised payroll month (issue 23.2, migration 0018).

``lock_corrections`` is written only by ``backoffice.begin_correction(actor, reason)`` (SECURITY
DEFINER, EXECUTE for the schema's owner only): one row per correction begun, keyed to the backend
and the transaction that began it. The finalised-month guards let a write through only when the
writing role is the owner's and the latest row of its own backend and transaction names an admin
with a reason; no session setting any role can set decides it any more. The row stays as the
record of the correction (actor, reason, role, time). ``audit.act_as`` begins one on the owner's
connection only when a month is finalised (nothing to correct otherwise).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import NOW, TSTZ


class LockCorrection(Base):
    __tablename__ = "lock_corrections"
    __table_args__ = (
        Index(None, "backend_pid", "transaction_id"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # the correction's backend and top-level transaction (pg_current_xact_id(), never reused):
    # a later transaction never matches it
    backend_pid: Mapped[int] = mapped_column(Integer, nullable=False)
    transaction_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    actor: Mapped[str | None] = mapped_column(Text)  # null: ends the correction begun before
    reason: Mapped[str | None] = mapped_column(Text)
    db_role: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
