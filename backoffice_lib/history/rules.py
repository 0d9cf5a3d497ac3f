"""The rules of the history domain (pure): the audit explorer's filter, pages and before/after
diffs. Values in and out: no SQL, no files, no widgets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SOURCES = ("audit_logs", "staff_audit_log")
ANY = "(any)"
MAX_PAGE_SIZE = 500
COUNT_CAP = 10_000  # counting stops here: "of more than 10,000" (a full count scans the period)


@dataclass(frozen=True)
class AuditFilter:
    start: dt.date
    end: dt.date  # inclusive, Bangkok dates
    user: str = ""  # a full e-mail (exact, uses the index) or a part of one (case-insensitive)
    action: str = ""
    resource_type: str = ""
    resource_id: str = ""
    source: str = ""  # "" both, or one of SOURCES


def compute_filter(
    *,
    start: dt.date,
    end: dt.date,
    user: str = "",
    action: str = "",
    resource_type: str = "",
    resource_id: str = "",
    source: str = "",
) -> AuditFilter:
    """A validated filter: ANY and blanks mean no filter; the period must be in order."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")

    def clean(value: str) -> str:
        value = (value or "").strip()
        return "" if value == ANY else value

    source = clean(source)
    if source and source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}")
    return AuditFilter(
        start, end, clean(user), clean(action), clean(resource_type), clean(resource_id), source
    )


def compute_page_bounds(page: int, page_size: int, total: int) -> tuple[int, int, int]:
    """(page clamped to what exists, offset, number of pages); pages count from 1."""
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    return page, (page - 1) * size, pages


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}{key}."))
        return flat
    return {prefix[:-1] if prefix else "(value)": value}


def compute_diff(before: Any, after: Any) -> list[dict[str, Any]]:
    """Field-by-field before/after of a change (nested keys as ``a.b``), changed fields first."""
    old = _flatten(before) if before not in (None, {}) else {}
    new = _flatten(after) if after not in (None, {}) else {}
    rows = []
    for field in sorted(set(old) | set(new)):
        if field in old and field not in new:
            change = "removed"
        elif field in new and field not in old:
            change = "added"
        elif old[field] != new[field]:
            change = "changed"
        else:
            change = "same"
        rows.append(
            {"field": field, "before": old.get(field), "after": new.get(field), "change": change}
        )
    order = {"changed": 0, "added": 1, "removed": 2, "same": 3}
    return sorted(rows, key=lambda r: (order[r["change"]], r["field"]))
