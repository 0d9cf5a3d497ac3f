"""The packages domain's SQL: packages, usage, alerts, customers, the monitor and coach earnings.

Each function takes the caller's connection, reads or writes, returns rows (dicts) and never
commits, checks access or decides a rule: the services in ``service`` do that.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from .. import spreadsheets
from ..models.core import Package, PackageType, PackageUsage, PayrollSetting
from ..models.external import Customer
from ..models.packages import PackageAlert
from .rules import (
    LOW_BALANCE_HOURS,
    LOW_BALANCE_SHARE,
    NOT_ACTIVATED_DAYS,
    WARNING_DAYS_KEY,
    format_status_row,
)

PACKAGES = Package.__table__
PACKAGE_TYPES = PackageType.__table__
PACKAGE_USAGE = PackageUsage.__table__
PACKAGE_ALERTS = PackageAlert.__table__
PAYROLL_SETTINGS = PayrollSetting.__table__
CUSTOMERS = Customer.__table__
CUSTOMER_COLUMNS = ["id", "customer_code", "customer_name", "contact_number", "email", "is_active"]
CODE_LOCK = 140_014  # advisory lock: one new customer code at a time
LOOKUP_LIMIT = 50


# --- the status listing -------------------------------------------------------------------------

USAGE_TOTALS_SQL = """
SELECT package_id, sum(used_hours) AS used_hours
  FROM backoffice.package_usage
 GROUP BY package_id
"""

STATUS_FROM = f"""
  FROM backoffice.packages p
  JOIN backoffice.package_types pt ON pt.id = p.package_type_id
  LEFT JOIN ({USAGE_TOTALS_SQL}) u ON u.package_id = p.id
"""
STATUS_ORDER = " ORDER BY p.purchase_date, p.id"
# Hours are numeric(8,2) and their sums keep 2 decimals; the report casts to numeric(12,2) so the
# listing always shows exactly 2 (business-rules §0: hours are reported with 2 decimals).
STATUS_EXPRESSIONS = {
    "package_id": "p.id",
    "customer_name": "p.customer_name",
    "package_type_name": "pt.name",
    "package_category": "pt.type::text",
    "purchase_date": "p.purchase_date",
    "first_use_date": "p.first_use_date",
    "expiration_date": "p.expiration_date",
    "total_hours": "CAST(pt.hours AS numeric(12,2))",
    "used_hours": "CAST(coalesce(u.used_hours, 0) AS numeric(12,2))",
    "remaining_hours": "CAST(CASE WHEN pt.hours IS NOT NULL"
                       " THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END"
                       " AS numeric(12,2))",
    "package_status": "backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours,"
                      " u.used_hours, {as_of})",
}
STATUS_TEXT_COLUMNS = ("customer_name", "package_type_name")
STATUS_SQL = (
    "SELECT "
    + ", ".join(f"{e.format(as_of='CAST(:as_of AS date)')} AS {c}"
                for c, e in STATUS_EXPRESSIONS.items())
    + STATUS_FROM + STATUS_ORDER
)


def status_copy_sql(as_of: dt.date) -> str:
    """COPY of the status listing as CSV (header, empty cells for nulls) for one Bangkok date.

    COPY takes no bind parameters; the date is inlined from a ``datetime.date``, never from text.
    """
    if not isinstance(as_of, dt.date):
        raise TypeError("as_of must be a date")
    literal = f"DATE '{as_of.isoformat()}'"
    select = (  # names typed by people: formula-like text made inert (spreadsheets.inert_sql)
        "SELECT " + ", ".join(
            f"{spreadsheets.inert_sql(e) if c in STATUS_TEXT_COLUMNS else e.format(as_of=literal)}"
            f" AS {c}" for c, e in STATUS_EXPRESSIONS.items())
        + STATUS_FROM + STATUS_ORDER
    )
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)"


def iter_package_status(
    conn: Connection, as_of: dt.date, *, batch_size: int = 5000
) -> Iterator[dict[str, Any]]:
    """Every package with its balance and status as of a Bangkok date, sorted by purchase_date,
    package_id: one query, streamed in batches (a server-side cursor)."""
    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(
        sa.text(STATUS_SQL), {"as_of": as_of}
    )
    for row in result.mappings():
        yield format_status_row(row)


def copy_package_status_csv(conn: Connection, as_of: dt.date, out) -> int:
    """Stream the status listing as CSV straight from PostgreSQL (COPY) into ``out`` (a text
    stream); return the number of characters written."""
    written = 0
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(status_copy_sql(as_of)) as copy:
            for chunk in copy:
                text = bytes(chunk).decode("utf-8")
                out.write(text)
                written += len(text)
    finally:
        cursor.close()
    return written


# --- one package --------------------------------------------------------------------------------


def load_package_type(conn: Connection, package_type: int | str) -> dict[str, Any] | None:
    column = PACKAGE_TYPES.c.id if isinstance(package_type, int) else PACKAGE_TYPES.c.name
    row = conn.execute(sa.select(PACKAGE_TYPES).where(column == package_type)).mappings().first()
    return None if row is None else dict(row)


def load_package_types(conn: Connection) -> list[tuple[int, str]]:
    """(id, name) of every package type, in display order."""
    rows = conn.execute(sa.text(
        "SELECT id, name FROM backoffice.package_types ORDER BY display_order, name"
    )).all()
    return [(int(pk), name) for pk, name in rows]


def load_package(conn: Connection, package_id: uuid.UUID, *, lock: bool = False) -> dict | None:
    """One package with its type and usage total; ``lock`` takes the row FOR UPDATE."""
    query = sa.text(
        """
        SELECT p.*, pt.name AS package_type_name, pt.type::text AS package_category,
               pt.hours AS total_hours, pt.validity_period,
               (SELECT coalesce(sum(u.used_hours), 0) FROM backoffice.package_usage u
                 WHERE u.package_id = p.id) AS used_hours
          FROM backoffice.packages p
          JOIN backoffice.package_types pt ON pt.id = p.package_type_id
         WHERE p.id = :id
        """
        + (" FOR UPDATE OF p" if lock else "")
    )
    row = conn.execute(query, {"id": package_id}).mappings().first()
    return None if row is None else dict(row)


def load_package_usage(conn: Connection, package_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Usage history of some packages, oldest first, with the linked booking's start time."""
    if not package_ids:
        return []
    rows = conn.execute(
        sa.text(
            """
            SELECT u.package_id, u.used_date, u.used_hours, u.employee_name, u.booking_id,
                   b.start_time AS booking_start_time, u.created_at
              FROM backoffice.package_usage u
              LEFT JOIN public.bookings b ON b.id = u.booking_id
             WHERE u.package_id = ANY(:ids)
             ORDER BY u.package_id, u.used_date, u.created_at
            """
        ),
        {"ids": package_ids},
    ).mappings()
    return [dict(r) for r in rows]


