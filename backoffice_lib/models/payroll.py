"""Tables added by the payroll work: one row per payroll run of a month (business-rules §3.3).

A run is a draft until finalised; at most one finalised run per month. ``lines`` keeps the
per-person figures of the run (for the diff against later runs), ``totals`` the components.
The lock on a finalised month's time entries and compensation is a trigger in migration 0003.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import MONEY, NOW, TSTZ


class PayrollRun(Base):
    __tablename__ = "payroll_runs"
    __table_args__ = (
        CheckConstraint(r"month ~ '^\d{4}-(0[1-9]|1[0-2])$'", name="month_format"),
        CheckConstraint("status IN ('draft', 'finalised')", name="status_known"),
        CheckConstraint(
            "status <> 'finalised' OR (finalised_by IS NOT NULL AND finalised_at IS NOT NULL)",
            name="finalised_has_who_and_when",
        ),
        Index(None, "month", "created_at"),
        Index(
            "uq_payroll_runs_one_finalised_month",
            "month",
            unique=True,
            postgresql_where=text("status = 'finalised'"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'draft'"))
    checksum: Mapped[str] = mapped_column(Text, nullable=False)
    people: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    total_pay: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default=text("0"))
    totals: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    service_charge: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    lines: Mapped[list] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    blocking_errors: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    review_flags: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    run_folder: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    finalised_by: Mapped[str | None] = mapped_column(Text)
    finalised_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)
