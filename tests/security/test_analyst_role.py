"""The analyst database role (issue 27): plain SQL as the role reads what analysts need and is
refused every secret, all pay, every write and every other role."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from timeclock_fixtures import ADMIN, add_users

from backoffice_lib import bangkok
from backoffice_lib.explore import queries, rules
from backoffice_lib.workbench import db_roles


def _denied(conn, statement) -> bool:
    try:
        with conn.begin_nested():
            conn.execute(sa.text(statement))
    except sa.exc.ProgrammingError as exc:
        assert exc.orig.sqlstate == "42501", exc.orig  # insufficient_privilege
        return True
    return False


@pytest.fixture(scope="module")
def analyst(demo_engine, demo_database_url):
    """A committed analyst LOGIN role on the demo database: (prefix, engine signed in as it)."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    admin = f"analyst-admin-{prefix}@roles.test"
    with demo_engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true)"),
                  {"a": admin})
        results = db_roles.run_create_roles(c, admin, prefix=prefix, login=True)
    password = next(r.password for r in results if r.piece == "analyst")
    engine = sa.create_engine(demo_database_url.set(username=f"{prefix}_analyst",
                                                    password=password))
    yield prefix, engine
    engine.dispose()
    with demo_engine.begin() as c:
        for piece in db_roles.PIECES:
            c.execute(sa.text(f'DROP OWNED BY "{prefix}_{piece}"'))
            c.execute(sa.text(f'DROP ROLE "{prefix}_{piece}"'))
        c.execute(sa.text("DELETE FROM backoffice.allowed_users WHERE email = :a"), {"a": admin})


@pytest.fixture
def as_analyst(analyst):
    """A connection signed in as the analyst role (its session user), rolled back."""
    prefix, engine = analyst
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection, prefix
        finally:
            outer.rollback()


SECRETS_AND_PAY = [
    "SELECT pin_hash FROM backoffice.staff",
    "SELECT national_id FROM backoffice.staff",
    "SELECT * FROM backoffice.staff",
    "SELECT bank_account FROM backoffice.invoice_suppliers",
    "SELECT bank_name FROM backoffice.invoice_suppliers",
    "SELECT tax_id FROM backoffice.invoice_suppliers",
    "SELECT first_name, last_name FROM backoffice.invoice_suppliers",
    "SELECT address_line FROM backoffice.invoice_suppliers",
    "SELECT * FROM backoffice.staff_compensation",
    "SELECT hourly_rate FROM backoffice.staff_compensation",
    "SELECT total_pay FROM backoffice.payroll_runs",
    "SELECT lines FROM backoffice.payroll_runs",
    "SELECT * FROM backoffice.monthly_service_charge",
    "SELECT * FROM backoffice.staff_tax_allowances",
    "SELECT rate FROM backoffice.coach_rates",
    "SELECT * FROM backoffice.coach_earnings",
    "SELECT contact_number FROM public.customers",
    "SELECT email FROM public.customers",
    "SELECT coach_phone FROM backoffice.allowed_users",
    "SELECT details FROM backoffice.audit_logs",
    "SELECT ip_address FROM backoffice.audit_logs",
    "SELECT photo_url FROM backoffice.time_entries",
    "SELECT * FROM backoffice.import_quarantine",
    "SELECT * FROM backoffice.import_row_versions",
]
WRITES = [
    "INSERT INTO backoffice.audit_logs (user_email, action, resource_type) VALUES ('a', 'b', 'c')",
    "UPDATE backoffice.staff SET staff_name = 'x'",
    "UPDATE backoffice.allowed_users SET is_admin = true",
    "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES ('me@x', true)",
    "DELETE FROM backoffice.time_entries",
    "INSERT INTO backoffice.time_entries (staff_id, action) VALUES (1, 'clock_in')",
    "UPDATE backoffice.packages SET discount_amount = 0",
    "DELETE FROM backoffice.staff_audit_log",
    "UPDATE pos.sales SET is_voided = true",
    "DELETE FROM public.customers",
    "TRUNCATE backoffice.time_entries",
    "CREATE TABLE backoffice.analyst_was_here (id int)",
    "DROP VIEW backoffice.audit_changes",
    "SELECT nextval('backoffice.staff_id_seq')",
]


@pytest.mark.parametrize("statement", SECRETS_AND_PAY)
def test_the_analyst_role_is_refused_each_secret_and_all_pay(as_analyst, statement):
    conn, _ = as_analyst
    assert _denied(conn, statement), statement


