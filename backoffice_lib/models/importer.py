"""Tables added by the live import (issue 16): import runs, the quarantine, row versions.

- ``import_runs``: one row per import (source, snapshot, who, dry run or not, the report).
- ``import_quarantine``: a live row that a workbench rule refused, with its rule and message,
  the row as JSON and the import it came from; ``status`` pending -> resolved (a fix applied) or
  dismissed. One row per live table and key: a later import updates it while it is pending.
- ``import_row_versions``: the fingerprint of each live row as last imported, so a rerun imports
  only new or changed rows; ``target_key`` is the workbench key when ids are not kept.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import NOW, TSTZ

QUARANTINE_STATUSES = ("pending", "resolved", "dismissed")


class ImportRun(Base):
    __tablename__ = "import_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'finished')", name="status_known"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    snapshot: Mapped[str] = mapped_column(Text, nullable=False)
    user_email: Mapped[str] = mapped_column(Text, nullable=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'running'"))
    report: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    started_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
    finished_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)


class ImportQuarantine(Base):
    __tablename__ = "import_quarantine"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'resolved', 'dismissed')", name="status_known"
        ),
        Index(None, "table_name", "live_key", unique=True),
        Index(None, "status", "rule"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(f"{SCHEMA}.import_runs.id"), nullable=False
    )
    table_name: Mapped[str] = mapped_column(Text, nullable=False)
    live_key: Mapped[str] = mapped_column(Text, nullable=False)
    rule: Mapped[str] = mapped_column(Text, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    row: Mapped[dict] = mapped_column(JSONB, nullable=False)
    row_hash: Mapped[str] = mapped_column(Text, nullable=False)
    group_key: Mapped[str | None] = mapped_column(Text)
    depends_on: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'pending'"))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(TSTZ)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)


class ImportRowVersion(Base):
    __tablename__ = "import_row_versions"
    __table_args__ = {"schema": SCHEMA}

    table_name: Mapped[str] = mapped_column(Text, primary_key=True)
    live_key: Mapped[str] = mapped_column(Text, primary_key=True)
    target_key: Mapped[str] = mapped_column(Text, nullable=False)
    row_hash: Mapped[str] = mapped_column(Text, nullable=False)
    import_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(f"{SCHEMA}.import_runs.id"), nullable=False
    )
