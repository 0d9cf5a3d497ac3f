"""Run history of notebooks executed by papermill (``backoffice jobs``, ``runs.execute_notebook``).

One row per run: which job, which notebook with which parameters, where its immutable run folder
is, how it ended and why. ``period_key`` names the period a scheduled run covers (``2026-10`` for a
monthly payroll, ``2026-11-25`` for a daily alert): ``jobs run-due`` skips a job whose period
already has a succeeded (or running) run, which makes it idempotent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Integer, Numeric, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import NOW, TSTZ, uuid_pk

RUN_STATUSES = ("running", "succeeded", "failed")
RUN_TRIGGERS = ("schedule", "manual")


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="status_known"),
        CheckConstraint("trigger IN ('schedule', 'manual')", name="trigger_known"),
        CheckConstraint("finished_at IS NULL OR finished_at >= started_at", name="finish_after_start"),
        Index(None, "job_name", "started_at"),
        Index(None, "job_name", "period_key", "status"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    job_name: Mapped[str] = mapped_column(Text, nullable=False)
    notebook: Mapped[str] = mapped_column(Text, nullable=False)
    parameters: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    trigger: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'manual'"))
    period_key: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'running'"))
    error: Mapped[str | None] = mapped_column(Text)
    run_dir: Mapped[str] = mapped_column(Text, nullable=False)
    outputs: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    started_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    finished_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)
    duration_seconds: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    # The process that runs it, so that a run whose process died is not shown running forever.
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(Text)