@pytest.mark.parametrize("statement", WRITES)
def test_the_analyst_role_is_refused_every_write(as_analyst, statement):
    conn, _ = as_analyst
    assert _denied(conn, statement), statement


@pytest.mark.parametrize("other", ["dashboards", "scheduler", "kiosk"])
def test_the_analyst_role_may_not_become_another_role(as_analyst, other):
    conn, prefix = as_analyst
    assert _denied(conn, f'SET ROLE "{prefix}_{other}"')
    assert _denied(conn, "SET ROLE postgres")
    assert _denied(conn, "SET SESSION AUTHORIZATION postgres")


def test_the_analyst_role_reads_what_analysts_need(as_analyst):
    conn, prefix = as_analyst
    assert conn.scalar(sa.text("SELECT current_user")) == f"{prefix}_analyst"
    assert conn.scalar(sa.text("SELECT session_user")) == f"{prefix}_analyst"
    for statement in [
        "SELECT id, staff_name, is_active FROM backoffice.staff",
        'SELECT id, staff_id, action, "timestamp" FROM backoffice.time_entries',
        "SELECT * FROM backoffice.staff_schedules",
        "SELECT * FROM backoffice.packages",
        "SELECT * FROM backoffice.package_usage",
        "SELECT * FROM pos.sales",
        "SELECT id, customer_name FROM public.customers",
        "SELECT * FROM backoffice.audit_changes",
        "SELECT * FROM backoffice.staff_audit_log",
        "SELECT id, name, payee_kind, province FROM backoffice.invoice_suppliers",
    ]:
        assert not _denied(conn, statement), statement
    today = bangkok.today()
    first = today - dt.timedelta(days=60)
    begin, end = rules.compute_period_times(first, today)
    assert queries.load_attendance_rows(conn, first, today, begin, end)
    assert queries.load_audit_rows(conn, begin - dt.timedelta(days=400), end) is not None
    assert queries.load_package_usage_rows(conn, first - dt.timedelta(days=400), today)
    assert queries.load_sales_rows(conn, first, today)


def test_audit_changes_hides_pay_values_from_the_analyst(as_analyst):
    conn, _ = as_analyst
    rows = conn.execute(sa.text(
        "SELECT details::text FROM backoffice.audit_changes"
        " WHERE resource_type = 'staff_compensation'")).scalars().all()
    for text in rows:
        for key in ("hourly_rate", "base_salary", "ot_rate_per_hour"):
            if f'"{key}": ' in text:
                assert f'"{key}": "(hidden)"' in text


def test_a_rerun_takes_back_what_the_analyst_no_longer_gets(demo_conn):
    add_users(demo_conn)
    prefix = f"t{uuid.uuid4().hex[:10]}"
    db_roles.run_create_roles(demo_conn, ADMIN, prefix=prefix)
    demo_conn.execute(sa.text(f'GRANT SELECT ON backoffice.staff_compensation TO "{prefix}_analyst"'))
    demo_conn.execute(sa.text(f'GRANT "{prefix}_dashboards" TO "{prefix}_analyst"'))
    db_roles.run_create_roles(demo_conn, ADMIN, prefix=prefix)
    assert not demo_conn.scalar(sa.text(
        "SELECT pg_has_role(:a, :d, 'MEMBER')"),
        {"a": f"{prefix}_analyst", "d": f"{prefix}_dashboards"})
    demo_conn.execute(sa.text(f'SET LOCAL ROLE "{prefix}_analyst"'))
    assert _denied(demo_conn, "SELECT * FROM backoffice.staff_compensation")


def test_the_analyst_role_may_run_no_function_that_acts_as_its_owner(as_analyst):
    """A SECURITY DEFINER function runs with its owner's rights (writing the audit trail,
    finalising a month): the analyst may execute none that can write (volatile ones)."""
    conn, _ = as_analyst
    allowed = conn.execute(sa.text(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n"
        " ON n.oid = p.pronamespace WHERE n.nspname IN ('backoffice', 'archive', 'pos')"
        " AND p.prosecdef AND p.provolatile = 'v'"
        " AND p.prorettype <> 'trigger'::regtype"  # a trigger cannot be called
        " AND has_function_privilege(current_user, p.oid, 'EXECUTE')")).scalars()
    assert list(allowed) == []
