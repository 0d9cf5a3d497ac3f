"""bulk writes: the time-entry sequence rules judged per statement, over all its rows at once

``validate_time_entry()`` (migration 0001) judged every inserted or updated row on its own: the
alternation rule (the punch before must be the other action) and the 1-minute rule each ran a
query over every monthly partition per row, about 370 rows a second through one INSERT … SELECT.

From here on the rules are split, with the same refusals, SQLSTATE (check_violation) and messages:

- the row trigger ``time_entries_validate`` (BEFORE INSERT OR UPDATE, each row) keeps the
  per-person advisory lock that serialises two punches of one person and the checks that need
  no other row: a staff member is given, known and active, the action is clock_in/clock_out, the
  punch is not in the future;
- the statement triggers ``time_entries_validate_inserted`` / ``_updated`` (AFTER INSERT / AFTER
  UPDATE, once per statement, ``REFERENCING NEW TABLE``) judge the sequence rules for all rows of
  the statement together, with window functions over the rows of the persons concerned.

- the finalised-payroll lock of migration 0003 on inserts (``time_entries_payroll_lock_inserted``,
  AFTER INSERT, once per statement over the distinct business dates), the row trigger keeping
  updates and deletes.

A statement is judged as if its rows were inserted one by one in time order (timestamp, then
statement order): a row is refused when the entry just before it (existing, or of the same
statement) has the same action, or when another entry lies within one minute of it (an existing
one either side, or one of the same statement before it). The first refused row in that order
is named in the error; a single-row statement (a kiosk punch) is judged exactly as before.

Writers go through ``backoffice.time_entries`` (the partitioned parent): statement triggers fire
for the table a statement names, so a write aimed at one monthly partition directly gets the row
checks only (partition maintenance moves rows that way; they were judged when written).

Package usage is split the same way in migration 0014; staff schedules keep their exclusion
constraint (an index lookup per row, the same refusals in bulk: tests/staff/test_schedule_bulk.py).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from backoffice_lib.migrate import migration_sql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROW_CHECKS = """
CREATE OR REPLACE FUNCTION backoffice.validate_time_entry() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  staff_active boolean;
BEGIN
  IF NEW.staff_id IS NULL THEN
    RAISE EXCEPTION 'a time entry needs a staff member' USING ERRCODE = 'check_violation';
  END IF;
  -- Serialise punches of one person so that two at the same moment cannot both pass: the
  -- statement trigger judges the sequence after this lock, so it sees the other's committed row.
  PERFORM pg_advisory_xact_lock(7301, NEW.staff_id);
  SELECT is_active INTO staff_active FROM backoffice.staff WHERE id = NEW.staff_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown staff member %', NEW.staff_id USING ERRCODE = 'check_violation';
  END IF;
  IF staff_active IS NOT TRUE
     AND (TG_OP = 'INSERT' OR NEW.staff_id IS DISTINCT FROM OLD.staff_id) THEN
    RAISE EXCEPTION 'staff member % is inactive', NEW.staff_id
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.action IS NULL OR NEW.action NOT IN ('clock_in', 'clock_out') THEN
    RAISE EXCEPTION 'time entry action must be clock_in or clock_out, not %', NEW.action
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.timestamp > clock_timestamp() + interval '5 minutes' THEN
    RAISE EXCEPTION 'time entry at % is in the future', NEW.timestamp
      USING ERRCODE = 'check_violation';
  END IF;
  -- alternation and the 1-minute rule: validate_time_entries_set(), once per statement
  RETURN NEW;
END $$
"""

SET_CHECKS = """
CREATE FUNCTION backoffice.validate_time_entries_set() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  refused record;
BEGIN
  WITH new_entries AS (
    -- statement order: the transition table is read in the order its rows were written
    SELECT n.id, n.staff_id, n."timestamp" AS ts, n.action, row_number() OVER () AS pos
      FROM new_rows n
  ), ordered AS (
    SELECT e.*, lag(e.ts) OVER (PARTITION BY e.staff_id ORDER BY e.ts, e.pos) AS previous_new_ts
      FROM new_entries e
  ), spans AS (
    SELECT staff_id, min(ts) AS first_ts, max(ts) AS last_ts FROM new_entries GROUP BY staff_id
  ), reach AS MATERIALIZED (
    -- from the entry before the person's first new one (or a minute before it) to a minute
    -- after the last one: every entry a rule can compare a new one with (materialized: one
    -- index probe per person, never one per joined row)
    SELECT s.staff_id, s.last_ts + interval '1 minute' AS until_ts,
           least(s.first_ts - interval '1 minute',
                 (SELECT max(te."timestamp") FROM backoffice.time_entries te
                   WHERE te.staff_id = s.staff_id AND te."timestamp" < s.first_ts)) AS from_ts
      FROM spans s
  ), nearby AS (
    SELECT te.staff_id, te."timestamp" AS ts, te.action, o.pos, o.previous_new_ts
      FROM reach r
      JOIN backoffice.time_entries te
        ON te.staff_id = r.staff_id AND te."timestamp" >= r.from_ts AND te."timestamp" < r.until_ts
      LEFT JOIN ordered o ON o.id = te.id AND o.ts = te."timestamp"
  ), judged AS (
    SELECT staff_id, ts, action, pos,
           last_value(action) OVER earlier AS previous_action,
           min(ts) FILTER (WHERE pos IS NULL) OVER within_a_minute AS existing_neighbour,
           CASE WHEN previous_new_ts > ts - interval '1 minute' THEN previous_new_ts END
             AS new_neighbour
      FROM nearby
    WINDOW earlier AS (PARTITION BY staff_id ORDER BY ts
                       RANGE BETWEEN UNBOUNDED PRECEDING AND interval '1 microsecond' PRECEDING),
           within_a_minute AS (PARTITION BY staff_id ORDER BY ts
                               RANGE BETWEEN interval '59.999999 seconds' PRECEDING
                                         AND interval '59.999999 seconds' FOLLOWING)
  )
  SELECT staff_id, ts, action, previous_action,
         least(existing_neighbour, new_neighbour) AS neighbour
    INTO refused
    FROM judged
   WHERE pos IS NOT NULL
     AND (previous_action = action OR existing_neighbour IS NOT NULL OR new_neighbour IS NOT NULL)
   ORDER BY ts, pos
   LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF refused.previous_action = refused.action THEN
    RAISE EXCEPTION 'staff member % already has a % before %: the next punch must be the other action',
      refused.staff_id, refused.action, refused.ts USING ERRCODE = 'check_violation';
  END IF;
  RAISE EXCEPTION 'staff member % already has an entry at %, within 1 minute of %',
    refused.staff_id, refused.neighbour, refused.ts USING ERRCODE = 'check_violation';
