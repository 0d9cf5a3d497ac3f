"""Demo data: deterministic, refuses non-demo data, and obeys the business rules it illustrates.

Loads of our own run inside the rolled-back ``conn`` (``run_demo_load(conn=...)``); the rule tests
read the shared demo database of conftest (seed 42, as of today) without changing it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok, demo_data, money
from backoffice_lib.demo_data import customers, people, timeclock
from backoffice_lib.demo_data.customers import CATALOGUE, COACH_RATES
from backoffice_lib.demo_data.period import Period, add_months, dice
from backoffice_lib.staff.rules import pins

AS_OF = bangkok.today() - dt.timedelta(days=20)
VOLATILE = "- 'created_at' - 'updated_at'"  # set by now(): not part of "the same rows"
ROW_TEXT = {
    "backoffice.audit_logs": f"to_jsonb(t) {VOLATILE} - 'timestamp'",
    "backoffice.staff_audit_log": (
        f"to_jsonb(t) {VOLATILE} || jsonb_build_object("
        f"'old_data_snapshot', old_data_snapshot {VOLATILE},"
        f" 'new_data_snapshot', new_data_snapshot {VOLATILE})"
    ),
}


def table_checksums(conn) -> dict[str, str]:
    """md5 per workbench table of its rows in a stable order, without now() timestamps."""
    sums = {}
    for table in demo_data.workbench_tables(conn):
        row = ROW_TEXT.get(table, f"to_jsonb(t) {VOLATILE}")
        sums[table] = conn.scalar(sa.text(
            f"SELECT md5(coalesce(string_agg(r, E'\\n' ORDER BY r), ''))"
            f" FROM (SELECT ({row})::text AS r FROM {table} t) rows"))
    return sums


def test_refuses_non_demo_data_and_same_seed_and_as_of_give_identical_rows(conn):
    conn.execute(sa.text(
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash)"
        " VALUES ('Real Person', 'REAL01', 'x')"))
    with pytest.raises(demo_data.DemoRefused, match="--force"):
        demo_data.run_demo_load(seed=42, as_of=AS_OF, conn=conn)
    assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.staff")) == 1

    first = demo_data.run_demo_load(seed=42, as_of=AS_OF, conn=conn, force=True)
    assert conn.scalar(sa.text(
        "SELECT count(*) FROM backoffice.staff WHERE staff_id = 'REAL01'")) == 0
    before = table_checksums(conn)
    second = demo_data.run_demo_load(seed=42, as_of=AS_OF, conn=conn)  # demo over demo: no force
    assert table_checksums(conn) == before
    assert first == second


def test_another_seed_gives_other_rows():
    # Loading is writing what the generators return: compare those (a load costs seconds).
    period = Period.ending(AS_OF)

    def rows(seed):
        staff = people.build_people(dice(seed, "staff"), period, 1)
        return {
            "staff": [(p.staff_name, p.pin) for p in staff],
            "time_entries": timeclock.build_time_entries(dice(seed, "time entries"), staff, period),
            "customers": customers.build_customers(dice(seed, "customers"), period, 1),
        }

    assert rows(42) == rows(42)
    same, other = rows(42), rows(7)
    for name in same:
        assert same[name] != other[name], name


def test_summary_lists_logins_counts_and_pins_that_verify(demo, demo_engine):
    with demo_engine.connect() as conn:
        staff = people.build_people(dice(42, "staff"), Period.ending(bangkok.today()), 1)
        summary = demo_data.summarize(conn, staff, Period.ending(bangkok.today()))
    for email in ("admin@studio.example", "manager@studio.example", "boss@studio.example",
                  "ratchavin@studio.example", "min@studio.example", "noon@studio.example"):
        assert email in summary
    assert "seed=42 scale=1 as_of=" in summary
    assert re.search(r"backoffice\.time_entries\s+\d+", summary)
    listed = re.findall(r"(EMP\d{3})\s+.+?\s(\d{6})\s+\(", summary)
    assert len(listed) >= 3
    for staff_id, pin in listed[:2]:
        pin_hash = _one(demo, "SELECT pin_hash FROM backoffice.staff WHERE staff_id = :s",
                        s=staff_id)
        assert pins.verify_pin(pin, pin_hash)
        assert pin not in pin_hash


def test_refuses_a_future_as_of_and_a_bad_scale(conn):
    with pytest.raises(ValueError, match="after today"):
        demo_data.run_demo_load(as_of=bangkok.today() + dt.timedelta(days=1), conn=conn)
    with pytest.raises(ValueError, match="scale"):
        demo_data.run_demo_load(scale=0, conn=conn)


def test_cli_refuses_in_one_line_then_forced_loads_the_rows_another_process_loads():
    # The CLI runs in its own process, so it needs committed data: a database of its own. Its
    # rows must equal those of a load in this process (determinism across processes).
    import conftest

    from backoffice_lib import migrate

    name = f"demo_cli_{os.getpid()}"
    url = conftest._create_database(name)
    engine = conftest._engine_for(url)
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=url.render_as_string(hide_password=False))
    command = [str(Path(sys.executable).parent / "backoffice"), "demo", "load",
               "--as-of", AS_OF.isoformat()]

    def cli(*extra):
        return subprocess.run([*command, *extra], check=False, capture_output=True, text=True,
                              env=env, timeout=300)

    try:
        with pytest.raises(demo_data.DemoRefused, match="db upgrade"):
            demo_data.run_demo_load(engine=engine, as_of=AS_OF)
        with engine.begin() as c:
            migrate.upgrade(c)
            c.execute(sa.text(
                "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash)"
                " VALUES ('Real Person', 'REAL02', 'x')"))
        refused = cli()
        forced = cli("--force")
        with engine.connect() as c:
            by_cli = table_checksums(c)
        demo_data.run_demo_load(engine=engine, as_of=AS_OF)
        with engine.connect() as c:
            by_us = table_checksums(c)
    finally:
        engine.dispose()
        conftest._drop_database(name)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("error: ") and "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert forced.returncode == 0, forced.stderr
    assert f"seed=42 scale=1 as_of={AS_OF.isoformat()}" in forced.stdout
    assert by_cli == by_us


def test_add_months_is_postgres_interval_arithmetic(conn):
    for day, months in [(dt.date(2026, 1, 31), 1), (dt.date(2024, 1, 31), 1),
                        (dt.date(2026, 7, 5), 1), (dt.date(2026, 8, 31), 6),
                        (dt.date(2026, 12, 15), 3)]:
        expected = conn.scalar(sa.text("SELECT (:d + make_interval(months => :m))::date"),
                               {"d": day, "m": months})
        assert add_months(day, months) == expected


def test_period_covers_six_full_months_and_never_the_future():
    now = bangkok.at(dt.date(2026, 11, 26), dt.time(5, 4))
    period = Period.ending(dt.date(2026, 11, 26), now=now)
    assert period.start == dt.date(2026, 5, 1)
    assert period.clock < now
    past = Period.ending(dt.date(2026, 11, 20), now=now)
    assert past.clock == bangkok.at(dt.date(2026, 11, 20), dt.time(15))


# --- the rules, on the shared demo database -------------------------------------------------

@pytest.fixture(scope="module")
def demo(demo_engine):
    with demo_engine.connect() as connection:
        yield connection


def _one(demo, sql, **params):
    return demo.execute(sa.text(sql), params).scalar()


SESSIONS = """
    SELECT staff_id, timestamp AS started, next_time AS ended
      FROM (SELECT staff_id, action, timestamp,
                   lead(action) OVER w AS next_action, lead(timestamp) OVER w AS next_time
              FROM backoffice.time_entries WINDOW w AS (PARTITION BY staff_id ORDER BY timestamp)) e
     WHERE action = 'clock_in' AND next_action = 'clock_out'
       AND next_time - timestamp <= interval '16 hours'
