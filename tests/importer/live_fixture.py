"""A database shaped like the studio's live system (``live-system.md``), with its typical faults:
a double-tap punch pair, an open session, overlapping shifts (bulk path), a day_of_week 7, two open pay-rate rows, an over-used package, a '-'
SKU, clear PINs, text start times (one unreadable, with a usage row that depends on it), a month '2026-13', audit rows in the other
shape (with a clear PIN in their snapshots) and one without user or action, reconciliation sessions
(completed, failed, and one in a status the workbench does not know, with an item) and reviewed items.
"""

from __future__ import annotations

import contextlib
import os
import uuid

import psycopg
import sqlalchemy as sa

from backoffice_lib import database
from backoffice_lib.importer.queries.live_shape import LIVE_DDL

CLEAR_PINS = ("482913", "771204", "305518")
HASH = "$2b$12$abcdefghijklmnopqrstuuR0gH9N3Dq4I2l1FtV8a4qKz5kX1bYw6"
C1 = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
C2 = uuid.UUID("00000000-0000-4000-8000-0000000000c2")
P1 = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
P2 = uuid.UUID("00000000-0000-4000-8000-0000000000a2")
P3 = uuid.UUID("00000000-0000-4000-8000-0000000000a3")
ADMIN_ID = uuid.UUID("00000000-0000-4000-8000-00000000ad01")
S1 = uuid.UUID("00000000-0000-4000-8000-0000000000e1")  # completed, its items reviewed
S2 = uuid.UUID("00000000-0000-4000-8000-0000000000e2")  # failed, with its error message
S3 = uuid.UUID("00000000-0000-4000-8000-0000000000e3")  # a status the workbench does not know

# (id, staff_id, action, Bangkok local time)
ENTRIES = [
    (1, 1, "clock_in", "2026-01-05 09:00:00"), (2, 1, "clock_out", "2026-01-05 17:00:00"),
    # double tap: a clock-out 20 seconds after the clock-in (the live override let it in)
    (3, 1, "clock_in", "2026-01-06 09:00:00"), (4, 1, "clock_out", "2026-01-06 09:00:20"),
    (5, 1, "clock_in", "2026-01-06 09:05:00"), (6, 1, "clock_out", "2026-01-06 17:00:00"),
    # open session: no clock-out on the 7th, so the 8th's clock-in repeats the action
    (7, 1, "clock_in", "2026-01-07 09:00:00"),
    (8, 1, "clock_in", "2026-01-08 09:00:00"), (9, 1, "clock_out", "2026-01-08 17:00:00"),
    (10, 2, "clock_in", "2026-01-05 10:00:00"), (11, 2, "clock_out", "2026-01-05 18:00:00"),
    # a person who left since: inactive now, history still imported
    (12, 3, "clock_in", "2025-12-01 09:00:00"), (13, 3, "clock_out", "2025-12-01 17:00:00"),
]

