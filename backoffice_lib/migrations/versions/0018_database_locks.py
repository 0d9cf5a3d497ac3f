"""database locks: the finalised month and the audit trail decided by the database role (issue 23.2)

Until now the finalised-month guards of migration 0003 (and 0008's statement guard) trusted the
``backoffice.actor`` / ``backoffice.reason`` session settings, which any role may set: the kiosk
role wrote punches into a finalised month naming a real admin, the dashboards role un-finalised a
month with a plain UPDATE, and both could write audit rows in anyone's name. From here on:

- ``backoffice.real_db_role()``: the role really acting, whatever function runs: the role of
  ``SET ROLE`` when one is set, else the session's login role (a SECURITY DEFINER function does
  not change either).
- ``lock_corrections`` (model ``models/locks.py``), written only by
  ``backoffice.begin_correction(actor, reason)``: SECURITY DEFINER, EXECUTE revoked from PUBLIC
  (only the schema's owner may call it; it refuses any other real role too). A row per
  correction, keyed to the backend (``pg_backend_pid()``) and the top-level transaction
  (``pg_current_xact_id()``); an empty actor or reason ends a correction begun earlier in the
  transaction.
  The row stays as the record (actor, reason, role, time); a later transaction never matches
  it (a transaction id is never reused).
- ``payroll_lock_bypassed()`` (the guards' one question, redefined): the writing role
  (``current_user``) is a member of the owner of ``payroll_runs`` AND the latest correction of
  this backend and transaction names an admin with a reason (``correction_in_progress()``,
  SECURITY DEFINER, answers only that boolean). The kiosk and dashboards roles never pass, whatever
  they set.
- ``payroll_runs_finalised_guard`` (BEFORE INSERT/UPDATE/DELETE on ``payroll_runs``): a role not
  the owner's may not finalise, change or delete a finalised run, nor un-finalise one, even if it
  were granted UPDATE; ``backoffice.finalise_payroll_run(run_id, actor)`` (SECURITY DEFINER)
  finalises a draft for an admin, for the roles ``backoffice db roles`` grants it to.
- ``audit_logs.db_role`` / ``staff_audit_log.db_role``: stamped by the BEFORE INSERT trigger
  ``*_stamp_db_role`` with ``real_db_role()`` (only the owner's direct INSERT, e.g. a restore,
  may carry a value over; write_audit and log_staff_changes never pass one);
  ``backoffice.write_audit(...)`` (SECURITY DEFINER, EXECUTE granted by ``db roles``) is how a
  role not the owner's writes ``audit_logs`` (``audit.record`` calls it); ``log_staff_changes()``
  becomes SECURITY DEFINER (the kiosk and dashboards no longer INSERT into ``staff_audit_log``)
  and names a writer without an actor ``system:<real role>``.
- ``backoffice.set_actor(actor, reason)`` (``audit.act_as``): the settings as before (the claim
  ``log_staff_changes()`` records) and, when the caller may and a month is finalised,
  ``begin_correction``.

Revision ID: 0018
Revises: 0017
"""

import textwrap

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SCHEMA = "backoffice"
OWNER_OF_RUNS = "(SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'backoffice.payroll_runs'::regclass)"
PINNED = "SET search_path = pg_catalog, pg_temp"

