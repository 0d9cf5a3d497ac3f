"""Tables added by the packages work: the package alerts already raised (business-rules §4).

An alert is raised once per package and level (``expiring_soon``, ``low_balance``,
``not_activated``); the unique key remembers it so a later run never raises it again.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP, UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base

ALERT_LEVELS = ("expiring_soon", "low_balance", "not_activated")


class PackageAlert(Base):
    __tablename__ = "package_alerts"
    __table_args__ = (
        UniqueConstraint("package_id", "alert_level"),
        CheckConstraint(
            "alert_level IN ('expiring_soon', 'low_balance', 'not_activated')",
            name="alert_level_known",
        ),
        Index(None, "raised_on"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    package_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.packages.id", ondelete="CASCADE"),
        nullable=False,
    )
    alert_level: Mapped[str] = mapped_column(Text, nullable=False)
    raised_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(
        TIMESTAMP(timezone=True), nullable=False, server_default=text("now()")
    )