LIVE_ROWS = f"""
INSERT INTO backoffice.allowed_users (id, email, is_admin, is_coach, coach_code, display_name,
  is_staff, coach_specialties) VALUES
 ('{ADMIN_ID}', 'admin@studio.example', true, false, NULL, 'Admin', false, NULL),
 (gen_random_uuid(), 'boss@studio.example', false, true, 'BOSS', 'Boss', false, '{{putting}}'),
 (gen_random_uuid(), 'ratchavin@studio.example', false, true, 'RATCHAVIN', 'Ratchavin', false, NULL);
INSERT INTO backoffice.staff (id, staff_name, staff_id, pin_hash, clear_pin, is_active) VALUES
 (1, 'Nattaya Siriwat', 'EMP001', '{HASH}', '{CLEAR_PINS[0]}', true),
 (2, 'Chatchai Kongkaew', 'EMP002', '{HASH}', '{CLEAR_PINS[1]}', true),
 (3, 'Sunee Boonmee', 'EMP003', '{HASH}', '{CLEAR_PINS[2]}', false);
SELECT setval('backoffice.staff_id_seq', 3);
INSERT INTO backoffice.staff_compensation (id, staff_id, compensation_type, base_salary,
  hourly_rate, effective_from, effective_to) VALUES
 (1, 1, 'salary', 18000, 0, '2025-01-01', NULL),
 (2, 1, 'salary', 19500, 0, '2026-01-01', NULL),
 (3, 2, 'hourly', 0, 80, '2025-01-01', NULL),
 (4, 3, 'salary', 17000, 0, '2025-01-01', '2025-12-31');
INSERT INTO backoffice.staff_schedules (id, staff_id, schedule_date, start_time, end_time,
  is_recurring) VALUES
 ('00000000-0000-4000-8000-00000000cc01', 2, '2026-01-05', '09:00', '13:00', false),
 ('00000000-0000-4000-8000-00000000cc02', 2, '2026-01-05', '12:00', '16:00', true),
 ('00000000-0000-4000-8000-00000000cc03', 2, '2026-01-05', '16:00', '20:00', false);
INSERT INTO backoffice.staff_weekly_schedules (id, staff_id, day_of_week, start_time, end_time)
VALUES ('00000000-0000-4000-8000-00000000dd01', 1, 1, '09:00', '17:00'),
       ('00000000-0000-4000-8000-00000000dd02', 1, 7, '09:00', '17:00');
INSERT INTO backoffice.public_holidays (id, holiday_date, holiday_name) VALUES
 (1, '2026-01-01', 'New Year''s Day');
INSERT INTO backoffice.monthly_service_charge (id, month_year, total_amount) VALUES
 (1, '2026-01', 12000), (2, '2026-13', 500);
INSERT INTO backoffice.payroll_settings (id, setting_key, setting_value) VALUES
 (1, 'daily_allowance_thb', '100');
INSERT INTO backoffice.package_types (id, name, display_name, type, hours, validity_period) VALUES
 (1, '10 Hours', '10 Hours', 'Monthly', 10, '3 months'),
 (2, 'Coaching 5', 'Coaching 5 hours', 'Coaching', 5, '6 months'),
 (3, 'Unlimited Month', 'Unlimited', 'Unlimited', NULL, '1 month');
INSERT INTO public.customers (id, customer_code, customer_name, contact_number, email, address) VALUES
 ('{C1}', 'CUS001', 'Somchai Jaidee', '0812345678', NULL, 'Sukhumvit 1'),
 ('{C2}', 'CUS002', 'Anna Smith', NULL, 'anna@example.com', NULL);
INSERT INTO public.bookings (id, customer_id, name, email, phone_number, date, start_time,
  duration, number_of_people, booking_type, status, bay) VALUES
 ('BK1', '{C1}', 'Somchai Jaidee', NULL, '0812345678', '2026-01-10', '14:00', 1.0, 1,
  'Coaching (Boss)', 'confirmed', 'Bay 1'),
 ('BK2', '{C2}', 'Anna Smith', 'anna@example.com', NULL, '2026-01-11', '9:30', 1.5, 2,
  'Coaching (Boss - Ratchavin)', 'confirmed', 'Bay 2'),
 ('BK3', '{C1}', 'Somchai Jaidee', NULL, NULL, '2026-01-12', '18:00', 2.0, 3,
  'Driving Range', 'confirmed', 'Bay 3'),
 ('BK4', '{C2}', 'Anna Smith', NULL, NULL, '2026-01-13', 'later', 1.0, 1,
  'Driving Range', 'confirmed', 'Bay 1');
INSERT INTO backoffice.packages (id, customer_name, package_type_id, purchase_date,
  first_use_date, expiration_date, customer_id, purchase_price, discount_percentage,
  discount_note) VALUES
 ('{P1}', 'Somchai Jaidee', 1, '2026-01-05', '2026-01-06', NULL, '{C1}', 5000, 10, 'new year'),
 ('{P2}', 'Anna Smith', 2, '2026-01-05', '2026-01-10', NULL, '{C2}', 9000, NULL, NULL),
 ('{P3}', 'Anna Smith', 3, '2026-01-20', NULL, NULL, '{C2}', 3000, NULL, NULL);
INSERT INTO backoffice.package_usage (id, package_id, employee_name, used_hours, used_date,
  booking_id, created_at, match_confidence) VALUES
 ('00000000-0000-4000-8000-0000000000b1', '{P1}', 'Nattaya', 2, '2026-01-06', NULL,
  '2026-01-06 10:00+07', 0.9),
 ('00000000-0000-4000-8000-0000000000b2', '{P2}', 'Nattaya', 3, '2026-01-10', 'BK1',
  '2026-01-10 10:00+07', NULL),
 ('00000000-0000-4000-8000-0000000000b3', '{P2}', 'Nattaya', 1.5, '2026-01-15', NULL,
  '2026-01-15 10:00+07', NULL),
 ('00000000-0000-4000-8000-0000000000b4', '{P2}', 'Nattaya', 1, '2026-01-20', NULL,
  '2026-01-20 10:00+07', NULL),
 ('00000000-0000-4000-8000-0000000000b5', '{P1}', 'Nattaya', 1, '2026-01-13', 'BK4',
  '2026-01-13 10:00+07', NULL);
INSERT INTO backoffice.coach_rates VALUES ('Coaching 5', 600), ('Individual, 1 PAX', 800);
INSERT INTO pos.lengolf_sales (id, date, sales_timestamp, receipt_number, sku_number, item_cnt,
  item_price_incl_vat, is_voided, customer_name, product_name, product_category,
  payment_method) VALUES
 (1, '2026-01-10', '2026-01-10 05:00:00', 'R001', 'RST-001', 2, 240.00, NULL, 'Somchai',
  'Pad Thai', 'Food', 'cash'),
 (2, '2026-01-10', '2026-01-10 05:05:00', 'R001', '-', 1, 1500.00, false, 'Somchai',
  'Bay rental', 'Bay', 'cash'),
 (3, '2026-01-11', '2026-01-11 06:00:00', 'R002', 'RST-002', 1, 90.00, true, 'Anna',
  'Iced tea', 'Drink', 'card');
INSERT INTO pos.lengolf_sales_voided_archive (id, date, sales_timestamp, receipt_number,
  sku_number, item_cnt, item_price_incl_vat, is_voided, product_name, voided_at) VALUES
 (1000, '2026-02-01', '2026-02-01 07:00:00', 'R900', 'RST-003', 1, 120.00, NULL, 'Som tam',
  now());
INSERT INTO backoffice.audit_logs (id, user_email, action, resource_type, resource_id, details,
  "timestamp") VALUES
 ('00000000-0000-4000-8000-00000000aa01', 'admin@studio.example', 'VIEW', 'payroll', '2026-01',
  '{{}}', '2026-01-31 10:00+07');
INSERT INTO backoffice.audit_logs (id, "timestamp", action_type, changed_by_type,
  changed_by_identifier, old_data_snapshot, new_data_snapshot, reason) VALUES
 ('00000000-0000-4000-8000-00000000aa02', '2026-01-15 10:00+07', 'pin_changed', 'admin',
  'admin@studio.example',
  '{{"id": 1, "clear_pin": "{CLEAR_PINS[0]}", "pin_hash": "x", "staff_name": "Nattaya"}}',
  '{{"id": 1, "clear_pin": "999999", "pin_hash": "y", "staff_name": "Nattaya"}}', 'forgot PIN');
INSERT INTO backoffice.audit_logs (id, "timestamp") VALUES
 ('00000000-0000-4000-8000-00000000aa03', '2026-01-16 10:00+07');
INSERT INTO backoffice.reconciliation_sessions (id, admin_user_id, reconciliation_type, file_name,
  date_range_start, date_range_end, total_invoice_items, total_pos_records, matched_items,
  match_rate, variance_amount, status, total_invoice_amount, total_pos_amount,
  variance_percentage, error_message, created_at, completed_at) VALUES
 ('{S1}', '{ADMIN_ID}', 'restaurant', 'supplier-jan.xlsx', '2026-01-01', '2026-01-31', 2, 2, 1,
  50.00, 150.00, 'completed', 1650.00, 1500.00, 9.09, NULL, '2026-02-01 10:00+07',
  '2026-02-01 10:01+07'),
 ('{S2}', '{ADMIN_ID}', 'restaurant', 'supplier-feb.csv', '2026-02-01', '2026-02-28', 0, 0, 0,
  NULL, NULL, 'failed', NULL, NULL, NULL, 'no date column in the file', '2026-03-01 10:00+07',
  NULL),
 ('{S3}', NULL, 'restaurant', 'old.xlsx', '2025-12-01', '2025-12-31', 1, 1, 1, 100, 0,
  'cancelled', 90, 90, 0, NULL, '2026-01-02 10:00+07', NULL);
INSERT INTO backoffice.reconciliation_items (id, session_id, item_type, match_type, confidence,
  invoice_data, pos_data, amount_variance, quantity_variance, status, resolution_notes,
  resolved_by, resolved_at, created_at) VALUES
 ('00000000-0000-4000-8000-0000000000f1', '{S1}', 'matched', 'exact', 0.95,
  '{{"description": "Pad Thai", "amount": 240}}', '{{"receipt_number": "R001", "amount": 240}}',
  0, 0, 'approved', 'same day, same amount', 'admin@studio.example', '2026-02-02 09:00+07',
  '2026-02-01 10:01+07'),
 ('00000000-0000-4000-8000-0000000000f2', '{S1}', 'invoice_only', NULL, NULL,
  '{{"description": "Bay rental", "amount": 1650}}', NULL, 1650, 1, 'disputed',
  'the supplier billed it twice', 'admin@studio.example', '2026-02-02 09:05+07',
  '2026-02-01 10:01+07'),
 ('00000000-0000-4000-8000-0000000000f3', '{S1}', 'pos_only', NULL, NULL, NULL,
  '{{"receipt_number": "R001", "amount": 1500}}', -1500, -1, 'unresolved', NULL, NULL, NULL,
  '2026-02-01 10:01+07'),
 ('00000000-0000-4000-8000-0000000000f4', '{S3}', 'matched', 'exact', 1, NULL, NULL, 0, 0,
  'approved', NULL, 'admin@studio.example', '2026-01-02 11:00+07', '2026-01-02 10:00+07');
INSERT INTO backoffice.staff_audit_log (id, staff_id, action_type, changed_by_type,
  changed_by_identifier, old_data_snapshot, new_data_snapshot, created_at) VALUES
 (1, 1, 'pin_changed', 'admin', 'admin@studio.example',
  '{{"clear_pin": "{CLEAR_PINS[0]}", "staff_name": "Nattaya"}}',
  '{{"clear_pin": "999999", "staff_name": "Nattaya"}}', '2026-01-15 10:00+07');
"""


def admin_url() -> sa.engine.URL:
    return database.database_url().set(database="postgres")


def libpq(url: sa.engine.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def insert_entries(connection: psycopg.Connection, entries) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO backoffice.time_entries (id, staff_id, action, \"timestamp\")"
            " VALUES (%s, %s, %s, (%s::timestamp AT TIME ZONE 'Asia/Bangkok'))", entries)
        cursor.execute("SELECT setval('backoffice.time_entries_id_seq',"
                       " (SELECT max(id) FROM backoffice.time_entries))")


@contextlib.contextmanager
def live_database(*, rows: bool = True):
    """A live-shaped database of its own (dropped afterwards); yields its SQLAlchemy URL."""
    name = f"live_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = sa.create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url().set(database=name)
    try:
        with psycopg.connect(libpq(url), autocommit=True) as connection:
            connection.execute(LIVE_DDL)
            if rows:
                connection.execute(LIVE_ROWS)
                insert_entries(connection, ENTRIES)
        yield url
    finally:
        with engine.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def run_live(url: sa.engine.URL, sql: str, params=None) -> None:
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        connection.execute(sql, params)
