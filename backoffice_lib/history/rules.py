"""The rules of the history domain (pure): monthly partitions' names and months, the archive's
month plan, the audit explorer's filter, pages and before/after diffs, which backups rotation
keeps and how old the last verified backup may be. Values in and out: no SQL, no files, no
widgets."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import bangkok

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


# --- monthly partitions (migration 0007) -----------------------------------------------------

SCHEMA = "backoffice"
ARCHIVE_SCHEMA = "archive"
PARTITIONED_TABLES = ("time_entries", "audit_logs")
DEFAULT_MONTHS_AHEAD = 3


class PartitionError(ValueError):
    """A partition request a person can fix (unknown table, bad month)."""


@dataclasses.dataclass(frozen=True)
class Partition:
    schema: str
    name: str
    month: str | None  # None for the DEFAULT partition

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def partition_name(table: str, month: str) -> str:
    year, number = bangkok.parse_month(month)
    return f"{table}_{year:04d}_{number:02d}"


def default_partition_name(table: str) -> str:
    return f"{table}_default"


def month_of_partition(table: str, name: str) -> str | None:
    """'time_entries_2026_01' -> '2026-01'; the DEFAULT partition (or anything else) -> None."""
    prefix = f"{table}_"
    rest = name[len(prefix):] if name.startswith(prefix) else ""
    if len(rest) == 7 and rest[4] == "_" and rest[:4].isdigit() and rest[5:].isdigit():
        month = f"{rest[:4]}-{rest[5:]}"
        if bangkok.MONTH_PATTERN.match(month):
            return month
    return None


def compute_months(first: str, last: str) -> list[str]:
    """Every month key from ``first`` to ``last`` inclusive."""
    bangkok.parse_month(first)
    bangkok.parse_month(last)
    months, month = [], first
    while month <= last:
        months.append(month)
        _, last_day = bangkok.month_days(month)
        month = bangkok.month_key(last_day + dt.timedelta(days=1))
    return months


def compute_months_ahead(today: dt.date, months_ahead: int) -> list[str]:
    """This month and the ``months_ahead`` months after it."""
    this = bangkok.month_key(today)
    last = this
    for _ in range(months_ahead):
        _, last_day = bangkok.month_days(last)
        last = bangkok.month_key(last_day + dt.timedelta(days=1))
    return compute_months(this, last)


def check_table(table: str) -> None:
    if table not in PARTITIONED_TABLES:
        raise PartitionError(f"{table} is not partitioned; choose one of {', '.join(PARTITIONED_TABLES)}")


# --- the archive's plan -----------------------------------------------------------------------


class ArchiveRefused(ValueError):
    """The archive or restore cannot be done; the message says why, for a person."""


@dataclasses.dataclass(frozen=True)
class MonthPlan:
    """What ``--before`` covers: months to archive, months refused (not finalised)."""

    archive: list[str]
    refused: list[str]


def compute_time_entry_plan(
    months_with_entries: Iterable[str], finalised: Iterable[str], before: str
) -> MonthPlan:
    """Months before ``before`` that hold live entries: finalised ones are archived, the others
    refused."""
    bangkok.parse_month(before)
    finalised = set(finalised)
    months = sorted({m for m in months_with_entries if m < before})
    return MonthPlan(
        archive=[m for m in months if m in finalised],
        refused=[m for m in months if m not in finalised],
    )


def compute_package_months(expiration_dates: Iterable[dt.date]) -> list[str]:
    return sorted({bangkok.month_key(d) for d in expiration_dates})


# --- backups: rotation by age and the overview's warning -------------------------------------------

DEFAULT_KEEP_DAILY = 7
DEFAULT_KEEP_WEEKLY = 4
DEFAULT_KEEP_MONTHLY = 12
BACKUP_MAX_AGE = dt.timedelta(hours=26)  # a daily backup, plus a late night's slack


@dataclass(frozen=True)
class BackupFile:
    """One backup as rotation sees it: its name, when it was made (aware), whether it verified."""

    name: str
    made_at: dt.datetime
    verified: bool


def choose_backups_to_keep(
    backups: Iterable[BackupFile], today: dt.date, daily: int = DEFAULT_KEEP_DAILY,
    weekly: int = DEFAULT_KEEP_WEEKLY, monthly: int = DEFAULT_KEEP_MONTHLY,
) -> set[str]:
    """The names rotation keeps; the others may go.

    By age, in Bangkok dates: the newest verified backup of each of the last ``daily`` days
    (today included), of each of the last ``weekly`` ISO weeks (this week included) and of each
    of the last ``monthly`` months (this month included). Whatever the counts, the newest backup
    (verified or not: a failed one is kept to be looked at) and the newest verified backup are
    kept, so a long pause never leaves nothing to restore. A backup made after ``today`` (a
    clock set back) is kept.
    """
    for count, what in ((daily, "daily"), (weekly, "weekly"), (monthly, "monthly")):
        if count < 0:
            raise ValueError(f"keep_{what} must be 0 or more, not {count}")
    ordered = sorted(backups, key=lambda b: (b.made_at, b.name), reverse=True)
    keep: set[str] = set()
    if ordered:
        keep.add(ordered[0].name)
    verified = [b for b in ordered if b.verified]
    if verified:
        keep.add(verified[0].name)
    days = {today - dt.timedelta(days=n) for n in range(daily)}
    this_monday = today - dt.timedelta(days=today.weekday())
    weeks = {(this_monday - dt.timedelta(weeks=n)).isocalendar()[:2] for n in range(weekly)}
    months, month = set(), bangkok.month_key(today)
    for _ in range(monthly):
        months.add(month)
        month = bangkok.previous_month(month)
    seen_days: set[dt.date] = set()
    seen_weeks: set[tuple[int, int]] = set()
    seen_months: set[str] = set()
    for backup in ordered:
        day = bangkok.bangkok_date(backup.made_at)
        if day > today:
            keep.add(backup.name)
            continue
        if not backup.verified:
            continue
        week, month = day.isocalendar()[:2], bangkok.month_key(day)
        if day in days and day not in seen_days:
            seen_days.add(day)
            keep.add(backup.name)
        if week in weeks and week not in seen_weeks:
            seen_weeks.add(week)
            keep.add(backup.name)
        if month in months and month not in seen_months:
            seen_months.add(month)
            keep.add(backup.name)
    return keep


@dataclass(frozen=True)
class BackupStatus:
    """What the overview says of the backups: a line, its detail, and whether it is a warning."""

    text: str
    note: str
    warn: bool


def _age_text(age: dt.timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        return f"{max(int(age.total_seconds() // 60), 0)} min"
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def compute_backup_status(
    last_verified_at: dt.datetime | None, now: dt.datetime, max_age: dt.timedelta = BACKUP_MAX_AGE,
) -> BackupStatus:
    """The age of the last verified backup; a warning when there is none or it is older than
    ``max_age`` (26 hours: the daily backup job missed its day)."""
    limit = _age_text(max_age)
    if last_verified_at is None:
        return BackupStatus("No verified backup", "the db-backup job has not verified one yet",
                            True)
    age = now - last_verified_at
    made = last_verified_at.astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M")
    if age > max_age:
        return BackupStatus(f"Last verified backup {_age_text(age)} old",
                            f"made {made} Bangkok time; older than {limit}: check the db-backup"
                            " job", True)
    return BackupStatus(f"Last verified backup {_age_text(age)} old",
                        f"made {made} Bangkok time", False)


SCRATCH_MAX_AGE = dt.timedelta(hours=6)  # no verification takes this long


def choose_stale_scratch_databases(
    names: Iterable[str], prefix: str, now: dt.datetime, max_age: dt.timedelta = SCRATCH_MAX_AGE,
) -> list[str]:
    """Scratch databases of verifications (``<prefix><UTC %Y%m%d%H%M%S>_<id>``) older than
    ``max_age``: left by a verification that was killed, to drop. Younger ones may be in use."""
    stale = []
    for name in names:
        stamp = name.removeprefix(prefix).split("_", 1)[0]
        if not name.startswith(prefix) or len(stamp) != 14 or not stamp.isdigit():
            continue
        try:
            made = dt.datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
        except ValueError:
            continue
        if now - made > max_age:
            stale.append(name)
    return sorted(stale)
