"""The rules of the quarantine review (pure): rows grouped per rule with the fix offered, a row's
label, the clock-out a missing one defaults to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .mapping import compute_fix


def compute_review_groups(rows: list[dict]) -> list[dict[str, Any]]:
    """One line per rule: how many rows, of which tables, and the fix the workbench offers."""
    by_rule: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = by_rule.setdefault(row["rule"], {"rule": row["rule"], "rows": 0, "tables": set()})
        entry["rows"] += 1
        entry["tables"].add(row["table_name"])
    groups = []
    for rule in sorted(by_rule):
        entry = by_rule[rule]
        fix = compute_fix(rule)
        groups.append({
            "rule": rule, "rows": entry["rows"], "tables": ", ".join(sorted(entry["tables"])),
            "fix": fix[1] if fix else "retry after a correction, or dismiss",
        })
    return groups


def compute_row_label(row: dict) -> str:
    return f"#{row['id']} {row['table_name']} {row['live_key']} · {row['rule']}"


def compute_default_clock_out(clock_in: dt.datetime, next_entry: dt.datetime) -> dt.datetime:
    """8 hours after the open clock-in, but before the next entry (1 minute apart)."""
    return min(clock_in + dt.timedelta(hours=8), next_entry - dt.timedelta(minutes=1))