def load_booking_link(conn: Connection, booking_id: str):
    """(booking_exists, used_by): whether the booking exists and the package already using it."""
    return conn.execute(
        sa.text(
            "SELECT (SELECT 1 FROM public.bookings WHERE id = :b) AS booking_exists,"
            " (SELECT package_id FROM backoffice.package_usage WHERE booking_id = :b) AS used_by"
        ),
        {"b": booking_id},
    ).one()


def load_expiry_after_first_use(conn: Connection, package_id: uuid.UUID, day: dt.date):
    """calculate_package_expiration(): first use + validity − 1 day, with PostgreSQL's own
    interval arithmetic on the stored interval (a month is not 30 days)."""
    return conn.scalar(
        sa.text(
            "SELECT (CAST(:d AS date) + pt.validity_period - interval '1 day')::date"
            "  FROM backoffice.packages p"
            "  JOIN backoffice.package_types pt ON pt.id = p.package_type_id WHERE p.id = :id"
        ),
        {"d": day, "id": package_id},
    )


def save_package(conn: Connection, values: dict[str, Any]) -> dict[str, Any]:
    row = conn.execute(sa.insert(PACKAGES).values(**values).returning(PACKAGES)).mappings().one()
    return dict(row)


def save_usage(conn: Connection, values: dict[str, Any]) -> tuple[dict | None, str | None]:
    """Insert one usage row in a savepoint: (the row, None), or (None, the database's reason)
    when validate_package_usage() or a key refuses it ('package usage refused: ' removed)."""
    try:
        with conn.begin_nested():
            row = conn.execute(
                sa.insert(PACKAGE_USAGE).values(**values).returning(PACKAGE_USAGE)
            ).mappings().one()
    except sa.exc.DBAPIError as exc:
        orig = exc.orig
        if getattr(orig, "sqlstate", None) not in ("23514", "23505", "23503"):
            raise
        message = str(getattr(getattr(orig, "diag", None), "message_primary", None) or orig)
        return None, message.removeprefix("package usage refused: ")
    return dict(row), None


