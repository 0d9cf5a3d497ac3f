"""payroll: payroll_runs and the lock on a finalised month (business-rules §3.3)

A finalised month's time entries and compensation can be changed only by an admin with a reason:
the transaction's ``backoffice.actor`` (set by audit.act_as) must be an admin in allowed_users and
``backoffice.reason`` must be non-empty.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LOCK_SQL = [
    # Is the business date's month, or the month in which its Sunday–Saturday week ends (whose
    # overtime it feeds), finalised?
    """
    CREATE FUNCTION backoffice.payroll_date_is_finalised(business_date date) RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT EXISTS (
        SELECT 1 FROM backoffice.payroll_runs r
         WHERE r.status = 'finalised'
           AND r.month IN (
             to_char(business_date, 'YYYY-MM'),
             to_char(business_date + (6 - extract(dow FROM business_date)::int), 'YYYY-MM')))
    $$
    """,
    # Does [from_date, to_date] (to_date null: open-ended) overlap a finalised month?
    """
    CREATE FUNCTION backoffice.payroll_period_is_finalised(period_from date, period_to date)
    RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT period_from <= coalesce(period_to, 'infinity'::date) AND EXISTS (
        SELECT 1 FROM backoffice.payroll_runs r
         WHERE r.status = 'finalised'
           AND to_date(r.month || '-01', 'YYYY-MM-DD') <= coalesce(period_to, 'infinity'::date)
           AND (to_date(r.month || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date
               >= period_from)
    $$
    """,
    # An admin acting with a reason (audit.act_as) may change a finalised month.
    """
    CREATE FUNCTION backoffice.payroll_lock_bypassed() RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(current_setting('backoffice.reason', true), '') <> ''
         AND EXISTS (
           SELECT 1 FROM backoffice.allowed_users u
            WHERE lower(u.email) = lower(coalesce(current_setting('backoffice.actor', true), ''))
              AND u.is_admin)
    $$
    """,
    """
    CREATE FUNCTION backoffice.guard_finalised_payroll_time_entries() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      touched date;
    BEGIN
      IF TG_OP = 'UPDATE' AND NEW.staff_id IS NOT DISTINCT FROM OLD.staff_id
         AND NEW.action IS NOT DISTINCT FROM OLD.action
         AND NEW.timestamp IS NOT DISTINCT FROM OLD.timestamp THEN
        RETURN NEW;  -- photo or device details only: pay is unchanged
      END IF;
      IF TG_OP IN ('UPDATE', 'DELETE')
         AND backoffice.payroll_date_is_finalised((OLD.timestamp AT TIME ZONE 'Asia/Bangkok')::date) THEN
        touched := (OLD.timestamp AT TIME ZONE 'Asia/Bangkok')::date;
      ELSIF TG_OP IN ('UPDATE', 'INSERT')
         AND backoffice.payroll_date_is_finalised((NEW.timestamp AT TIME ZONE 'Asia/Bangkok')::date) THEN
        touched := (NEW.timestamp AT TIME ZONE 'Asia/Bangkok')::date;
      END IF;
      IF touched IS NOT NULL AND NOT backoffice.payroll_lock_bypassed() THEN
        RAISE EXCEPTION 'payroll for the month of % is finalised: only an admin with a reason may change its time entries', touched
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER time_entries_payroll_lock
      BEFORE INSERT OR UPDATE OR DELETE ON backoffice.time_entries
      FOR EACH ROW EXECUTE FUNCTION backoffice.guard_finalised_payroll_time_entries()
    """,
    """
    CREATE FUNCTION backoffice.guard_finalised_payroll_compensation() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      locked boolean := false;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        locked := backoffice.payroll_period_is_finalised(NEW.effective_from, NEW.effective_to);
      ELSIF TG_OP = 'DELETE' THEN
        locked := backoffice.payroll_period_is_finalised(OLD.effective_from, OLD.effective_to);
      ELSIF (NEW.staff_id, NEW.compensation_type, NEW.base_salary, NEW.hourly_rate,
             NEW.ot_rate_per_hour, NEW.holiday_rate_per_hour, NEW.is_service_charge_eligible,
             NEW.min_hours_for_allowance, NEW.effective_from)
            IS DISTINCT FROM
            (OLD.staff_id, OLD.compensation_type, OLD.base_salary, OLD.hourly_rate,
             OLD.ot_rate_per_hour, OLD.holiday_rate_per_hour, OLD.is_service_charge_eligible,
             OLD.min_hours_for_allowance, OLD.effective_from) THEN
        locked := backoffice.payroll_period_is_finalised(OLD.effective_from, OLD.effective_to)
               OR backoffice.payroll_period_is_finalised(NEW.effective_from, NEW.effective_to);
      ELSIF NEW.effective_to IS DISTINCT FROM OLD.effective_to THEN
        -- Only the end moved: the dates between the old and the new end change.
        locked := backoffice.payroll_period_is_finalised(
          least(coalesce(OLD.effective_to, 'infinity'::date),
                coalesce(NEW.effective_to, 'infinity'::date)) + 1,
          CASE WHEN OLD.effective_to IS NULL OR NEW.effective_to IS NULL THEN NULL
               ELSE greatest(OLD.effective_to, NEW.effective_to) END);
      END IF;
      IF locked AND NOT backoffice.payroll_lock_bypassed() THEN
        RAISE EXCEPTION 'compensation of staff % covers a finalised payroll month: only an admin with a reason may change it',
          coalesce(NEW.staff_id, OLD.staff_id) USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER staff_compensation_payroll_lock
      BEFORE INSERT OR UPDATE OR DELETE ON backoffice.staff_compensation
      FOR EACH ROW EXECUTE FUNCTION backoffice.guard_finalised_payroll_compensation()
    """,
]


def upgrade() -> None:
    op.create_table(
        "payroll_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'draft'"), nullable=False),
        sa.Column("checksum", sa.Text(), nullable=False),
        sa.Column("people", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_pay", sa.Numeric(12, 2), server_default=sa.text("0"), nullable=False),
        sa.Column("totals", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("service_charge", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("blocking_errors", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("review_flags", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("run_folder", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True),
                  server_default=sa.text("now()"), nullable=False),
        sa.Column("finalised_by", sa.Text(), nullable=True),
        sa.Column("finalised_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.CheckConstraint(
            r"month ~ '^\d{4}-(0[1-9]|1[0-2])$'", name=op.f("ck_payroll_runs_month_format")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'finalised')", name=op.f("ck_payroll_runs_status_known")
        ),
        sa.CheckConstraint(
            "status <> 'finalised' OR (finalised_by IS NOT NULL AND finalised_at IS NOT NULL)",
            name=op.f("ck_payroll_runs_finalised_has_who_and_when"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payroll_runs")),
        schema="backoffice",
    )
    op.create_index(
        op.f("ix_payroll_runs_month_created_at"),
        "payroll_runs",
        ["month", "created_at"],
        unique=False,
        schema="backoffice",
    )
    op.create_index(
        "uq_payroll_runs_one_finalised_month",
        "payroll_runs",
        ["month"],
        unique=True,
        schema="backoffice",
        postgresql_where=sa.text("status = 'finalised'"),
    )
    for statement in LOCK_SQL:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS staff_compensation_payroll_lock ON backoffice.staff_compensation")
    op.execute("DROP TRIGGER IF EXISTS time_entries_payroll_lock ON backoffice.time_entries")
    op.execute("DROP FUNCTION IF EXISTS backoffice.guard_finalised_payroll_compensation()")
    op.execute("DROP FUNCTION IF EXISTS backoffice.guard_finalised_payroll_time_entries()")
    op.execute("DROP FUNCTION IF EXISTS backoffice.payroll_lock_bypassed()")
    op.execute("DROP FUNCTION IF EXISTS backoffice.payroll_period_is_finalised(date, date)")
    op.execute("DROP FUNCTION IF EXISTS backoffice.payroll_date_is_finalised(date)")
    op.drop_index("uq_payroll_runs_one_finalised_month", table_name="payroll_runs",
                  schema="backoffice")
    op.drop_index(op.f("ix_payroll_runs_month_created_at"), table_name="payroll_runs",
                  schema="backoffice")
    op.drop_table("payroll_runs", schema="backoffice")
