"""bulk writes: package usage judged per statement, over all its rows at once

``validate_package_usage()`` (migration 0004) judged every inserted usage row on its own: it locked
the package, summed the package's usage so far, and activated the package (or moved an automatic
expiry) with one UPDATE of ``packages`` per row that changed it. A bulk load (an import of years of
lessons, an archive restore, a correction) paid a query and possibly an update per row.

From here on the rules of business-rules §4 ("Recording usage") are split, with the same refusals,
SQLSTATE (check_violation) and messages as migration 0004:

- the row trigger ``package_usage_validate`` (BEFORE INSERT OR UPDATE OF package_id, used_hours,
  used_date, each row) keeps the package lock (``FOR UPDATE``: two writers of one package are
  judged one after the other and can never overdraw it together) and, on inserts, the checks that
  need no other row: the package is known, used_hours > 0, the usage is not before the purchase;
- the statement trigger ``package_usage_validate_inserted`` (AFTER INSERT, once per statement,
  ``REFERENCING NEW TABLE``) judges the rules that need other rows for all rows of the statement
  together, per package with window functions: not after the expiry, not more hours than remain,
  a first use moved earlier must not end the package before usage already recorded. Then it
  activates the packages (first_use_date; ``calculate_package_expiration()`` sets the expiry) or
  moves an automatic expiry, with ONE update per package changed.
- updates of usage (rare) keep the whole row check of migration 0004, row by row.

A statement is judged as if its rows were inserted one by one in time order (used_date, then
statement order). Only the first row of a package in that order can change the package: it
activates it (first use = its date; expiry = first use + validity − 1 day unless a manual expiry
is set) or, dated before the first known use, becomes the first use (an automatic expiry moves
with it, a manual one is kept). Every later row of the package is judged against the expiry that
first row left, and against the hours left by the usage recorded before the statement and by the
statement's earlier rows. The first refused row in time order is named in the error; a
single-row statement (the front desk's "use") is judged exactly as before.

The row checks run while rows are written (statement order), before the statement is judged: a
statement holding both a row refused on its own (unknown package, hours <= 0, before purchase) and
a row refused by the set rules is refused with the row check's message, whichever row comes first
in time. Either way the statement writes nothing.

The ``coach_earnings`` view and the archive (migration 0007: a restore writes usage back in date
order through these triggers) are unaffected.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ROW_CHECKS = r"""
CREATE OR REPLACE FUNCTION backoffice.validate_package_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  pkg record;
  used_by_others numeric;
  remaining numeric;
  automatic_expiry date;
  new_expiry date;