def save_package_changes(conn: Connection, package_id: uuid.UUID, **values: Any) -> None:
    conn.execute(sa.update(PACKAGES).where(PACKAGES.c.id == package_id).values(**values))


# --- customers ----------------------------------------------------------------------------------


def load_customer_name(conn: Connection, customer_id: uuid.UUID) -> str | None:
    return conn.scalar(
        sa.text("SELECT customer_name FROM public.customers WHERE id = :i"), {"i": customer_id}
    )


def load_customer_ids(conn: Connection, customer_name: str) -> list[uuid.UUID]:
    """Up to two ids of customers with this name (any case), active first."""
    return conn.execute(
        sa.text("SELECT id FROM public.customers WHERE lower(customer_name) = lower(:n)"
                " ORDER BY is_active DESC NULLS LAST, created_at LIMIT 2"),
        {"n": customer_name.strip()},
    ).scalars().all()


def load_customers_matching(
    conn: Connection, text: str, digits: str, *, limit: int
) -> list[dict]:
    """Customers whose name, phone, e-mail or code contains ``text`` (active first); ``digits``
    (3 or more) also matches the phone number's digits."""
    pattern = f"%{text}%"
    conditions = [
        CUSTOMERS.c.customer_name.ilike(pattern),
        CUSTOMERS.c.email.ilike(pattern),
        CUSTOMERS.c.customer_code.ilike(pattern),
        CUSTOMERS.c.contact_number.ilike(pattern),
    ]
    if len(digits) >= 3:
        conditions.append(
            sa.func.regexp_replace(CUSTOMERS.c.contact_number, r"\D", "", "g").like(f"%{digits}%")
        )
    rows = conn.execute(
        sa.select(*[CUSTOMERS.c[c] for c in CUSTOMER_COLUMNS])
        .where(sa.or_(*conditions))
        .order_by(CUSTOMERS.c.is_active.desc(), CUSTOMERS.c.customer_name, CUSTOMERS.c.id)
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def load_customer(conn: Connection, customer_id: uuid.UUID) -> dict | None:
    row = conn.execute(
        sa.select(*[CUSTOMERS.c[c] for c in CUSTOMER_COLUMNS]).where(CUSTOMERS.c.id == customer_id)
    ).mappings().first()
    return None if row is None else dict(row)


def load_customer_codes(conn: Connection) -> list[str]:
    """The ``CUS…`` codes in use, after taking the advisory lock that makes a new code unique."""
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": CODE_LOCK})
    return list(conn.execute(
        sa.select(CUSTOMERS.c.customer_code).where(CUSTOMERS.c.customer_code.like("CUS%"))
    ).scalars().all())


def save_customer(conn: Connection, values: dict[str, Any]) -> dict:
    row = conn.execute(
        sa.insert(CUSTOMERS).values(**values).returning(*[CUSTOMERS.c[c] for c in CUSTOMER_COLUMNS])
    ).mappings().one()
    return dict(row)


CUSTOMER_PACKAGES_SQL = (
    "SELECT "
    + ", ".join(
        f"{e.format(as_of='CAST(:as_of AS date)')} AS {c}" for c, e in STATUS_EXPRESSIONS.items()
    )
    + ", p.discount_amount, p.employee_name"
    + STATUS_FROM
    + " WHERE p.customer_id = :customer_id"
    + " ORDER BY p.purchase_date DESC, p.id"
)


def load_customer_packages(
    conn: Connection, customer_id: uuid.UUID, as_of: dt.date
) -> list[dict[str, Any]]:
    """The customer's packages, newest first, with balance and status as of a Bangkok date."""
    rows = conn.execute(
        sa.text(CUSTOMER_PACKAGES_SQL), {"customer_id": customer_id, "as_of": as_of}
    ).mappings()
    return [format_status_row(r) for r in rows]


def load_open_bookings(
    conn: Connection, customer_id: uuid.UUID, since: dt.date, today: dt.date
) -> list[dict[str, Any]]:
    """The customer's confirmed bookings from ``since`` to ``today`` that no usage records yet."""
    rows = conn.execute(
        sa.text(
            """
            SELECT b.id, b.date, b.start_time, b.duration, b.booking_type
              FROM public.bookings b
             WHERE b.customer_id = :c AND b.status = 'confirmed'
               AND b.date BETWEEN CAST(:since AS date) AND CAST(:today AS date)
               AND NOT EXISTS (SELECT 1 FROM backoffice.package_usage u WHERE u.booking_id = b.id)
             ORDER BY b.date DESC, b.start_time DESC
            """
        ),
        {"c": customer_id, "since": since, "today": today},
    ).mappings()
    return [dict(r) for r in rows]


RECENT_SQL = """
SELECT c.id, c.customer_name, c.customer_code, c.contact_number
  FROM public.customers c
  JOIN (SELECT customer_id, max(purchase_date) AS latest FROM backoffice.packages
         WHERE customer_id IS NOT NULL GROUP BY customer_id) p ON p.customer_id = c.id
 ORDER BY p.latest DESC, c.customer_name
 LIMIT :limit
"""

#: The schema has no allowed_users -> staff key: the staff members bearing the user's coach name
#: or coach display name (any case).
SIGNED_IN_STAFF_SQL = """
SELECT s.staff_name
  FROM backoffice.allowed_users u
  JOIN backoffice.staff s
    ON lower(btrim(s.staff_name)) IN (lower(btrim(u.coach_name)), lower(btrim(u.coach_display_name)))
 WHERE lower(u.email) = lower(:email) AND s.is_active IS NOT FALSE
"""


def load_recent_customers(conn: Connection, limit: int) -> list[dict]:
    """The customers who bought most recently (the desk's first choices)."""
    return [dict(r) for r in conn.execute(sa.text(RECENT_SQL), {"limit": limit}).mappings()]


def load_staff_names_of_user(conn: Connection, user_email: str) -> list[str]:
    """The active staff members who bear the user's name."""
    return [r[0] for r in conn.execute(sa.text(SIGNED_IN_STAFF_SQL), {"email": user_email})]


# --- alerts -------------------------------------------------------------------------------------

FLAGGED_SQL = """
WITH usage_totals AS (
  SELECT package_id, sum(used_hours) AS used_hours
    FROM backoffice.package_usage
   GROUP BY package_id
), status AS (
  SELECT p.id AS package_id, p.customer_id, p.customer_name, pt.name AS package_type_name,
         pt.type::text AS package_category, p.purchase_date, p.first_use_date,
         p.expiration_date, pt.hours AS total_hours, coalesce(u.used_hours, 0) AS used_hours,
         CASE WHEN pt.hours IS NOT NULL
              THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END AS remaining_hours,
         backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours,
                                   u.used_hours, CAST(:as_of AS date)) AS package_status
    FROM backoffice.packages p
    JOIN backoffice.package_types pt ON pt.id = p.package_type_id
    LEFT JOIN usage_totals u ON u.package_id = p.id
)
SELECT s.*, s.expiration_date - CAST(:as_of AS date) AS days_until_expiry,
       c.contact_number, c.email
  FROM status s
  LEFT JOIN public.customers c ON c.id = s.customer_id
 WHERE (s.package_status IN ('active', 'unlimited')
        AND s.expiration_date BETWEEN CAST(:as_of AS date)
                                  AND CAST(:as_of AS date) + CAST(:horizon AS integer))
    OR (s.package_status = 'active'
        AND s.remaining_hours <= greatest(CAST(:low_hours AS numeric),
                                          s.total_hours * CAST(:low_share AS numeric)))
    OR (s.package_status = 'not_activated'
        AND s.purchase_date <= CAST(:as_of AS date) - CAST(:inactive_days AS integer))
 ORDER BY s.expiration_date NULLS LAST, s.purchase_date, s.package_id
"""


def load_warning_days_setting(conn: Connection) -> str | None:
    """``package_expiry_warning_days`` as stored in payroll_settings (None: no row)."""
    return conn.scalar(
        sa.select(PAYROLL_SETTINGS.c.setting_value).where(
            PAYROLL_SETTINGS.c.setting_key == WARNING_DAYS_KEY
        )
    )


def load_flagged_packages(
    conn: Connection, as_of: dt.date, horizon_days: int
) -> list[dict[str, Any]]:
    """Packages that may need attention on ``as_of``: expiring within ``horizon_days``, low
    balance, or unused for 30+ days; with status, balances and contact details. One query."""
    rows = conn.execute(
        sa.text(FLAGGED_SQL),
        {
            "as_of": as_of,
            "horizon": horizon_days,
            "low_hours": LOW_BALANCE_HOURS,
            "low_share": LOW_BALANCE_SHARE,
            "inactive_days": NOT_ACTIVATED_DAYS,
        },
    ).mappings()
    return [dict(r) for r in rows]


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    """Alert details as JSON values: dates ISO, Decimals as exact text."""
    return {
        k: v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v
        for k, v in details.items()
    }


def save_alerts(conn: Connection, alerts: list[dict[str, Any]], raised_on: dt.date) -> list[dict]:
    """Insert the alerts not raised before (per package and level); return the new ones."""
    if not alerts:
        return []
    rows = [
        {
            "package_id": a["package_id"],
            "alert_level": a["alert_level"],
            "message": a["message"],
            "details": _plain(a["details"]),
            "raised_on": raised_on,
        }
        for a in alerts
    ]
    statement = (
        pg_insert(PACKAGE_ALERTS)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["package_id", "alert_level"])
        .returning(PACKAGE_ALERTS.c.package_id, PACKAGE_ALERTS.c.alert_level)
    )
    return [dict(r) for r in conn.execute(statement).mappings()]


