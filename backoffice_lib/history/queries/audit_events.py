"""The audit trail's SQL: ``audit_logs`` and ``staff_audit_log`` read as one stream of *events*
(source, id, at, actor, action, resource_type, resource_id, before, after, note). Every filter
(user, action, resource, period, source) is pushed into each branch of a SQL ``UNION ALL``; the
page of rows, the total count and the daily timeline are computed by PostgreSQL. Nothing reads a
whole table into Python. Each function takes the caller's connection and never commits.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ... import bangkok
from ...models.core import AuditLog, StaffAuditLog
from ..rules import COUNT_CAP, MAX_PAGE_SIZE, AuditFilter

MAX_OPTIONS = 200
FULL_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

AUDIT = AuditLog.__table__
STAFF_AUDIT = StaffAuditLog.__table__


def _period_bounds(flt: AuditFilter) -> tuple[dt.datetime, dt.datetime]:
    return bangkok.at(flt.start), bangkok.at(flt.end + dt.timedelta(days=1))


def _actor_matches(column, text: str):
    if FULL_EMAIL.match(text):
        return column == text.lower()
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _audit_branch(flt: AuditFilter) -> sa.Select:
    start, end = _period_bounds(flt)
    t = AUDIT
    query = sa.select(
        sa.literal("audit_logs").label("source"),
        sa.cast(t.c.id, sa.Text).label("id"),
        t.c.timestamp.label("at"),
        t.c.user_email.label("actor"),
        t.c.action.label("action"),
        t.c.resource_type.label("resource_type"),
        t.c.resource_id.label("resource_id"),
    ).where(t.c.timestamp >= start, t.c.timestamp < end)
    if flt.user:
        query = query.where(_actor_matches(t.c.user_email, flt.user))
    if flt.action:
        query = query.where(t.c.action == flt.action)
    if flt.resource_type:
        query = query.where(t.c.resource_type == flt.resource_type)
    if flt.resource_id:
        query = query.where(t.c.resource_id == flt.resource_id)
    return query


def _staff_branch(flt: AuditFilter) -> sa.Select:
    start, end = _period_bounds(flt)
    t = STAFF_AUDIT
    query = sa.select(
        sa.literal("staff_audit_log").label("source"),
        sa.cast(t.c.id, sa.Text).label("id"),
        t.c.created_at.label("at"),
        t.c.changed_by_identifier.label("actor"),
        t.c.action_type.label("action"),
        sa.literal("staff").label("resource_type"),
        sa.cast(t.c.staff_id, sa.Text).label("resource_id"),
    ).where(t.c.created_at >= start, t.c.created_at < end)
    if flt.user:
        query = query.where(_actor_matches(t.c.changed_by_identifier, flt.user))
    if flt.action:
        query = query.where(t.c.action_type == flt.action)
    if flt.resource_type and flt.resource_type != "staff":
        query = query.where(sa.false())
    if flt.resource_id:
        query = query.where(sa.cast(t.c.staff_id, sa.Text) == flt.resource_id)
    return query


def _events(flt: AuditFilter) -> sa.Subquery:
    branches = []
    if flt.source in ("", "audit_logs"):
        branches.append(_audit_branch(flt))
    if flt.source in ("", "staff_audit_log"):
        branches.append(_staff_branch(flt))
    return sa.union_all(*branches).subquery("events")


def load_event_count(conn: Connection, flt: AuditFilter, *, cap: int = COUNT_CAP) -> int:
    """How many events match, counting at most ``cap + 1`` (more than ``cap`` means "many")."""
    events = _events(flt)
    limited = sa.select(sa.literal(1).label("one")).select_from(events).limit(cap + 1).subquery()
    return int(conn.scalar(sa.select(sa.func.count()).select_from(limited)) or 0)


def load_events(conn: Connection, flt: AuditFilter, *, offset: int, limit: int) -> list[dict]:
    """One page of events, newest first (before/after fetched separately, per event)."""
    events = _events(flt)
    query = (
        sa.select(events)
        .order_by(events.c.at.desc(), events.c.source, events.c.id.desc())
        .offset(offset)
        .limit(min(limit, MAX_PAGE_SIZE))
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def load_timeline(conn: Connection, flt: AuditFilter) -> list[dict]:
    """Events per Bangkok day and source."""
    events = _events(flt)
    day = sa.cast(sa.func.timezone(bangkok.BANGKOK.key, events.c.at), sa.Date).label("day")
    query = (
        sa.select(day, events.c.source, sa.func.count().label("events"))
        .group_by(day, events.c.source)
        .order_by(day)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def load_event_detail(conn: Connection, source: str, event_id: str) -> dict | None:
    """One event with its before/after values and note."""
    if source == "audit_logs":
        t = AUDIT
        row = conn.execute(
            sa.select(
                t.c.timestamp.label("at"),
                t.c.user_email.label("actor"),
                t.c.action,
                t.c.resource_type,
                t.c.resource_id,
                t.c.details,
            ).where(t.c.id == sa.cast(event_id, t.c.id.type))
        ).first()
        if row is None:
            return None
        details = dict(row.details or {})
        before, after = details.pop("before", None), details.pop("after", None)
        note = ", ".join(f"{k}: {v}" for k, v in details.items())
        return {**dict(row._mapping), "before": before, "after": after, "note": note}
    t = STAFF_AUDIT
    row = conn.execute(
        sa.select(
            t.c.created_at.label("at"),
            t.c.changed_by_identifier.label("actor"),
            t.c.action_type.label("action"),
            sa.literal("staff").label("resource_type"),
            sa.cast(t.c.staff_id, sa.Text).label("resource_id"),
            t.c.old_data_snapshot.label("before"),
            t.c.new_data_snapshot.label("after"),
            t.c.changes_summary,
            t.c.reason,
        ).where(t.c.id == int(event_id))
    ).first()
    if row is None:
        return None
    data = dict(row._mapping)
    note = "; ".join(x for x in (data.pop("changes_summary"), data.pop("reason")) if x)
    return {**data, "note": note}


# Always offered, whatever the recent history holds (business-rules §8 and staff_audit_log).
STANDARD_ACTIONS = ("ACCESS_DENIED", "CREATE", "DELETE", "UPDATE", "VIEW")
OPTIONS_LOOKBACK_DAYS = 92


def load_filter_options(conn: Connection, since: dt.date | None = None) -> dict[str, list[str]]:
    """Actions and resource types seen since ``since`` (default: the last three months), plus the
    standard ones. Bounded by time so that years of audit rows are never scanned (partitions by
    month keep this to a few partitions)."""
    since = since or bangkok.today() - dt.timedelta(days=OPTIONS_LOOKBACK_DAYS)
    start = bangkok.at(since)
    actions = conn.scalars(
        sa.select(AUDIT.c.action)
        .where(AUDIT.c.timestamp >= start)
        .group_by(AUDIT.c.action)
        .union(
            sa.select(STAFF_AUDIT.c.action_type)
            .where(STAFF_AUDIT.c.created_at >= start)
            .group_by(STAFF_AUDIT.c.action_type)
        )
        .order_by(sa.text("1"))
        .limit(MAX_OPTIONS)
    ).all()
    resources = conn.scalars(
        sa.select(AUDIT.c.resource_type)
        .where(AUDIT.c.timestamp >= start)
        .group_by(AUDIT.c.resource_type)
        .union(sa.select(sa.literal("staff")))
        .order_by(sa.text("1"))
        .limit(MAX_OPTIONS)
    ).all()
    return {
        "actions": sorted(set(actions) | set(STANDARD_ACTIONS)),
        "resource_types": list(resources),
    }
