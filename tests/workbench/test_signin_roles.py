"""`backoffice db roles` (issue 12): separate PostgreSQL roles for the dashboards, the scheduler and
the kiosk; the kiosk may only punch. Roles are checked by acting as them (SET ROLE) on real data.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import uuid

import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice
from timeclock_fixtures import ADMIN, MANAGER, PIN, add_staff, add_users

from backoffice_lib import bangkok
from backoffice_lib.staff.service import people, timeclock
from backoffice_lib.workbench import db_roles


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def _denied(conn, statement, **params) -> bool:
    try:
        with conn.begin_nested():
            conn.execute(sa.text(statement), params)
    except sa.exc.ProgrammingError as exc:
        assert exc.orig.sqlstate == "42501", exc.orig  # insufficient_privilege
        return True
    return False


def test_scram_verifier_passes_the_rfc_7677_exchange():
    """The stored and server keys answer RFC 7677's example exchange (user, "pencil")."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = db_roles.scram_sha256_verifier("pencil", salt=salt, iterations=4096)
    method, rest = verifier.split("$", 1)
    head, keys = rest.split("$")
    assert method == "SCRAM-SHA-256" and head == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = (f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,"
                    f"i=4096,c=biws,r={nonce}").encode()
    server_signature = hmac.new(server_key, auth_message, "sha256").digest()
    assert base64.b64encode(server_signature).decode() == (
        "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    )
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client_signature = hmac.new(stored_key, auth_message, "sha256").digest()
    client_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key


@pytest.mark.parametrize("prefix", ["", "Backoffice", "1x", "x-y", "x;drop"])
def test_role_prefix_must_be_a_plain_identifier(prefix):
    with pytest.raises(db_roles.RolesError, match="--prefix"):
        db_roles.role_names(prefix)


@pytest.mark.parametrize(
    ("table", "privileges"),
    [
        (("backoffice", "staff", "r"), "SELECT, INSERT, UPDATE, DELETE"),
        (("backoffice", "audit_logs", "p"), "SELECT"),  # appended by write_audit() (0018)
        (("backoffice", "staff_audit_log", "r"), "SELECT"),
        (("backoffice", "allowed_users", "r"), "SELECT"),
        (("backoffice", "staff_status", "v"), "SELECT"),
        (("archive", "time_entries", "p"), "SELECT, INSERT, UPDATE, DELETE"),
    ],
    ids=["workbench-table", "audit-append-only", "staff-audit-append-only", "users-read-only",
         "view-read-only", "archive-table"],
)
def test_dashboard_role_grants_by_table(table, privileges):
    grants = db_roles.compute_dashboard_grants([table], ["public.customers"])
    assert grants == [(privileges, f"{table[0]}.{table[1]}"), ("SELECT", "public.customers")]


@pytest.fixture
def kiosk_setup(conn):
    add_users(conn)
    staff_pk = add_staff(conn, name="Kiosk Person")
    prefix = _prefix()
    results = db_roles.run_create_roles(conn, ADMIN, prefix=prefix)
    return prefix, staff_pk, results


def test_roles_are_created_once_granted_and_audited(kiosk_setup, conn):
    prefix, _, results = kiosk_setup
    assert [(r.role, r.created, r.login, r.password) for r in results] == [
        (f"{prefix}_dashboards", True, False, None),
        (f"{prefix}_scheduler", True, False, None),
        (f"{prefix}_kiosk", True, False, None),
        (f"{prefix}_analyst", True, False, None),
    ]
    again = db_roles.run_create_roles(conn, ADMIN, prefix=prefix)
    assert [r.created for r in again] == [False, False, False, False]
    assert [r.grants for r in again] == [r.grants for r in results]
    login = conn.execute(
        sa.text("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE :p ORDER BY 1"),
        {"p": f"{prefix}\\_%"},
    ).all()
    assert [tuple(r) for r in login] == [
        (f"{prefix}_analyst", False), (f"{prefix}_dashboards", False), (f"{prefix}_kiosk", False),
        (f"{prefix}_scheduler", False),
    ]
    audited = conn.execute(
        sa.text("SELECT user_email, details FROM backoffice.audit_logs"
                " WHERE action = 'DB_ROLES' AND resource_id = :p"), {"p": prefix}
    ).all()
    assert len(audited) == 2 and audited[0].user_email == ADMIN


def test_kiosk_role_may_punch_and_count_a_wrong_pin_but_nothing_else(kiosk_setup, conn):
    prefix, staff_pk, _ = kiosk_setup
    conn.execute(sa.text(f'SET LOCAL ROLE "{prefix}_kiosk"'))
    moment = bangkok.now() - dt.timedelta(minutes=30)
    wrong = timeclock.punch(conn, MANAGER, staff_pk, "999999", now=moment)
    assert wrong.status == timeclock.WRONG_PIN
    punched = timeclock.punch(conn, MANAGER, staff_pk, PIN, now=moment + dt.timedelta(minutes=1))
    assert punched.status == timeclock.PUNCHED, punched.message
    names = people.load_staff(conn)  # what the kiosk lists
    assert "Kiosk Person" in set(names["staff_name"])
    for statement in [
        "SELECT * FROM backoffice.staff_compensation",
        "SELECT total_pay FROM backoffice.payroll_runs",
        "SELECT lines FROM backoffice.payroll_runs",
        "SELECT coach_phone FROM backoffice.allowed_users",
        "SELECT photo_url FROM backoffice.time_entries",
        "SELECT device_info FROM backoffice.time_entries",
        "SELECT * FROM backoffice.audit_logs",
        "SELECT * FROM backoffice.invoices",
        "SELECT * FROM public.customers",
        "UPDATE backoffice.staff SET pin_hash = 'x'",
        "UPDATE backoffice.staff SET is_active = false",
        "UPDATE backoffice.time_entries SET timestamp = now()",
        "DELETE FROM backoffice.time_entries",
        "DELETE FROM backoffice.audit_logs",
        "UPDATE backoffice.allowed_users SET is_admin = true",
        "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES ('me@x', true)",
        "CREATE TABLE backoffice.kiosk_was_here (id int)",
    ]:
        assert _denied(conn, statement), statement


def test_dashboards_role_works_but_cannot_rewrite_the_audit_trail_or_the_users(kiosk_setup, conn):
    prefix, staff_pk, _ = kiosk_setup
    conn.execute(sa.text(f'SET LOCAL ROLE "{prefix}_dashboards"'))
    assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.staff_compensation")) >= 0
    assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs")) >= 0
    conn.execute(sa.text("UPDATE backoffice.staff SET is_service_charge_eligible = true"
                         " WHERE id = :s"), {"s": staff_pk})
    for statement in [
        "UPDATE backoffice.audit_logs SET user_email = 'someone-else'",
        "DELETE FROM backoffice.audit_logs",
        "DELETE FROM backoffice.staff_audit_log",
        "UPDATE backoffice.allowed_users SET is_admin = true",
        "TRUNCATE backoffice.time_entries",
        "DROP TABLE backoffice.invoices",
        "DELETE FROM public.customers",
    ]:
        assert _denied(conn, statement), statement


def test_a_non_admin_may_not_create_roles_and_the_refusal_is_audited(conn):
    add_users(conn)
    with pytest.raises(db_roles.access.AccessDenied, match="not an admin"):
        db_roles.run_create_roles(conn, MANAGER, prefix=_prefix())


@pytest.fixture
def committed_admin(engine):
    email = f"roles-{uuid.uuid4().hex[:8]}@signin.test"
    manager = f"roles-m-{uuid.uuid4().hex[:8]}@signin.test"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:a, true), (:m, false)"), {"a": email, "m": manager})
    prefix = _prefix()
    yield email, manager, prefix
    with engine.begin() as c:
        for piece in db_roles.PIECES:
            role = f"{prefix}_{piece}"
            if c.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                c.execute(sa.text(f'DROP OWNED BY "{role}"'))
                c.execute(sa.text(f'DROP ROLE "{role}"'))
        c.execute(sa.text("DELETE FROM backoffice.allowed_users WHERE email IN (:a, :m)"),
                  {"a": email, "m": manager})