def load_alert_list(conn: Connection, raised_on: dt.date) -> list[dict[str, Any]]:
    """The alerts raised on one date, with the package's balance and the customer's contacts."""
    rows = conn.execute(
        sa.text(
            """
            SELECT a.raised_on, a.alert_level, a.message, a.package_id, p.customer_name,
                   c.contact_number, c.email, p.customer_id, c.line_user_id, o.reached,
                   pt.name AS package_type_name,
                   pt.type::text AS package_category, p.purchase_date, p.first_use_date,
                   p.expiration_date, pt.hours AS total_hours,
                   coalesce(u.used_hours, 0) AS used_hours,
                   CASE WHEN pt.hours IS NOT NULL
                        THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END
                     AS remaining_hours
              FROM backoffice.package_alerts a
              JOIN backoffice.packages p ON p.id = a.package_id
              JOIN backoffice.package_types pt ON pt.id = p.package_type_id
              LEFT JOIN public.customers c ON c.id = p.customer_id
              LEFT JOIN LATERAL (
                SELECT sum(x.used_hours) AS used_hours FROM backoffice.package_usage x
                 WHERE x.package_id = p.id
              ) u ON true
              LEFT JOIN LATERAL (  -- delivery: the alert's messages, once per channel
                SELECT string_agg(m.channel || ' ' || m.state
                                  || CASE WHEN m.state = 'sent'
                                          THEN ' ' || to_char(m.sent_at AT TIME ZONE
                                                              'Asia/Bangkok', 'YYYY-MM-DD HH24:MI')
                                          ELSE coalesce(': ' || coalesce(m.skip_reason,
                                                                         m.last_error), '') END,
                                  '; ' ORDER BY m.channel) AS reached
                  FROM backoffice.delivery_outbox m
                 WHERE m.kind = 'package_alert' AND m.resend_reason IS NULL
                   AND m.recipient_id = p.customer_id::text
                   AND m.attachment_sha256 = encode(sha256(convert_to(
                         'package_alert ' || a.package_id::text || ' ' || a.alert_level::text,
                         'UTF8')), 'hex')
              ) o ON true
             WHERE a.raised_on = :d
             ORDER BY a.alert_level, p.customer_name, a.package_id
            """
        ),
        {"d": raised_on},
    ).mappings()
    return [dict(r) for r in rows]


