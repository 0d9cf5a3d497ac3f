--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: archive; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA archive;

--
-- Name: backoffice; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA backoffice;

--
-- Name: pos; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA pos;

--
-- Name: btree_gist; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

--
-- Name: EXTENSION btree_gist; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION btree_gist IS 'support for indexing common datatypes in GiST';

--
-- Name: package_type; Type: TYPE; Schema: backoffice; Owner: -
--

CREATE TYPE backoffice.package_type AS ENUM (
    'Monthly',
    'Coaching',
    'Unlimited'
);

--
-- Name: bangkok_today(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.bangkok_today() RETURNS date
    LANGUAGE sql STABLE
    AS $$ SELECT (now() AT TIME ZONE 'Asia/Bangkok')::date $$;

--
-- Name: begin_correction(text, text); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.begin_correction(actor text, reason text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    BEGIN
      IF NOT pg_has_role(backoffice.real_db_role(), (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'backoffice.payroll_runs'::regclass), 'MEMBER') THEN
        RAISE EXCEPTION 'only the owner of the workbench''s schema may begin a correction of a finalised month'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF coalesce(btrim(actor), '') = '' OR coalesce(btrim(reason), '') = '' THEN
        -- no correction: end one begun earlier in this transaction, if any
        IF EXISTS (SELECT 1 FROM backoffice.lock_corrections c
                    WHERE c.backend_pid = pg_backend_pid()
                      AND c.transaction_id = pg_current_xact_id_if_assigned()::text::bigint) THEN
          INSERT INTO backoffice.lock_corrections (backend_pid, transaction_id, actor, reason, db_role)
          VALUES (pg_backend_pid(), pg_current_xact_id()::text::bigint, NULL, NULL,
                  backoffice.real_db_role());
        END IF;
        RETURN;
      END IF;
      INSERT INTO backoffice.lock_corrections (backend_pid, transaction_id, actor, reason, db_role)
      VALUES (pg_backend_pid(), pg_current_xact_id()::text::bigint, btrim(actor), btrim(reason),
              backoffice.real_db_role());
    END $$;

--
-- Name: calculate_package_expiration(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.calculate_package_expiration() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
    END $$;

--
-- Name: correction_in_progress(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.correction_in_progress() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
      SELECT coalesce((
        SELECT c.reason IS NOT NULL AND EXISTS (
                 SELECT 1 FROM backoffice.allowed_users u
                  WHERE lower(u.email) = lower(c.actor) AND u.is_admin)
          FROM backoffice.lock_corrections c
         WHERE c.backend_pid = pg_backend_pid()
           AND c.transaction_id = pg_current_xact_id_if_assigned()::text::bigint
         ORDER BY c.id DESC LIMIT 1), false)
    $$;

--
-- Name: finalise_payroll_run(integer, text); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.finalise_payroll_run(run_id integer, actor text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM backoffice.allowed_users u
                      WHERE lower(u.email) = lower(actor) AND u.is_admin) THEN
        RAISE EXCEPTION 'only an admin may finalise a payroll month, not %', actor
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      UPDATE backoffice.payroll_runs SET status = 'finalised', finalised_by = actor,
             finalised_at = now()
       WHERE id = run_id AND status = 'draft';
      IF NOT FOUND THEN
        RAISE EXCEPTION 'payroll run % is not a draft', run_id USING ERRCODE = 'check_violation';
      END IF;
    END $$;

--
-- Name: guard_finalised_payroll_compensation(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.guard_finalised_payroll_compensation() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
    END $$;

--
-- Name: guard_finalised_payroll_inserted_time_entries(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.guard_finalised_payroll_inserted_time_entries() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
END $$;

--
-- Name: guard_finalised_payroll_runs(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.guard_finalised_payroll_runs() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'backoffice.payroll_runs'::regclass), 'MEMBER')
         AND ((TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'finalised')
              OR (TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'finalised')) THEN
        RAISE EXCEPTION 'only the owner of the workbench''s schema may finalise or reopen a payroll month (role %)',
          backoffice.real_db_role() USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
      RETURN NEW;
    END $$;

--
-- Name: guard_finalised_payroll_time_entries(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.guard_finalised_payroll_time_entries() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
    END $$;

--
-- Name: guard_last_admin(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.guard_last_admin() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
        BEGIN
          IF OLD.is_admin IS TRUE
             AND (TG_OP = 'DELETE' OR NEW.is_admin IS NOT TRUE)
             AND EXISTS (SELECT 1 FROM backoffice.allowed_users)
             AND NOT EXISTS (SELECT 1 FROM backoffice.allowed_users WHERE is_admin) THEN
            RAISE EXCEPTION 'the last admin (%) cannot be removed or demoted: make another user an admin first', OLD.email
              USING ERRCODE = 'check_violation';
          END IF;
          RETURN NULL;
        END $$;

--
-- Name: jsonb_hide_values(jsonb, text[]); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.jsonb_hide_values(doc jsonb, visible text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE jsonb_typeof(doc)
    WHEN 'object' THEN COALESCE((
      SELECT jsonb_object_agg(e.key, CASE WHEN e.key = ANY(visible) THEN e.value
                                          ELSE backoffice.jsonb_hide_values(e.value, visible) END)
      FROM jsonb_each(doc) AS e), '{}'::jsonb)
    WHEN 'array' THEN COALESCE((
      SELECT jsonb_agg(backoffice.jsonb_hide_values(a.value, visible) ORDER BY a.n)
      FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(value, n)), '[]'::jsonb)
    WHEN 'null' THEN doc
    ELSE to_jsonb('(hidden)'::text) END
$$;

--
-- Name: jsonb_strip_keys(jsonb, text[]); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.jsonb_strip_keys(doc jsonb, keys text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE jsonb_typeof(doc)
    WHEN 'object' THEN COALESCE((
      SELECT jsonb_object_agg(e.key, backoffice.jsonb_strip_keys(e.value, keys))
      FROM jsonb_each(doc) AS e WHERE NOT e.key = ANY(keys)), '{}'::jsonb)
    WHEN 'array' THEN COALESCE((
      SELECT jsonb_agg(backoffice.jsonb_strip_keys(a.value, keys) ORDER BY a.n)
      FROM jsonb_array_elements(doc) WITH ORDINALITY AS a(value, n)), '[]'::jsonb)
    ELSE doc END
$$;

--
-- Name: log_staff_changes(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.log_staff_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
  actor text := nullif(current_setting('backoffice.actor', true), '');
  why text := nullif(current_setting('backoffice.reason', true), '');
  old_snapshot jsonb;
  new_snapshot jsonb;
  kind text;
  summary text;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    old_snapshot := to_jsonb(OLD) - 'pin_hash' - 'national_id';
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    new_snapshot := to_jsonb(NEW) - 'pin_hash' - 'national_id';
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
    IF NEW.national_id IS DISTINCT FROM OLD.national_id THEN
      summary := concat_ws(', ', 'national_id', summary);
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
    coalesce(actor, 'system:' || backoffice.real_db_role()),
    summary, old_snapshot, new_snapshot, why
  );
  RETURN NULL;
END $$;

--
-- Name: package_status(date, date, numeric, numeric, date); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.package_status(first_use_date date, expiration_date date, total_hours numeric, used_hours numeric, as_of date) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
      SELECT CASE
        WHEN first_use_date IS NULL THEN 'not_activated'
        WHEN expiration_date IS NOT NULL AND expiration_date < as_of THEN 'expired'
        WHEN total_hours IS NULL THEN 'unlimited'
        WHEN total_hours - coalesce(used_hours, 0) <= 0 THEN 'depleted'
        ELSE 'active'
      END
    $$;

--
-- Name: payroll_date_is_finalised(date); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.payroll_date_is_finalised(business_date date) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
      SELECT EXISTS (
        SELECT 1 FROM backoffice.payroll_runs r
         WHERE r.status = 'finalised'
           AND r.month IN (
             to_char(business_date, 'YYYY-MM'),
             to_char(business_date + (6 - extract(dow FROM business_date)::int), 'YYYY-MM')))
    $$;

--
-- Name: payroll_lock_bypassed(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.payroll_lock_bypassed() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
      SELECT pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'backoffice.payroll_runs'::regclass), 'MEMBER')
         AND backoffice.correction_in_progress()
    $$;

--
-- Name: payroll_period_is_finalised(date, date); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.payroll_period_is_finalised(period_from date, period_to date) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
      SELECT period_from <= coalesce(period_to, 'infinity'::date) AND EXISTS (
        SELECT 1 FROM backoffice.payroll_runs r
         WHERE r.status = 'finalised'
           AND to_date(r.month || '-01', 'YYYY-MM-DD') <= coalesce(period_to, 'infinity'::date)
           AND (to_date(r.month || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date
               >= period_from)
    $$;

--
-- Name: real_db_role(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.real_db_role() RETURNS text
    LANGUAGE sql STABLE
    AS $$
      SELECT CASE WHEN current_setting('role') = 'none' THEN session_user::text
                  ELSE current_setting('role') END
    $$;

--
-- Name: scrub_audit_secrets(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.scrub_audit_secrets() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF TG_TABLE_NAME = 'staff_audit_log' THEN
    NEW.old_data_snapshot := backoffice.jsonb_strip_keys(NEW.old_data_snapshot, ARRAY['pin', 'pin_hash', 'new_pin', 'national_id', 'bank_account']::text[]);
    NEW.new_data_snapshot := backoffice.jsonb_strip_keys(NEW.new_data_snapshot, ARRAY['pin', 'pin_hash', 'new_pin', 'national_id', 'bank_account']::text[]);
  ELSE
    NEW.details := backoffice.jsonb_strip_keys(NEW.details, ARRAY['pin', 'pin_hash', 'new_pin', 'national_id', 'bank_account']::text[]);
  END IF;
  RETURN NEW;
END
$$;

--
-- Name: set_actor(text, text); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.set_actor(actor text, reason text) RETURNS void
    LANGUAGE plpgsql
    AS $$
    BEGIN
      PERFORM set_config('backoffice.actor', coalesce(actor, ''), true),
              set_config('backoffice.reason', coalesce(reason, ''), true);
      -- a correction only where there is something to correct (a finalised month), and only
      -- for the owner: another role's claim opens nothing
      IF has_function_privilege('backoffice.begin_correction(text, text)', 'EXECUTE')
         AND pg_has_role(backoffice.real_db_role(), (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'backoffice.payroll_runs'::regclass), 'MEMBER')
         AND EXISTS (SELECT 1 FROM backoffice.payroll_runs r WHERE r.status = 'finalised') THEN
        PERFORM backoffice.begin_correction(actor, reason);
      END IF;
    END $$;

--
-- Name: stamp_db_role(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.stamp_db_role() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      -- the owner may carry a row's role over (a restore, a copy); anyone else's is stamped
      IF NEW.db_role IS NULL OR NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'backoffice.payroll_runs'::regclass), 'MEMBER') THEN
        NEW.db_role := backoffice.real_db_role();
      END IF;
      RETURN NEW;
    END $$;

--
-- Name: thai_tax_id_valid(text); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.thai_tax_id_valid(tax_id text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
  SELECT CASE
    WHEN tax_id IS NULL OR tax_id !~ '^[0-9]{13}$' THEN false
    ELSE (11 - (SELECT sum(substr(tax_id, i, 1)::int * (14 - i))
                FROM generate_series(1, 12) AS i) % 11) % 10 = substr(tax_id, 13, 1)::int
  END
$_$;

--
-- Name: touch_updated_at(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      NEW.updated_at := now();
      RETURN NEW;
    END $$;

--
-- Name: validate_package_usage(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.validate_package_usage() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
END $$;

--
-- Name: validate_package_usage_set(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.validate_package_usage_set() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
END $$;

--
-- Name: validate_time_entries_set(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.validate_time_entries_set() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
END $$;

--
-- Name: validate_time_entry(); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.validate_time_entry() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
END $$;

--
-- Name: write_audit(text, text, text, text, jsonb, text, text); Type: FUNCTION; Schema: backoffice; Owner: -
--

CREATE FUNCTION backoffice.write_audit(user_email text, action text, resource_type text, resource_id text, details jsonb, ip_address text, user_agent text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
      INSERT INTO backoffice.audit_logs (user_email, action, resource_type, resource_id, details,
                                       ip_address, user_agent)
      VALUES ($1, $2, $3, $4, coalesce($5, '{}'::jsonb), $6, $7)
    $_$;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: package_usage; Type: TABLE; Schema: archive; Owner: -
--

CREATE TABLE archive.package_usage (
    id uuid NOT NULL,
    package_id uuid NOT NULL,
    employee_name character varying NOT NULL,
    used_hours numeric(8,2) NOT NULL,
    used_date date NOT NULL,
    customer_signature_path text,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    booking_id text,
    CONSTRAINT ck_package_usage_used_hours_positive CHECK ((used_hours > (0)::numeric))
);

--
-- Name: package_usage; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.package_usage (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    package_id uuid NOT NULL,
    employee_name character varying NOT NULL,
    used_hours numeric(8,2) NOT NULL,
    used_date date NOT NULL,
    customer_signature_path text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    booking_id text,
    CONSTRAINT ck_package_usage_used_hours_positive CHECK ((used_hours > (0)::numeric))
);

--
-- Name: package_usage_all; Type: VIEW; Schema: archive; Owner: -
--

CREATE VIEW archive.package_usage_all AS
 SELECT package_usage.id,
    package_usage.package_id,
    package_usage.employee_name,
    package_usage.used_hours,
    package_usage.used_date,
    package_usage.customer_signature_path,
    package_usage.created_at,
    package_usage.updated_at,
    package_usage.booking_id,
    false AS archived
   FROM backoffice.package_usage
UNION ALL
 SELECT package_usage.id,
    package_usage.package_id,
    package_usage.employee_name,
    package_usage.used_hours,
    package_usage.used_date,
    package_usage.customer_signature_path,
    package_usage.created_at,
    package_usage.updated_at,
    package_usage.booking_id,
    true AS archived
   FROM archive.package_usage;

--
-- Name: packages; Type: TABLE; Schema: archive; Owner: -
--

CREATE TABLE archive.packages (
    id uuid NOT NULL,
    customer_name character varying NOT NULL,
    package_type_id integer NOT NULL,
    purchase_date date NOT NULL,
    first_use_date date,
    expiration_date date,
    employee_name character varying,
    stable_hash_id character varying,
    customer_id uuid,
    created_at timestamp with time zone NOT NULL,
    discount_amount numeric(12,2),
    alerts jsonb DEFAULT '[]'::jsonb NOT NULL,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    archived_by text NOT NULL,
    CONSTRAINT ck_packages_discount_not_negative CHECK (((discount_amount IS NULL) OR (discount_amount >= (0)::numeric)))
);

--
-- Name: packages; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.packages (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_name character varying NOT NULL,
    package_type_id integer NOT NULL,
    purchase_date date NOT NULL,
    first_use_date date,
    expiration_date date,
    employee_name character varying,
    stable_hash_id character varying,
    customer_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    discount_amount numeric(12,2),
    CONSTRAINT ck_packages_discount_not_negative CHECK (((discount_amount IS NULL) OR (discount_amount >= (0)::numeric)))
);

--
-- Name: packages_all; Type: VIEW; Schema: archive; Owner: -
--

CREATE VIEW archive.packages_all AS
 SELECT packages.id,
    packages.customer_name,
    packages.package_type_id,
    packages.purchase_date,
    packages.first_use_date,
    packages.expiration_date,
    packages.employee_name,
    packages.stable_hash_id,
    packages.customer_id,
    packages.created_at,
    packages.discount_amount,
    false AS archived
   FROM backoffice.packages
UNION ALL
 SELECT packages.id,
    packages.customer_name,
    packages.package_type_id,
    packages.purchase_date,
    packages.first_use_date,
    packages.expiration_date,
    packages.employee_name,
    packages.stable_hash_id,
    packages.customer_id,
    packages.created_at,
    packages.discount_amount,
    true AS archived
   FROM archive.packages;

--
-- Name: time_entries; Type: TABLE; Schema: archive; Owner: -
--

CREATE TABLE archive.time_entries (
    id integer NOT NULL,
    staff_id integer,
    action text NOT NULL,
    "timestamp" timestamp with time zone NOT NULL,
    photo_url text,
    photo_captured boolean,
    camera_error text,
    device_info jsonb,
    CONSTRAINT ck_time_entries_action_known CHECK ((action = ANY (ARRAY['clock_in'::text, 'clock_out'::text])))
)
PARTITION BY RANGE ("timestamp");

--
-- Name: time_entries; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.time_entries (
    id integer NOT NULL,
    staff_id integer,
    action text NOT NULL,
    "timestamp" timestamp with time zone DEFAULT now() NOT NULL,
    photo_url text,
    photo_captured boolean DEFAULT false,
    camera_error text,
    device_info jsonb,
    CONSTRAINT ck_time_entries_action_known CHECK ((action = ANY (ARRAY['clock_in'::text, 'clock_out'::text])))
)
PARTITION BY RANGE ("timestamp");

--
-- Name: time_entries_all; Type: VIEW; Schema: archive; Owner: -
--

CREATE VIEW archive.time_entries_all AS
 SELECT time_entries.id,
    time_entries.staff_id,
    time_entries.action,
    time_entries."timestamp",
    time_entries.photo_url,
    time_entries.photo_captured,
    time_entries.camera_error,
    time_entries.device_info
   FROM backoffice.time_entries
UNION ALL
 SELECT time_entries.id,
    time_entries.staff_id,
    time_entries.action,
    time_entries."timestamp",
    time_entries.photo_url,
    time_entries.photo_captured,
    time_entries.camera_error,
    time_entries.device_info
   FROM archive.time_entries;

--
-- Name: allowed_users; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.allowed_users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text NOT NULL,
    is_admin boolean DEFAULT false,
    is_coach boolean DEFAULT false NOT NULL,
    coach_name text,
    coach_display_name text,
    coach_phone text,
    coach_code text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    is_analyst boolean DEFAULT false NOT NULL
);

--
-- Name: audit_logs; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.audit_logs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_email text NOT NULL,
    action text NOT NULL,
    resource_type text NOT NULL,
    resource_id text,
    details jsonb DEFAULT '{}'::jsonb,
    ip_address text,
    user_agent text,
    "timestamp" timestamp with time zone DEFAULT now() NOT NULL,
    db_role text
)
PARTITION BY RANGE ("timestamp");

--
-- Name: audit_changes; Type: VIEW; Schema: backoffice; Owner: -
--

CREATE VIEW backoffice.audit_changes AS
 SELECT id,
    "timestamp",
    user_email,
    action,
    resource_type,
    resource_id,
        CASE
            WHEN (resource_type = ANY (ARRAY['staff_compensation'::text, 'payroll_run'::text, 'payroll_runs'::text, 'monthly_service_charge'::text, 'staff_tax_allowances'::text, 'staff_tax_allowance'::text, 'coach_rates'::text, 'coach_earnings'::text, 'payroll_review_acknowledgements'::text, 'payroll_close'::text, 'payroll_filings'::text])) THEN backoffice.jsonb_hide_values(details, ARRAY['staff_name'::text, 'staff_id'::text, 'id'::text, 'reason'::text, 'month'::text, 'payroll_month'::text, 'effective_from'::text, 'effective_to'::text, 'status'::text, 'finalised_by'::text, 'coach_code'::text, 'tax_year'::text, 'compensation_type'::text])
            ELSE details
        END AS details
   FROM backoffice.audit_logs;

--
-- Name: audit_logs_default; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.audit_logs_default (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT audit_logs_id_not_null NOT NULL,
    user_email text CONSTRAINT audit_logs_user_email_not_null NOT NULL,
    action text CONSTRAINT audit_logs_action_not_null NOT NULL,
    resource_type text CONSTRAINT audit_logs_resource_type_not_null NOT NULL,
    resource_id text,
    details jsonb DEFAULT '{}'::jsonb,
    ip_address text,
    user_agent text,
    "timestamp" timestamp with time zone DEFAULT now() CONSTRAINT audit_logs_timestamp_not_null NOT NULL,
    db_role text
);

--
-- Name: coach_rates; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.coach_rates (
    rate_type text NOT NULL,
    rate numeric(10,2) NOT NULL,
    CONSTRAINT ck_coach_rates_rate_not_negative CHECK ((rate >= (0)::numeric))
);

--
-- Name: package_types; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.package_types (
    id integer NOT NULL,
    name character varying NOT NULL,
    display_name character varying,
    type backoffice.package_type,
    hours numeric(8,2),
    validity_period interval,
    pax smallint,
    display_order smallint,
    CONSTRAINT ck_package_types_hours_positive CHECK (((hours IS NULL) OR (hours > (0)::numeric)))
);

--
-- Name: bookings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.bookings (
    id text NOT NULL,
    customer_id uuid,
    customer_name text,
    date date,
    start_time time without time zone,
    duration numeric(4,2),
    number_of_people smallint,
    booking_type text,
    status text,
    created_at timestamp with time zone DEFAULT now()
);

--
-- Name: coach_earnings; Type: VIEW; Schema: backoffice; Owner: -
--

CREATE VIEW backoffice.coach_earnings AS
 WITH coaching AS (
         SELECT b.id AS booking_id,
            b.date AS booking_date,
            b.start_time,
            upper("substring"(b.booking_type, '^Coaching \((.+)\)$'::text)) AS coach_code,
            b.customer_id,
            b.customer_name,
            b.number_of_people,
            b.duration AS hours,
            pkg.package_id,
            pkg.discount_amount,
            pkg.package_hours,
            COALESCE(pkg.package_type_name, (
                CASE
                    WHEN (COALESCE((b.number_of_people)::integer, 1) >= 2) THEN 'Individual, 2 PAX'::text
                    ELSE 'Individual, 1 PAX'::text
                END)::character varying) AS rate_type
           FROM (public.bookings b
             LEFT JOIN LATERAL ( SELECT pu.package_id,
                    pt.name AS package_type_name,
                    p.discount_amount,
                    pt.hours AS package_hours
                   FROM ((archive.package_usage_all pu
                     JOIN archive.packages_all p ON ((p.id = pu.package_id)))
                     JOIN backoffice.package_types pt ON ((pt.id = p.package_type_id)))
                  WHERE ((pu.booking_id = b.id) AND (pt.type = 'Coaching'::backoffice.package_type))
                 LIMIT 1) pkg ON (true))
          WHERE ((b.status = 'confirmed'::text) AND (b.booking_type ~~ 'Coaching (%)'::text))
        ), priced AS (
         SELECT c.booking_id,
            c.booking_date,
            c.start_time,
            c.coach_code,
            c.customer_id,
            c.customer_name,
            c.number_of_people,
            c.hours,
            c.package_id,
            c.discount_amount,
            c.package_hours,
            c.rate_type,
            r.rate,
            round((c.hours * r.rate), 2) AS gross_amount,
                CASE
                    WHEN (r.rate IS NULL) THEN NULL::numeric
                    WHEN ((c.discount_amount IS NULL) OR (COALESCE(c.package_hours, (0)::numeric) = (0)::numeric)) THEN 0.00
                    ELSE round(((c.discount_amount / c.package_hours) * c.hours), 2)
                END AS discount_deduction
           FROM (coaching c
             LEFT JOIN backoffice.coach_rates r ON ((r.rate_type = (c.rate_type)::text)))
        )
 SELECT booking_id,
    booking_date,
    start_time,
    coach_code,
    customer_id,
    customer_name,
    number_of_people,
    hours,
    package_id,
    rate_type,
    rate,
    gross_amount,
    discount_deduction,
    (gross_amount - discount_deduction) AS coach_earnings,
        CASE
            WHEN (rate IS NULL) THEN (('no coach rate for rate type "'::text || (rate_type)::text) || '"'::text)
            ELSE NULL::text
        END AS error
   FROM priced;

--
-- Name: customer_active_packages; Type: VIEW; Schema: backoffice; Owner: -
--

CREATE VIEW backoffice.customer_active_packages AS
 SELECT package_id,
    customer_id,
    customer_name,
    stable_hash_id,
    package_type_id,
    package_type_name,
    package_display_name,
    package_category,
    pax,
    validity_period,
    purchase_date,
    first_use_date,
    expiration_date,
    employee_name,
    discount_amount,
    created_at,
    total_hours,
    used_hours,
    remaining_hours,
    package_status,
    days_until_expiry
   FROM ( SELECT p.id AS package_id,
            p.customer_id,
            p.customer_name,
            p.stable_hash_id,
            p.package_type_id,
            pt.name AS package_type_name,
            pt.display_name AS package_display_name,
            (pt.type)::text AS package_category,
            pt.pax,
            pt.validity_period,
            p.purchase_date,
            p.first_use_date,
            p.expiration_date,
            p.employee_name,
            p.discount_amount,
            p.created_at,
            pt.hours AS total_hours,
            COALESCE(u.used_hours, (0)::numeric) AS used_hours,
                CASE
                    WHEN (pt.hours IS NOT NULL) THEN GREATEST((0)::numeric, (pt.hours - COALESCE(u.used_hours, (0)::numeric)))
                    ELSE NULL::numeric
                END AS remaining_hours,
            backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours, u.used_hours, backoffice.bangkok_today()) AS package_status,
            (p.expiration_date - backoffice.bangkok_today()) AS days_until_expiry
           FROM ((backoffice.packages p
             JOIN backoffice.package_types pt ON ((pt.id = p.package_type_id)))
             LEFT JOIN LATERAL ( SELECT sum(pu.used_hours) AS used_hours
                   FROM backoffice.package_usage pu
                  WHERE (pu.package_id = p.id)) u ON (true))) packages_with_status
  WHERE (package_status = ANY (ARRAY['active'::text, 'unlimited'::text, 'not_activated'::text]));

--
-- Name: delivery_outbox; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.delivery_outbox (
    id bigint NOT NULL,
    kind text NOT NULL,
    channel text NOT NULL,
    period text NOT NULL,
    recipient_kind text NOT NULL,
    recipient_id text NOT NULL,
    recipient_name text,
    address text,
    attachment_sha256 text NOT NULL,
    subject text,
    state text DEFAULT 'queued'::text NOT NULL,
    skip_reason text,
    last_error text,
    attempts integer DEFAULT 0 NOT NULL,
    message_id text,
    requested_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    resend_reason text,
    corrects_id bigint,
    CONSTRAINT ck_delivery_outbox_attempts_not_negative CHECK ((attempts >= 0)),
    CONSTRAINT ck_delivery_outbox_channel_known CHECK ((channel = ANY (ARRAY['email'::text, 'line'::text]))),
    CONSTRAINT ck_delivery_outbox_handed_over_has_message_id CHECK (((state <> ALL (ARRAY['sending'::text, 'sent'::text])) OR (message_id IS NOT NULL))),
    CONSTRAINT ck_delivery_outbox_kind_known CHECK ((kind = ANY (ARRAY['payslip'::text, 'wht_certificate'::text, 'package_alert'::text]))),
    CONSTRAINT ck_delivery_outbox_recipient_kind_known CHECK ((recipient_kind = ANY (ARRAY['staff'::text, 'supplier'::text, 'customer'::text]))),
    CONSTRAINT ck_delivery_outbox_resend_reason_given CHECK (((resend_reason IS NULL) OR (btrim(resend_reason) <> ''::text))),
    CONSTRAINT ck_delivery_outbox_sha256_hex CHECK ((attachment_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT ck_delivery_outbox_skipped_says_why CHECK (((state <> 'skipped'::text) OR (skip_reason IS NOT NULL))),
    CONSTRAINT ck_delivery_outbox_state_known CHECK ((state = ANY (ARRAY['queued'::text, 'sending'::text, 'sent'::text, 'failed'::text, 'skipped'::text])))
);

--
-- Name: delivery_outbox_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.delivery_outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: delivery_outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.delivery_outbox_id_seq OWNED BY backoffice.delivery_outbox.id;

--
-- Name: import_quarantine; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.import_quarantine (
    id integer NOT NULL,
    import_id integer NOT NULL,
    table_name text NOT NULL,
    live_key text NOT NULL,
    rule text NOT NULL,
    message text NOT NULL,
    "row" jsonb NOT NULL,
    row_hash text NOT NULL,
    group_key text,
    depends_on text,
    status text DEFAULT 'pending'::text NOT NULL,
    resolution text,
    resolved_by text,
    resolved_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_import_quarantine_status_known CHECK ((status = ANY (ARRAY['pending'::text, 'resolved'::text, 'dismissed'::text])))
);

--
-- Name: import_quarantine_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.import_quarantine_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: import_quarantine_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.import_quarantine_id_seq OWNED BY backoffice.import_quarantine.id;

--
-- Name: import_row_versions; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.import_row_versions (
    table_name text NOT NULL,
    live_key text NOT NULL,
    target_key text NOT NULL,
    row_hash text NOT NULL,
    import_id integer NOT NULL
);

--
-- Name: import_runs; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.import_runs (
    id integer NOT NULL,
    source text NOT NULL,
    snapshot text NOT NULL,
    user_email text NOT NULL,
    dry_run boolean DEFAULT false NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    report jsonb DEFAULT '{}'::jsonb NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    CONSTRAINT ck_import_runs_status_known CHECK ((status = ANY (ARRAY['running'::text, 'finished'::text])))
);

--
-- Name: import_runs_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.import_runs_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: import_runs_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.import_runs_id_seq OWNED BY backoffice.import_runs.id;

--
-- Name: invoice_items; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.invoice_items (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    invoice_id uuid NOT NULL,
    description text NOT NULL,
    quantity numeric(12,2) DEFAULT 1 NOT NULL,
    unit_price numeric(12,2) NOT NULL,
    line_total numeric(12,2) NOT NULL,
    CONSTRAINT ck_invoice_items_amounts_not_negative CHECK (((quantity >= (0)::numeric) AND (unit_price >= (0)::numeric) AND (line_total >= (0)::numeric)))
);

--
-- Name: invoice_settings; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.invoice_settings (
    key text NOT NULL,
    value text NOT NULL,
    updated_at timestamp with time zone DEFAULT now()
);

--
-- Name: invoice_suppliers; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.invoice_suppliers (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    address_line1 text,
    address_line2 text,
    tax_id text,
    default_description text,
    default_unit_price numeric(12,2),
    bank_name text,
    bank_account text,
    created_at timestamp with time zone DEFAULT now(),
    updated_at timestamp with time zone DEFAULT now(),
    payee_kind text,
    title text,
    first_name text,
    last_name text,
    address_line text,
    subdistrict text,
    district text,
    province text,
    postal_code text,
    branch_no text DEFAULT '00000'::text NOT NULL,
    income_type_code text DEFAULT '40(8)'::text NOT NULL,
    income_type_label text DEFAULT 'ค่าบริการ / ค่าจ้างทำของ'::text NOT NULL,
    email text,
    CONSTRAINT ck_invoice_suppliers_branch_no_five_digits CHECK ((branch_no ~ '^[0-9]{5}$'::text)),
    CONSTRAINT ck_invoice_suppliers_payee_kind_known CHECK ((payee_kind = ANY (ARRAY['individual'::text, 'juristic'::text]))),
    CONSTRAINT ck_invoice_suppliers_postal_code_five_digits CHECK ((postal_code ~ '^[0-9]{5}$'::text))
);

--
-- Name: invoices; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.invoices (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    invoice_number character varying NOT NULL,
    supplier_id uuid NOT NULL,
    invoice_date date NOT NULL,
    subtotal numeric(12,2) DEFAULT 0 NOT NULL,
    tax_rate numeric(5,2) DEFAULT 3.00 NOT NULL,
    tax_amount numeric(12,2) DEFAULT 0 NOT NULL,
    total_amount numeric(12,2) DEFAULT 0 NOT NULL,
    pdf_file_path text,
    created_by uuid,
    updated_by uuid,
    status text DEFAULT 'issued'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now(),
    updated_at timestamp with time zone DEFAULT now(),
    paid_on date,
    CONSTRAINT ck_invoices_amounts_not_negative CHECK (((subtotal >= (0)::numeric) AND (tax_amount >= (0)::numeric) AND (total_amount >= (0)::numeric))),
    CONSTRAINT ck_invoices_status_known CHECK ((status = ANY (ARRAY['draft'::text, 'issued'::text, 'void'::text]))),
    CONSTRAINT ck_invoices_tax_rate_percent CHECK (((tax_rate >= (0)::numeric) AND (tax_rate <= (100)::numeric)))
);

--
-- Name: job_runs; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.job_runs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    job_name text NOT NULL,
    notebook text NOT NULL,
    parameters jsonb DEFAULT '{}'::jsonb NOT NULL,
    trigger text DEFAULT 'manual'::text NOT NULL,
    period_key text,
    requested_by text,
    status text DEFAULT 'running'::text NOT NULL,
    error text,
    run_dir text NOT NULL,
    outputs jsonb DEFAULT '{}'::jsonb NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    duration_seconds numeric(10,3),
    pid integer,
    host text,
    CONSTRAINT ck_job_runs_finish_after_start CHECK (((finished_at IS NULL) OR (finished_at >= started_at))),
    CONSTRAINT ck_job_runs_status_known CHECK ((status = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text]))),
    CONSTRAINT ck_job_runs_trigger_known CHECK ((trigger = ANY (ARRAY['schedule'::text, 'manual'::text])))
);

--
-- Name: lock_corrections; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.lock_corrections (
    id integer NOT NULL,
    backend_pid integer NOT NULL,
    transaction_id bigint NOT NULL,
    actor text,
    reason text,
    db_role text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: lock_corrections_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.lock_corrections_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: lock_corrections_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.lock_corrections_id_seq OWNED BY backoffice.lock_corrections.id;

--
-- Name: monthly_service_charge; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.monthly_service_charge (
    id integer NOT NULL,
    month_year text NOT NULL,
    total_amount numeric(12,2) DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now(),
    CONSTRAINT ck_monthly_service_charge_month_year_format CHECK ((month_year ~ '^\d{4}-(0[1-9]|1[0-2])$'::text)),
    CONSTRAINT ck_monthly_service_charge_total_not_negative CHECK ((total_amount >= (0)::numeric))
);

--
-- Name: monthly_service_charge_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.monthly_service_charge_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: monthly_service_charge_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.monthly_service_charge_id_seq OWNED BY backoffice.monthly_service_charge.id;

--
-- Name: owned_external_tables; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.owned_external_tables (
    qualified_name text NOT NULL
);

--
-- Name: package_alerts; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.package_alerts (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    package_id uuid NOT NULL,
    alert_level text NOT NULL,
    raised_on date NOT NULL,
    message text NOT NULL,
    details jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_package_alerts_alert_level_known CHECK ((alert_level = ANY (ARRAY['expiring_soon'::text, 'low_balance'::text, 'not_activated'::text])))
);

--
-- Name: package_types_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.package_types_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: package_types_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.package_types_id_seq OWNED BY backoffice.package_types.id;

--
-- Name: partner_products; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.partner_products (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    reconciliation_type text NOT NULL,
    match_on text NOT NULL,
    value text NOT NULL,
    created_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_partner_products_match_on_known CHECK ((match_on = ANY (ARRAY['category'::text, 'sku'::text]))),
    CONSTRAINT ck_partner_products_value_not_blank CHECK (((btrim(value) <> ''::text) AND (value <> '-'::text)))
);

--
-- Name: payroll_forecasts; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.payroll_forecasts (
    id integer NOT NULL,
    month text NOT NULL,
    forecast_date date NOT NULL,
    staff_id integer NOT NULL,
    hours_worked numeric(8,2) NOT NULL,
    hours_planned numeric(8,2) NOT NULL,
    base_pay numeric(12,2) NOT NULL,
    daily_allowance numeric(12,2) NOT NULL,
    overtime_pay numeric(12,2) NOT NULL,
    holiday_pay numeric(12,2) NOT NULL,
    service_charge numeric(12,2) NOT NULL,
    total_pay numeric(12,2) NOT NULL,
    net_pay numeric(12,2),
    employer_cost numeric(12,2),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_payroll_forecasts_month_format CHECK ((month ~ '^\d{4}-(0[1-9]|1[0-2])$'::text))
);

--
-- Name: payroll_forecasts_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.payroll_forecasts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: payroll_forecasts_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.payroll_forecasts_id_seq OWNED BY backoffice.payroll_forecasts.id;

--
-- Name: payroll_review_acknowledgements; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.payroll_review_acknowledgements (
    id integer NOT NULL,
    month text NOT NULL,
    staff_id integer NOT NULL,
    flag_kind text NOT NULL,
    reason text NOT NULL,
    acknowledged_by text NOT NULL,
    acknowledged_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_payroll_review_acknowledgements_month_format CHECK ((month ~ '^\d{4}-(0[1-9]|1[0-2])$'::text)),
    CONSTRAINT ck_payroll_review_acknowledgements_reason_given CHECK ((btrim(reason) <> ''::text))
);

--
-- Name: payroll_review_acknowledgements_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.payroll_review_acknowledgements_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: payroll_review_acknowledgements_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.payroll_review_acknowledgements_id_seq OWNED BY backoffice.payroll_review_acknowledgements.id;

--
-- Name: payroll_runs; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.payroll_runs (
    id integer NOT NULL,
    month text NOT NULL,
    status text DEFAULT 'draft'::text NOT NULL,
    checksum text NOT NULL,
    people integer DEFAULT 0 NOT NULL,
    total_pay numeric(12,2) DEFAULT 0 NOT NULL,
    totals jsonb DEFAULT '{}'::jsonb NOT NULL,
    service_charge jsonb DEFAULT '{}'::jsonb NOT NULL,
    lines jsonb DEFAULT '[]'::jsonb NOT NULL,
    blocking_errors integer DEFAULT 0 NOT NULL,
    review_flags integer DEFAULT 0 NOT NULL,
    run_folder text,
    created_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    finalised_by text,
    finalised_at timestamp with time zone,
    CONSTRAINT ck_payroll_runs_finalised_has_who_and_when CHECK (((status <> 'finalised'::text) OR ((finalised_by IS NOT NULL) AND (finalised_at IS NOT NULL)))),
    CONSTRAINT ck_payroll_runs_month_format CHECK ((month ~ '^\d{4}-(0[1-9]|1[0-2])$'::text)),
    CONSTRAINT ck_payroll_runs_status_known CHECK ((status = ANY (ARRAY['draft'::text, 'finalised'::text])))
);

--
-- Name: payroll_runs_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.payroll_runs_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: payroll_runs_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.payroll_runs_id_seq OWNED BY backoffice.payroll_runs.id;

--
-- Name: payroll_settings; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.payroll_settings (
    id integer NOT NULL,
    setting_key text NOT NULL,
    setting_value text NOT NULL,
    description text,
    updated_at timestamp with time zone DEFAULT now()
);

--
-- Name: payroll_settings_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.payroll_settings_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: payroll_settings_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.payroll_settings_id_seq OWNED BY backoffice.payroll_settings.id;

--
-- Name: public_holidays; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.public_holidays (
    id integer NOT NULL,
    holiday_date date NOT NULL,
    holiday_name text NOT NULL,
    is_active boolean DEFAULT true
);

--
-- Name: public_holidays_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.public_holidays_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: public_holidays_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.public_holidays_id_seq OWNED BY backoffice.public_holidays.id;

--
-- Name: reconciliation_column_mappings; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.reconciliation_column_mappings (
    reconciliation_type text NOT NULL,
    column_name text NOT NULL,
    header_text text NOT NULL,
    updated_by text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_reconciliation_column_mappings_column_known CHECK ((column_name = ANY (ARRAY['date'::text, 'customer'::text, 'product'::text, 'sku'::text, 'quantity'::text, 'amount'::text]))),
    CONSTRAINT ck_reconciliation_column_mappings_header_not_blank CHECK ((btrim(header_text) <> ''::text))
);

--
-- Name: reconciliation_items; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.reconciliation_items (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    session_id uuid NOT NULL,
    item_type text NOT NULL,
    match_type text,
    confidence numeric(3,2),
    invoice_data jsonb,
    pos_data jsonb,
    amount_variance numeric(12,2),
    quantity_variance numeric(12,2),
    status text DEFAULT 'unresolved'::text NOT NULL,
    resolution_notes text,
    resolved_by text,
    resolved_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now(),
    CONSTRAINT ck_reconciliation_items_confidence_0_1 CHECK (((confidence IS NULL) OR ((confidence >= (0)::numeric) AND (confidence <= (1)::numeric)))),
    CONSTRAINT ck_reconciliation_items_item_type_known CHECK ((item_type = ANY (ARRAY['matched'::text, 'invoice_only'::text, 'pos_only'::text]))),
    CONSTRAINT ck_reconciliation_items_status_known CHECK ((status = ANY (ARRAY['unresolved'::text, 'approved'::text, 'disputed'::text, 'adjusted'::text])))
);

--
-- Name: reconciliation_sessions; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.reconciliation_sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    admin_user_id uuid,
    reconciliation_type text NOT NULL,
    file_name text NOT NULL,
    date_range_start date NOT NULL,
    date_range_end date NOT NULL,
    total_invoice_items integer DEFAULT 0 NOT NULL,
    total_pos_records integer DEFAULT 0 NOT NULL,
    matched_items integer DEFAULT 0 NOT NULL,
    match_rate numeric(5,2),
    variance_amount numeric(12,2),
    status text DEFAULT 'processing'::text NOT NULL,
    total_invoice_amount numeric(12,2),
    total_pos_amount numeric(12,2),
    variance_percentage numeric(9,2),
    error_message text,
    created_at timestamp with time zone DEFAULT now(),
    completed_at timestamp with time zone,
    CONSTRAINT ck_reconciliation_sessions_status_known CHECK ((status = ANY (ARRAY['processing'::text, 'completed'::text, 'failed'::text])))
);

--
-- Name: staff; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.staff (
    id integer NOT NULL,
    staff_name text NOT NULL,
    staff_id text,
    pin_hash text NOT NULL,
    is_active boolean DEFAULT true,
    is_service_charge_eligible boolean DEFAULT false,
    failed_attempts integer DEFAULT 0,
    locked_until timestamp with time zone,
    created_at timestamp with time zone DEFAULT now(),
    updated_at timestamp with time zone DEFAULT now(),
    national_id text,
    title text,
    first_name text,
    last_name text,
    sso_insured boolean DEFAULT true NOT NULL,
    joined_on date,
    email text,
    CONSTRAINT ck_staff_failed_attempts_not_negative CHECK ((failed_attempts >= 0)),
    CONSTRAINT ck_staff_national_id_check_digit CHECK (((national_id ~ '^[0-9]{13}$'::text) AND (((11 - ((((((((((((((substr(national_id, 1, 1))::integer * 13) + ((substr(national_id, 2, 1))::integer * 12)) + ((substr(national_id, 3, 1))::integer * 11)) + ((substr(national_id, 4, 1))::integer * 10)) + ((substr(national_id, 5, 1))::integer * 9)) + ((substr(national_id, 6, 1))::integer * 8)) + ((substr(national_id, 7, 1))::integer * 7)) + ((substr(national_id, 8, 1))::integer * 6)) + ((substr(national_id, 9, 1))::integer * 5)) + ((substr(national_id, 10, 1))::integer * 4)) + ((substr(national_id, 11, 1))::integer * 3)) + ((substr(national_id, 12, 1))::integer * 2)) % 11)) % 10) = (substr(national_id, 13, 1))::integer))),
    CONSTRAINT ck_staff_title_known CHECK ((title = ANY (ARRAY['นาย'::text, 'นาง'::text, 'นางสาว'::text, 'Mr'::text, 'Mrs'::text, 'Ms'::text])))
);

--
-- Name: staff_audit_log; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.staff_audit_log (
    id integer NOT NULL,
    staff_id integer,
    action_type text NOT NULL,
    changed_by_type text NOT NULL,
    changed_by_identifier text NOT NULL,
    changes_summary text,
    old_data_snapshot jsonb,
    new_data_snapshot jsonb,
    reason text,
    created_at timestamp with time zone DEFAULT now(),
    db_role text,
    CONSTRAINT ck_staff_audit_log_action_type_known CHECK ((action_type = ANY (ARRAY['created'::text, 'updated'::text, 'pin_changed'::text, 'activated'::text, 'deactivated'::text, 'locked'::text, 'unlocked'::text, 'deleted'::text]))),
    CONSTRAINT ck_staff_audit_log_changed_by_type_known CHECK ((changed_by_type = ANY (ARRAY['admin'::text, 'system'::text])))
);

--
-- Name: staff_audit_log_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.staff_audit_log_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: staff_audit_log_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.staff_audit_log_id_seq OWNED BY backoffice.staff_audit_log.id;

--
-- Name: staff_compensation; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.staff_compensation (
    id integer NOT NULL,
    staff_id integer NOT NULL,
    compensation_type text DEFAULT 'salary'::text,
    base_salary numeric(12,2) DEFAULT 0 NOT NULL,
    hourly_rate numeric(12,2) DEFAULT 0,
    ot_rate_per_hour numeric(12,2) DEFAULT 0 NOT NULL,
    holiday_rate_per_hour numeric(12,2) DEFAULT 0 NOT NULL,
    is_service_charge_eligible boolean DEFAULT false,
    min_hours_for_allowance integer DEFAULT 6,
    effective_from date NOT NULL,
    effective_to date,
    CONSTRAINT ck_staff_compensation_hourly_has_hourly_rate CHECK (((compensation_type <> 'hourly'::text) OR (hourly_rate > (0)::numeric))),
    CONSTRAINT ck_staff_compensation_min_hours_not_negative CHECK (((min_hours_for_allowance IS NULL) OR (min_hours_for_allowance >= 0))),
    CONSTRAINT ck_staff_compensation_period_ordered CHECK (((effective_to IS NULL) OR (effective_to >= effective_from))),
    CONSTRAINT ck_staff_compensation_rates_not_negative CHECK (((base_salary >= (0)::numeric) AND (COALESCE(hourly_rate, (0)::numeric) >= (0)::numeric) AND (ot_rate_per_hour >= (0)::numeric) AND (holiday_rate_per_hour >= (0)::numeric))),
    CONSTRAINT ck_staff_compensation_salary_has_base_salary CHECK (((compensation_type <> 'salary'::text) OR (base_salary > (0)::numeric))),
    CONSTRAINT ck_staff_compensation_type_known CHECK ((compensation_type = ANY (ARRAY['salary'::text, 'hourly'::text])))
);

--
-- Name: staff_compensation_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.staff_compensation_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: staff_compensation_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.staff_compensation_id_seq OWNED BY backoffice.staff_compensation.id;

--
-- Name: staff_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.staff_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: staff_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.staff_id_seq OWNED BY backoffice.staff.id;

--
-- Name: staff_schedules; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.staff_schedules (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    staff_id integer NOT NULL,
    schedule_date date NOT NULL,
    start_time time without time zone NOT NULL,
    end_time time without time zone NOT NULL,
    location text,
    notes text,
    created_by text,
    CONSTRAINT ck_staff_schedules_ends_after_start CHECK ((end_time > start_time))
);

--
-- Name: staff_status; Type: VIEW; Schema: backoffice; Owner: -
--

CREATE VIEW backoffice.staff_status AS
 SELECT s.id,
    s.staff_name,
    s.staff_id,
    s.is_active,
    s.failed_attempts,
    s.locked_until,
    COALESCE((s.locked_until > now()), false) AS is_currently_locked,
    last_entry.action AS last_action,
    last_entry."timestamp" AS last_action_time,
    COALESCE((last_entry.action = 'clock_in'::text), false) AS currently_clocked_in
   FROM (backoffice.staff s
     LEFT JOIN LATERAL ( SELECT te.action,
            te."timestamp"
           FROM backoffice.time_entries te
          WHERE (te.staff_id = s.id)
          ORDER BY te."timestamp" DESC
         LIMIT 1) last_entry ON (true))
  WHERE s.is_active;

--
-- Name: staff_tax_allowances; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.staff_tax_allowances (
    id integer NOT NULL,
    staff_id integer NOT NULL,
    tax_year integer NOT NULL,
    amount numeric(12,2) DEFAULT 0 NOT NULL,
    updated_by text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_staff_tax_allowances_amount_not_negative CHECK ((amount >= (0)::numeric)),
    CONSTRAINT ck_staff_tax_allowances_tax_year_plausible CHECK (((tax_year >= 2000) AND (tax_year <= 2200)))
);

--
-- Name: staff_tax_allowances_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.staff_tax_allowances_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: staff_tax_allowances_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.staff_tax_allowances_id_seq OWNED BY backoffice.staff_tax_allowances.id;

--
-- Name: staff_weekly_schedules; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.staff_weekly_schedules (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    staff_id integer NOT NULL,
    day_of_week integer NOT NULL,
    start_time time without time zone NOT NULL,
    end_time time without time zone NOT NULL,
    location text,
    is_active boolean DEFAULT true,
    CONSTRAINT ck_staff_weekly_schedules_day_of_week_0_to_6 CHECK (((day_of_week >= 0) AND (day_of_week <= 6))),
    CONSTRAINT ck_staff_weekly_schedules_ends_after_start CHECK ((end_time > start_time))
);

--
-- Name: statutory_rates; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.statutory_rates (
    id integer NOT NULL,
    rate_key text NOT NULL,
    value numeric(14,4) NOT NULL,
    threshold numeric(12,2) DEFAULT 0 NOT NULL,
    effective_from date NOT NULL,
    note text,
    created_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_statutory_rates_threshold_not_negative CHECK ((threshold >= (0)::numeric)),
    CONSTRAINT ck_statutory_rates_value_not_negative CHECK ((value >= (0)::numeric))
);

--
-- Name: statutory_rates_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.statutory_rates_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: statutory_rates_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.statutory_rates_id_seq OWNED BY backoffice.statutory_rates.id;

--
-- Name: tax_filings; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.tax_filings (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    duty text NOT NULL,
    period text NOT NULL,
    files jsonb DEFAULT '[]'::jsonb NOT NULL,
    files_made_at timestamp with time zone,
    files_made_by text,
    filed_on date,
    receipt_no text,
    filed_by text,
    filed_at timestamp with time zone,
    CONSTRAINT ck_tax_filings_duty_known CHECK ((duty = ANY (ARRAY['sso'::text, 'pnd1'::text, 'pnd3'::text, 'pnd53'::text, 'pnd1a'::text, 'wht50_employees'::text]))),
    CONSTRAINT ck_tax_filings_filed_has_who_and_when CHECK (((filed_on IS NULL) OR ((filed_by IS NOT NULL) AND (filed_at IS NOT NULL)))),
    CONSTRAINT ck_tax_filings_files_is_a_list CHECK ((jsonb_typeof(files) = 'array'::text)),
    CONSTRAINT ck_tax_filings_period_format CHECK ((period ~ '^\d{4}(-(0[1-9]|1[0-2]))?$'::text))
);

--
-- Name: time_entries_id_seq; Type: SEQUENCE; Schema: backoffice; Owner: -
--

CREATE SEQUENCE backoffice.time_entries_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: time_entries_id_seq; Type: SEQUENCE OWNED BY; Schema: backoffice; Owner: -
--

ALTER SEQUENCE backoffice.time_entries_id_seq OWNED BY backoffice.time_entries.id;

--
-- Name: time_entries_default; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.time_entries_default (
    id integer DEFAULT nextval('backoffice.time_entries_id_seq'::regclass) CONSTRAINT time_entries_id_not_null NOT NULL,
    staff_id integer,
    action text CONSTRAINT time_entries_action_not_null NOT NULL,
    "timestamp" timestamp with time zone DEFAULT now() CONSTRAINT time_entries_timestamp_not_null NOT NULL,
    photo_url text,
    photo_captured boolean DEFAULT false,
    camera_error text,
    device_info jsonb,
    CONSTRAINT ck_time_entries_action_known CHECK ((action = ANY (ARRAY['clock_in'::text, 'clock_out'::text])))
);

--
-- Name: wht_certificates; Type: TABLE; Schema: backoffice; Owner: -
--

CREATE TABLE backoffice.wht_certificates (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    book integer NOT NULL,
    number integer NOT NULL,
    invoice_id uuid NOT NULL,
    state text DEFAULT 'issued'::text NOT NULL,
    replaces_id uuid,
    form text NOT NULL,
    paid_on date NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text NOT NULL,
    voided_at timestamp with time zone,
    voided_by text,
    void_reason text,
    CONSTRAINT ck_wht_certificates_form_known CHECK ((form = ANY (ARRAY['pnd3'::text, 'pnd53'::text]))),
    CONSTRAINT ck_wht_certificates_number_positive CHECK ((number >= 1)),
    CONSTRAINT ck_wht_certificates_state_known CHECK ((state = ANY (ARRAY['issued'::text, 'void'::text]))),
    CONSTRAINT ck_wht_certificates_void_has_who_when_why CHECK (((state <> 'void'::text) OR ((voided_at IS NOT NULL) AND (voided_by IS NOT NULL) AND (btrim(COALESCE(void_reason, ''::text)) <> ''::text))))
);

--
-- Name: sales; Type: TABLE; Schema: pos; Owner: -
--

CREATE TABLE pos.sales (
    id bigint NOT NULL,
    receipt_number text,
    sale_date date,
    sale_time timestamp with time zone,
    customer_id uuid,
    customer_name text,
    product_name text,
    product_category text,
    sku_number text,
    item_cnt numeric(10,2),
    item_price_incl_vat numeric(12,2),
    is_voided boolean DEFAULT false
);

--
-- Name: sales_id_seq; Type: SEQUENCE; Schema: pos; Owner: -
--

CREATE SEQUENCE pos.sales_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: sales_id_seq; Type: SEQUENCE OWNED BY; Schema: pos; Owner: -
--

ALTER SEQUENCE pos.sales_id_seq OWNED BY pos.sales.id;

--
-- Name: alembic_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);

--
-- Name: customers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.customers (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_code text,
    customer_name text NOT NULL,
    contact_number text,
    email text,
    is_active boolean DEFAULT true,
    created_at timestamp with time zone DEFAULT now(),
    line_user_id text
);

--
-- Name: audit_logs_default; Type: TABLE ATTACH; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.audit_logs ATTACH PARTITION backoffice.audit_logs_default DEFAULT;

--
-- Name: time_entries_default; Type: TABLE ATTACH; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.time_entries ATTACH PARTITION backoffice.time_entries_default DEFAULT;

--
-- Name: delivery_outbox id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.delivery_outbox ALTER COLUMN id SET DEFAULT nextval('backoffice.delivery_outbox_id_seq'::regclass);

--
-- Name: import_quarantine id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.import_quarantine ALTER COLUMN id SET DEFAULT nextval('backoffice.import_quarantine_id_seq'::regclass);

--
-- Name: import_runs id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.import_runs ALTER COLUMN id SET DEFAULT nextval('backoffice.import_runs_id_seq'::regclass);

--
-- Name: lock_corrections id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.lock_corrections ALTER COLUMN id SET DEFAULT nextval('backoffice.lock_corrections_id_seq'::regclass);

--
-- Name: monthly_service_charge id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.monthly_service_charge ALTER COLUMN id SET DEFAULT nextval('backoffice.monthly_service_charge_id_seq'::regclass);

--
-- Name: package_types id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_types ALTER COLUMN id SET DEFAULT nextval('backoffice.package_types_id_seq'::regclass);

--
-- Name: payroll_forecasts id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_forecasts ALTER COLUMN id SET DEFAULT nextval('backoffice.payroll_forecasts_id_seq'::regclass);

--
-- Name: payroll_review_acknowledgements id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_review_acknowledgements ALTER COLUMN id SET DEFAULT nextval('backoffice.payroll_review_acknowledgements_id_seq'::regclass);

--
-- Name: payroll_runs id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_runs ALTER COLUMN id SET DEFAULT nextval('backoffice.payroll_runs_id_seq'::regclass);

--
-- Name: payroll_settings id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_settings ALTER COLUMN id SET DEFAULT nextval('backoffice.payroll_settings_id_seq'::regclass);

--
-- Name: public_holidays id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.public_holidays ALTER COLUMN id SET DEFAULT nextval('backoffice.public_holidays_id_seq'::regclass);

--
-- Name: staff id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff ALTER COLUMN id SET DEFAULT nextval('backoffice.staff_id_seq'::regclass);

--
-- Name: staff_audit_log id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_audit_log ALTER COLUMN id SET DEFAULT nextval('backoffice.staff_audit_log_id_seq'::regclass);

--
-- Name: staff_compensation id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_compensation ALTER COLUMN id SET DEFAULT nextval('backoffice.staff_compensation_id_seq'::regclass);

--
-- Name: staff_tax_allowances id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_tax_allowances ALTER COLUMN id SET DEFAULT nextval('backoffice.staff_tax_allowances_id_seq'::regclass);

--
-- Name: statutory_rates id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.statutory_rates ALTER COLUMN id SET DEFAULT nextval('backoffice.statutory_rates_id_seq'::regclass);

--
-- Name: time_entries id; Type: DEFAULT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.time_entries ALTER COLUMN id SET DEFAULT nextval('backoffice.time_entries_id_seq'::regclass);

--
-- Name: sales id; Type: DEFAULT; Schema: pos; Owner: -
--

ALTER TABLE ONLY pos.sales ALTER COLUMN id SET DEFAULT nextval('pos.sales_id_seq'::regclass);

--
-- Name: package_usage pk_package_usage; Type: CONSTRAINT; Schema: archive; Owner: -
--

ALTER TABLE ONLY archive.package_usage
    ADD CONSTRAINT pk_package_usage PRIMARY KEY (id);

--
-- Name: packages pk_packages; Type: CONSTRAINT; Schema: archive; Owner: -
--

ALTER TABLE ONLY archive.packages
    ADD CONSTRAINT pk_packages PRIMARY KEY (id);

--
-- Name: time_entries pk_time_entries; Type: CONSTRAINT; Schema: archive; Owner: -
--

ALTER TABLE ONLY archive.time_entries
    ADD CONSTRAINT pk_time_entries PRIMARY KEY (id, "timestamp");

--
-- Name: audit_logs pk_audit_logs; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.audit_logs
    ADD CONSTRAINT pk_audit_logs PRIMARY KEY (id, "timestamp");

--
-- Name: audit_logs_default audit_logs_default_pkey; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.audit_logs_default
    ADD CONSTRAINT audit_logs_default_pkey PRIMARY KEY (id, "timestamp");

--
-- Name: invoice_suppliers ck_invoice_suppliers_tax_id_check_digit; Type: CHECK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE backoffice.invoice_suppliers
    ADD CONSTRAINT ck_invoice_suppliers_tax_id_check_digit CHECK (((tax_id IS NULL) OR backoffice.thai_tax_id_valid(tax_id))) NOT VALID;

--
-- Name: staff_compensation ex_staff_compensation_no_overlap; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_compensation
    ADD CONSTRAINT ex_staff_compensation_no_overlap EXCLUDE USING gist (staff_id WITH =, daterange(effective_from, effective_to, '[]'::text) WITH &&);

--
-- Name: staff_schedules ex_staff_schedules_no_overlap; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_schedules
    ADD CONSTRAINT ex_staff_schedules_no_overlap EXCLUDE USING gist (staff_id WITH =, tsrange((schedule_date + start_time), (schedule_date + end_time), '[)'::text) WITH &&);

--
-- Name: allowed_users pk_allowed_users; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.allowed_users
    ADD CONSTRAINT pk_allowed_users PRIMARY KEY (id);

--
-- Name: coach_rates pk_coach_rates; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.coach_rates
    ADD CONSTRAINT pk_coach_rates PRIMARY KEY (rate_type);

--
-- Name: delivery_outbox pk_delivery_outbox; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.delivery_outbox
    ADD CONSTRAINT pk_delivery_outbox PRIMARY KEY (id);

--
-- Name: import_quarantine pk_import_quarantine; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.import_quarantine
    ADD CONSTRAINT pk_import_quarantine PRIMARY KEY (id);

--
-- Name: import_row_versions pk_import_row_versions; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.import_row_versions
    ADD CONSTRAINT pk_import_row_versions PRIMARY KEY (table_name, live_key);

--
-- Name: import_runs pk_import_runs; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.import_runs
    ADD CONSTRAINT pk_import_runs PRIMARY KEY (id);

--
-- Name: invoice_items pk_invoice_items; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoice_items
    ADD CONSTRAINT pk_invoice_items PRIMARY KEY (id);

--
-- Name: invoice_settings pk_invoice_settings; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoice_settings
    ADD CONSTRAINT pk_invoice_settings PRIMARY KEY (key);

--
-- Name: invoice_suppliers pk_invoice_suppliers; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoice_suppliers
    ADD CONSTRAINT pk_invoice_suppliers PRIMARY KEY (id);

--
-- Name: invoices pk_invoices; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoices
    ADD CONSTRAINT pk_invoices PRIMARY KEY (id);

--
-- Name: job_runs pk_job_runs; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.job_runs
    ADD CONSTRAINT pk_job_runs PRIMARY KEY (id);

--
-- Name: lock_corrections pk_lock_corrections; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.lock_corrections
    ADD CONSTRAINT pk_lock_corrections PRIMARY KEY (id);

--
-- Name: monthly_service_charge pk_monthly_service_charge; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.monthly_service_charge
    ADD CONSTRAINT pk_monthly_service_charge PRIMARY KEY (id);

--
-- Name: owned_external_tables pk_owned_external_tables; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.owned_external_tables
    ADD CONSTRAINT pk_owned_external_tables PRIMARY KEY (qualified_name);

--
-- Name: package_alerts pk_package_alerts; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_alerts
    ADD CONSTRAINT pk_package_alerts PRIMARY KEY (id);

--
-- Name: package_types pk_package_types; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_types
    ADD CONSTRAINT pk_package_types PRIMARY KEY (id);

--
-- Name: package_usage pk_package_usage; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_usage
    ADD CONSTRAINT pk_package_usage PRIMARY KEY (id);

--
-- Name: packages pk_packages; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.packages
    ADD CONSTRAINT pk_packages PRIMARY KEY (id);

--
-- Name: partner_products pk_partner_products; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.partner_products
    ADD CONSTRAINT pk_partner_products PRIMARY KEY (id);

--
-- Name: payroll_forecasts pk_payroll_forecasts; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_forecasts
    ADD CONSTRAINT pk_payroll_forecasts PRIMARY KEY (id);

--
-- Name: payroll_review_acknowledgements pk_payroll_review_acknowledgements; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_review_acknowledgements
    ADD CONSTRAINT pk_payroll_review_acknowledgements PRIMARY KEY (id);

--
-- Name: payroll_runs pk_payroll_runs; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_runs
    ADD CONSTRAINT pk_payroll_runs PRIMARY KEY (id);

--
-- Name: payroll_settings pk_payroll_settings; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_settings
    ADD CONSTRAINT pk_payroll_settings PRIMARY KEY (id);

--
-- Name: public_holidays pk_public_holidays; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.public_holidays
    ADD CONSTRAINT pk_public_holidays PRIMARY KEY (id);

--
-- Name: reconciliation_column_mappings pk_reconciliation_column_mappings; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.reconciliation_column_mappings
    ADD CONSTRAINT pk_reconciliation_column_mappings PRIMARY KEY (reconciliation_type, column_name);

--
-- Name: reconciliation_items pk_reconciliation_items; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.reconciliation_items
    ADD CONSTRAINT pk_reconciliation_items PRIMARY KEY (id);

--
-- Name: reconciliation_sessions pk_reconciliation_sessions; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.reconciliation_sessions
    ADD CONSTRAINT pk_reconciliation_sessions PRIMARY KEY (id);

--
-- Name: staff pk_staff; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff
    ADD CONSTRAINT pk_staff PRIMARY KEY (id);

--
-- Name: staff_audit_log pk_staff_audit_log; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_audit_log
    ADD CONSTRAINT pk_staff_audit_log PRIMARY KEY (id);

--
-- Name: staff_compensation pk_staff_compensation; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_compensation
    ADD CONSTRAINT pk_staff_compensation PRIMARY KEY (id);

--
-- Name: staff_schedules pk_staff_schedules; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_schedules
    ADD CONSTRAINT pk_staff_schedules PRIMARY KEY (id);

--
-- Name: staff_tax_allowances pk_staff_tax_allowances; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_tax_allowances
    ADD CONSTRAINT pk_staff_tax_allowances PRIMARY KEY (id);

--
-- Name: staff_weekly_schedules pk_staff_weekly_schedules; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_weekly_schedules
    ADD CONSTRAINT pk_staff_weekly_schedules PRIMARY KEY (id);

--
-- Name: statutory_rates pk_statutory_rates; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.statutory_rates
    ADD CONSTRAINT pk_statutory_rates PRIMARY KEY (id);

--
-- Name: tax_filings pk_tax_filings; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.tax_filings
    ADD CONSTRAINT pk_tax_filings PRIMARY KEY (id);

--
-- Name: time_entries pk_time_entries; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.time_entries
    ADD CONSTRAINT pk_time_entries PRIMARY KEY (id, "timestamp");

--
-- Name: wht_certificates pk_wht_certificates; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.wht_certificates
    ADD CONSTRAINT pk_wht_certificates PRIMARY KEY (id);

--
-- Name: time_entries_default time_entries_default_pkey; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.time_entries_default
    ADD CONSTRAINT time_entries_default_pkey PRIMARY KEY (id, "timestamp");

--
-- Name: allowed_users uq_allowed_users_coach_code; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.allowed_users
    ADD CONSTRAINT uq_allowed_users_coach_code UNIQUE (coach_code);

--
-- Name: allowed_users uq_allowed_users_email; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.allowed_users
    ADD CONSTRAINT uq_allowed_users_email UNIQUE (email);

--
-- Name: invoice_suppliers uq_invoice_suppliers_tax_id; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoice_suppliers
    ADD CONSTRAINT uq_invoice_suppliers_tax_id UNIQUE (tax_id);

--
-- Name: invoices uq_invoices_invoice_number; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoices
    ADD CONSTRAINT uq_invoices_invoice_number UNIQUE (invoice_number);

--
-- Name: monthly_service_charge uq_monthly_service_charge_month_year; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.monthly_service_charge
    ADD CONSTRAINT uq_monthly_service_charge_month_year UNIQUE (month_year);

--
-- Name: package_alerts uq_package_alerts_package_id_alert_level; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_alerts
    ADD CONSTRAINT uq_package_alerts_package_id_alert_level UNIQUE (package_id, alert_level);

--
-- Name: package_types uq_package_types_name; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_types
    ADD CONSTRAINT uq_package_types_name UNIQUE (name);

--
-- Name: package_usage uq_package_usage_booking_id; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_usage
    ADD CONSTRAINT uq_package_usage_booking_id UNIQUE (booking_id);

--
-- Name: partner_products uq_partner_products_reconciliation_type_match_on_value; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.partner_products
    ADD CONSTRAINT uq_partner_products_reconciliation_type_match_on_value UNIQUE (reconciliation_type, match_on, value);

--
-- Name: payroll_forecasts uq_payroll_forecasts_month_forecast_date_staff_id; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_forecasts
    ADD CONSTRAINT uq_payroll_forecasts_month_forecast_date_staff_id UNIQUE (month, forecast_date, staff_id);

--
-- Name: payroll_review_acknowledgements uq_payroll_review_acknowledgements_month_staff_id_flag_kind; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_review_acknowledgements
    ADD CONSTRAINT uq_payroll_review_acknowledgements_month_staff_id_flag_kind UNIQUE (month, staff_id, flag_kind);

--
-- Name: payroll_settings uq_payroll_settings_setting_key; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_settings
    ADD CONSTRAINT uq_payroll_settings_setting_key UNIQUE (setting_key);

--
-- Name: public_holidays uq_public_holidays_holiday_date; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.public_holidays
    ADD CONSTRAINT uq_public_holidays_holiday_date UNIQUE (holiday_date);

--
-- Name: staff uq_staff_staff_id; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff
    ADD CONSTRAINT uq_staff_staff_id UNIQUE (staff_id);

--
-- Name: staff_tax_allowances uq_staff_tax_allowances_staff_id_tax_year; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_tax_allowances
    ADD CONSTRAINT uq_staff_tax_allowances_staff_id_tax_year UNIQUE (staff_id, tax_year);

--
-- Name: statutory_rates uq_statutory_rates_rate_key_threshold_effective_from; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.statutory_rates
    ADD CONSTRAINT uq_statutory_rates_rate_key_threshold_effective_from UNIQUE (rate_key, threshold, effective_from);

--
-- Name: tax_filings uq_tax_filings_duty_period; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.tax_filings
    ADD CONSTRAINT uq_tax_filings_duty_period UNIQUE (duty, period);

--
-- Name: wht_certificates uq_wht_certificates_book_number; Type: CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.wht_certificates
    ADD CONSTRAINT uq_wht_certificates_book_number UNIQUE (book, number);

--
-- Name: sales pk_sales; Type: CONSTRAINT; Schema: pos; Owner: -
--

ALTER TABLE ONLY pos.sales
    ADD CONSTRAINT pk_sales PRIMARY KEY (id);

--
-- Name: alembic_version alembic_version_pkc; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);

--
-- Name: bookings pk_bookings; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT pk_bookings PRIMARY KEY (id);

--
-- Name: customers pk_customers; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT pk_customers PRIMARY KEY (id);

--
-- Name: customers uq_customers_customer_code; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT uq_customers_customer_code UNIQUE (customer_code);

--
-- Name: ix_package_usage_booking_id; Type: INDEX; Schema: archive; Owner: -
--

CREATE INDEX ix_package_usage_booking_id ON archive.package_usage USING btree (booking_id);

--
-- Name: ix_package_usage_package_id_used_date; Type: INDEX; Schema: archive; Owner: -
--

CREATE INDEX ix_package_usage_package_id_used_date ON archive.package_usage USING btree (package_id, used_date);

--
-- Name: ix_packages_expiration_date; Type: INDEX; Schema: archive; Owner: -
--

CREATE INDEX ix_packages_expiration_date ON archive.packages USING btree (expiration_date);

--
-- Name: ix_time_entries_staff_id_timestamp; Type: INDEX; Schema: archive; Owner: -
--

CREATE INDEX ix_time_entries_staff_id_timestamp ON ONLY archive.time_entries USING btree (staff_id, "timestamp");

--
-- Name: ix_audit_logs_resource_type_resource_id; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_audit_logs_resource_type_resource_id ON ONLY backoffice.audit_logs USING btree (resource_type, resource_id);

--
-- Name: audit_logs_default_resource_type_resource_id_idx; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX audit_logs_default_resource_type_resource_id_idx ON backoffice.audit_logs_default USING btree (resource_type, resource_id);

--
-- Name: ix_audit_logs_timestamp; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_audit_logs_timestamp ON ONLY backoffice.audit_logs USING btree ("timestamp");

--
-- Name: audit_logs_default_timestamp_idx; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX audit_logs_default_timestamp_idx ON backoffice.audit_logs_default USING btree ("timestamp");

--
-- Name: ix_audit_logs_user_email_timestamp; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_audit_logs_user_email_timestamp ON ONLY backoffice.audit_logs USING btree (user_email, "timestamp");

--
-- Name: audit_logs_default_user_email_timestamp_idx; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX audit_logs_default_user_email_timestamp_idx ON backoffice.audit_logs_default USING btree (user_email, "timestamp");

--
-- Name: ix_delivery_outbox_created_at; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_delivery_outbox_created_at ON backoffice.delivery_outbox USING btree (created_at);

--
-- Name: ix_delivery_outbox_kind_period_created_at; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_delivery_outbox_kind_period_created_at ON backoffice.delivery_outbox USING btree (kind, period, created_at);

--
-- Name: ix_import_quarantine_status_rule; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_import_quarantine_status_rule ON backoffice.import_quarantine USING btree (status, rule);

--
-- Name: ix_import_quarantine_table_name_live_key; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE UNIQUE INDEX ix_import_quarantine_table_name_live_key ON backoffice.import_quarantine USING btree (table_name, live_key);

--
-- Name: ix_invoice_items_invoice_id; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_invoice_items_invoice_id ON backoffice.invoice_items USING btree (invoice_id);

--
-- Name: ix_invoices_paid_on; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_invoices_paid_on ON backoffice.invoices USING btree (paid_on);

--
-- Name: ix_invoices_supplier_id; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_invoices_supplier_id ON backoffice.invoices USING btree (supplier_id);

--
-- Name: ix_job_runs_job_name_period_key_status; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_job_runs_job_name_period_key_status ON backoffice.job_runs USING btree (job_name, period_key, status);

--
-- Name: ix_job_runs_job_name_started_at; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_job_runs_job_name_started_at ON backoffice.job_runs USING btree (job_name, started_at);

--
-- Name: ix_lock_corrections_backend_pid_transaction_id; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_lock_corrections_backend_pid_transaction_id ON backoffice.lock_corrections USING btree (backend_pid, transaction_id);

--
-- Name: ix_package_alerts_raised_on; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_package_alerts_raised_on ON backoffice.package_alerts USING btree (raised_on);

--
-- Name: ix_package_usage_package_id_used_date; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_package_usage_package_id_used_date ON backoffice.package_usage USING btree (package_id, used_date);

--
-- Name: ix_packages_customer_id_expiration_date; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_packages_customer_id_expiration_date ON backoffice.packages USING btree (customer_id, expiration_date);

--
-- Name: ix_payroll_runs_month_created_at; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_payroll_runs_month_created_at ON backoffice.payroll_runs USING btree (month, created_at);

--
-- Name: ix_reconciliation_items_session_id; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_reconciliation_items_session_id ON backoffice.reconciliation_items USING btree (session_id);

--
-- Name: ix_staff_audit_log_staff_id_created_at; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_staff_audit_log_staff_id_created_at ON backoffice.staff_audit_log USING btree (staff_id, created_at);

--
-- Name: ix_staff_compensation_staff_id; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_staff_compensation_staff_id ON backoffice.staff_compensation USING btree (staff_id);

--
-- Name: ix_staff_schedules_staff_id_schedule_date; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_staff_schedules_staff_id_schedule_date ON backoffice.staff_schedules USING btree (staff_id, schedule_date);

--
-- Name: ix_time_entries_staff_id_timestamp; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_time_entries_staff_id_timestamp ON ONLY backoffice.time_entries USING btree (staff_id, "timestamp");

--
-- Name: ix_wht_certificates_invoice_id; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX ix_wht_certificates_invoice_id ON backoffice.wht_certificates USING btree (invoice_id);

--
-- Name: time_entries_default_staff_id_timestamp_idx; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE INDEX time_entries_default_staff_id_timestamp_idx ON backoffice.time_entries_default USING btree (staff_id, "timestamp");

--
-- Name: uq_delivery_outbox_once; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE UNIQUE INDEX uq_delivery_outbox_once ON backoffice.delivery_outbox USING btree (kind, channel, period, recipient_kind, recipient_id, attachment_sha256) WHERE (resend_reason IS NULL);

--
-- Name: uq_payroll_runs_one_finalised_month; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE UNIQUE INDEX uq_payroll_runs_one_finalised_month ON backoffice.payroll_runs USING btree (month) WHERE (status = 'finalised'::text);

--
-- Name: uq_staff_national_id; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE UNIQUE INDEX uq_staff_national_id ON backoffice.staff USING btree (national_id) WHERE (national_id IS NOT NULL);

--
-- Name: uq_wht_certificates_one_issued_per_invoice; Type: INDEX; Schema: backoffice; Owner: -
--

CREATE UNIQUE INDEX uq_wht_certificates_one_issued_per_invoice ON backoffice.wht_certificates USING btree (invoice_id) WHERE (state = 'issued'::text);

--
-- Name: ix_sales_sale_date_sku_number; Type: INDEX; Schema: pos; Owner: -
--

CREATE INDEX ix_sales_sale_date_sku_number ON pos.sales USING btree (sale_date, sku_number);

--
-- Name: ix_bookings_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_bookings_date ON public.bookings USING btree (date);

--
-- Name: audit_logs_default_pkey; Type: INDEX ATTACH; Schema: backoffice; Owner: -
--

ALTER INDEX backoffice.pk_audit_logs ATTACH PARTITION backoffice.audit_logs_default_pkey;

--
-- Name: audit_logs_default_resource_type_resource_id_idx; Type: INDEX ATTACH; Schema: backoffice; Owner: -
--

ALTER INDEX backoffice.ix_audit_logs_resource_type_resource_id ATTACH PARTITION backoffice.audit_logs_default_resource_type_resource_id_idx;

--
-- Name: audit_logs_default_timestamp_idx; Type: INDEX ATTACH; Schema: backoffice; Owner: -
--

ALTER INDEX backoffice.ix_audit_logs_timestamp ATTACH PARTITION backoffice.audit_logs_default_timestamp_idx;

--
-- Name: audit_logs_default_user_email_timestamp_idx; Type: INDEX ATTACH; Schema: backoffice; Owner: -
--

ALTER INDEX backoffice.ix_audit_logs_user_email_timestamp ATTACH PARTITION backoffice.audit_logs_default_user_email_timestamp_idx;

--
-- Name: time_entries_default_pkey; Type: INDEX ATTACH; Schema: backoffice; Owner: -
--

ALTER INDEX backoffice.pk_time_entries ATTACH PARTITION backoffice.time_entries_default_pkey;

--
-- Name: time_entries_default_staff_id_timestamp_idx; Type: INDEX ATTACH; Schema: backoffice; Owner: -
--

ALTER INDEX backoffice.ix_time_entries_staff_id_timestamp ATTACH PARTITION backoffice.time_entries_default_staff_id_timestamp_idx;

--
-- Name: allowed_users allowed_users_guard_last_admin; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER allowed_users_guard_last_admin AFTER DELETE OR UPDATE OF is_admin ON backoffice.allowed_users FOR EACH ROW EXECUTE FUNCTION backoffice.guard_last_admin();

--
-- Name: allowed_users allowed_users_touch_updated_at; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER allowed_users_touch_updated_at BEFORE UPDATE ON backoffice.allowed_users FOR EACH ROW EXECUTE FUNCTION backoffice.touch_updated_at();

--
-- Name: audit_logs audit_logs_scrub_secrets; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER audit_logs_scrub_secrets BEFORE INSERT OR UPDATE ON backoffice.audit_logs FOR EACH ROW EXECUTE FUNCTION backoffice.scrub_audit_secrets();

--
-- Name: audit_logs audit_logs_stamp_db_role; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER audit_logs_stamp_db_role BEFORE INSERT ON backoffice.audit_logs FOR EACH ROW EXECUTE FUNCTION backoffice.stamp_db_role();

--
-- Name: invoice_suppliers invoice_suppliers_touch_updated_at; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER invoice_suppliers_touch_updated_at BEFORE UPDATE ON backoffice.invoice_suppliers FOR EACH ROW EXECUTE FUNCTION backoffice.touch_updated_at();

--
-- Name: invoices invoices_touch_updated_at; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER invoices_touch_updated_at BEFORE UPDATE ON backoffice.invoices FOR EACH ROW EXECUTE FUNCTION backoffice.touch_updated_at();

--
-- Name: package_usage package_usage_touch_updated_at; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER package_usage_touch_updated_at BEFORE UPDATE ON backoffice.package_usage FOR EACH ROW EXECUTE FUNCTION backoffice.touch_updated_at();

--
-- Name: package_usage package_usage_validate; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER package_usage_validate BEFORE INSERT OR UPDATE OF package_id, used_hours, used_date ON backoffice.package_usage FOR EACH ROW EXECUTE FUNCTION backoffice.validate_package_usage();

--
-- Name: package_usage package_usage_validate_inserted; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER package_usage_validate_inserted AFTER INSERT ON backoffice.package_usage REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION backoffice.validate_package_usage_set();

--
-- Name: packages packages_calculate_expiration; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER packages_calculate_expiration BEFORE INSERT OR UPDATE OF first_use_date, expiration_date, package_type_id ON backoffice.packages FOR EACH ROW EXECUTE FUNCTION backoffice.calculate_package_expiration();

--
-- Name: payroll_runs payroll_runs_finalised_guard; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER payroll_runs_finalised_guard BEFORE INSERT OR DELETE OR UPDATE ON backoffice.payroll_runs FOR EACH ROW EXECUTE FUNCTION backoffice.guard_finalised_payroll_runs();

--
-- Name: staff_audit_log staff_audit_log_scrub_secrets; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER staff_audit_log_scrub_secrets BEFORE INSERT OR UPDATE ON backoffice.staff_audit_log FOR EACH ROW EXECUTE FUNCTION backoffice.scrub_audit_secrets();

--
-- Name: staff_audit_log staff_audit_log_stamp_db_role; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER staff_audit_log_stamp_db_role BEFORE INSERT ON backoffice.staff_audit_log FOR EACH ROW EXECUTE FUNCTION backoffice.stamp_db_role();

--
-- Name: staff_compensation staff_compensation_payroll_lock; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER staff_compensation_payroll_lock BEFORE INSERT OR DELETE OR UPDATE ON backoffice.staff_compensation FOR EACH ROW EXECUTE FUNCTION backoffice.guard_finalised_payroll_compensation();

--
-- Name: staff staff_log_changes; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER staff_log_changes AFTER INSERT OR DELETE OR UPDATE ON backoffice.staff FOR EACH ROW EXECUTE FUNCTION backoffice.log_staff_changes();

--
-- Name: staff staff_touch_updated_at; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER staff_touch_updated_at BEFORE UPDATE ON backoffice.staff FOR EACH ROW EXECUTE FUNCTION backoffice.touch_updated_at();

--
-- Name: time_entries time_entries_payroll_lock; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER time_entries_payroll_lock BEFORE DELETE OR UPDATE ON backoffice.time_entries FOR EACH ROW EXECUTE FUNCTION backoffice.guard_finalised_payroll_time_entries();

--
-- Name: time_entries time_entries_payroll_lock_inserted; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER time_entries_payroll_lock_inserted AFTER INSERT ON backoffice.time_entries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION backoffice.guard_finalised_payroll_inserted_time_entries();

--
-- Name: time_entries time_entries_validate; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER time_entries_validate BEFORE INSERT OR UPDATE ON backoffice.time_entries FOR EACH ROW EXECUTE FUNCTION backoffice.validate_time_entry();

--
-- Name: time_entries time_entries_validate_inserted; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER time_entries_validate_inserted AFTER INSERT ON backoffice.time_entries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION backoffice.validate_time_entries_set();

--
-- Name: time_entries time_entries_validate_updated; Type: TRIGGER; Schema: backoffice; Owner: -
--

CREATE TRIGGER time_entries_validate_updated AFTER UPDATE ON backoffice.time_entries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION backoffice.validate_time_entries_set();

--
-- Name: package_usage fk_package_usage_package_id_packages; Type: FK CONSTRAINT; Schema: archive; Owner: -
--

ALTER TABLE ONLY archive.package_usage
    ADD CONSTRAINT fk_package_usage_package_id_packages FOREIGN KEY (package_id) REFERENCES archive.packages(id) ON DELETE CASCADE;

--
-- Name: time_entries fk_time_entries_staff_id_staff; Type: FK CONSTRAINT; Schema: archive; Owner: -
--

ALTER TABLE archive.time_entries
    ADD CONSTRAINT fk_time_entries_staff_id_staff FOREIGN KEY (staff_id) REFERENCES backoffice.staff(id);

--
-- Name: delivery_outbox fk_delivery_outbox_corrects_id_delivery_outbox; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.delivery_outbox
    ADD CONSTRAINT fk_delivery_outbox_corrects_id_delivery_outbox FOREIGN KEY (corrects_id) REFERENCES backoffice.delivery_outbox(id) ON DELETE SET NULL;

--
-- Name: import_quarantine fk_import_quarantine_import_id_import_runs; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.import_quarantine
    ADD CONSTRAINT fk_import_quarantine_import_id_import_runs FOREIGN KEY (import_id) REFERENCES backoffice.import_runs(id);

--
-- Name: import_row_versions fk_import_row_versions_import_id_import_runs; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.import_row_versions
    ADD CONSTRAINT fk_import_row_versions_import_id_import_runs FOREIGN KEY (import_id) REFERENCES backoffice.import_runs(id);

--
-- Name: invoice_items fk_invoice_items_invoice_id_invoices; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoice_items
    ADD CONSTRAINT fk_invoice_items_invoice_id_invoices FOREIGN KEY (invoice_id) REFERENCES backoffice.invoices(id) ON DELETE CASCADE;

--
-- Name: invoices fk_invoices_created_by_allowed_users; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoices
    ADD CONSTRAINT fk_invoices_created_by_allowed_users FOREIGN KEY (created_by) REFERENCES backoffice.allowed_users(id);

--
-- Name: invoices fk_invoices_supplier_id_invoice_suppliers; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoices
    ADD CONSTRAINT fk_invoices_supplier_id_invoice_suppliers FOREIGN KEY (supplier_id) REFERENCES backoffice.invoice_suppliers(id) ON DELETE RESTRICT;

--
-- Name: invoices fk_invoices_updated_by_allowed_users; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.invoices
    ADD CONSTRAINT fk_invoices_updated_by_allowed_users FOREIGN KEY (updated_by) REFERENCES backoffice.allowed_users(id);

--
-- Name: package_alerts fk_package_alerts_package_id_packages; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_alerts
    ADD CONSTRAINT fk_package_alerts_package_id_packages FOREIGN KEY (package_id) REFERENCES backoffice.packages(id) ON DELETE CASCADE;

--
-- Name: package_usage fk_package_usage_booking_id_bookings; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_usage
    ADD CONSTRAINT fk_package_usage_booking_id_bookings FOREIGN KEY (booking_id) REFERENCES public.bookings(id);

--
-- Name: package_usage fk_package_usage_package_id_packages; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.package_usage
    ADD CONSTRAINT fk_package_usage_package_id_packages FOREIGN KEY (package_id) REFERENCES backoffice.packages(id);

--
-- Name: packages fk_packages_customer_id_customers; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.packages
    ADD CONSTRAINT fk_packages_customer_id_customers FOREIGN KEY (customer_id) REFERENCES public.customers(id);

--
-- Name: packages fk_packages_package_type_id_package_types; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.packages
    ADD CONSTRAINT fk_packages_package_type_id_package_types FOREIGN KEY (package_type_id) REFERENCES backoffice.package_types(id);

--
-- Name: payroll_forecasts fk_payroll_forecasts_staff_id_staff; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_forecasts
    ADD CONSTRAINT fk_payroll_forecasts_staff_id_staff FOREIGN KEY (staff_id) REFERENCES backoffice.staff(id) ON DELETE CASCADE;

--
-- Name: payroll_review_acknowledgements fk_payroll_review_acknowledgements_staff_id_staff; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.payroll_review_acknowledgements
    ADD CONSTRAINT fk_payroll_review_acknowledgements_staff_id_staff FOREIGN KEY (staff_id) REFERENCES backoffice.staff(id) ON DELETE CASCADE;

--
-- Name: reconciliation_items fk_reconciliation_items_session_id_reconciliation_sessions; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.reconciliation_items
    ADD CONSTRAINT fk_reconciliation_items_session_id_reconciliation_sessions FOREIGN KEY (session_id) REFERENCES backoffice.reconciliation_sessions(id) ON DELETE CASCADE;

--
-- Name: reconciliation_sessions fk_reconciliation_sessions_admin_user_id_allowed_users; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.reconciliation_sessions
    ADD CONSTRAINT fk_reconciliation_sessions_admin_user_id_allowed_users FOREIGN KEY (admin_user_id) REFERENCES backoffice.allowed_users(id);

--
-- Name: staff_audit_log fk_staff_audit_log_staff_id_staff; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_audit_log
    ADD CONSTRAINT fk_staff_audit_log_staff_id_staff FOREIGN KEY (staff_id) REFERENCES backoffice.staff(id) ON DELETE SET NULL;

--
-- Name: staff_compensation fk_staff_compensation_staff_id_staff; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_compensation
    ADD CONSTRAINT fk_staff_compensation_staff_id_staff FOREIGN KEY (staff_id) REFERENCES backoffice.staff(id);

--
-- Name: staff_schedules fk_staff_schedules_staff_id_staff; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_schedules
    ADD CONSTRAINT fk_staff_schedules_staff_id_staff FOREIGN KEY (staff_id) REFERENCES backoffice.staff(id);

--
-- Name: staff_tax_allowances fk_staff_tax_allowances_staff_id_staff; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_tax_allowances
    ADD CONSTRAINT fk_staff_tax_allowances_staff_id_staff FOREIGN KEY (staff_id) REFERENCES backoffice.staff(id) ON DELETE CASCADE;

--
-- Name: staff_weekly_schedules fk_staff_weekly_schedules_staff_id_staff; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.staff_weekly_schedules
    ADD CONSTRAINT fk_staff_weekly_schedules_staff_id_staff FOREIGN KEY (staff_id) REFERENCES backoffice.staff(id);

--
-- Name: time_entries fk_time_entries_staff_id_staff; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE backoffice.time_entries
    ADD CONSTRAINT fk_time_entries_staff_id_staff FOREIGN KEY (staff_id) REFERENCES backoffice.staff(id);

--
-- Name: wht_certificates fk_wht_certificates_invoice_id_invoices; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.wht_certificates
    ADD CONSTRAINT fk_wht_certificates_invoice_id_invoices FOREIGN KEY (invoice_id) REFERENCES backoffice.invoices(id) ON DELETE RESTRICT;

--
-- Name: wht_certificates fk_wht_certificates_replaces_id_wht_certificates; Type: FK CONSTRAINT; Schema: backoffice; Owner: -
--

ALTER TABLE ONLY backoffice.wht_certificates
    ADD CONSTRAINT fk_wht_certificates_replaces_id_wht_certificates FOREIGN KEY (replaces_id) REFERENCES backoffice.wht_certificates(id) ON DELETE RESTRICT;

--
-- Name: bookings fk_bookings_customer_id_customers; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT fk_bookings_customer_id_customers FOREIGN KEY (customer_id) REFERENCES public.customers(id);

--
-- PostgreSQL database dump complete
--
