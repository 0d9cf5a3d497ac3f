"""SQL of the foundation migration that SQLAlchemy cannot declare: exclusion constraints, the
three documented trigger functions, helper functions and the three views.

They live in the database so that every writer (the workbench, the booking system, imports, psql)
obeys them. Frozen with migration 0001: change them in a new migration, not here.
"""

RULES_SQL = [
    # --- no overlapping compensation rows or shifts of one person (business-rules §2, additions)
    """
    ALTER TABLE backoffice.staff_compensation
      ADD CONSTRAINT ex_staff_compensation_no_overlap
      EXCLUDE USING gist (staff_id WITH =, daterange(effective_from, effective_to, '[]') WITH &&)
    """,
    """
    ALTER TABLE backoffice.staff_schedules
      ADD CONSTRAINT ex_staff_schedules_no_overlap
      EXCLUDE USING gist (
        staff_id WITH =,
        tsrange(schedule_date + start_time, schedule_date + end_time, '[)') WITH &&
      )
    """,
    # --- the Bangkok business date (business-rules §0)
    """
    CREATE FUNCTION backoffice.bangkok_today() RETURNS date
    LANGUAGE sql STABLE AS $$ SELECT (now() AT TIME ZONE 'Asia/Bangkok')::date $$
    """,
    # --- package status, first that applies (business-rules §4)
    """
    CREATE FUNCTION backoffice.package_status(
      first_use_date date, expiration_date date, total_hours numeric, used_hours numeric,
      as_of date
    ) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE
        WHEN first_use_date IS NULL THEN 'not_activated'
        WHEN expiration_date IS NOT NULL AND expiration_date < as_of THEN 'expired'
        WHEN total_hours IS NULL THEN 'unlimited'
        WHEN total_hours - coalesce(used_hours, 0) <= 0 THEN 'depleted'
        ELSE 'active'
      END
    $$
    """,
    # --- updated_at follows every update
    """
    CREATE FUNCTION backoffice.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := now();
      RETURN NEW;
    END $$
    """,
    *[
        f"""
        CREATE TRIGGER {table}_touch_updated_at BEFORE UPDATE ON backoffice.{table}
        FOR EACH ROW EXECUTE FUNCTION backoffice.touch_updated_at()
        """
        for table in ("allowed_users", "staff", "package_usage", "invoices", "invoice_suppliers")
    ],
    # --- calculate_package_expiration(): first use + validity - 1 day, manual expiry kept (§4)
    """
    CREATE FUNCTION backoffice.calculate_package_expiration() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      validity interval;
    BEGIN
      IF NEW.first_use_date IS NOT NULL AND NEW.expiration_date IS NULL THEN
        SELECT validity_period INTO validity
          FROM backoffice.package_types WHERE id = NEW.package_type_id;
        IF validity IS NOT NULL THEN
          NEW.expiration_date := (NEW.first_use_date + validity)::date - 1;
        END IF;
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER packages_calculate_expiration
      BEFORE INSERT OR UPDATE OF first_use_date, expiration_date, package_type_id
      ON backoffice.packages
      FOR EACH ROW EXECUTE FUNCTION backoffice.calculate_package_expiration()
    """,
    # --- validate_time_entry(): every writer gets an alternating, plausible sequence (§1)
    """
    CREATE FUNCTION backoffice.validate_time_entry() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      staff_active boolean;
      previous_action text;
      neighbour timestamptz;
    BEGIN
      IF NEW.staff_id IS NULL THEN
        RAISE EXCEPTION 'a time entry needs a staff member' USING ERRCODE = 'check_violation';
      END IF;
      -- Serialise punches of one person so that two at the same moment cannot both pass.
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
      SELECT action INTO previous_action
        FROM backoffice.time_entries
       WHERE staff_id = NEW.staff_id AND timestamp < NEW.timestamp AND id IS DISTINCT FROM NEW.id
       ORDER BY timestamp DESC
       LIMIT 1;
      IF previous_action = NEW.action THEN
        RAISE EXCEPTION 'staff member % already has a % before %: the next punch must be the other action',
          NEW.staff_id, NEW.action, NEW.timestamp USING ERRCODE = 'check_violation';
      END IF;
      SELECT timestamp INTO neighbour
        FROM backoffice.time_entries
       WHERE staff_id = NEW.staff_id AND id IS DISTINCT FROM NEW.id
         AND timestamp > NEW.timestamp - interval '1 minute'
         AND timestamp < NEW.timestamp + interval '1 minute'
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'staff member % already has an entry at %, within 1 minute of %',
          NEW.staff_id, neighbour, NEW.timestamp USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER time_entries_validate
      BEFORE INSERT OR UPDATE ON backoffice.time_entries
      FOR EACH ROW EXECUTE FUNCTION backoffice.validate_time_entry()
    """,
    # --- log_staff_changes(): before/after snapshots without pin_hash (§8).
    # The acting user and reason come from the transaction settings backoffice.actor and
    # backoffice.reason, which the library sets; other writers are recorded as 'system'.
    """
    CREATE FUNCTION backoffice.log_staff_changes() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      actor text := nullif(current_setting('backoffice.actor', true), '');
      why text := nullif(current_setting('backoffice.reason', true), '');
      old_snapshot jsonb;
      new_snapshot jsonb;
      kind text;
      summary text;
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_snapshot := to_jsonb(OLD) - 'pin_hash';
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_snapshot := to_jsonb(NEW) - 'pin_hash';
      END IF;

      IF TG_OP = 'INSERT' THEN
        kind := 'created';
        summary := 'created ' || NEW.staff_name;
      ELSIF TG_OP = 'DELETE' THEN
        kind := 'deleted';
        summary := 'deleted ' || OLD.staff_name;
      ELSE
        SELECT string_agg(key, ', ' ORDER BY key) INTO summary
          FROM jsonb_each(new_snapshot) AS n(key, value)
         WHERE key <> 'updated_at' AND n.value IS DISTINCT FROM old_snapshot -> key;
        IF NEW.pin_hash IS DISTINCT FROM OLD.pin_hash THEN
          summary := concat_ws(', ', 'pin', summary);
        END IF;
        IF summary IS NULL THEN
          RETURN NULL;  -- nothing changed
        END IF;
        summary := 'changed ' || summary;
        kind := CASE
          WHEN NEW.is_active IS DISTINCT FROM OLD.is_active THEN
            CASE WHEN NEW.is_active THEN 'activated' ELSE 'deactivated' END
          WHEN NEW.pin_hash IS DISTINCT FROM OLD.pin_hash THEN 'pin_changed'
          WHEN NEW.locked_until > now()
               AND (OLD.locked_until IS NULL OR OLD.locked_until <= now()) THEN 'locked'
          WHEN OLD.locked_until > now()
               AND (NEW.locked_until IS NULL OR NEW.locked_until <= now()) THEN 'unlocked'
          ELSE 'updated'
        END;
      END IF;

      INSERT INTO backoffice.staff_audit_log (
        staff_id, action_type, changed_by_type, changed_by_identifier, changes_summary,
        old_data_snapshot, new_data_snapshot, reason
      ) VALUES (
        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.id END,
        kind,
        CASE WHEN actor IS NULL THEN 'system' ELSE 'admin' END,
        coalesce(actor, 'system:' || current_user),
        summary, old_snapshot, new_snapshot, why
      );
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER staff_log_changes
      AFTER INSERT OR UPDATE OR DELETE ON backoffice.staff
      FOR EACH ROW EXECUTE FUNCTION backoffice.log_staff_changes()
    """,
    # --- staff_status: one row per active staff member with their clock-in state (§1)
    """
    CREATE VIEW backoffice.staff_status AS
    SELECT s.id, s.staff_name, s.staff_id, s.is_active, s.failed_attempts, s.locked_until,
           coalesce(s.locked_until > now(), false) AS is_currently_locked,
           last_entry.action AS last_action,
           last_entry.timestamp AS last_action_time,
           coalesce(last_entry.action = 'clock_in', false) AS currently_clocked_in
      FROM backoffice.staff s
      LEFT JOIN LATERAL (
        SELECT te.action, te.timestamp
          FROM backoffice.time_entries te
         WHERE te.staff_id = s.id
         ORDER BY te.timestamp DESC
         LIMIT 1
      ) last_entry ON true
     WHERE s.is_active
    """,
    # --- customer_active_packages: usable packages with their balances (§4)
    """
    CREATE VIEW backoffice.customer_active_packages AS
    SELECT *
      FROM (
        SELECT p.id AS package_id, p.customer_id, p.customer_name, p.stable_hash_id,
               p.package_type_id, pt.name AS package_type_name,
               pt.display_name AS package_display_name, pt.type::text AS package_category,
               pt.pax, pt.validity_period, p.purchase_date, p.first_use_date, p.expiration_date,
               p.employee_name, p.discount_amount, p.created_at,
               pt.hours AS total_hours,
               coalesce(u.used_hours, 0) AS used_hours,
               CASE WHEN pt.hours IS NOT NULL
                    THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END AS remaining_hours,
               backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours,
                                         u.used_hours, backoffice.bangkok_today())
                 AS package_status,
               p.expiration_date - backoffice.bangkok_today() AS days_until_expiry
          FROM backoffice.packages p
          JOIN backoffice.package_types pt ON pt.id = p.package_type_id
          LEFT JOIN LATERAL (
            SELECT sum(pu.used_hours) AS used_hours
              FROM backoffice.package_usage pu
             WHERE pu.package_id = p.id
          ) u ON true
      ) packages_with_status
     WHERE package_status IN ('active', 'unlimited', 'not_activated')
    """,
    # --- coach_earnings: one row per confirmed coaching booking; a missing rate is an error row (§5)
    """
    CREATE VIEW backoffice.coach_earnings AS
    WITH coaching AS (
      SELECT b.id AS booking_id, b.date AS booking_date, b.start_time,
             upper(substring(b.booking_type FROM '^Coaching \\((.+)\\)$')) AS coach_code,
             b.customer_id, b.customer_name, b.number_of_people, b.duration AS hours,
             pkg.package_id, pkg.discount_amount, pkg.package_hours,
             coalesce(
               pkg.package_type_name,
               CASE WHEN coalesce(b.number_of_people, 1) >= 2
                    THEN 'Individual, 2 PAX' ELSE 'Individual, 1 PAX' END
             ) AS rate_type
        FROM public.bookings b
        LEFT JOIN LATERAL (
          SELECT pu.package_id, pt.name AS package_type_name, p.discount_amount,
                 pt.hours AS package_hours
            FROM backoffice.package_usage pu
            JOIN backoffice.packages p ON p.id = pu.package_id
            JOIN backoffice.package_types pt ON pt.id = p.package_type_id
           WHERE pu.booking_id = b.id AND pt.type = 'Coaching'
           LIMIT 1
        ) pkg ON true
       WHERE b.status = 'confirmed' AND b.booking_type LIKE 'Coaching (%)'
    ), priced AS (
      SELECT c.*, r.rate,
             round(c.hours * r.rate, 2) AS gross_amount,
             CASE WHEN r.rate IS NULL THEN NULL
                  WHEN c.discount_amount IS NULL OR coalesce(c.package_hours, 0) = 0 THEN 0.00
                  ELSE round(c.discount_amount / c.package_hours * c.hours, 2)
             END AS discount_deduction
        FROM coaching c
        LEFT JOIN backoffice.coach_rates r ON r.rate_type = c.rate_type
    )
    SELECT booking_id, booking_date, start_time, coach_code, customer_id, customer_name,
           number_of_people, hours, package_id, rate_type, rate, gross_amount,
           discount_deduction,
           gross_amount - discount_deduction AS coach_earnings,
           CASE WHEN rate IS NULL
                THEN 'no coach rate for rate type "' || rate_type || '"' END AS error
      FROM priced
    """,
]