# --- the package monitor ------------------------------------------------------------------------

CATEGORY_COUNTS_SQL = """
WITH usage_totals AS (
  SELECT package_id, sum(used_hours) AS used_hours FROM backoffice.package_usage GROUP BY package_id
)
SELECT pt.type::text AS package_category,
       backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours, u.used_hours,
                                 CAST(:as_of AS date)) AS package_status,
       count(*) AS packages,
       sum(CASE WHEN pt.hours IS NOT NULL
                THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END) AS remaining_hours
  FROM backoffice.packages p
  JOIN backoffice.package_types pt ON pt.id = p.package_type_id
  LEFT JOIN usage_totals u ON u.package_id = p.id
 GROUP BY 1, 2
 ORDER BY 1, 2
"""

USAGE_SERIES_SQL = """
WITH usage AS (
  SELECT u.used_date, u.used_hours,
         extract(hour FROM coalesce(b.start_time,
                                    (u.created_at AT TIME ZONE 'Asia/Bangkok')::time))::int AS hour
    FROM backoffice.package_usage u
    LEFT JOIN public.bookings b ON b.id = u.booking_id
   WHERE u.used_date > CAST(:since AS date) AND u.used_date <= CAST(:as_of AS date)
)
SELECT 'week' AS grain, date_trunc('week', used_date)::date AS week, NULL::int AS hour,
       sum(used_hours) AS hours, count(*) AS usages
  FROM usage GROUP BY date_trunc('week', used_date)
UNION ALL
SELECT 'hour', NULL, hour, sum(used_hours), count(*) FROM usage GROUP BY hour
ORDER BY 1, 2, 3
"""

