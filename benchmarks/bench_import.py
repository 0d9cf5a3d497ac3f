"""The live import at the studio's size: 20 staff and three years of history.

    .venv/bin/python -m benchmarks.bench_import [--scale 1.0] [--keep]

Builds a live-shaped database (``bench_import_live``, the DDL of importer/queries/live_shape.py) with
generate_series: at scale 1, 20 staff with ~61,000 punches over 3 years, 5,000 packages with
50,000 usage rows, 2,000 customers, 10,000 bookings (text start times), 500,000 POS lines
(10 % with SKU '-', some voided, NULL is_voided) and 10,000 audit rows; then imports it into a
freshly migrated workbench database (``bench_import_workbench``) and imports it again with
nothing new. ``--scale`` shrinks or grows every count (the history's length for the punches).
Prints the figures against the issue's targets (import < 2 min, rerun < 20 s).
"""

from __future__ import annotations

import argparse
import sys
import time

import psycopg
import sqlalchemy as sa

from backoffice_lib import database, migrate
from backoffice_lib.importer import service
from backoffice_lib.importer.queries.live_shape import LIVE_DDL

LIVE, WORKBENCH = "bench_import_live", "bench_import_workbench"
ADMIN = "admin@studio.example"
TARGET_IMPORT_S, TARGET_RERUN_S = 120.0, 20.0

FILL_SQL = """
INSERT INTO backoffice.staff (id, staff_name, staff_id, pin_hash, clear_pin, is_active)
SELECT s, 'Staff ' || s, 'EMP' || lpad(s::text, 3, '0'),
       '$2b$12$abcdefghijklmnopqrstuuR0gH9N3Dq4I2l1FtV8a4qKz5kX1bYw6',
       lpad((s * 7919 %% 1000000)::text, 6, '0'), s <= 18
  FROM generate_series(1, 20) s;
INSERT INTO backoffice.staff_compensation (staff_id, compensation_type, base_salary, hourly_rate,
  effective_from)
SELECT s, CASE WHEN s %% 4 = 0 THEN 'hourly' ELSE 'salary' END,
       CASE WHEN s %% 4 = 0 THEN 0 ELSE 15000 + s * 100 END,
       CASE WHEN s %% 4 = 0 THEN 80 ELSE 0 END, current_date - %(days)s - 30
  FROM generate_series(1, 20) s;
-- two sessions on 70 %% of days: 09:00-13:00 and 14:00-18:00 Bangkok, the last 3 years
INSERT INTO backoffice.time_entries (staff_id, action, "timestamp", device_info)
SELECT s, a.action,
       ((current_date - d) + a.at) AT TIME ZONE 'Asia/Bangkok',
       jsonb_build_object('device', 'kiosk')
  FROM generate_series(1, 20) s, generate_series(1, %(days)s) d,
       (VALUES ('clock_in', time '09:00'), ('clock_out', time '13:00'),
               ('clock_in', time '14:00'), ('clock_out', time '18:00')) a(action, at)
 WHERE (d + s) %% 10 < 7
 ORDER BY s, d DESC, a.at;
INSERT INTO backoffice.package_types (id, name, display_name, type, hours, validity_period)
VALUES (1, '10 Hours', '10 Hours', 'Monthly', 10, '1 year'),
       (2, 'Coaching 10', 'Coaching', 'Coaching', 10, '1 year');
INSERT INTO public.customers (id, customer_code, customer_name, contact_number)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(c), 12, '0'))::uuid,
       'CUS' || lpad(c::text, 6, '0'), 'Customer ' || c, '08' || lpad(c::text, 8, '0')
  FROM generate_series(1, %(customers)s) c;
INSERT INTO public.bookings (id, customer_id, name, date, start_time, duration,
  number_of_people, booking_type, status)
SELECT 'BK' || b, ('00000000-0000-4000-8000-' || lpad(to_hex(1 + b %% %(customers)s), 12, '0'))::uuid,
       'Customer ' || (1 + b %% %(customers)s), current_date - 1 - (b %% %(days)s),
       (9 + b %% 12) || ':' || CASE WHEN b %% 2 = 0 THEN '00' ELSE '30' END, 1.5, 1 + b %% 3,
       CASE WHEN b %% 5 = 0 THEN 'Coaching (Boss - Ratchavin)' WHEN b %% 5 = 1 THEN 'Coaching (Boss)'
            ELSE 'Driving Range' END, 'confirmed'
  FROM generate_series(1, %(bookings)s) b;
INSERT INTO backoffice.packages (id, customer_name, package_type_id, purchase_date,
  first_use_date, customer_id, purchase_price, discount_percentage)
SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(p), 12, '0'))::uuid, 'Customer ' || p,
       1 + p %% 2, current_date - 40 - (p %% (%(days)s - 40)),
       current_date - 40 - (p %% (%(days)s - 40)),
       ('00000000-0000-4000-8000-' || lpad(to_hex(1 + p %% %(customers)s), 12, '0'))::uuid,
       5000, CASE WHEN p %% 7 = 0 THEN 10 END
  FROM generate_series(1, %(packages)s) p;
INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours, used_date, created_at)
SELECT p.id, 'Staff 1', 1, p.purchase_date + k * 3, (p.purchase_date + k * 3)::timestamptz
  FROM backoffice.packages p, generate_series(0, 9) k;
INSERT INTO pos.lengolf_sales (date, sales_timestamp, receipt_number, sku_number, item_cnt,
  item_price_incl_vat, is_voided, customer_name, product_name, product_category, payment_method)
SELECT current_date - 1 - (n %% %(days)s), (current_date - 1 - (n %% %(days)s)) + time '05:00',
       'R' || (n / 3), CASE WHEN n %% 10 = 0 THEN '-' ELSE 'RST-' || lpad((n %% 20)::text, 3, '0') END,
       1 + n %% 3, 50 + n %% 400, CASE WHEN n %% 97 = 0 THEN true WHEN n %% 2 = 0 THEN NULL
       ELSE false END, 'Customer ' || n %% 500, 'Item ' || n %% 20, 'Food', 'cash'
  FROM generate_series(1, %(pos)s) n;
INSERT INTO pos.lengolf_sales_voided_archive (id, date, sales_timestamp, receipt_number,
  sku_number, item_cnt, item_price_incl_vat, product_name)
SELECT 10000000 + n, current_date - 1 - (n %% 300), now() - interval '1 day', 'V' || n, 'RST-001',
       1, 99, 'Voided item'
  FROM generate_series(1, %(voided)s) n;
INSERT INTO backoffice.audit_logs (user_email, action, resource_type, resource_id, "timestamp")
SELECT 'admin@studio.example', 'VIEW', 'payroll', n::text, now() - n * interval '1 hour'
  FROM generate_series(1, %(audit)s) n;
"""


