"""analysts: is_analyst on allowed_users, secrets kept out of every audit row, audit_changes view

Revision ID: 0017
Revises: 0016

Issue 27 (analysts explore in JupyterLab):

- ``allowed_users.is_analyst`` (default false): with ``is_admin`` the only people who may start
  ``backoffice lab``.
- ``backoffice.jsonb_strip_keys(doc, keys)``: ``doc`` without those keys at any depth.
- Triggers ``audit_logs_scrub_secrets`` and ``staff_audit_log_scrub_secrets`` (BEFORE INSERT OR
  UPDATE): whoever writes an audit row (the library, a trigger, a script with the owner's URL),
  PINs, PIN hashes, national IDs and bank accounts never land in it. Existing rows are scrubbed
  by this migration (old rows included).
- ``backoffice.audit_changes``: the audit trail as analysts read it (the ``analyst`` role has no
  privilege on ``audit_logs.details``): for pay resources every value but the names, reasons,
  months and dates shows as "(hidden)", so who changed a pay rate and when is readable, the rate
  is not.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SCHEMA = "backoffice"
SECRET_KEYS = ("pin", "pin_hash", "new_pin", "national_id", "bank_account")
PAY_RESOURCES = (
    "staff_compensation", "payroll_run", "payroll_runs", "monthly_service_charge",
    "staff_tax_allowances", "staff_tax_allowance", "coach_rates", "coach_earnings",
    "payroll_review_acknowledgements", "payroll_close", "payroll_filings",
)
# values of a pay resource's audit row an analyst may still read
PAY_VISIBLE_KEYS = (
    "staff_name", "staff_id", "id", "reason", "month", "payroll_month", "effective_from",
    "effective_to", "status", "finalised_by", "coach_code", "tax_year", "compensation_type",
)


def _array(values) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]::text[]"


FUNCTIONS_SQL = f"""
CREATE FUNCTION {SCHEMA}.jsonb_strip_keys(doc jsonb, keys text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE jsonb_typeof(doc)
    WHEN 'object' THEN COALESCE((
      SELECT jsonb_object_agg(e.key, {SCHEMA}.jsonb_strip_keys(e.value, keys))
      FROM jsonb_each(doc) AS e WHERE NOT e.key = ANY(keys)), '{{}}'::jsonb)
    WHEN 'array' THEN COALESCE((
      SELECT jsonb_agg({SCHEMA}.jsonb_strip_keys(a.value, keys) ORDER BY a.n)
      FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(value, n)), '[]'::jsonb)
    ELSE doc END
$$;

CREATE FUNCTION {SCHEMA}.jsonb_hide_values(doc jsonb, visible text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE jsonb_typeof(doc)
    WHEN 'object' THEN COALESCE((
      SELECT jsonb_object_agg(e.key, CASE WHEN e.key = ANY(visible) THEN e.value
                                          ELSE {SCHEMA}.jsonb_hide_values(e.value, visible) END)
      FROM jsonb_each(doc) AS e), '{{}}'::jsonb)
    WHEN 'array' THEN COALESCE((
      SELECT jsonb_agg({SCHEMA}.jsonb_hide_values(a.value, visible) ORDER BY a.n)
      FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(value, n)), '[]'::jsonb)
    WHEN 'null' THEN doc
    ELSE to_jsonb('(hidden)'::text) END
$$;

CREATE FUNCTION {SCHEMA}.scrub_audit_secrets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'staff_audit_log' THEN
    NEW.old_data_snapshot := {SCHEMA}.jsonb_strip_keys(NEW.old_data_snapshot, {_array(SECRET_KEYS)});
    NEW.new_data_snapshot := {SCHEMA}.jsonb_strip_keys(NEW.new_data_snapshot, {_array(SECRET_KEYS)});
  ELSE
    NEW.details := {SCHEMA}.jsonb_strip_keys(NEW.details, {_array(SECRET_KEYS)});
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER audit_logs_scrub_secrets BEFORE INSERT OR UPDATE ON {SCHEMA}.audit_logs
  FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.scrub_audit_secrets();
CREATE TRIGGER staff_audit_log_scrub_secrets BEFORE INSERT OR UPDATE ON {SCHEMA}.staff_audit_log
  FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.scrub_audit_secrets();

CREATE VIEW {SCHEMA}.audit_changes AS
  SELECT id, "timestamp", user_email, action, resource_type, resource_id,
         CASE WHEN resource_type = ANY({_array(PAY_RESOURCES)})
              THEN {SCHEMA}.jsonb_hide_values(details, {_array(PAY_VISIBLE_KEYS)})
              ELSE details END AS details
  FROM {SCHEMA}.audit_logs;
"""

# old rows: the triggers above rewrite them on this no-op update, only where a secret is present
SCRUB_OLD_ROWS_SQL = f"""
UPDATE {SCHEMA}.audit_logs SET details = details
  WHERE details IS DISTINCT FROM {SCHEMA}.jsonb_strip_keys(details, {_array(SECRET_KEYS)});
UPDATE {SCHEMA}.staff_audit_log SET old_data_snapshot = old_data_snapshot
  WHERE old_data_snapshot IS DISTINCT FROM
        {SCHEMA}.jsonb_strip_keys(old_data_snapshot, {_array(SECRET_KEYS)})
     OR new_data_snapshot IS DISTINCT FROM
        {SCHEMA}.jsonb_strip_keys(new_data_snapshot, {_array(SECRET_KEYS)});
"""


def upgrade() -> None:
    op.add_column(
        "allowed_users",
        sa.Column("is_analyst", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema=SCHEMA,
    )
    op.execute(FUNCTIONS_SQL)
    op.execute(SCRUB_OLD_ROWS_SQL)


def downgrade() -> None:
    # the scrubbed secrets are gone for good: nothing to restore
    op.execute(f"DROP VIEW {SCHEMA}.audit_changes")
    op.execute(f"DROP TRIGGER staff_audit_log_scrub_secrets ON {SCHEMA}.staff_audit_log")
    op.execute(f"DROP TRIGGER audit_logs_scrub_secrets ON {SCHEMA}.audit_logs")
    op.execute(f"DROP FUNCTION {SCHEMA}.scrub_audit_secrets()")
    op.execute(f"DROP FUNCTION {SCHEMA}.jsonb_hide_values(jsonb, text[])")
    op.execute(f"DROP FUNCTION {SCHEMA}.jsonb_strip_keys(jsonb, text[])")
    op.drop_column("allowed_users", "is_analyst", schema=SCHEMA)
