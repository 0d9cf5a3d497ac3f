"""Nothing lost by accident (issue 12): ``demo load`` replaces only a database whose every
workbench row is the demo's own; ``db restore`` needs an admin and --force, says what it would
replace, takes a backup first and is audited after."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice

from backoffice_lib import demo_data

ADMIN = "admin@studio.example"
COACH = "min@studio.example"


def sql(conn, text, **params):
    return conn.execute(sa.text(text), params)


def test_a_fresh_demo_database_holds_only_the_demo_rows(demo_engine):
    with demo_engine.connect() as conn:
        assert demo_data.load_foreign_rows(conn) == {}
        fingerprint = demo_data.load_fingerprint(conn)
    tables = set(fingerprint["rows"])
    for table in ("backoffice.allowed_users", "backoffice.audit_logs", "backoffice.invoices",
                  "backoffice.invoice_suppliers", "backoffice.reconciliation_sessions",
                  "backoffice.job_runs", "backoffice.staff", "public.customers", "pos.sales"):
        assert table in tables


# Each row: a change a person made after the demo load, the table the refusal must name.
CHANGES = [
    ("a real admin login", ("INSERT INTO backoffice.allowed_users (email, is_admin)"
     " VALUES ('owner@realstudio.example', true)"), "backoffice.allowed_users"),
    ("an audit row", ("INSERT INTO backoffice.audit_logs (user_email, action, resource_type)"
     " VALUES ('owner@realstudio.example', 'VIEW', 'payroll')"), "backoffice.audit_logs"),
    ("a supplier", "INSERT INTO backoffice.invoice_suppliers (name) VALUES ('Real Supplier Co')",
     "backoffice.invoice_suppliers"),
    ("an invoice changed", ("UPDATE backoffice.invoices SET status = 'void'"
     " WHERE invoice_number = (SELECT min(invoice_number) FROM backoffice.invoices)"), "backoffice.invoices"),
    ("a reconciliation session", ("INSERT INTO backoffice.reconciliation_sessions"
     " (reconciliation_type, file_name, status, date_range_start, date_range_end)"
     " VALUES ('restaurant', 'real.csv', 'completed', '2025-01-01', '2025-01-31')"),
     "backoffice.reconciliation_sessions"),
    ("a job run", ("INSERT INTO backoffice.job_runs (id, job_name, notebook, status, run_dir,"
     " started_at) VALUES (gen_random_uuid(), 'payroll', 'x.ipynb', 'succeeded', '/x', now())"),
     "backoffice.job_runs"),
    ("a weekly pattern deleted", ("DELETE FROM backoffice.staff_weekly_schedules"
     " WHERE id = (SELECT id FROM backoffice.staff_weekly_schedules LIMIT 1)"),
     "backoffice.staff_weekly_schedules"),
    ("a customer added", "INSERT INTO public.customers (customer_name) VALUES ('Khun Real')",
     "public.customers"),
]


@pytest.mark.parametrize("case, statement, table", CHANGES, ids=[c[0] for c in CHANGES])
def test_demo_load_refuses_rows_it_did_not_create(demo_conn, case, statement, table):
    sql(demo_conn, statement)
    before = demo_data.load_foreign_rows(demo_conn)
    assert table in before
    with pytest.raises(demo_data.DemoRefused, match=table.replace(".", r"\.")) as refused:
        demo_data.run_demo_load(conn=demo_conn)
    assert "--force" in str(refused.value)
    assert demo_data.load_foreign_rows(demo_conn) == before  # nothing emptied


def test_demo_load_refuses_real_data_without_a_fingerprint(conn):
    sql(conn, "INSERT INTO backoffice.allowed_users (email, is_admin)"
              " VALUES ('owner@realstudio.example', true)")
    with pytest.raises(demo_data.DemoRefused, match="allowed_users"):
        demo_data.run_demo_load(conn=conn)


def test_demo_load_into_an_empty_database_and_again_needs_no_force(conn):
    demo_data.run_demo_load(conn=conn)
    # same transaction here, so every row is the load's own; the reload replaces them all
    demo_data.run_demo_load(conn=conn)
    fingerprint = demo_data.load_fingerprint(conn)
    assert fingerprint["rows"]["backoffice.staff"] > 0
    assert demo_data.load_foreign_rows(conn) == {}


def test_demo_load_command_refuses_in_one_line_and_force_replaces(database_url, engine, tmp_path):
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=database_url.render_as_string(False),
               BACKOFFICE_DATA_DIR=str(tmp_path))
    with engine.begin() as c:
        sql(c, "INSERT INTO backoffice.invoice_suppliers (name) VALUES ('Real Supplier Co')")
    refused = run_backoffice("demo", "load", env=env)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: ") and len(refused.stderr.strip().splitlines()) == 1
    assert "backoffice.invoice_suppliers 1" in refused.stderr
    with engine.begin() as c:
        assert sql(c, "SELECT count(*) FROM backoffice.staff").scalar() == 0
        assert sql(c, "SELECT name FROM backoffice.invoice_suppliers").scalars().all() == [
            "Real Supplier Co"]
    forced = run_backoffice("demo", "load", "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    with engine.begin() as c:  # only its own rows now: the next load needs no --force
        assert demo_data.load_foreign_rows(c) == {}
        demo_data.check_replaceable(c, force=False)


def test_db_restore_needs_an_admin_and_force_takes_a_backup_first_and_is_audited(
        demo_database_url, demo_engine, tmp_path):
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=demo_database_url.render_as_string(False),
               BACKOFFICE_DATA_DIR=str(tmp_path / "data"), BACKOFFICE_USER=ADMIN)
    dump = tmp_path / "saved.dump"
    made = run_backoffice("db", "backup", str(dump), env=env)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    with demo_engine.begin() as c:
        sql(c, "INSERT INTO backoffice.invoice_suppliers (name) VALUES ('Added After The Backup')")

    coach = run_backoffice("db", "restore", str(dump), "--force", env=dict(env, BACKOFFICE_USER=COACH))
    assert coach.returncode == 2 and "not an admin" in coach.stderr
    unforced = run_backoffice("db", "restore", str(dump), env=env)
    assert unforced.returncode == 2 and len(unforced.stderr.strip().splitlines()) == 1
    assert "replaces everything" in unforced.stderr and "--force" in unforced.stderr
    with demo_engine.begin() as c:
        assert sql(c, "SELECT count(*) FROM backoffice.invoice_suppliers"
                      " WHERE name = 'Added After The Backup'").scalar() == 1
        assert sql(c, "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
                      " AND user_email = :e AND resource_type = 'backups'", e=COACH).scalar() == 1

    done = run_backoffice("db", "restore", str(dump), "--force", env=env)
    assert done.returncode == 0, done.stderr
    assert "replaced in" in done.stdout and "backup of what was replaced" in done.stdout
    [safety] = (tmp_path / "data" / "backups").glob("before-restore-*.dump")
    assert stat.S_IMODE(safety.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data" / "backups").stat().st_mode) == 0o700
    with demo_engine.begin() as c:
        assert sql(c, "SELECT count(*) FROM backoffice.invoice_suppliers"
                      " WHERE name = 'Added After The Backup'").scalar() == 0
        restore = sql(c, "SELECT user_email, details FROM backoffice.audit_logs"
                         " WHERE action = 'RESTORE'").one()
    assert restore.user_email == ADMIN
    assert restore.details["backup_taken_first"] == str(safety)