"""


def test_time_entries_alternate_and_lie_more_than_a_minute_apart(demo):
    assert _one(demo, """
        SELECT count(*) FROM (
          SELECT action, lag(action) OVER w AS previous, timestamp - lag(timestamp) OVER w AS gap
            FROM backoffice.time_entries WINDOW w AS (PARTITION BY staff_id ORDER BY timestamp)
        ) e WHERE action = previous OR gap < interval '1 minute'""") == 0
    assert _one(demo, "SELECT count(*) FROM backoffice.time_entries"
                      " WHERE timestamp > now() + interval '5 minutes'") == 0


def test_noise_late_forgotten_clock_out_double_tap_overnight(demo):
    late = _one(demo, """
        SELECT count(*) FROM backoffice.time_entries t
          JOIN backoffice.staff_schedules s
            ON s.staff_id = t.staff_id AND s.schedule_date = (t.timestamp AT TIME ZONE 'Asia/Bangkok')::date
         WHERE t.action = 'clock_in'
           AND (t.timestamp AT TIME ZONE 'Asia/Bangkok')::time > s.start_time + interval '5 minutes'""")
    orphan_clock_outs = _one(demo, """
        SELECT count(*) FROM (SELECT action, timestamp - lag(timestamp) OVER w AS gap
          FROM backoffice.time_entries WINDOW w AS (PARTITION BY staff_id ORDER BY timestamp)) e
         WHERE action = 'clock_out' AND gap > interval '16 hours'""")
    double_taps = _one(demo, f"SELECT count(*) FROM ({SESSIONS}) s"
                             " WHERE ended - started < interval '5 minutes'")
    overnight = _one(demo, f"""SELECT count(*) FROM ({SESSIONS}) s WHERE
        (ended AT TIME ZONE 'Asia/Bangkok')::date > (started AT TIME ZONE 'Asia/Bangkok')::date""")
    across_month_end = _one(demo, f"""SELECT count(*) FROM ({SESSIONS}) s WHERE
        date_trunc('month', ended AT TIME ZONE 'Asia/Bangkok')
        > date_trunc('month', started AT TIME ZONE 'Asia/Bangkok')""")
    assert late > 20 and orphan_clock_outs >= 1 and double_taps >= 1
    assert overnight >= 2 and across_month_end >= 1


def test_some_weeks_pass_48_hours_and_some_work_falls_on_public_holidays(demo):
    weeks_over = _one(demo, f"""
        SELECT count(*) FROM (
          SELECT staff_id, date_trunc('week', (started AT TIME ZONE 'Asia/Bangkok')::date + 1)
            FROM ({SESSIONS}) s
           WHERE (started AT TIME ZONE 'Asia/Bangkok')::date
                 NOT IN (SELECT holiday_date FROM backoffice.public_holidays)
           GROUP BY 1, 2
          HAVING sum(extract(epoch FROM ended - started)) > 48 * 3600) w""")
    on_holidays = _one(demo, f"""SELECT count(*) FROM ({SESSIONS}) s
        JOIN backoffice.public_holidays h
          ON h.holiday_date = (s.started AT TIME ZONE 'Asia/Bangkok')::date""")
    assert weeks_over >= 1 and on_holidays >= 1


def test_a_few_staff_are_clocked_in_now(demo):
    assert _one(demo, "SELECT count(*) FROM backoffice.staff_status WHERE currently_clocked_in") >= 3


def test_a_leaver_is_inactive_with_compensation_ending_on_the_last_entry_day(demo):
    rows = demo.execute(sa.text("""
        SELECT s.id, c.effective_to,
               max((t.timestamp AT TIME ZONE 'Asia/Bangkok')::date) AS last_entry
          FROM backoffice.staff s
          JOIN backoffice.staff_compensation c ON c.staff_id = s.id AND c.effective_to IS NOT NULL
          JOIN backoffice.time_entries t ON t.staff_id = s.id
         WHERE NOT s.is_active
           AND NOT EXISTS (SELECT 1 FROM backoffice.staff_compensation later
                            WHERE later.staff_id = s.id AND later.effective_from > c.effective_to)
         GROUP BY s.id, c.effective_to""")).all()
    assert rows
    for _, last_day, last_entry in rows:
        assert last_entry <= last_day
    assert _one(demo, "SELECT count(*) FROM backoffice.staff_audit_log"
                      " WHERE action_type = 'deactivated'") == len(rows)


def test_a_raise_is_two_rows_back_to_back(demo):
    raises = demo.execute(sa.text("""
        SELECT a.base_salary, a.hourly_rate, b.base_salary, b.hourly_rate
          FROM backoffice.staff_compensation a
          JOIN backoffice.staff_compensation b
            ON b.staff_id = a.staff_id AND b.effective_from = a.effective_to + 1""")).all()
    assert raises
    for old_salary, old_rate, new_salary, new_rate in raises:
        assert (new_salary, new_rate) > (old_salary, old_rate)


def test_compensation_amounts_are_realistic_thb(demo):
    for kind, salary, rate, ot, holiday in demo.execute(sa.text(
        "SELECT compensation_type, base_salary, hourly_rate, ot_rate_per_hour,"
        " holiday_rate_per_hour FROM backoffice.staff_compensation")):
        if kind == "salary":
            assert Decimal(12000) <= salary <= Decimal(25000)
        else:
            assert Decimal(60) <= rate <= Decimal(120)
        assert Decimal(70) <= ot <= Decimal(150) and Decimal(80) <= holiday <= Decimal(200)


def test_service_charge_for_each_full_month(demo):
    period = Period.ending(bangkok.today())
    months = demo.execute(sa.text(
        "SELECT month_year, total_amount FROM backoffice.monthly_service_charge"
        " ORDER BY month_year")).all()
    assert [m for m, _ in months] == [f"{m:%Y-%m}" for m in period.full_months()]
    assert all(Decimal(20000) <= amount <= Decimal(40000) for _, amount in months)


def test_expiry_is_first_use_plus_validity_minus_one_day(demo):
    assert _one(demo, """
        SELECT count(*) FROM backoffice.packages p JOIN backoffice.package_types pt
          ON pt.id = p.package_type_id
         WHERE p.expiration_date IS DISTINCT FROM
               ((p.first_use_date + pt.validity_period)::date - 1)""") == 0
    assert _one(demo, "SELECT count(*) FROM backoffice.packages WHERE first_use_date IS NULL") > 0


def test_usage_within_dates_and_balance_first_use_is_first_usage(demo):
    assert _one(demo, """
        SELECT count(*) FROM backoffice.package_usage u JOIN backoffice.packages p
          ON p.id = u.package_id
         WHERE u.used_date < p.purchase_date OR u.used_date > p.expiration_date
            OR u.used_hours <= 0""") == 0
    assert _one(demo, """
        SELECT count(*) FROM backoffice.packages p JOIN backoffice.package_types pt
          ON pt.id = p.package_type_id
         WHERE pt.hours < (SELECT sum(used_hours) FROM backoffice.package_usage u
                            WHERE u.package_id = p.id)""") == 0
    assert _one(demo, """
        SELECT count(*) FROM backoffice.packages p
         WHERE p.first_use_date IS DISTINCT FROM
               (SELECT min(used_date) FROM backoffice.package_usage u WHERE u.package_id = p.id)
        """) == 0


def test_packages_to_watch_exist(demo):
    today = bangkok.today()
    assert _one(demo, "SELECT count(*) FROM backoffice.packages"
                      " WHERE expiration_date BETWEEN :d AND :d + 7", d=today) >= 1
    assert _one(demo, "SELECT count(*) FROM backoffice.packages WHERE first_use_date IS NULL"
                      " AND purchase_date < :d - 30", d=today) >= 1
    statuses = dict(demo.execute(sa.text(
        "SELECT package_status, count(*) FROM backoffice.customer_active_packages GROUP BY 1")).all())
    assert {"active", "unlimited", "not_activated"} <= set(statuses)
    assert _one(demo, """SELECT count(*) FROM backoffice.customer_active_packages
        WHERE remaining_hours > 0 AND (remaining_hours <= 1 OR remaining_hours <= total_hours / 10)
        """) >= 1
    assert _one(demo, """SELECT count(*) FROM backoffice.packages p
        JOIN backoffice.package_types pt ON pt.id = p.package_type_id
        WHERE pt.hours = (SELECT sum(used_hours) FROM backoffice.package_usage u
                           WHERE u.package_id = p.id)""") >= 1


def test_coaching_rates_for_every_coaching_type_and_no_error_rows(demo):
    coaching = {k.name for k in CATALOGUE if k.type == "Coaching"}
    assert coaching | {"Individual, 1 PAX", "Individual, 2 PAX"} == set(COACH_RATES)
    assert _one(demo, "SELECT count(*) FROM backoffice.coach_earnings WHERE error IS NOT NULL") == 0
    by_coach = dict(demo.execute(sa.text(
        "SELECT coach_code, count(*) FROM backoffice.coach_earnings GROUP BY 1")).all())
    assert set(by_coach) == {"BOSS", "RATCHAVIN", "MIN", "NOON"}
    linked = _one(demo, "SELECT count(*) FROM backoffice.coach_earnings WHERE package_id IS NOT NULL")
    assert 0 < linked < sum(by_coach.values())


def test_coaches_carry_the_coach_code_of_their_bookings(demo):
    """A coach sees only their own rows through allowed_users.coach_code (business-rules §5)."""
    coaches = dict(demo.execute(sa.text(
        "SELECT email, coach_code FROM backoffice.allowed_users WHERE is_coach")).all())
    assert coaches == {
        "boss@studio.example": "BOSS", "ratchavin@studio.example": "RATCHAVIN",
        "min@studio.example": "MIN", "noon@studio.example": "NOON",
    }
    admins = _one(demo, "SELECT count(*) FROM backoffice.allowed_users"
                        " WHERE is_admin AND NOT is_coach AND coach_code IS NULL")
    assert admins == 2


def test_pos_sales_carry_restaurant_skus_and_a_few_voided_lines(demo):
    assert _one(demo, "SELECT count(DISTINCT sku_number) FROM pos.sales"
                      " WHERE product_category IN ('Restaurant', 'Drinks')") >= 18
    assert _one(demo, "SELECT count(*) FROM pos.sales WHERE is_voided") >= 1
    # A day's 20-60 lines (the last receipt may add up to 4), package sales apart: they follow
    # the packages sold that day, so on a busy day the total alone passed 70 (fix).
    low, high = demo.execute(sa.text("""SELECT min(n), max(n) FROM (SELECT count(*) n FROM pos.sales
        WHERE sale_date < backoffice.bangkok_today() AND product_category <> 'Package'
        GROUP BY sale_date) d""")).one()
    assert 20 <= low and high <= 64
    assert _one(demo, """SELECT count(*) FROM (SELECT sale_date, count(*) n FROM pos.sales
        WHERE product_category = 'Package' GROUP BY sale_date) s
        JOIN (SELECT purchase_date, count(*) n FROM backoffice.packages GROUP BY 1) p
          ON p.purchase_date = s.sale_date WHERE s.n > p.n""") == 0


def test_invoices_follow_the_invoice_rules(demo):
    invoices = demo.execute(sa.text(
        "SELECT id, invoice_number, invoice_date, subtotal, tax_rate, tax_amount, total_amount,"
        " status, created_by FROM backoffice.invoices")).all()
    assert invoices
    admins = set(demo.execute(sa.text(
        "SELECT id FROM backoffice.allowed_users WHERE is_admin")).scalars())
    for inv in invoices:
        assert re.fullmatch(rf"{inv.invoice_date:%Y%m}\d{{3}}", inv.invoice_number)
        items = demo.execute(sa.text(
            "SELECT quantity, unit_price, line_total FROM backoffice.invoice_items"
            " WHERE invoice_id = :i"), {"i": inv.id}).all()
        assert items and all(t == money.round_money(q * p) for q, p, t in items)
        assert inv.subtotal == sum(t for _, _, t in items)
        assert inv.tax_amount == money.round_money(inv.subtotal * inv.tax_rate / 100)
        assert inv.total_amount == inv.subtotal - inv.tax_amount
        assert inv.status == "issued" and inv.created_by in admins


def test_holidays_settings_and_marker(demo):
    assert _one(demo, "SELECT count(*) FROM backoffice.public_holidays") >= 15
    settings = dict(demo.execute(sa.text(
        "SELECT setting_key, setting_value FROM backoffice.payroll_settings")).all())
    assert settings["weekly_ot_threshold_hours"] == "48"
    assert settings["daily_allowance_thb"] == "100"
    assert settings["demo_dataset"].startswith("seed=42 scale=1 as_of=")
    assert _one(demo, "SELECT value FROM backoffice.invoice_settings"
                      " WHERE key = 'default_wht_rate'") == "3.00"


def test_schedules_come_from_the_weekly_patterns(demo):
    assert _one(demo, """
        SELECT count(*) FROM backoffice.staff_schedules s
         WHERE s.created_by <> 'weekly_template' OR NOT EXISTS (
           SELECT 1 FROM backoffice.staff_weekly_schedules w
            WHERE w.staff_id = s.staff_id AND w.start_time = s.start_time
              AND w.end_time = s.end_time
              AND w.day_of_week = extract(dow FROM s.schedule_date))""") == 0
    assert _one(demo, "SELECT count(*) FROM backoffice.staff_schedules") > 1000


def test_month_keys_use_add_months():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 1), -6) == dt.date(2026, 5, 1)


def test_an_audit_trail_of_the_period(demo):
    actions = dict(demo.execute(sa.text(
        "SELECT action || ' ' || resource_type, count(*) FROM backoffice.audit_logs GROUP BY 1"
    )).all())
    assert actions["CREATE invoice"] == _one(demo, "SELECT count(*) FROM backoffice.invoices")
    assert actions["VIEW coach_earnings"] >= 1 and actions["UPDATE staff_compensation"] >= 1
    assert _one(demo, "SELECT count(*) FROM backoffice.audit_logs"
                      " WHERE details::text LIKE '%pin%'") == 0
