"""Paged reads of years of history for the audit and attendance explorers.

The explorers never load a whole table into pandas: they ask for one page at a time, filtered in
SQL, newest (audit) or oldest (attendance) first, with a keyset cursor (the last row's
``(timestamp, id)``) instead of OFFSET, so page 500 costs what page 1 costs. A time filter lets
PostgreSQL prune every monthly partition outside it; the per-partition indexes
(user_email, timestamp), (timestamp), (resource_type, resource_id) and
(staff_id, timestamp) serve the rest.

``start``/``end`` accept Bangkok business dates (``end`` inclusive: the whole day) or aware
timestamps (``end`` exclusive).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ... import bangkok
from ...models.core import AuditLog, TimeEntry
from . import partitions

AUDIT_LOGS = AuditLog.__table__
TIME_ENTRIES = TimeEntry.__table__
AUDIT_COLUMNS = [
    "timestamp", "user_email", "action", "resource_type", "resource_id", "details", "ip_address",
    "user_agent", "id",
]
ENTRY_COLUMNS = [
    "timestamp", "staff_id", "action", "photo_captured", "camera_error", "photo_url",
    "device_info", "id",
]
MAX_PAGE = 5000


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of rows and the cursor of the next page (None on the last page)."""

    rows: pd.DataFrame
    next_cursor: tuple[dt.datetime, Any] | None

    @property
    def is_last(self) -> bool:
        return self.next_cursor is None


def _start(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return bangkok.at(value)


def _end(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return bangkok.at(value + dt.timedelta(days=1))


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"a page holds 1 to {MAX_PAGE} rows, not {limit}")


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    """Rows as a DataFrame of Python values (no float conversion)."""
    data = list(zip(*rows)) if rows else [[] for _ in columns]
    return pd.DataFrame({c: pd.Series(list(v), dtype=object) for c, v in zip(columns, data)})


def _audit_filters(user, action, resource_type, resource_id, start, end) -> list:
    t = AUDIT_LOGS
    filters = []
    if user:
        filters.append(t.c.user_email == user)
    if action:
        filters.append(t.c.action == action)
    if resource_type:
        filters.append(t.c.resource_type == resource_type)
    if resource_id is not None:
        filters.append(t.c.resource_id == str(resource_id))
    if start is not None:
        filters.append(t.c.timestamp >= _start(start))
    if end is not None:
        filters.append(t.c.timestamp < _end(end))
    return filters


def load_audit_page(
    conn: Connection,
    user: str | None = None,
    action: str | None = None,
    resource_type: str | None = None,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    limit: int = 100,
    before: tuple[dt.datetime, Any] | None = None,
    resource_id: str | None = None,
) -> Page:
    """Audit rows matching the filters, newest first; ``before`` = the previous page's
    ``next_cursor``."""
    _check_limit(limit)
    t = AUDIT_LOGS
    query = sa.select(*(t.c[c] for c in AUDIT_COLUMNS)).where(
        *_audit_filters(user, action, resource_type, resource_id, start, end)
    )
    if before is not None:
        query = query.where(sa.tuple_(t.c.timestamp, t.c.id) < sa.tuple_(*before))
    rows = conn.execute(
        query.order_by(t.c.timestamp.desc(), t.c.id.desc()).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (rows[-1].timestamp, rows[-1].id) if more else None
    return Page(_frame(rows, AUDIT_COLUMNS), cursor)


def count_audit_rows(
    conn: Connection,
    user: str | None = None,
    action: str | None = None,
    resource_type: str | None = None,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    resource_id: str | None = None,
    cap: int = 10_000,
) -> tuple[int, bool]:
    """How many rows match, counted up to ``cap``: (count, True if there are more)."""
    t = AUDIT_LOGS
    inner = (
        sa.select(sa.literal(1))
        .select_from(t)
        .where(*_audit_filters(user, action, resource_type, resource_id, start, end))
        .limit(cap + 1)
        .subquery()
    )
    found = conn.scalar(sa.select(sa.func.count()).select_from(inner))
    return min(found, cap), found > cap


def iter_audit_pages(
    conn: Connection,
    page_size: int = 1000,
    max_rows: int = 100_000,
    progress: Callable[[int], None] | None = None,
    **filters: Any,
) -> Iterator[pd.DataFrame]:
    """Successive pages (for an export or a chart over many rows); ``progress(rows_so_far)`` is
    called after each page so a widget can show how far it got."""
    cursor, loaded = None, 0
    while loaded < max_rows:
        page = load_audit_page(conn, limit=min(page_size, max_rows - loaded), before=cursor,
                               **filters)
        loaded += len(page.rows)
        if progress is not None:
            progress(loaded)
        if len(page.rows):
            yield page.rows
        if page.is_last:
            return
        cursor = page.next_cursor


def load_audit_months(conn: Connection) -> list[dict]:
    """The months the audit log has partitions for, newest first, with PostgreSQL's row
    estimate (no count over the table)."""
    estimates = dict(
        conn.execute(
            sa.text(
                "SELECT c.relname, greatest(c.reltuples, 0)::bigint FROM pg_inherits i"
                " JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'backoffice.audit_logs'::regclass"
            )
        ).all()
    )
    return [
        {"month": p.month, "partition": p.name, "estimated_rows": estimates.get(p.name, 0)}
        for p in reversed(partitions.load_partitions(conn, "audit_logs"))
        if p.month is not None
    ]


def load_time_entries_page(
    conn: Connection,
    staff_id: int | None = None,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    limit: int = 500,
    after: tuple[dt.datetime, int] | None = None,
    include_archived: bool = False,
) -> Page:
    """Time entries oldest first (attendance explorer); ``include_archived`` reads
    ``archive.time_entries_all`` (live ∪ archived months)."""
    _check_limit(limit)
    if include_archived:
        source = sa.table(
            "time_entries_all", *(sa.column(c) for c in ENTRY_COLUMNS), schema="archive"
        )
    else:
        source = TIME_ENTRIES
    c = source.c
    query = sa.select(*(c[name] for name in ENTRY_COLUMNS))
    if staff_id is not None:
        query = query.where(c.staff_id == staff_id)
    if start is not None:
        query = query.where(c.timestamp >= _start(start))
    if end is not None:
        query = query.where(c.timestamp < _end(end))
    if after is not None:
        query = query.where(sa.tuple_(c.timestamp, c.id) > sa.tuple_(*after))
    rows = conn.execute(query.order_by(c.timestamp, c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (rows[-1].timestamp, rows[-1].id) if more else None
    return Page(_frame(rows, ENTRY_COLUMNS), cursor)
