"""``backoffice db maintain`` (scheduled in jobs.yml): the partitions of the coming months, and a
partition of its own for every month that reached a DEFAULT partition; one transaction, audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from ... import audit, bangkok
from ..queries.partitions import ensure_partition, load_default_months
from ..rules import (
    DEFAULT_MONTHS_AHEAD,
    PARTITIONED_TABLES,
    PartitionError,
    compute_months_ahead,
    partition_name,
)


def run_maintain(
    conn: Connection,
    months_ahead: int = DEFAULT_MONTHS_AHEAD,
    *,
    user_email: str = "system:maintain",
    today: dt.date | None = None,
) -> dict[str, list[str]]:
    """Partitions for this month and ``months_ahead`` more, and for every month found in a
    DEFAULT partition, for both tables; audited when anything was created."""
    if months_ahead < 0 or months_ahead > 120:
        raise PartitionError(f"months ahead must be between 0 and 120, not {months_ahead}")
    ahead = compute_months_ahead(today or bangkok.today(), months_ahead)
    created: dict[str, list[str]] = {}
    for table in PARTITIONED_TABLES:
        months = sorted(set(ahead) | set(load_default_months(conn, table)))
        created[table] = [
            partition_name(table, month) for month in months if ensure_partition(conn, table, month)
        ]
    if any(created.values()):
        audit.record(
            conn, user_email, "CREATE_PARTITIONS", "partitions", None,
            details={"created": created, "months_ahead": months_ahead},
        )
    return created
