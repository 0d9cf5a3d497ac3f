"""The live system's tables as ``live-system.md`` describes them (more columns, fewer rules), as
DDL. The tests and the benchmark build a live-shaped database from it; it documents what the
importer expects. It is never run against the workbench's own database.
"""

from __future__ import annotations

from ..rules.archive import LIVE_SCHEMAS  # noqa: F401 - the schemas the DDL creates

# The schemas a dump of the live system restores; the live shape holds tables, their sequences,
# defaults, constraints and indexes, and one enum type: no function, procedure, aggregate,
# operator, trigger or extension (``archive.py`` refuses a dump that would create one).

LIVE_DDL = r"""
CREATE SCHEMA IF NOT EXISTS backoffice;
CREATE SCHEMA IF NOT EXISTS pos;
CREATE TYPE backoffice.package_type AS ENUM ('Monthly', 'Coaching', 'Unlimited');
CREATE TABLE backoffice.allowed_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL,
  is_admin boolean DEFAULT false, is_coach boolean NOT NULL DEFAULT false, coach_name text,
  coach_display_name text, coach_phone text, coach_code text,
  created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now(),
  display_name text, is_staff boolean, coach_experience_years integer, coach_specialties text[],
  is_active_coach boolean);
CREATE TABLE backoffice.staff (
  id serial PRIMARY KEY, staff_name text NOT NULL, staff_id text, pin_hash text NOT NULL,
  clear_pin text, is_active boolean DEFAULT true, is_service_charge_eligible boolean DEFAULT false,
  failed_attempts integer DEFAULT 0, locked_until timestamp, created_at timestamp DEFAULT now(),
  updated_at timestamp DEFAULT now());
CREATE TABLE backoffice.time_entries (
  id serial PRIMARY KEY, staff_id integer REFERENCES backoffice.staff, action text NOT NULL,
  "timestamp" timestamptz NOT NULL DEFAULT now(), photo_url text, photo_captured boolean DEFAULT false,
  camera_error text, device_info jsonb, created_at timestamptz DEFAULT now());
CREATE TABLE backoffice.staff_compensation (
  id serial PRIMARY KEY, staff_id integer NOT NULL REFERENCES backoffice.staff,
  compensation_type text DEFAULT 'salary', base_salary numeric NOT NULL DEFAULT 0,
  hourly_rate numeric DEFAULT 0, ot_rate_per_hour numeric NOT NULL DEFAULT 0,
  holiday_rate_per_hour numeric NOT NULL DEFAULT 0, is_service_charge_eligible boolean DEFAULT false,
  min_hours_for_allowance integer DEFAULT 6, effective_from date NOT NULL, effective_to date,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE backoffice.staff_schedules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), staff_id integer NOT NULL, schedule_date date NOT NULL,
  start_time time NOT NULL, end_time time NOT NULL, location text, notes text, created_by text,
  is_recurring boolean DEFAULT false, recurring_group_id uuid, created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now());
CREATE TABLE backoffice.staff_weekly_schedules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), staff_id integer NOT NULL, day_of_week integer NOT NULL,
  start_time time NOT NULL, end_time time NOT NULL, location text, is_active boolean DEFAULT true,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(), created_by text);
CREATE TABLE backoffice.public_holidays (
  id serial PRIMARY KEY, holiday_date date NOT NULL, holiday_name text NOT NULL,
  is_active boolean DEFAULT true, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE backoffice.monthly_service_charge (
  id serial PRIMARY KEY, month_year text NOT NULL, total_amount numeric NOT NULL DEFAULT 0,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE backoffice.payroll_settings (
  id serial PRIMARY KEY, setting_key text NOT NULL, setting_value text NOT NULL, description text,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE backoffice.audit_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_email text, action text, resource_type text,
  resource_id text, details jsonb DEFAULT '{}', ip_address text, user_agent text,
  "timestamp" timestamptz NOT NULL DEFAULT now(), created_at timestamptz DEFAULT now(),
  action_type text, changed_by_type text, changed_by_identifier text, old_data_snapshot jsonb,
  new_data_snapshot jsonb, reason text);
CREATE TABLE backoffice.staff_audit_log (
  id serial PRIMARY KEY, staff_id integer, action_type text NOT NULL, changed_by_type text NOT NULL,
  changed_by_identifier text NOT NULL, changes_summary text, old_data_snapshot jsonb,
  new_data_snapshot jsonb, reason text, created_at timestamptz DEFAULT now());
CREATE TABLE backoffice.package_types (
  id serial PRIMARY KEY, name varchar NOT NULL, display_name varchar, type backoffice.package_type,
  hours numeric, validity_period interval, pax smallint, display_order smallint);
CREATE TABLE backoffice.packages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), customer_name varchar NOT NULL,
  package_type_id integer NOT NULL, purchase_date date NOT NULL, first_use_date date,
  expiration_date date, employee_name varchar, stable_hash_id varchar, customer_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(), purchase_price numeric, discount_percentage numeric,
  applied_discount_id uuid, discount_note text, source_transaction_id text, auto_created boolean,
  last_modified_by text, modification_notes text);
CREATE TABLE backoffice.package_usage (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), package_id uuid NOT NULL,
  employee_name varchar NOT NULL, used_hours numeric NOT NULL, used_date date NOT NULL,
  customer_signature_path text, created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(), booking_id text, match_confidence numeric,
  modified_by text, modification_reason text);
CREATE TABLE backoffice.coach_rates (rate_type text PRIMARY KEY, rate numeric(10,2) NOT NULL);
CREATE TABLE backoffice.invoice_settings (key text PRIMARY KEY, value text NOT NULL,
  updated_at timestamptz DEFAULT now());
CREATE TABLE backoffice.invoice_suppliers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, address_line1 text,
  address_line2 text, tax_id text, default_description text, default_unit_price numeric(12,2),
  bank_name text, bank_account text, created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now());
CREATE TABLE backoffice.invoices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), invoice_number varchar NOT NULL, supplier_id uuid NOT NULL,
  invoice_date date NOT NULL, subtotal numeric NOT NULL DEFAULT 0, tax_rate numeric NOT NULL DEFAULT 3.00,
  tax_amount numeric NOT NULL DEFAULT 0, total_amount numeric NOT NULL DEFAULT 0, pdf_file_path text,
  created_by uuid, updated_by uuid, status text DEFAULT 'issued', created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now());
CREATE TABLE backoffice.invoice_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), invoice_id uuid NOT NULL, description text NOT NULL,
  quantity numeric NOT NULL DEFAULT 1, unit_price numeric NOT NULL, line_total numeric NOT NULL,
  created_at timestamptz DEFAULT now());
CREATE TABLE backoffice.reconciliation_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), admin_user_id uuid, reconciliation_type text NOT NULL,
  file_name text NOT NULL, date_range_start date NOT NULL, date_range_end date NOT NULL,
  total_invoice_items integer NOT NULL DEFAULT 0, total_pos_records integer NOT NULL DEFAULT 0,
  matched_items integer NOT NULL DEFAULT 0, match_rate numeric, variance_amount numeric,
  status text NOT NULL DEFAULT 'processing', total_invoice_amount numeric, total_pos_amount numeric,
  variance_percentage numeric, error_message text, created_at timestamptz DEFAULT now(),
  completed_at timestamptz);
CREATE TABLE backoffice.reconciliation_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), session_id uuid NOT NULL
  REFERENCES backoffice.reconciliation_sessions ON DELETE CASCADE, item_type text NOT NULL,
  match_type text, confidence numeric(3,2), invoice_data jsonb, pos_data jsonb,
  amount_variance numeric(12,2), quantity_variance numeric(12,2),
  status text NOT NULL DEFAULT 'unresolved', resolution_notes text, resolved_by text,
  resolved_at timestamptz, created_at timestamptz DEFAULT now());
CREATE TABLE public.customers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), customer_code text UNIQUE NOT NULL,
  customer_name text NOT NULL, contact_number text, email text, is_active boolean DEFAULT true,
  created_at timestamptz DEFAULT now(), address text, date_of_birth date, preferred_contact text,
  notes text, CHECK (contact_number IS NOT NULL OR email IS NOT NULL));
CREATE TABLE public.bookings (
  id text PRIMARY KEY, customer_id uuid, name text, email text, phone_number text, date date,
  start_time text, duration real, number_of_people smallint, booking_type text, status text,
  bay text, package_id uuid, user_id uuid, created_at timestamptz DEFAULT now());
CREATE TABLE pos.lengolf_sales (
  id bigserial PRIMARY KEY, date date, sales_timestamp timestamp, receipt_number text,
  sku_number text, item_cnt integer, item_price_incl_vat numeric, is_voided boolean,
  customer_id uuid, customer_name text, product_name text, product_category text,
  payment_method text, sales_net numeric, sales_total numeric, etl_source text,
  transaction_item_id text);
CREATE TABLE pos.lengolf_sales_voided_archive (LIKE pos.lengolf_sales, voided_at timestamptz);
"""
