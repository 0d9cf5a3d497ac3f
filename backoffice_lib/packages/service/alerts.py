"""Package monitoring alerts (business-rules §4, "Monitoring").

Three levels, judged on a Bangkok date ``as_of``:

- ``expiring_soon``: an active or unlimited package whose expiration date is within
  ``package_expiry_warning_days`` (payroll_settings; default 7, a row saying 0 means "only on the
  expiry day itself") from as_of, both ends included;
- ``low_balance``: an active package with remaining ≤ 1 h or ≤ 10 % of its hours (a depleted
  package is no longer "low");
- ``not_activated``: bought at least 30 days before as_of and never used.

Each alert is raised once per package and level: ``package_alerts`` remembers it (unique key), so
tomorrow's run does not raise it again. The day's alert list is the alerts raised on that date,
with the customer's contact details, and re-running a day gives the same list.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from ... import audit, bangkok
from .. import queries
from ..rules import compute_alert_counts, compute_alerts, compute_warning_days

SYSTEM_ACTOR = "system:package-alerts"


def load_expiry_warning_days(conn: Connection) -> int:
    """``package_expiry_warning_days`` from payroll_settings; no row means 7, '0' means 0."""
    return compute_warning_days(queries.load_warning_days_setting(conn))


def run_package_alerts(
    conn: Connection, as_of: dt.date | None = None, *, actor: str = SYSTEM_ACTOR
) -> dict[str, Any]:
    """Raise the day's new alerts (once per package and level), audit, and return the day's list.

    A scheduled job: ``actor`` is recorded in the audit trail. Never commits.
    """
    as_of = as_of or bangkok.today()
    warning_days = load_expiry_warning_days(conn)
    flagged = queries.load_flagged_packages(conn, as_of, warning_days)
    new = queries.save_alerts(conn, compute_alerts(flagged, as_of, warning_days), as_of)
    if new:
        audit.record(
            conn, actor, "RAISE_ALERTS", "package_alerts", as_of.isoformat(),
            details={"as_of": as_of, "warning_days": warning_days,
                     "raised": compute_alert_counts(new)},
        )
    return {"as_of": as_of, "warning_days": warning_days, "new": new,
            "alerts": queries.load_alert_list(conn, as_of)}
