"""The analysts' reads (issue 27): one SQL query per ``explore`` call, rows as tuples.

Only columns the ``analyst`` database role may read (``workbench/db_roles.py``) appear here, so
each query works in a lab kernel connected as that role: no PIN hash, national ID, bank account,
pay rate, payroll result, customer phone or e-mail, and the audit trail through the
``audit_changes`` view (pay values hidden). Times are ``timestamptz``; the caller turns them into
Bangkok times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DEFAULT_MAX_SESSION_HOURS = 16

# who: every person (all_staff), or those whose id or (lower-case) name is listed
_STAFF_FILTER = (
    "(CAST(:all_staff AS boolean) OR st.id = ANY(CAST(:staff_ids AS int[]))"
    " OR lower(st.staff_name) = ANY(CAST(:staff_names AS text[])))"
)
_MAX_HOURS = (
    "COALESCE((SELECT CASE WHEN setting_value ~ '^[0-9]+$' THEN setting_value::int END"
    " FROM backoffice.payroll_settings WHERE setting_key = 'max_session_hours'"
    f" LIMIT 1), {DEFAULT_MAX_SESSION_HOURS})"
)

ATTENDANCE_SQL = sa.text(f"""
WITH limits AS (SELECT {_MAX_HOURS} AS max_hours)
SELECT 'shift' AS kind, s.id::text AS id, s.staff_id, st.staff_name, s.schedule_date,
       s.start_time, s.end_time, NULL::timestamptz AS "timestamp", NULL::text AS action,
       limits.max_hours
  FROM backoffice.staff_schedules s
  JOIN backoffice.staff st ON st.id = s.staff_id
  CROSS JOIN limits
 WHERE s.schedule_date BETWEEN :date_from AND :date_to AND {_STAFF_FILTER}
UNION ALL
SELECT 'entry', e.id::text, e.staff_id, st.staff_name, NULL, NULL, NULL, e."timestamp", e.action,
       limits.max_hours
  FROM backoffice.time_entries e
  JOIN backoffice.staff st ON st.id = e.staff_id
  CROSS JOIN limits
 WHERE e."timestamp" >= CAST(:start AS timestamptz) - make_interval(hours => limits.max_hours)
   AND e."timestamp" < CAST(:end AS timestamptz) + make_interval(hours => limits.max_hours)
   AND {_STAFF_FILTER}
""")

AUDIT_SQL = sa.text("""
SELECT 'audit_logs' AS source, a.id::text AS id, a."timestamp" AS changed_at, a.user_email,
       a.action, a.resource_type, a.resource_id, a.details
  FROM backoffice.audit_changes a
 WHERE a."timestamp" >= :start AND a."timestamp" < :end
   AND (CAST(:user_email AS text) IS NULL OR lower(a.user_email) = :user_email)
   AND (CAST(:resource_type AS text) IS NULL OR a.resource_type = :resource_type)
   AND (CAST(:action AS text) IS NULL OR a.action = :action)
UNION ALL
SELECT 'staff_audit_log', l.id::text, l.created_at, l.changed_by_identifier, l.action_type,
       'staff', l.staff_id::text,
       jsonb_build_object('before', l.old_data_snapshot, 'after', l.new_data_snapshot,
                          'summary', l.changes_summary, 'reason', l.reason)
  FROM backoffice.staff_audit_log l
 WHERE l.created_at >= :start AND l.created_at < :end
   AND (CAST(:user_email AS text) IS NULL OR lower(l.changed_by_identifier) = :user_email)
   AND (CAST(:resource_type AS text) IS NULL OR CAST(:resource_type AS text) = 'staff')
   AND (CAST(:action AS text) IS NULL OR l.action_type = :action)
ORDER BY 3, 1, 2
""")

PACKAGE_USAGE_SQL = sa.text("""
SELECT p.id::text AS package_id, p.customer_id::text AS customer_id, p.customer_name,
       t.name AS package_type, t.type::text AS package_kind, t.hours AS package_hours,
       p.purchase_date, p.first_use_date, p.expiration_date,
       u.id::text AS usage_id, u.used_date, u.used_hours, u.employee_name, u.booking_id
  FROM backoffice.packages p
  JOIN backoffice.package_types t ON t.id = p.package_type_id
  LEFT JOIN backoffice.package_usage u ON u.package_id = p.id
 WHERE p.purchase_date BETWEEN :date_from AND :date_to
 ORDER BY p.purchase_date, p.id, u.used_date, u.id
""")

SALES_SQL = sa.text("""
SELECT s.id, s.receipt_number, s.sale_date, s.sale_time, s.customer_id::text AS customer_id,
       s.customer_name, s.product_name, s.product_category, s.sku_number, s.item_cnt,
       s.item_price_incl_vat, COALESCE(s.is_voided, false) AS is_voided
  FROM pos.sales s
 WHERE s.sale_date BETWEEN :date_from AND :date_to
   AND (CAST(:include_voided AS boolean) OR NOT COALESCE(s.is_voided, false))
 ORDER BY s.sale_time, s.id
""")


def _staff_params(staff_ids: Sequence[int] | None, staff_names: Sequence[str] | None) -> dict:
    everyone = staff_ids is None and staff_names is None
    return {
        "all_staff": everyone,
        "staff_ids": list(staff_ids or []),
        "staff_names": [name.strip().lower() for name in staff_names or []],
    }


def load_attendance_rows(
    conn: Connection, date_from: dt.date, date_to: dt.date, start: dt.datetime, end: dt.datetime,
    staff_ids: Sequence[int] | None = None, staff_names: Sequence[str] | None = None,
) -> list[tuple]:
    """Shifts dated ``date_from``..``date_to`` and the time entries from ``start`` to ``end``
    (widened by the longest session), in one query: ``kind`` is 'shift' or 'entry'."""
    params = {"date_from": date_from, "date_to": date_to, "start": start, "end": end,
              **_staff_params(staff_ids, staff_names)}
    return [tuple(r) for r in conn.execute(ATTENDANCE_SQL, params).all()]


def load_audit_rows(
    conn: Connection, start: dt.datetime, end: dt.datetime, *, user_email: str | None = None,
    resource_type: str | None = None, action: str | None = None,
) -> list[tuple]:
    """Audit rows (``audit_changes`` and ``staff_audit_log``) with ``start <= time < end``."""
    params = {"start": start, "end": end,
              "user_email": user_email.strip().lower() if user_email else None,
              "resource_type": resource_type or None, "action": action or None}
    return [tuple(r) for r in conn.execute(AUDIT_SQL, params).all()]


def load_package_usage_rows(conn: Connection, date_from: dt.date, date_to: dt.date) -> list[tuple]:
    """Packages bought ``date_from``..``date_to``, one row per usage (none: one row)."""
    return [tuple(r) for r in conn.execute(
        PACKAGE_USAGE_SQL, {"date_from": date_from, "date_to": date_to}).all()]


def load_sales_rows(
    conn: Connection, date_from: dt.date, date_to: dt.date, *, include_voided: bool = False
) -> list[tuple]:
    """Point-of-sale lines dated ``date_from``..``date_to``."""
    return [tuple(r) for r in conn.execute(
        SALES_SQL,
        {"date_from": date_from, "date_to": date_to, "include_voided": include_voided}).all()]
