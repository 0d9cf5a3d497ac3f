"""foundation schema: the 21 tables, the tables read from other systems, triggers and views

Revision ID: 0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backoffice_lib.migrations.rules_0001 import RULES_SQL

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

def _has_table(table: str, schema: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(table, schema=schema)


def _mark_created_here(qualified: str) -> None:
    # The booking system and the POS own these tables in the studio; the mark tells downgrade that
    # this workbench made them and may drop them.
    op.execute(
        sa.text("INSERT INTO backoffice.owned_external_tables VALUES (:t)").bindparams(t=qualified)
    )


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS backoffice")
    op.execute("CREATE SCHEMA IF NOT EXISTS pos")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "owned_external_tables",
        sa.Column("qualified_name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("qualified_name", name=op.f("pk_owned_external_tables")),
        schema="backoffice",
    )
    op.create_table('allowed_users',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), server_default=sa.text('false'), nullable=True),
    sa.Column('is_coach', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('coach_name', sa.Text(), nullable=True),
    sa.Column('coach_display_name', sa.Text(), nullable=True),
    sa.Column('coach_phone', sa.Text(), nullable=True),
    sa.Column('coach_code', sa.Text(), nullable=True),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allowed_users')),
    sa.UniqueConstraint('coach_code', name=op.f('uq_allowed_users_coach_code')),
    sa.UniqueConstraint('email', name=op.f('uq_allowed_users_email')),
    schema='backoffice'
    )
    op.create_table('audit_logs',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('user_email', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('resource_type', sa.Text(), nullable=False),
    sa.Column('resource_id', sa.Text(), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=True),
    sa.Column('ip_address', sa.Text(), nullable=True),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('timestamp', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_logs')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_audit_logs_resource_type_resource_id'), 'audit_logs', ['resource_type', 'resource_id'], unique=False, schema='backoffice')
    op.create_index(op.f('ix_audit_logs_timestamp'), 'audit_logs', ['timestamp'], unique=False, schema='backoffice')
    op.create_index(op.f('ix_audit_logs_user_email_timestamp'), 'audit_logs', ['user_email', 'timestamp'], unique=False, schema='backoffice')
    op.create_table('coach_rates',
    sa.Column('rate_type', sa.Text(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.CheckConstraint('rate >= 0', name=op.f('ck_coach_rates_rate_not_negative')),
    sa.PrimaryKeyConstraint('rate_type', name=op.f('pk_coach_rates')),
    schema='backoffice'
    )
    op.create_table('invoice_settings',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_invoice_settings')),
    schema='backoffice'
    )
    op.create_table('invoice_suppliers',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('address_line1', sa.Text(), nullable=True),
    sa.Column('address_line2', sa.Text(), nullable=True),
    sa.Column('tax_id', sa.Text(), nullable=True),
    sa.Column('default_description', sa.Text(), nullable=True),
    sa.Column('default_unit_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('bank_name', sa.Text(), nullable=True),
    sa.Column('bank_account', sa.Text(), nullable=True),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_suppliers')),
    sa.UniqueConstraint('tax_id', name=op.f('uq_invoice_suppliers_tax_id')),
    schema='backoffice'
    )
    op.create_table('monthly_service_charge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month_year', sa.Text(), nullable=False),
    sa.Column('total_amount', sa.Numeric(precision=12, scale=2), server_default=sa.text('0'), nullable=False),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.CheckConstraint("month_year ~ '^\\d{4}-(0[1-9]|1[0-2])$'", name=op.f('ck_monthly_service_charge_month_year_format')),
    sa.CheckConstraint('total_amount >= 0', name=op.f('ck_monthly_service_charge_total_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_service_charge')),
    sa.UniqueConstraint('month_year', name=op.f('uq_monthly_service_charge_month_year')),
    schema='backoffice'
    )
    op.create_table('package_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('display_name', sa.String(), nullable=True),
    sa.Column('type', sa.Enum('Monthly', 'Coaching', 'Unlimited', name='package_type', schema='backoffice'), nullable=True),
    sa.Column('hours', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('validity_period', sa.Interval(), nullable=True),
    sa.Column('pax', sa.SmallInteger(), nullable=True),
    sa.Column('display_order', sa.SmallInteger(), nullable=True),
    sa.CheckConstraint('hours IS NULL OR hours > 0', name=op.f('ck_package_types_hours_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package_types')),
    sa.UniqueConstraint('name', name=op.f('uq_package_types_name')),
    schema='backoffice'
    )
    op.create_table('payroll_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('setting_key', sa.Text(), nullable=False),
    sa.Column('setting_value', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payroll_settings')),
    sa.UniqueConstraint('setting_key', name=op.f('uq_payroll_settings_setting_key')),
    schema='backoffice'
    )
    op.create_table('public_holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holiday_date', sa.Date(), nullable=False),
    sa.Column('holiday_name', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_holidays')),
    sa.UniqueConstraint('holiday_date', name=op.f('uq_public_holidays_holiday_date')),
    schema='backoffice'
    )
    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_name', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.Text(), nullable=True),
    sa.Column('pin_hash', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=True),
    sa.Column('is_service_charge_eligible', sa.Boolean(), server_default=sa.text('false'), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), server_default=sa.text('0'), nullable=True),
    sa.Column('locked_until', postgresql.TIMESTAMP(timezone=True), nullable=True),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.CheckConstraint('failed_attempts >= 0', name=op.f('ck_staff_failed_attempts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('staff_id', name=op.f('uq_staff_staff_id')),
    schema='backoffice'
    )
    if not _has_table('sales', 'pos'):
        op.create_table('sales',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('receipt_number', sa.Text(), nullable=True),
        sa.Column('sale_date', sa.Date(), nullable=True),
        sa.Column('sale_time', postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column('customer_id', sa.UUID(), nullable=True),
        sa.Column('customer_name', sa.Text(), nullable=True),
        sa.Column('product_name', sa.Text(), nullable=True),
        sa.Column('product_category', sa.Text(), nullable=True),
        sa.Column('sku_number', sa.Text(), nullable=True),
        sa.Column('item_cnt', sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column('item_price_incl_vat', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('is_voided', sa.Boolean(), server_default=sa.text('false'), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sales')),
        schema='pos'
        )
        op.create_index(op.f('ix_sales_sale_date_sku_number'), 'sales', ['sale_date', 'sku_number'], unique=False, schema='pos')
        _mark_created_here('pos.sales')
    if not _has_table('customers', 'public'):
        op.create_table('customers',
        sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('customer_code', sa.Text(), nullable=True),
        sa.Column('customer_name', sa.Text(), nullable=False),
        sa.Column('contact_number', sa.Text(), nullable=True),
        sa.Column('email', sa.Text(), nullable=True),
        sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=True),
        sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
        sa.UniqueConstraint('customer_code', name=op.f('uq_customers_customer_code')),
        schema='public'
        )
        _mark_created_here('public.customers')
    op.create_table('invoices',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('invoice_number', sa.String(), nullable=False),
    sa.Column('supplier_id', sa.UUID(), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=12, scale=2), server_default=sa.text('0'), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), server_default=sa.text('3.00'), nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=12, scale=2), server_default=sa.text('0'), nullable=False),
    sa.Column('total_amount', sa.Numeric(precision=12, scale=2), server_default=sa.text('0'), nullable=False),
    sa.Column('pdf_file_path', sa.Text(), nullable=True),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('updated_by', sa.UUID(), nullable=True),
    sa.Column('status', sa.Text(), server_default=sa.text("'issued'"), nullable=False),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'issued', 'void')", name=op.f('ck_invoices_status_known')),
    sa.CheckConstraint('subtotal >= 0 AND tax_amount >= 0 AND total_amount >= 0', name=op.f('ck_invoices_amounts_not_negative')),
    sa.CheckConstraint('tax_rate >= 0 AND tax_rate <= 100', name=op.f('ck_invoices_tax_rate_percent')),
    sa.ForeignKeyConstraint(['created_by'], ['backoffice.allowed_users.id'], name=op.f('fk_invoices_created_by_allowed_users')),
    sa.ForeignKeyConstraint(['supplier_id'], ['backoffice.invoice_suppliers.id'], name=op.f('fk_invoices_supplier_id_invoice_suppliers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by'], ['backoffice.allowed_users.id'], name=op.f('fk_invoices_updated_by_allowed_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('invoice_number', name=op.f('uq_invoices_invoice_number')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_invoices_supplier_id'), 'invoices', ['supplier_id'], unique=False, schema='backoffice')
    op.create_table('packages',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('customer_name', sa.String(), nullable=False),
    sa.Column('package_type_id', sa.Integer(), nullable=False),
    sa.Column('purchase_date', sa.Date(), nullable=False),
    sa.Column('first_use_date', sa.Date(), nullable=True),
    sa.Column('expiration_date', sa.Date(), nullable=True),
    sa.Column('employee_name', sa.String(), nullable=True),
    sa.Column('stable_hash_id', sa.String(), nullable=True),
    sa.Column('customer_id', sa.UUID(), nullable=True),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('discount_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.CheckConstraint('discount_amount IS NULL OR discount_amount >= 0', name=op.f('ck_packages_discount_not_negative')),
    sa.ForeignKeyConstraint(['customer_id'], ['public.customers.id'], name=op.f('fk_packages_customer_id_customers')),
    sa.ForeignKeyConstraint(['package_type_id'], ['backoffice.package_types.id'], name=op.f('fk_packages_package_type_id_package_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packages')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_packages_customer_id_expiration_date'), 'packages', ['customer_id', 'expiration_date'], unique=False, schema='backoffice')
    op.create_table('reconciliation_sessions',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('admin_user_id', sa.UUID(), nullable=True),
    sa.Column('reconciliation_type', sa.Text(), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('date_range_start', sa.Date(), nullable=False),
    sa.Column('date_range_end', sa.Date(), nullable=False),
    sa.Column('total_invoice_items', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('total_pos_records', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('matched_items', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('match_rate', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('variance_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('status', sa.Text(), server_default=sa.text("'processing'"), nullable=False),
    sa.Column('total_invoice_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('total_pos_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('variance_percentage', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.Column('completed_at', postgresql.TIMESTAMP(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('processing', 'completed', 'failed')", name=op.f('ck_reconciliation_sessions_status_known')),
    sa.ForeignKeyConstraint(['admin_user_id'], ['backoffice.allowed_users.id'], name=op.f('fk_reconciliation_sessions_admin_user_id_allowed_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_sessions')),
    schema='backoffice'
    )
    op.create_table('staff_audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('action_type', sa.Text(), nullable=False),
    sa.Column('changed_by_type', sa.Text(), nullable=False),
    sa.Column('changed_by_identifier', sa.Text(), nullable=False),
    sa.Column('changes_summary', sa.Text(), nullable=True),
    sa.Column('old_data_snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('new_data_snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.CheckConstraint("action_type IN ('created', 'updated', 'pin_changed', 'activated', 'deactivated', 'locked', 'unlocked', 'deleted')", name=op.f('ck_staff_audit_log_action_type_known')),
    sa.CheckConstraint("changed_by_type IN ('admin', 'system')", name=op.f('ck_staff_audit_log_changed_by_type_known')),
    sa.ForeignKeyConstraint(['staff_id'], ['backoffice.staff.id'], name=op.f('fk_staff_audit_log_staff_id_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_audit_log')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_staff_audit_log_staff_id_created_at'), 'staff_audit_log', ['staff_id', 'created_at'], unique=False, schema='backoffice')
    op.create_table('staff_compensation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('compensation_type', sa.Text(), server_default=sa.text("'salary'"), nullable=True),
    sa.Column('base_salary', sa.Numeric(precision=12, scale=2), server_default=sa.text('0'), nullable=False),
    sa.Column('hourly_rate', sa.Numeric(precision=12, scale=2), server_default=sa.text('0'), nullable=True),
    sa.Column('ot_rate_per_hour', sa.Numeric(precision=12, scale=2), server_default=sa.text('0'), nullable=False),
    sa.Column('holiday_rate_per_hour', sa.Numeric(precision=12, scale=2), server_default=sa.text('0'), nullable=False),
    sa.Column('is_service_charge_eligible', sa.Boolean(), server_default=sa.text('false'), nullable=True),
    sa.Column('min_hours_for_allowance', sa.Integer(), server_default=sa.text('6'), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.CheckConstraint("compensation_type <> 'hourly' OR hourly_rate > 0", name=op.f('ck_staff_compensation_hourly_has_hourly_rate')),
    sa.CheckConstraint("compensation_type <> 'salary' OR base_salary > 0", name=op.f('ck_staff_compensation_salary_has_base_salary')),
    sa.CheckConstraint("compensation_type IN ('salary', 'hourly')", name=op.f('ck_staff_compensation_type_known')),
    sa.CheckConstraint('base_salary >= 0 AND coalesce(hourly_rate, 0) >= 0 AND ot_rate_per_hour >= 0 AND holiday_rate_per_hour >= 0', name=op.f('ck_staff_compensation_rates_not_negative')),
    sa.CheckConstraint('effective_to IS NULL OR effective_to >= effective_from', name=op.f('ck_staff_compensation_period_ordered')),
    sa.CheckConstraint('min_hours_for_allowance IS NULL OR min_hours_for_allowance >= 0', name=op.f('ck_staff_compensation_min_hours_not_negative')),
    sa.ForeignKeyConstraint(['staff_id'], ['backoffice.staff.id'], name=op.f('fk_staff_compensation_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_compensation')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_staff_compensation_staff_id'), 'staff_compensation', ['staff_id'], unique=False, schema='backoffice')
    op.create_table('staff_schedules',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('schedule_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_staff_schedules_ends_after_start')),
    sa.ForeignKeyConstraint(['staff_id'], ['backoffice.staff.id'], name=op.f('fk_staff_schedules_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_schedules')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_staff_schedules_staff_id_schedule_date'), 'staff_schedules', ['staff_id', 'schedule_date'], unique=False, schema='backoffice')
    op.create_table('staff_weekly_schedules',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('day_of_week', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=True),
    sa.CheckConstraint('day_of_week BETWEEN 0 AND 6', name=op.f('ck_staff_weekly_schedules_day_of_week_0_to_6')),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_staff_weekly_schedules_ends_after_start')),
    sa.ForeignKeyConstraint(['staff_id'], ['backoffice.staff.id'], name=op.f('fk_staff_weekly_schedules_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_weekly_schedules')),
    schema='backoffice'
    )
    op.create_table('time_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('timestamp', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('photo_url', sa.Text(), nullable=True),
    sa.Column('photo_captured', sa.Boolean(), server_default=sa.text('false'), nullable=True),
    sa.Column('camera_error', sa.Text(), nullable=True),
    sa.Column('device_info', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.CheckConstraint("action IN ('clock_in', 'clock_out')", name=op.f('ck_time_entries_action_known')),
    sa.ForeignKeyConstraint(['staff_id'], ['backoffice.staff.id'], name=op.f('fk_time_entries_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_entries')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_time_entries_staff_id_timestamp'), 'time_entries', ['staff_id', 'timestamp'], unique=False, schema='backoffice')
    if not _has_table('bookings', 'public'):
        op.create_table('bookings',
        sa.Column('id', sa.Text(), nullable=False),
        sa.Column('customer_id', sa.UUID(), nullable=True),
        sa.Column('customer_name', sa.Text(), nullable=True),
        sa.Column('date', sa.Date(), nullable=True),
        sa.Column('start_time', sa.Time(), nullable=True),
        sa.Column('duration', sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column('number_of_people', sa.SmallInteger(), nullable=True),
        sa.Column('booking_type', sa.Text(), nullable=True),
        sa.Column('status', sa.Text(), nullable=True),
        sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['public.customers.id'], name=op.f('fk_bookings_customer_id_customers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
        schema='public'
        )
        op.create_index(op.f('ix_bookings_date'), 'bookings', ['date'], unique=False, schema='public')
        _mark_created_here('public.bookings')
    op.create_table('invoice_items',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('invoice_id', sa.UUID(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=2), server_default=sa.text('1'), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('line_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint('quantity >= 0 AND unit_price >= 0 AND line_total >= 0', name=op.f('ck_invoice_items_amounts_not_negative')),
    sa.ForeignKeyConstraint(['invoice_id'], ['backoffice.invoices.id'], name=op.f('fk_invoice_items_invoice_id_invoices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_items')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_invoice_items_invoice_id'), 'invoice_items', ['invoice_id'], unique=False, schema='backoffice')
    op.create_table('package_usage',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('package_id', sa.UUID(), nullable=False),
    sa.Column('employee_name', sa.String(), nullable=False),
    sa.Column('used_hours', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('used_date', sa.Date(), nullable=False),
    sa.Column('customer_signature_path', sa.Text(), nullable=True),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('booking_id', sa.Text(), nullable=True),
    sa.CheckConstraint('used_hours > 0', name=op.f('ck_package_usage_used_hours_positive')),
    sa.ForeignKeyConstraint(['booking_id'], ['public.bookings.id'], name=op.f('fk_package_usage_booking_id_bookings')),
    sa.ForeignKeyConstraint(['package_id'], ['backoffice.packages.id'], name=op.f('fk_package_usage_package_id_packages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package_usage')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_package_usage_booking_id')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_package_usage_package_id_used_date'), 'package_usage', ['package_id', 'used_date'], unique=False, schema='backoffice')
    op.create_table('reconciliation_items',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('session_id', sa.UUID(), nullable=False),
    sa.Column('item_type', sa.Text(), nullable=False),
    sa.Column('match_type', sa.Text(), nullable=True),
    sa.Column('confidence', sa.Numeric(precision=3, scale=2), nullable=True),
    sa.Column('invoice_data', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('pos_data', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('amount_variance', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('quantity_variance', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('status', sa.Text(), server_default=sa.text("'unresolved'"), nullable=False),
    sa.Column('resolution_notes', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.Text(), nullable=True),
    sa.Column('resolved_at', postgresql.TIMESTAMP(timezone=True), nullable=True),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.CheckConstraint("item_type IN ('matched', 'invoice_only', 'pos_only')", name=op.f('ck_reconciliation_items_item_type_known')),
    sa.CheckConstraint("status IN ('unresolved', 'approved', 'disputed', 'adjusted')", name=op.f('ck_reconciliation_items_status_known')),
    sa.CheckConstraint('confidence IS NULL OR confidence BETWEEN 0 AND 1', name=op.f('ck_reconciliation_items_confidence_0_1')),
    sa.ForeignKeyConstraint(['session_id'], ['backoffice.reconciliation_sessions.id'], name=op.f('fk_reconciliation_items_session_id_reconciliation_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_items')),
    schema='backoffice'
    )
    op.create_index(op.f('ix_reconciliation_items_session_id'), 'reconciliation_items', ['session_id'], unique=False, schema='backoffice')
    for statement in RULES_SQL:
        op.execute(statement)


def downgrade() -> None:
    owned = set(
        op.get_bind().scalars(sa.text("SELECT qualified_name FROM backoffice.owned_external_tables"))
    )
    op.execute("DROP SCHEMA backoffice CASCADE")
    for qualified in ("public.bookings", "public.customers", "pos.sales"):
        if qualified in owned:
            op.execute(f"DROP TABLE {qualified} CASCADE")
    op.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n"
        " ON n.oid = c.relnamespace WHERE n.nspname = 'pos') THEN DROP SCHEMA IF EXISTS pos;"
        " END IF; END $$"
    )

