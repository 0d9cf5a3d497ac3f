"""Tidy data for analysts (issue 27): ``from backoffice_lib import explore``.

- ``explore.attendance(start, end, staff=None)``: one row per shift (planned, worked, late
  minutes, status) and per unscheduled session;
- ``explore.sessions(start, end, staff=None)``: one row per work session;
- ``explore.audit(start, end, user=None, resource_type=None, action=None)``: one row per change
  and field, before/after flattened;
- ``explore.package_usage(start, end)``: packages bought in the period with each use;
- ``explore.sales(start, end)``: point-of-sale lines.

Each reads in one query (in a lab kernel: as the analyst database role), returns typed columns
(``rules.*_DTYPES``) with Bangkok times, and handles a year of data. The ``compute_*`` helpers
summarise these frames for the starter notebooks (``notebooks/analysis/``).
"""

from .rules import (
    ExploreError,
    compute_changes_per_person,
    compute_cohort_summary,
    compute_lateness_by_weekday,
    compute_lateness_by_weekday_hour,
    compute_package_cohorts,
    compute_pay_and_pin_changes,
    compute_sales_against_staffing,
)
from .service import attendance, audit, package_usage, sales, sessions

__all__ = [
    "ExploreError", "attendance", "audit", "compute_changes_per_person", "compute_cohort_summary",
    "compute_lateness_by_weekday", "compute_lateness_by_weekday_hour", "compute_package_cohorts",
    "compute_pay_and_pin_changes", "compute_sales_against_staffing", "package_usage", "sales",
    "sessions",
]