def _say(text: str) -> None:
    print(text, flush=True)


def _server() -> sa.engine.URL:
    return database.database_url().set(database="postgres")


def _recreate(name: str) -> sa.engine.URL:
    admin = sa.create_engine(_server(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _server().set(database=name)


def _drop(name: str) -> None:
    admin = sa.create_engine(_server(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def build_live(scale: float) -> tuple[sa.engine.URL, dict]:
    sizes = {
        "days": max(60, round(1095 * scale)), "customers": max(10, round(2000 * scale)),
        "bookings": max(10, round(10_000 * scale)), "packages": max(10, round(5000 * scale)),
        "pos": max(10, round(500_000 * scale)), "voided": max(1, round(2000 * scale)),
        "audit": max(10, round(10_000 * scale)),
    }
    url = _recreate(LIVE)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(LIVE_DDL)
        for statement in FILL_SQL.split(";\n"):
            if statement.strip():
                conn.execute(statement, sizes)
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("backoffice.time_entries", "backoffice.packages",
                          "backoffice.package_usage", "pos.lengolf_sales", "public.bookings")
        }
    return url, counts


def build_workbench() -> sa.engine.Engine:
    url = _recreate(WORKBENCH)
    engine = database.get_engine(url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        migrate.upgrade(conn)
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES (:e, true)"), {"e": ADMIN})
    return engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 20 staff x 3 years, 500k POS lines (default)")
    parser.add_argument("--keep", action="store_true", help="keep both scratch databases")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    live_url, counts = build_live(args.scale)
    _say(f"live-shaped database built in {time.perf_counter() - started:.1f} s: "
         + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    engine = build_workbench()
    source = live_url.render_as_string(hide_password=False)
    try:
        start = time.perf_counter()
        first = service.import_live(source, ADMIN, engine=engine)
        import_s = time.perf_counter() - start
        start = time.perf_counter()
        again = service.import_live(source, ADMIN, engine=engine)
        rerun_s = time.perf_counter() - start
    finally:
        engine.dispose()
        if not args.keep:
            _drop(WORKBENCH)
            _drop(LIVE)
    _say(service.format_report_text(first))
    totals = first["totals"]
    _say(f"import (scale {args.scale}): {import_s:.1f} s for {totals['read']:,} rows"
         f" ({totals['read'] / import_s:,.0f} rows/s); target < {TARGET_IMPORT_S:.0f} s at"
         f" scale 1: ratio {import_s / TARGET_IMPORT_S:.2f}")
    _say(f"rerun, nothing new: {rerun_s:.1f} s (imported {again['totals']['imported']},"
         f" unchanged {again['totals']['unchanged']:,}); target < {TARGET_RERUN_S:.0f} s:"
         f" ratio {rerun_s / TARGET_RERUN_S:.2f}")
    if args.scale != 1.0:
        _say(f"linear estimate at scale 1: import {import_s / args.scale:.0f} s,"
             f" rerun {rerun_s / args.scale:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