FUNCTIONS_SQL = [
    f"""
    CREATE FUNCTION {SCHEMA}.real_db_role() RETURNS text LANGUAGE sql STABLE AS $$
      SELECT CASE WHEN current_setting('role') = 'none' THEN session_user::text
                  ELSE current_setting('role') END
    $$
    """,
    f"""
    CREATE FUNCTION {SCHEMA}.begin_correction(actor text, reason text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER {PINNED} AS $$
    BEGIN
      IF NOT pg_has_role({SCHEMA}.real_db_role(), {OWNER_OF_RUNS}, 'MEMBER') THEN
        RAISE EXCEPTION 'only the owner of the workbench''s schema may begin a correction of a finalised month'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF coalesce(btrim(actor), '') = '' OR coalesce(btrim(reason), '') = '' THEN
        -- no correction: end one begun earlier in this transaction, if any
        IF EXISTS (SELECT 1 FROM {SCHEMA}.lock_corrections c
                    WHERE c.backend_pid = pg_backend_pid()
                      AND c.transaction_id = pg_current_xact_id_if_assigned()::text::bigint) THEN
          INSERT INTO {SCHEMA}.lock_corrections (backend_pid, transaction_id, actor, reason, db_role)
          VALUES (pg_backend_pid(), pg_current_xact_id()::text::bigint, NULL, NULL,
                  {SCHEMA}.real_db_role());
        END IF;
        RETURN;
      END IF;
      INSERT INTO {SCHEMA}.lock_corrections (backend_pid, transaction_id, actor, reason, db_role)
      VALUES (pg_backend_pid(), pg_current_xact_id()::text::bigint, btrim(actor), btrim(reason),
              {SCHEMA}.real_db_role());
    END $$
    """,
    f"""
    CREATE FUNCTION {SCHEMA}.correction_in_progress() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER {PINNED} AS $$
      SELECT coalesce((
        SELECT c.reason IS NOT NULL AND EXISTS (
                 SELECT 1 FROM {SCHEMA}.allowed_users u
                  WHERE lower(u.email) = lower(c.actor) AND u.is_admin)
          FROM {SCHEMA}.lock_corrections c
         WHERE c.backend_pid = pg_backend_pid()
           AND c.transaction_id = pg_current_xact_id_if_assigned()::text::bigint
         ORDER BY c.id DESC LIMIT 1), false)
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION {SCHEMA}.payroll_lock_bypassed() RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT pg_has_role(current_user, {OWNER_OF_RUNS}, 'MEMBER')
         AND {SCHEMA}.correction_in_progress()
    $$
    """,
    f"""
    CREATE FUNCTION {SCHEMA}.set_actor(actor text, reason text) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM set_config('backoffice.actor', coalesce(actor, ''), true),
              set_config('backoffice.reason', coalesce(reason, ''), true);
      -- a correction only where there is something to correct (a finalised month), and only
      -- for the owner: another role's claim opens nothing
      IF has_function_privilege('{SCHEMA}.begin_correction(text, text)', 'EXECUTE')
         AND pg_has_role({SCHEMA}.real_db_role(), {OWNER_OF_RUNS}, 'MEMBER')
         AND EXISTS (SELECT 1 FROM {SCHEMA}.payroll_runs r WHERE r.status = 'finalised') THEN
        PERFORM {SCHEMA}.begin_correction(actor, reason);
      END IF;
    END $$
    """,
    f"""
    CREATE FUNCTION {SCHEMA}.guard_finalised_payroll_runs() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT pg_has_role(current_user, {OWNER_OF_RUNS}, 'MEMBER')
         AND ((TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'finalised')
              OR (TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'finalised')) THEN
        RAISE EXCEPTION 'only the owner of the workbench''s schema may finalise or reopen a payroll month (role %)',
          {SCHEMA}.real_db_role() USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER payroll_runs_finalised_guard
      BEFORE INSERT OR UPDATE OR DELETE ON {SCHEMA}.payroll_runs
      FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.guard_finalised_payroll_runs()
    """,
    f"""
    CREATE FUNCTION {SCHEMA}.finalise_payroll_run(run_id integer, actor text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER {PINNED} AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM {SCHEMA}.allowed_users u
                      WHERE lower(u.email) = lower(actor) AND u.is_admin) THEN
        RAISE EXCEPTION 'only an admin may finalise a payroll month, not %', actor
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      UPDATE {SCHEMA}.payroll_runs SET status = 'finalised', finalised_by = actor,
             finalised_at = now()
       WHERE id = run_id AND status = 'draft';
      IF NOT FOUND THEN
        RAISE EXCEPTION 'payroll run % is not a draft', run_id USING ERRCODE = 'check_violation';
      END IF;
    END $$
    """,
    f"""
    CREATE FUNCTION {SCHEMA}.stamp_db_role() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- the owner may carry a row's role over (a restore, a copy); anyone else's is stamped
      IF NEW.db_role IS NULL OR NOT pg_has_role(current_user, {OWNER_OF_RUNS}, 'MEMBER') THEN
        NEW.db_role := {SCHEMA}.real_db_role();
      END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER audit_logs_stamp_db_role BEFORE INSERT ON {SCHEMA}.audit_logs
      FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.stamp_db_role()
    """,
    f"""
    CREATE TRIGGER staff_audit_log_stamp_db_role BEFORE INSERT ON {SCHEMA}.staff_audit_log
      FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.stamp_db_role()
    """,
    f"""
    CREATE FUNCTION {SCHEMA}.write_audit(
      user_email text, action text, resource_type text, resource_id text, details jsonb,
      ip_address text, user_agent text) RETURNS void
    LANGUAGE sql SECURITY DEFINER {PINNED} AS $$
      INSERT INTO {SCHEMA}.audit_logs (user_email, action, resource_type, resource_id, details,
                                       ip_address, user_agent)
      VALUES ($1, $2, $3, $4, coalesce($5, '{{}}'::jsonb), $6, $7)
    $$
    """,
]
PRIVATE_FUNCTIONS = (
    "begin_correction(text, text)",
    "finalise_payroll_run(integer, text)",
    "write_audit(text, text, text, text, jsonb, text, text)",
)
DROPPED_FUNCTIONS = (
    "write_audit(text, text, text, text, jsonb, text, text)",
    "stamp_db_role()",
    "finalise_payroll_run(integer, text)",
    "guard_finalised_payroll_runs()",
    "set_actor(text, text)",
    "correction_in_progress()",
    "begin_correction(text, text)",
    "real_db_role()",
)