BEGIN
  SELECT p.id, p.purchase_date, p.first_use_date, p.expiration_date,
         pt.hours, pt.validity_period
    INTO pkg
    FROM backoffice.packages p
    JOIN backoffice.package_types pt ON pt.id = p.package_type_id
   WHERE p.id = NEW.package_id
     FOR UPDATE OF p;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'package usage refused: unknown package %', NEW.package_id
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.used_hours IS NULL OR NEW.used_hours <= 0 THEN
    RAISE EXCEPTION 'package usage refused: used hours must be more than 0, not %',
      coalesce(NEW.used_hours::text, 'empty') USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.used_date IS NULL OR NEW.used_date < pkg.purchase_date THEN
    RAISE EXCEPTION 'package usage refused: usage on % is before the purchase on %',
      NEW.used_date, pkg.purchase_date USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'INSERT' THEN
    -- expiry, remaining hours and activation: validate_package_usage_set(), once per statement
    RETURN NEW;
  END IF;

  -- updates: the whole row check of migration 0004
  IF pkg.expiration_date IS NOT NULL AND NEW.used_date > pkg.expiration_date THEN
    RAISE EXCEPTION 'package usage refused: the package expired on % (usable through that day), usage on % is after it',
      pkg.expiration_date, NEW.used_date USING ERRCODE = 'check_violation';
  END IF;
  IF pkg.hours IS NOT NULL THEN
    SELECT coalesce(sum(u.used_hours), 0) INTO used_by_others
      FROM backoffice.package_usage u
     WHERE u.package_id = NEW.package_id AND u.id IS DISTINCT FROM NEW.id;
    remaining := greatest(0, pkg.hours - used_by_others);
    IF NEW.used_hours > remaining THEN
      RAISE EXCEPTION 'package usage refused: % h requested but only % h remain',
        NEW.used_hours, remaining USING ERRCODE = 'check_violation';
    END IF;
  END IF;

  IF pkg.first_use_date IS NULL THEN
    UPDATE backoffice.packages SET first_use_date = NEW.used_date WHERE id = NEW.package_id;
  ELSIF NEW.used_date < pkg.first_use_date THEN
    automatic_expiry := (pkg.first_use_date + pkg.validity_period)::date - 1;
    IF pkg.validity_period IS NOT NULL
       AND pkg.expiration_date IS NOT DISTINCT FROM automatic_expiry THEN
      new_expiry := (NEW.used_date + pkg.validity_period)::date - 1;
    ELSE
      new_expiry := pkg.expiration_date;
    END IF;
    IF new_expiry IS NOT NULL AND EXISTS (
         SELECT 1 FROM backoffice.package_usage u
          WHERE u.package_id = NEW.package_id AND u.id IS DISTINCT FROM NEW.id
            AND u.used_date > new_expiry) THEN
      RAISE EXCEPTION 'package usage refused: a first use on % would end the package on %, before usage already recorded',
        NEW.used_date, new_expiry USING ERRCODE = 'check_violation';
    END IF;
    UPDATE backoffice.packages
       SET first_use_date = NEW.used_date, expiration_date = new_expiry
     WHERE id = NEW.package_id;
  END IF;
  RETURN NEW;