END $$
"""

# one trigger per event: PostgreSQL allows transition tables on single-event triggers only
STATEMENT_TRIGGERS = {"INSERT": "time_entries_validate_inserted",
                      "UPDATE": "time_entries_validate_updated"}

# The finalised-payroll lock (migration 0003) on inserts: once per statement over the distinct
# business dates of its rows, instead of once per row; refused with the same SQLSTATE and message,
# naming the first row (statement order) in a finalised month. Updates and deletes keep the row
# trigger (it compares each row's old and new values).
PAYROLL_LOCK_ON_INSERTS = r"""
CREATE FUNCTION backoffice.guard_finalised_payroll_inserted_time_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched date;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM backoffice.payroll_runs WHERE status = 'finalised')
     OR backoffice.payroll_lock_bypassed() THEN
    RETURN NULL;
  END IF;
  WITH dated AS (
    SELECT (n."timestamp" AT TIME ZONE 'Asia/Bangkok')::date AS business_date,
           row_number() OVER () AS pos
      FROM new_rows n
  ), locked AS (
    SELECT d.business_date
      FROM (SELECT DISTINCT business_date FROM dated) d
     WHERE backoffice.payroll_date_is_finalised(d.business_date)
  )
  SELECT dated.business_date INTO touched
    FROM dated JOIN locked USING (business_date)
   ORDER BY dated.pos
   LIMIT 1;
  IF touched IS NOT NULL THEN
    RAISE EXCEPTION 'payroll for the month of % is finalised: only an admin with a reason may change its time entries', touched
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$
"""
# From here on the row trigger of the payroll lock (migration 0003) fires on updates and deletes.
PAYROLL_ROW_TRIGGER = """
CREATE TRIGGER time_entries_payroll_lock
  BEFORE UPDATE OR DELETE ON backoffice.time_entries
  FOR EACH ROW EXECUTE FUNCTION backoffice.guard_finalised_payroll_time_entries()
"""


def _original_row_function() -> str:
    """``validate_time_entry()`` exactly as migration 0001 wrote it (downgrade)."""
    statement = migration_sql("0001_foundation_schema", "RULES_SQL",
                              "CREATE FUNCTION backoffice.validate_time_entry()")
    return statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def _original_payroll_row_trigger() -> str:
    """The payroll lock's row trigger exactly as migration 0003 wrote it (downgrade)."""
    return migration_sql("0003_payroll", "LOCK_SQL", "CREATE TRIGGER time_entries_payroll_lock")


def upgrade() -> None:
    op.execute(SET_CHECKS)
    for event, name in STATEMENT_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON backoffice.time_entries"
            " REFERENCING NEW TABLE AS new_rows"
            " FOR EACH STATEMENT EXECUTE FUNCTION backoffice.validate_time_entries_set()"
        )
    op.execute(ROW_CHECKS)
    op.execute(PAYROLL_LOCK_ON_INSERTS)
    op.execute("DROP TRIGGER time_entries_payroll_lock ON backoffice.time_entries")
    op.execute(PAYROLL_ROW_TRIGGER)
    op.execute(
        "CREATE TRIGGER time_entries_payroll_lock_inserted AFTER INSERT ON backoffice.time_entries"
        " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
        " EXECUTE FUNCTION backoffice.guard_finalised_payroll_inserted_time_entries()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS time_entries_payroll_lock_inserted ON backoffice.time_entries")
    op.execute("DROP TRIGGER IF EXISTS time_entries_payroll_lock ON backoffice.time_entries")
    op.execute(_original_payroll_row_trigger())
    op.execute("DROP FUNCTION IF EXISTS backoffice.guard_finalised_payroll_inserted_time_entries()")
    op.execute(_original_row_function())
    for name in STATEMENT_TRIGGERS.values():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON backoffice.time_entries")
    op.execute("DROP FUNCTION IF EXISTS backoffice.validate_time_entries_set()")