def log_staff_changes_of_0009() -> str:
    """``log_staff_changes()`` exactly as migration 0009 left it (downgrade)."""
    from backoffice_lib.migrate import migration_module

    return migration_module("0009_statutory").log_staff_changes_without_national_id()


def log_staff_changes_as_definer() -> str:
    """0009's function run as the owner (the kiosk and dashboards no longer INSERT into
    staff_audit_log), naming a writer without an actor after the real role."""
    function = textwrap.dedent(log_staff_changes_of_0009())
    for old, new in (
        ("LANGUAGE plpgsql AS $$", f"LANGUAGE plpgsql SECURITY DEFINER {PINNED} AS $$"),
        ("'system:' || current_user", f"'system:' || {SCHEMA}.real_db_role()"),
    ):
        assert function.count(old) == 1, old
        function = function.replace(old, new)
    return function


def payroll_lock_bypassed_of_0003() -> str:
    from backoffice_lib.migrate import migration_sql

    original = migration_sql("0003_payroll", "LOCK_SQL",
                             "CREATE FUNCTION backoffice.payroll_lock_bypassed()")
    return original.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    op.create_table(
        "lock_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backend_pid", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("db_role", sa.Text(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lock_corrections")),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_lock_corrections_backend_pid_transaction_id"), "lock_corrections",
                    ["backend_pid", "transaction_id"], unique=False, schema=SCHEMA)
    op.add_column("audit_logs", sa.Column("db_role", sa.Text(), nullable=True), schema=SCHEMA)
    op.add_column("staff_audit_log", sa.Column("db_role", sa.Text(), nullable=True),
                  schema=SCHEMA)
    for statement in FUNCTIONS_SQL:
        op.execute(statement)
    for signature in PRIVATE_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {SCHEMA}.{signature} FROM PUBLIC")
    op.execute(log_staff_changes_as_definer())


def downgrade() -> None:
    op.execute(log_staff_changes_of_0009())
    op.execute(payroll_lock_bypassed_of_0003())
    op.execute(f"DROP TRIGGER IF EXISTS staff_audit_log_stamp_db_role ON {SCHEMA}.staff_audit_log")
    op.execute(f"DROP TRIGGER IF EXISTS audit_logs_stamp_db_role ON {SCHEMA}.audit_logs")
    op.execute(f"DROP TRIGGER IF EXISTS payroll_runs_finalised_guard ON {SCHEMA}.payroll_runs")
    for signature in DROPPED_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.{signature}")
    op.drop_column("staff_audit_log", "db_role", schema=SCHEMA)
    op.drop_column("audit_logs", "db_role", schema=SCHEMA)
    op.drop_index(op.f("ix_lock_corrections_backend_pid_transaction_id"),
                  table_name="lock_corrections", schema=SCHEMA)
    op.drop_table("lock_corrections", schema=SCHEMA)
