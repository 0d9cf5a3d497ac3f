"""The audit explorer's reads, for an admin: each checks access in the caller's transaction
(``access.check``, area ``audit``), then reads with ``queries.audit_events``."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from ... import access
from ..queries import audit_events
from ..rules import AuditFilter, compute_page_bounds

AREA = "audit"


def load_audit_page(conn: Connection, email: str, flt: AuditFilter, page: int,
                    page_size: int) -> dict:
    """One page of events: {events, total, page, offset, pages} (the page clamped to what
    exists)."""
    access.check(conn, email, AREA)
    total = audit_events.load_event_count(conn, flt)
    page, offset, pages = compute_page_bounds(page, page_size, total)
    events = audit_events.load_events(conn, flt, offset=offset, limit=page_size)
    return {"events": events, "total": total, "page": page, "offset": offset, "pages": pages}


def load_audit_timeline(conn: Connection, email: str, flt: AuditFilter) -> list[dict]:
    """Events per Bangkok day and source."""
    access.check(conn, email, AREA)
    return audit_events.load_timeline(conn, flt)


def load_audit_event(conn: Connection, email: str, source: str, event_id: str) -> dict | None:
    """One event with its before/after values and note."""
    access.check(conn, email, AREA)
    return audit_events.load_event_detail(conn, source, event_id)


def load_audit_filter_options(conn: Connection, email: str) -> dict[str, list[str]]:
    """The actions and resource types the filters offer."""
    access.check(conn, email, AREA)
    return audit_events.load_filter_options(conn)