END $$
"""

# The rules needing other rows, for all rows of an INSERT at once. The packages are locked by the
# row trigger already. Per package: ``first_date`` is the date of its first new row in time order
# (the only row that can change the package), ``expiry_after_first`` the expiry that row leaves
# (calculate_package_expiration() fills an empty one from the validity), ``moved_expiry`` the
# expiry a first use moved earlier would give.
SET_CHECKS = r"""
CREATE FUNCTION backoffice.validate_package_usage_set() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  refused record;
BEGIN
  WITH new_usage AS (
    -- statement order: the transition table is read in the order its rows were written
    SELECT n.id, n.package_id, n.used_date, n.used_hours, row_number() OVER () AS pos
      FROM new_rows n
  ), ordered AS (
    SELECT u.*,
           row_number() OVER in_time AS k,
           coalesce(sum(u.used_hours) OVER (in_time ROWS BETWEEN UNBOUNDED PRECEDING
                                                         AND 1 PRECEDING), 0) AS new_before
      FROM new_usage u
    WINDOW in_time AS (PARTITION BY u.package_id ORDER BY u.used_date, u.pos)
  ), touched AS (
    SELECT package_id, min(used_date) AS first_date FROM new_usage GROUP BY package_id
  ), earlier AS (
    -- the usage recorded before this statement (one pass over the packages concerned)
    SELECT x.package_id, sum(x.used_hours) AS used, max(x.used_date) AS last_date
      FROM backoffice.package_usage x
      JOIN touched t ON t.package_id = x.package_id
     WHERE NOT EXISTS (SELECT 1 FROM new_usage n WHERE n.id = x.id)
     GROUP BY x.package_id
  ), packages AS (
    SELECT t.package_id, t.first_date, p.first_use_date, p.expiration_date, pt.hours,
           pt.validity_period, coalesce(e.used, 0) AS used_earlier, e.last_date,
           CASE WHEN pt.validity_period IS NOT NULL
                 AND p.expiration_date IS NOT DISTINCT FROM
                     (p.first_use_date + pt.validity_period)::date - 1
                THEN (t.first_date + pt.validity_period)::date - 1
                ELSE p.expiration_date END AS moved_expiry
      FROM touched t
      JOIN backoffice.packages p ON p.id = t.package_id
      JOIN backoffice.package_types pt ON pt.id = p.package_type_id
      LEFT JOIN earlier e ON e.package_id = t.package_id
  ), state AS MATERIALIZED (
    SELECT s.*,
           CASE WHEN s.first_use_date IS NULL
                THEN coalesce(s.expiration_date, (s.first_date + s.validity_period)::date - 1)
                WHEN s.first_date < s.first_use_date
                THEN coalesce(s.moved_expiry, (s.first_date + s.validity_period)::date - 1)
                ELSE s.expiration_date END AS expiry_after_first
      FROM packages s
  ), judged AS (
    SELECT o.package_id, o.used_date, o.used_hours, o.pos,
           CASE WHEN o.k = 1 THEN s.expiration_date ELSE s.expiry_after_first END AS expiry,
           s.hours, greatest(0, s.hours - (s.used_earlier + o.new_before)) AS remaining,
           o.k = 1 AND s.first_use_date IS NOT NULL AND o.used_date < s.first_use_date
             AND s.moved_expiry IS NOT NULL AND s.last_date > s.moved_expiry AS ends_too_early,
           s.moved_expiry
      FROM ordered o
      JOIN state s ON s.package_id = o.package_id
  )
  SELECT j.*,
         CASE WHEN j.expiry IS NOT NULL AND j.used_date > j.expiry THEN 'expired'
              WHEN j.hours IS NOT NULL AND j.used_hours > j.remaining THEN 'overdrawn'
              WHEN j.ends_too_early THEN 'ends_too_early' END AS reason
    INTO refused
    FROM judged j
   WHERE (j.expiry IS NOT NULL AND j.used_date > j.expiry)
      OR (j.hours IS NOT NULL AND j.used_hours > j.remaining)
      OR j.ends_too_early
   ORDER BY j.used_date, j.pos
   LIMIT 1;
  IF FOUND THEN
    IF refused.reason = 'expired' THEN
      RAISE EXCEPTION 'package usage refused: the package expired on % (usable through that day), usage on % is after it',
        refused.expiry, refused.used_date USING ERRCODE = 'check_violation';
    ELSIF refused.reason = 'overdrawn' THEN
      RAISE EXCEPTION 'package usage refused: % h requested but only % h remain',
        refused.used_hours, refused.remaining USING ERRCODE = 'check_violation';
    END IF;
    RAISE EXCEPTION 'package usage refused: a first use on % would end the package on %, before usage already recorded',
      refused.used_date, refused.moved_expiry USING ERRCODE = 'check_violation';
  END IF;

  -- The first usage activates a package (calculate_package_expiration() sets the expiry; a
  -- manual one is kept); one dated before the first known use becomes the first use (an
  -- automatic expiry moves with it, a manual one is kept). One update per package changed.
  UPDATE backoffice.packages p
     SET first_use_date = t.first_date,
         expiration_date = CASE
           WHEN p.first_use_date IS NULL THEN p.expiration_date
           WHEN pt.validity_period IS NOT NULL
            AND p.expiration_date IS NOT DISTINCT FROM
                (p.first_use_date + pt.validity_period)::date - 1
           THEN (t.first_date + pt.validity_period)::date - 1
           ELSE p.expiration_date END
    FROM (SELECT n.package_id, min(n.used_date) AS first_date
            FROM new_rows n GROUP BY n.package_id) t,
         backoffice.package_types pt
   WHERE p.id = t.package_id AND pt.id = p.package_type_id
     AND (p.first_use_date IS NULL OR t.first_date < p.first_use_date);
  RETURN NULL;
END $$
"""

STATEMENT_TRIGGER = """
CREATE TRIGGER package_usage_validate_inserted
  AFTER INSERT ON backoffice.package_usage
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION backoffice.validate_package_usage_set()
"""


def function_of_migration_0004() -> str:
    """``validate_package_usage()`` exactly as migration 0004 wrote it (downgrade, tests, bench)."""
    from backoffice_lib.migrate import migration_sql

    original = migration_sql("0004_packages", "VALIDATE_PACKAGE_USAGE")
    return original.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    op.execute(SET_CHECKS)
    op.execute(STATEMENT_TRIGGER)
    op.execute(ROW_CHECKS)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS package_usage_validate_inserted ON backoffice.package_usage")
    op.execute("DROP FUNCTION IF EXISTS backoffice.validate_package_usage_set()")
    op.execute(function_of_migration_0004())
