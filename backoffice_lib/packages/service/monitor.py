"""The package monitor's reads (admins: the lists carry customers' contacts). Each checks access
in the caller's transaction (``access.check``, area ``packages``, admins only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from ... import access
from .. import queries
from ..rules import EXPIRY_HORIZONS, USAGE_WEEKS, parse_package_id

AREA = "packages"
LOOKUP_MIN_CHARS = 2


def load_monitor(conn: Connection, user_email: str, as_of: dt.date) -> dict[str, Any]:
    """Everything the first render shows, in three aggregated queries."""
    access.check(conn, user_email, AREA, admin=True)
    since = as_of - dt.timedelta(weeks=USAGE_WEEKS)
    return {
        "as_of": as_of,
        "counts": queries.load_category_counts(conn, as_of),
        "flagged": queries.load_flagged_packages(conn, as_of, max(EXPIRY_HORIZONS)),
        "series": queries.load_usage_series(conn, since, as_of),
    }


def load_customer_lookup(
    conn: Connection, user_email: str, search: str, as_of: dt.date
) -> dict[str, Any]:
    """Packages of the customers whose name, phone or e-mail contains ``search``, with usage."""
    access.check(conn, user_email, AREA, admin=True)
    found = queries.load_packages_of_customers_matching(conn, search.strip(), as_of)
    usage = queries.load_package_usage(conn, [parse_package_id(r["package_id"]) for r in found])
    return {"packages": found, "usage": usage}
