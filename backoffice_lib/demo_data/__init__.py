"""Deterministic demo data of the studio: ``run_demo_load`` (``backoffice demo load``).

The same (seed, scale, as_of) gives the same rows: every value comes from ``random.Random`` seeded
by the seed (UUIDs and bcrypt salts included), and integer keys restart at 1. The data covers the
six full months before as_of's month and the current month up to as_of. On as_of itself the data's
clock is 15:00 Bangkok (staff on shift are clocked in); when as_of is today and that time has not
come yet, the clock is the present minute, so nothing lies in the future (then, and only then, a
second load later in the day adds that day's later punches and sales).

Everything is written in one transaction (the PINs' bcrypt hashes are computed meanwhile in two
child interpreters); a reload empties every workbench table first (TRUNCATE ... RESTART IDENTITY
CASCADE).

Nothing lost by accident (issue 12): how the demo knows its own rows. The load ends by writing a
fingerprint as the comment of the ``backoffice`` schema (not a row, so the demo's rows stay the same
from load to load): the id of its one transaction and the number of rows it left in every
workbench table (allowed_users, audit_logs, invoices, suppliers,
reconciliation, job_runs, staff, time entries... and the external customers, bookings and sales).
PostgreSQL stamps every row version with the transaction that wrote it (``xmin``), so a row is the
demo's exactly when its xmin is that transaction and the table still holds the count the demo
left: a row added, changed (an UPDATE writes a new version) or deleted since shows up as a foreign
row or a different count. ``check_replaceable`` refuses, unless ``force``, any database where a
workbench table holds a row the demo did not create; without a fingerprint (real data, or a demo
loaded before fingerprints) any row at all is refused. Tables that migrations fill (KEPT_TABLES)
are neither emptied nor checked. A database restored from a backup gets new row versions, so
its demo rows count as foreign too: reloading it needs ``--force``.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .. import audit, bangkok, database
from ..history import rules as history_rules
from ..history.queries import partitions
from . import audit_trail, customers, finance, people, pos, timeclock
from .period import Period, dice

ACTOR = people.ADMINS[0]
# Tables whose rows come from migrations, not from use: a reload keeps them. The statutory
# rates are seeded by migration 0009 (dated rows an admin may add to; issue 15).
KEPT_TABLES = {"alembic_version", "owned_external_tables", "statutory_rates"}
EXTERNAL_TABLES = ["public.customers", "public.bookings", "pos.sales"]
WORKBENCH_SCHEMAS = ("backoffice", "archive")
LOAD_LOCK = 7302
FINGERPRINT_KEY = "demo_fingerprint"


class DemoRefused(RuntimeError):
    """The database holds data that is not demo data; ``force`` replaces it."""


def run_demo_load(
    seed: int = 42,
    scale: int = 1,
    force: bool = False,
    engine: Engine | None = None,
    as_of: dt.date | None = None,
    conn: Connection | None = None,
) -> str:
    """Replace the workbench's data with the demo data; return a summary of what is there.

    ``conn``: load inside the caller's transaction (tests); otherwise one transaction on
    ``engine`` (default: the configured database) that commits at the end.
    """
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a whole number of at least 1, not {scale!r}")
    as_of = as_of or bangkok.today()
    if as_of > bangkok.today():
        raise ValueError(f"as_of {as_of} is after today ({bangkok.today()}): demo data has no future")
    if conn is not None:
        return _load(conn, seed, scale, force, as_of)
    with database.transaction(engine) as own:
        return _load(own, seed, scale, force, as_of)


def _load(conn: Connection, seed: int, scale: int, force: bool, as_of: dt.date) -> str:
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOAD_LOCK})
    check_replaceable(conn, force)
    empty_workbench(conn)
    audit.act_as(conn, ACTOR, "demo data")
    period = Period.ending(as_of)
    ensure_month_partitions(conn, period)

    staff = people.build_people(dice(seed, "staff"), period, scale)
    hashes = people.start_hashing(dice(seed, "pins"), staff)  # runs while the rest loads

    users = people.build_users(dice(seed, "users"))
    _copy(conn, "backoffice.allowed_users", users)
    _copy(conn, "backoffice.payroll_settings", finance.payroll_setting_rows(seed, scale, period))
    _copy(conn, "backoffice.public_holidays", finance.holiday_rows(period))
    _copy(conn, "backoffice.monthly_service_charge",
          finance.service_charge_rows(dice(seed, "service charge"), period))
    _copy(conn, "backoffice.invoice_settings", finance.invoice_setting_rows())

    _copy(conn, "backoffice.package_types", customers.package_type_rows())
    _set_sequence(conn, "backoffice.package_types")
    _copy(conn, "backoffice.coach_rates", customers.coach_rate_rows())
    customer_rows = customers.build_customers(dice(seed, "customers"), period, scale)
    _copy(conn, "public.customers", customer_rows)
    bookings = customers.Bookings(dice(seed, "bookings"), period)
    sellers = [p.staff_name for p in staff if p.role in ("front desk", "manager")]
    packages, usage = customers.build_packages(
        dice(seed, "packages"), period, scale, customer_rows, sellers, bookings
    )
    customers.build_other_bookings(dice(seed, "walk-ins"), period, scale, customer_rows, bookings)
    _copy(conn, "public.bookings", bookings.rows)
    _copy(conn, "backoffice.packages", packages)
    _copy(conn, "backoffice.package_usage", usage)

    sales = pos.build_sales(dice(seed, "pos"), period, scale, customer_rows, packages)
    _copy(conn, "pos.sales", sales)

    rng = dice(seed, "invoices")
    suppliers = finance.supplier_rows(rng)
    _copy(conn, "backoffice.invoice_suppliers", suppliers)
    invoices, items = finance.build_invoices(
        rng, period, suppliers, users[0]["id"],
        finance.coaching_hours(bookings.rows, usage, packages), finance.restaurant_sales(sales),
    )
    _copy(conn, "backoffice.invoices", invoices)
    _copy(conn, "backoffice.invoice_items", items)
    _copy(conn, "backoffice.partner_products", finance.partner_product_rows())
    _load_staff(conn, seed, period, staff, hashes())
    _copy(conn, "backoffice.audit_logs",
          audit_trail.build_audit_logs(dice(seed, "audit"), period, staff, invoices))
    save_fingerprint(conn)
    return summarize(conn, staff, period)


def _load_staff(conn: Connection, seed: int, period: Period, staff: list[people.Person],
                hashes: dict[int, str]) -> None:
    rng = dice(seed, "schedules")
    _copy(conn, "backoffice.staff", people.staff_rows(staff, hashes))
    _set_sequence(conn, "backoffice.staff")
    _copy(conn, "backoffice.staff_compensation", people.compensation_rows(staff))
    _copy(conn, "backoffice.staff_tax_allowances", people.allowance_rows(staff, period))
    _copy(conn, "backoffice.staff_weekly_schedules", people.weekly_rows(rng, staff))
    _copy(conn, "backoffice.staff_schedules", people.schedule_rows(rng, staff, period))
    entries = timeclock.build_time_entries(dice(seed, "time entries"), staff, period)
    _copy(conn, "backoffice.time_entries", entries)
    # Leavers last: validate_time_entry() refuses new entries of inactive staff.
    for person in staff:
        if person.last_day:
            audit.act_as(conn, ACTOR, f"left the studio on {person.last_day.isoformat()}")
            conn.execute(sa.text("UPDATE backoffice.staff SET is_active = false WHERE id = :id"),
                         {"id": person.id})
    audit.act_as(conn, ACTOR, "demo data")


def check_replaceable(conn: Connection, force: bool) -> None:
    """Refuse (DemoRefused) a database where a workbench table holds rows the demo did not
    create, unless ``force`` (see the module's docstring)."""
    if conn.scalar(sa.text("SELECT to_regclass('backoffice.payroll_settings')")) is None:
        raise DemoRefused(
            f"the database {database.masked_url(conn.engine.url)} has no workbench schema yet;"
            " run `backoffice db upgrade` first"
        )
    if force:
        return
    foreign = load_foreign_rows(conn)
    if foreign:
        top = sorted(foreign.items(), key=lambda item: (-item[1], item[0]))
        held = ", ".join(f"{t} {n}" for t, n in top[:6]) + (", ..." if len(top) > 6 else "")
        raise DemoRefused(
            f"the database {database.masked_url(conn.engine.url)} holds rows that demo load did"
            f" not create ({held}); nothing was changed. Use --force to replace them"
        )


def load_fingerprint(conn: Connection) -> dict | None:
    raw = conn.scalar(sa.text(
        "SELECT obj_description('backoffice'::regnamespace, 'pg_namespace')"))
    try:
        document = json.loads(raw) if raw else None
    except ValueError:
        return None
    return document.get(FINGERPRINT_KEY) if isinstance(document, dict) else None


def _count_rows(conn: Connection, tables: list[str], xid: int | None) -> dict[str, tuple[int, int]]:
    """(rows, rows not written by transaction ``xid``) per table, in one statement."""
    parts = [
        f"SELECT {i} AS i, count(*) AS n,"
        f" count(*) FILTER (WHERE xmin::text <> :xid) AS foreign_rows FROM {table}"
        for i, table in enumerate(tables)
    ]
    rows = conn.execute(sa.text(" UNION ALL ".join(parts)), {"xid": str(xid or "")}).all()
    found = {row.i: (row.n, row.foreign_rows) for row in rows}
    return {table: found[i] for i, table in enumerate(tables)}


def load_foreign_rows(conn: Connection) -> dict[str, int]:
    """Rows per table that the last demo load did not leave there (all rows without a
    fingerprint); empty when every row of every workbench table is the demo's."""
    tables = workbench_tables(conn)
    fingerprint = load_fingerprint(conn)
    xid = fingerprint.get("xid") if fingerprint else None
    expected = fingerprint.get("rows", {}) if fingerprint else {}
    foreign = {}
    for table, (count, not_demo) in _count_rows(conn, tables, xid).items():
        if xid is None:
            extra = count
        else:
            extra = max(not_demo, count - expected.get(table, 0), expected.get(table, 0) - count)
        if extra:
            foreign[table] = extra
    return foreign


def save_fingerprint(conn: Connection) -> None:
    """The demo's own rows: its transaction id and each table's row count, as the comment of
    the backoffice schema (transactional like the rows; COMMENT takes no bind parameters, so
    the JSON is quoted by PostgreSQL's quote_literal)."""
    xid = conn.scalar(sa.text("SELECT (pg_current_xact_id()::text::bigint % 4294967296)"))
    tables = workbench_tables(conn)
    rows = {table: count for table, (count, _) in _count_rows(conn, tables, xid).items()}
    document = json.dumps({FINGERPRINT_KEY: {"xid": xid, "rows": rows}}, sort_keys=True)
    literal = conn.scalar(sa.text("SELECT quote_literal(:v)"), {"v": document})
    conn.execute(sa.text(f"COMMENT ON SCHEMA backoffice IS {literal}"))


def demo_marker(conn: Connection) -> str | None:
    return conn.scalar(sa.text(
        "SELECT setting_value FROM backoffice.payroll_settings WHERE setting_key = :k"
    ), {"k": finance.MARKER_KEY})


def workbench_tables(conn: Connection) -> list[str]:
    """The tables a reload empties (partitions are emptied with their parent)."""
    rows = conn.execute(sa.text(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
        " AND n.nspname = ANY(:schemas) AND NOT c.relname = ANY(:kept)"
        " ORDER BY n.nspname, c.relname"
    ), {"schemas": list(WORKBENCH_SCHEMAS), "kept": sorted(KEPT_TABLES)}).scalars().all()
    return list(rows) + EXTERNAL_TABLES


def empty_workbench(conn: Connection) -> None:
    tables = ", ".join(workbench_tables(conn))
    conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def ensure_month_partitions(conn: Connection, period: Period) -> None:
    """Monthly partitions for the period where time_entries / audit_logs are partitioned
    (migration 0007), so the demo rows sit where `backoffice db maintain` would have put them."""
    for table in history_rules.PARTITIONED_TABLES:
        kind = conn.scalar(sa.text(
            "SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": f"backoffice.{table}"})
        if kind == "p":
            partitions.ensure_partitions(conn, table, bangkok.month_key(period.start),
                                         bangkok.month_key(period.as_of))


def _copy(conn: Connection, table: str, rows: list[dict]) -> None:
    """COPY rows into table; keys starting with _ are not columns. Rows with different keys (an
    admin has no coach_code) go in separate COPYs, so a column missing from a row keeps its
    default instead of the first row deciding which columns exist."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        columns = tuple(c for c in row if not c.startswith("_"))
        groups.setdefault(columns, []).append(row)
    for columns, group in groups.items():
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = conn.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in group:
                copy.write_row([row[c] for c in columns])


def _set_sequence(conn: Connection, table: str) -> None:
    conn.execute(sa.text(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
        f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
    ))


def summarize(conn: Connection, staff: list[people.Person], period: Period) -> str:
    """What is there: counts per table, the period, logins and a few kiosk PINs."""
    lines = [
        f"Demo data: {demo_marker(conn)}",
        (f"Period: {period.start} to {period.as_of} (clock on {period.as_of}: "
        f"{period.clock:%H:%M} Bangkok)"),
        "Rows:",
    ]
    for table in workbench_tables(conn):
        count = conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
        if count:
            lines.append(f"  {table:<38} {count:>8}")
    lines.append("Logins (allowed_users):")
    for email in people.ADMINS:
        lines.append(f"  {email:<28} admin")
    for email, code, _, _ in people.COACHES:
        lines.append(f"  {email:<28} coach {code}")
    clocked_in = set(conn.execute(sa.text(
        "SELECT id FROM backoffice.staff_status WHERE currently_clocked_in")).scalars())
    lines.append("Kiosk PINs (demo only; staff id, name, PIN):")
    shown = [p for p in staff if p.is_active][:5]
    for p in shown:
        state = "clocked in" if p.id in clocked_in else "clocked out"
        lines.append(f"  {p.staff_id}  {p.staff_name:<26} {p.pin}  ({p.role}, {state})")
    leavers = [p for p in staff if not p.is_active]
    if leavers:
        lines.append("Left during the period: " + ", ".join(
            f"{p.staff_id} {p.staff_name} (last day {p.last_day})" for p in leavers[:3]))
    expiring = conn.scalar(sa.text(
        "SELECT count(*) FROM backoffice.packages"
        " WHERE expiration_date BETWEEN :d AND :d + 7"), {"d": period.as_of})
    lines.append(f"Clocked in now: {len(clocked_in)} staff; packages expiring within 7 days of "
                 f"{period.as_of}: {expiring}")
    return "\n".join(lines)