LOOKUP_SQL = f"""
SELECT p.id AS package_id, p.customer_name, pt.name AS package_type_name,
       pt.type::text AS package_category, p.purchase_date, p.first_use_date, p.expiration_date,
       pt.hours AS total_hours, coalesce(u.used_hours, 0) AS used_hours,
       CASE WHEN pt.hours IS NOT NULL
            THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END AS remaining_hours,
       backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours, u.used_hours,
                                 CAST(:as_of AS date)) AS package_status
  FROM backoffice.packages p
  JOIN backoffice.package_types pt ON pt.id = p.package_type_id
  LEFT JOIN public.customers c ON c.id = p.customer_id
  LEFT JOIN LATERAL (
    SELECT sum(x.used_hours) AS used_hours FROM backoffice.package_usage x WHERE x.package_id = p.id
  ) u ON true
 WHERE p.customer_name ILIKE :q OR c.contact_number ILIKE :q OR c.email ILIKE :q
 ORDER BY p.customer_name, p.purchase_date DESC, p.id
 LIMIT {LOOKUP_LIMIT}
"""


def load_category_counts(conn: Connection, as_of: dt.date) -> list[dict[str, Any]]:
    """Packages and remaining hours per category and status as of a Bangkok date."""
    return [dict(r) for r in conn.execute(sa.text(CATEGORY_COUNTS_SQL), {"as_of": as_of}).mappings()]


def load_usage_series(conn: Connection, since: dt.date, as_of: dt.date) -> list[dict[str, Any]]:
    """Usage after ``since`` up to ``as_of``: hours per week and per hour of day (Bangkok)."""
    return [dict(r) for r in conn.execute(
        sa.text(USAGE_SERIES_SQL), {"since": since, "as_of": as_of}).mappings()]


def load_packages_of_customers_matching(
    conn: Connection, search: str, as_of: dt.date
) -> list[dict[str, Any]]:
    """Packages of the customers whose name, phone or e-mail contains ``search``."""
    rows = conn.execute(sa.text(LOOKUP_SQL), {"q": f"%{search}%", "as_of": as_of}).mappings()
    return [format_status_row(r) for r in rows]


# --- coach earnings -----------------------------------------------------------------------------


def load_coach_earnings(
    conn: Connection, date_from: dt.date, date_to: dt.date, coach_code: str | None = None
) -> list[dict[str, Any]]:
    """The coach_earnings view's rows of a period (both dates included), optionally of one coach."""
    query = """
        SELECT booking_id, booking_date, start_time, coach_code, customer_name, number_of_people,
               hours, package_id, rate_type, rate, gross_amount, discount_deduction,
               coach_earnings, error
          FROM backoffice.coach_earnings
         WHERE booking_date BETWEEN :f AND :t
    """
    params: dict[str, Any] = {"f": date_from, "t": date_to}
    if coach_code:
        query += " AND coach_code = :c"
        params["c"] = coach_code.upper()
    query += " ORDER BY booking_date, start_time NULLS LAST, coach_code, booking_id"
    return [dict(r) for r in conn.execute(sa.text(query), params).mappings()]



def save_customer_line_user_id(conn: Connection, customer_code: str,
                               line_user_id: str | None) -> dict | None:
    """Store a customer's LINE user ID (delivery: package alerts by LINE); the row before, or
    None when no customer has that code."""
    before = conn.execute(sa.select(CUSTOMERS.c.id, CUSTOMERS.c.customer_name,
                                    CUSTOMERS.c.line_user_id)
                          .where(CUSTOMERS.c.customer_code == customer_code)).mappings().first()
    if before is None:
        return None
    conn.execute(sa.update(CUSTOMERS).where(CUSTOMERS.c.id == before["id"])
                 .values(line_user_id=line_user_id))
    return dict(before)
