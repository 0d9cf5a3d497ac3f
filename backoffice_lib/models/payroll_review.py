"""Review flags acknowledged in bulk (issue 21 item 6, migration 0016).

A month of ordinary 9-hour shifts raises hundreds of "day over 9 h" / "session over 8 h" flags;
an admin reviews them per person and kind and acknowledges a group with a reason, once per month,
person and kind. The close checklist's "Review flags" step counts the groups not acknowledged.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import NOW, TSTZ, Staff


class ReviewAcknowledgement(Base):
    __tablename__ = "payroll_review_acknowledgements"
    __table_args__ = (
        UniqueConstraint("month", "staff_id", "flag_kind"),
        CheckConstraint(r"month ~ '^\d{4}-(0[1-9]|1[0-2])$'", name="month_format"),
        CheckConstraint("btrim(reason) <> ''", name="reason_given"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(Text, nullable=False)
    staff_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(Staff.id, ondelete="CASCADE"), nullable=False
    )
    flag_kind: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    acknowledged_by: Mapped[str] = mapped_column(Text, nullable=False)
    acknowledged_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