def test_db_roles_command_admin_only_idempotent_and_prints_login_passwords_once(
    committed_admin, database_url, engine, monkeypatch
):
    admin, manager, prefix = committed_admin
    monkeypatch.delenv("BACKOFFICE_USER", raising=False)
    env = {**__import__("os").environ,
           "BACKOFFICE_DATABASE_URL": database_url.render_as_string(hide_password=False)}
    refused = run_backoffice("db", "roles", "--prefix", prefix, "--user", manager, env=env)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.strip() == (
        f"error: access refused: {manager} is not an admin; roles is for admins only"
    )
    first = run_backoffice("db", "roles", "--prefix", prefix, "--user", admin, env=env)
    assert first.returncode == 0, first.stderr
    assert f"{prefix}_kiosk" in first.stdout and "created" in first.stdout
    again = run_backoffice("db", "roles", "--prefix", prefix, "--user", admin, env=env)
    assert again.returncode == 0 and "created" not in again.stdout.replace("not created", "")
    login = run_backoffice("db", "roles", "--prefix", prefix, "--user", admin, "--login", env=env)
    assert login.returncode == 0, login.stderr
    passwords = dict(
        line.split()[1:3] for line in login.stdout.splitlines() if line.startswith("password ")
    )
    assert set(passwords) == {f"{prefix}_{p}" for p in db_roles.PIECES}
    with engine.connect() as c:
        stored = dict(c.execute(sa.text(
            "SELECT rolname, rolpassword FROM pg_authid WHERE rolname LIKE :p AND rolcanlogin"),
            {"p": f"{prefix}\\_%"}).all())
        audited = c.scalar(sa.text(
            "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'DB_ROLES'"
            " AND resource_id = :p"), {"p": prefix})
        refusals = c.scalar(sa.text(
            "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
            " AND user_email = :m AND resource_type = 'roles'"), {"m": manager})
    assert set(stored) == set(passwords)
    for role, password in passwords.items():
        assert stored[role].startswith("SCRAM-SHA-256$4096:")  # a verifier, never the clear text
        assert password not in stored[role]
    assert audited == 3 and refusals == 1
    as_dashboards = {**env, "BACKOFFICE_DATABASE_URL": database_url.set(
        username=f"{prefix}_dashboards", password=passwords[f"{prefix}_dashboards"]
    ).render_as_string(hide_password=False)}
    weak = run_backoffice("db", "roles", "--prefix", prefix, "--user", admin, env=as_dashboards)
    assert weak.returncode == 2 and "needs CREATEROLE" in weak.stderr, weak.stderr
    assert "Traceback" not in weak.stderr
