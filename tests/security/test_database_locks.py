"""Locks the database keeps (issue 23.2, migration 0018): who may change a finalised month and who
writes the audit trail are decided by the database role, never by a session setting any role may
set. Plain SQL as each role (the roles of ``backoffice db roles``, acted as with SET ROLE)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from timeclock_fixtures import ADMIN, MANAGER, add_staff, add_users

from backoffice_lib import audit
from backoffice_lib.workbench import db_roles

MONTH = "2025-01"
IN_MONTH = "2025-01-15 09:00:00+07"


def _refused(conn, statement, **params) -> str:
    """The refusal's message (SQLSTATE insufficient_privilege), or '' when it went through."""
    try:
        with conn.begin_nested():
            conn.execute(sa.text(statement), params)
    except sa.exc.DBAPIError as exc:
        assert exc.orig.sqlstate == "42501", exc.orig
        return str(exc.orig)
    return ""


@pytest.fixture
def locked(conn):
    """Users, one person, a finalised month and the roles: (role names, staff pk, run id)."""
    add_users(conn)
    staff_pk = add_staff(conn, name="Lock Person")
    run_id = conn.scalar(sa.text(
        "INSERT INTO backoffice.payroll_runs (month, status, checksum, finalised_by, finalised_at)"
        " VALUES (:m, 'finalised', 'c', :a, now()) RETURNING id"), {"m": MONTH, "a": ADMIN})
    prefix = f"t{uuid.uuid4().hex[:10]}"
    db_roles.run_create_roles(conn, ADMIN, prefix=prefix)
    roles = {piece: f"{prefix}_{piece}" for piece in ("dashboards", "scheduler", "kiosk")}
    return roles, staff_pk, run_id


def _as(conn, role: str) -> None:
    conn.execute(sa.text(f'SET LOCAL ROLE "{role}"'))


def _claim_admin(conn) -> None:
    """What a role could do to talk past the old lock: name a real admin with a reason."""
    conn.execute(sa.text("SELECT set_config('backoffice.actor', :a, true),"
                         " set_config('backoffice.reason', 'correction', true)"), {"a": ADMIN})
    audit.act_as(conn, ADMIN, "correction")


PUNCH = ("INSERT INTO backoffice.time_entries (staff_id, action, \"timestamp\")"
         " VALUES (:s, 'clock_in', CAST(:t AS timestamptz))")


@pytest.mark.parametrize("piece", ["kiosk", "dashboards", "scheduler"])
def test_a_role_naming_a_real_admin_cannot_punch_into_a_finalised_month(locked, conn, piece):
    roles, staff_pk, _ = locked
    _as(conn, roles[piece])
    _claim_admin(conn)
    message = _refused(conn, PUNCH, s=staff_pk, t=IN_MONTH)
    assert "is finalised" in message
    assert _refused(conn, "SELECT backoffice.begin_correction(:a, 'correction')", a=ADMIN)


@pytest.mark.parametrize("piece", ["dashboards", "scheduler"])
def test_a_role_naming_a_real_admin_cannot_change_compensation_of_a_finalised_month(
    locked, conn, piece
):
    roles, staff_pk, _ = locked
    _as(conn, roles[piece])
    _claim_admin(conn)
    assert "finalised payroll month" in _refused(
        conn, "INSERT INTO backoffice.staff_compensation (staff_id, base_salary, effective_from)"
              " VALUES (:s, 1, DATE '2025-01-01')", s=staff_pk)


@pytest.mark.parametrize("piece", ["dashboards", "scheduler", "kiosk"])
def test_no_role_but_the_owner_unfinalises_a_month(locked, conn, piece):
    roles, _, run_id = locked
    _as(conn, roles[piece])
    _claim_admin(conn)
    for statement in [
        ("UPDATE backoffice.payroll_runs SET status = 'draft', finalised_by = NULL,"
        " finalised_at = NULL WHERE id = :r"),
        "DELETE FROM backoffice.payroll_runs WHERE id = :r",
    ]:
        assert _refused(conn, statement, r=run_id), statement
    conn.execute(sa.text("RESET ROLE"))
    assert conn.scalar(sa.text("SELECT status FROM backoffice.payroll_runs WHERE id = :r"),
                       {"r": run_id}) == "finalised"


def test_dashboards_may_not_insert_a_finalised_run_but_may_finalise_a_draft_for_an_admin(
    locked, conn
):
    roles, _, _ = locked
    draft = conn.scalar(sa.text("INSERT INTO backoffice.payroll_runs (month, checksum)"
                                " VALUES ('2025-02', 'd') RETURNING id"))
    _as(conn, roles["dashboards"])
    assert "may finalise or reopen" in _refused(
        conn, "INSERT INTO backoffice.payroll_runs (month, status, checksum, finalised_by,"
              " finalised_at) VALUES ('2025-03', 'finalised', 'x', :a, now())", a=ADMIN)
    assert "only an admin" in _refused(
        conn, "SELECT backoffice.finalise_payroll_run(:r, :m)", r=draft, m=MANAGER)
    conn.execute(sa.text("SELECT backoffice.finalise_payroll_run(:r, :a)"), {"r": draft, "a": ADMIN})
    row = conn.execute(sa.text("SELECT status, finalised_by FROM backoffice.payroll_runs"
                               " WHERE id = :r"), {"r": draft}).one()
    assert tuple(row) == ("finalised", ADMIN)


@pytest.mark.parametrize("piece", ["dashboards", "scheduler", "kiosk"])
@pytest.mark.parametrize("statement", [
    ("INSERT INTO backoffice.audit_logs (user_email, action, resource_type)"
    " VALUES ('admin-tc@studio.example', 'UPDATE', 'payroll_run')"),
    ("INSERT INTO backoffice.staff_audit_log (action_type, changed_by_type, changed_by_identifier)"
    " VALUES ('updated', 'admin', 'admin-tc@studio.example')"),
    "SELECT * FROM backoffice.lock_corrections",
], ids=["audit_logs", "staff_audit_log", "lock_corrections"])
def test_no_role_writes_the_audit_trail_directly(locked, conn, piece, statement):
    roles, _, _ = locked
    _as(conn, roles[piece])
    assert _refused(conn, statement)


@pytest.mark.parametrize("piece", ["dashboards", "kiosk"])
def test_audit_through_the_function_stamps_the_real_role(locked, conn, piece):
    roles, _, _ = locked
    _as(conn, roles[piece])
    audit.record(conn, ADMIN, "LOCK_TEST", "lock_test", piece, details={"claim": "admin"})
    conn.execute(sa.text("RESET ROLE"))
    row = conn.execute(sa.text(
        "SELECT user_email, db_role, details FROM backoffice.audit_logs"
        " WHERE action = 'LOCK_TEST' AND resource_id = :p"), {"p": piece}).one()
    assert (row.user_email, row.db_role, row.details) == (ADMIN, roles[piece], {"claim": "admin"})


def test_the_owners_audit_rows_name_the_owner_role(locked, conn):
    audit.record(conn, ADMIN, "LOCK_TEST", "lock_test", "owner")
    row = conn.execute(sa.text(
        "SELECT db_role, session_user AS me FROM backoffice.audit_logs"
        " WHERE action = 'LOCK_TEST' AND resource_id = 'owner'")).one()
    assert row.db_role == row.me


def test_staff_changes_by_the_kiosk_are_logged_as_the_kiosk_role(locked, conn):
    roles, staff_pk, _ = locked
    _as(conn, roles["kiosk"])
    _claim_admin(conn)
    conn.execute(sa.text("UPDATE backoffice.staff SET failed_attempts = failed_attempts + 1"
                         " WHERE id = :s"), {"s": staff_pk})
    conn.execute(sa.text("RESET ROLE"))
    row = conn.execute(sa.text(
        "SELECT changed_by_identifier, db_role FROM backoffice.staff_audit_log"
        " WHERE staff_id = :s ORDER BY id DESC LIMIT 1"), {"s": staff_pk}).one()
    # the claim is kept as the claim; the role says who really wrote it
    assert (row.changed_by_identifier, row.db_role) == (ADMIN, roles["kiosk"])


def test_the_owners_correction_with_a_reason_goes_through_and_is_recorded(locked, conn):
    _, staff_pk, _ = locked
    assert "is finalised" in _refused(conn, PUNCH, s=staff_pk, t=IN_MONTH)  # no correction yet
    audit.act_as(conn, ADMIN, "clock-in was missed on the 15th")
    conn.execute(sa.text(PUNCH), {"s": staff_pk, "t": IN_MONTH})
    row = conn.execute(sa.text(
        "SELECT actor, reason, db_role, backend_pid = pg_backend_pid() AS mine,"
        " session_user AS me FROM backoffice.lock_corrections ORDER BY id DESC LIMIT 1")).one()
    assert (row.actor, row.reason, row.mine) == (ADMIN, "clock-in was missed on the 15th", True)
    assert row.db_role == row.me


def test_the_owners_correction_through_the_function_itself(locked, conn):
    _, staff_pk, _ = locked
    conn.execute(sa.text("SELECT backoffice.begin_correction(:a, 'late punch')"), {"a": ADMIN})
    conn.execute(sa.text(PUNCH), {"s": staff_pk, "t": IN_MONTH})
    assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.time_entries WHERE staff_id = :s"),
                       {"s": staff_pk}) == 1


@pytest.mark.parametrize(("how", "actor", "reason"), [
    ("settings only", ADMIN, "correction"),
    ("not an admin", MANAGER, "typo"),
    ("no reason", ADMIN, ""),
])
def test_the_owner_without_a_correction_is_refused(locked, conn, how, actor, reason):
    _, staff_pk, _ = locked
    if how == "settings only":
        conn.execute(sa.text("SELECT set_config('backoffice.actor', :a, true),"
                             " set_config('backoffice.reason', :r, true)"),
                     {"a": actor, "r": reason})
    else:
        audit.act_as(conn, actor, reason)
    assert "is finalised" in _refused(conn, PUNCH, s=staff_pk, t=IN_MONTH)


def test_a_correction_ends_when_the_actor_is_cleared(locked, conn):
    _, staff_pk, _ = locked
    audit.act_as(conn, ADMIN, "correction")
    audit.act_as(conn, None, "right PIN at the time clock")
    assert "is finalised" in _refused(conn, PUNCH, s=staff_pk, t=IN_MONTH)


def test_the_owners_correction_does_not_open_the_lock_for_another_role(locked, conn):
    roles, staff_pk, _ = locked
    audit.act_as(conn, ADMIN, "correction")
    _as(conn, roles["dashboards"])
    assert "is finalised" in _refused(conn, PUNCH, s=staff_pk, t=IN_MONTH)


@pytest.mark.parametrize(("table", "privileges"), [
    (("backoffice", "payroll_runs", "r"), "SELECT, INSERT"),
    (("backoffice", "audit_logs", "p"), "SELECT"),
    (("backoffice", "staff_audit_log", "r"), "SELECT"),
    (("backoffice", "lock_corrections", "r"), None),
], ids=["payroll-runs-no-update", "audit-read-only", "staff-audit-read-only", "corrections-none"])
def test_dashboard_grants_after_the_locks(table, privileges):
    grants = db_roles.compute_dashboard_grants([table], [])
    assert grants == ([(privileges, f"{table[0]}.{table[1]}")] if privileges else [])


def test_a_committed_correction_is_kept_as_a_record_and_opens_nothing_again(engine):
    """One backend, two transactions: the first's correction is recorded; the next transaction
    of the same backend must begin its own."""
    staff_id = f"L{uuid.uuid4().hex[:6]}"
    reason = f"committed correction {staff_id}"
    with engine.connect() as c:
        with c.begin():
            add_users(c)
            staff_pk = add_staff(c, name=f"Lock {staff_id}", staff_id=staff_id)
            c.execute(sa.text("INSERT INTO backoffice.payroll_runs (month, status, checksum,"
                              " finalised_by, finalised_at) VALUES (:m, 'finalised', 'c', :a,"
                              " now())"), {"m": MONTH, "a": ADMIN})
            audit.act_as(c, ADMIN, reason)
            c.execute(sa.text(PUNCH), {"s": staff_pk, "t": IN_MONTH})
        with c.begin():
            row = c.execute(sa.text(
                "SELECT actor, backend_pid = pg_backend_pid() AS same_backend,"
                " transaction_id = pg_current_xact_id()::text::bigint AS same_transaction"
                " FROM backoffice.lock_corrections WHERE reason = :r"), {"r": reason}).one()
            assert tuple(row) == (ADMIN, True, False)
            assert "is finalised" in _refused(
                c, "DELETE FROM backoffice.time_entries WHERE staff_id = :s", s=staff_pk)
        with c.begin():  # leave the module's database as it was for the other tests
            audit.act_as(c, ADMIN, f"clean-up of {staff_id}")
            c.execute(sa.text("DELETE FROM backoffice.time_entries WHERE staff_id = :s"),
                      {"s": staff_pk})
            c.execute(sa.text("DELETE FROM backoffice.staff WHERE id = :s"), {"s": staff_pk})
            c.execute(sa.text("DELETE FROM backoffice.payroll_runs WHERE month = :m"), {"m": MONTH})
            c.execute(sa.text("DELETE FROM backoffice.allowed_users WHERE email IN (:a, :m)"),
                      {"a": ADMIN, "m": MANAGER})


def test_acting_as_an_admin_records_no_correction_while_no_month_is_finalised(conn):
    add_users(conn)
    audit.act_as(conn, ADMIN, "new staff member")
    assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.lock_corrections"
                               " WHERE backend_pid = pg_backend_pid() AND transaction_id ="
                               " pg_current_xact_id()::text::bigint")) == 0


def test_the_librarys_finalising_works_as_the_dashboards_role(locked, conn):
    """payroll.queries.save_finalised goes through finalise_payroll_run: no UPDATE needed."""
    from backoffice_lib.payroll import queries

    roles, _, _ = locked
    draft = conn.scalar(sa.text("INSERT INTO backoffice.payroll_runs (month, checksum)"
                                " VALUES ('2025-04', 'd') RETURNING id"))
    _as(conn, roles["dashboards"])
    assert _refused(conn, "UPDATE backoffice.payroll_runs SET status = 'finalised',"
                          " finalised_by = :a, finalised_at = now() WHERE id = :r",
                    a=ADMIN, r=draft)
    queries.save_finalised(conn, draft, ADMIN)
    assert conn.scalar(sa.text("SELECT status FROM backoffice.payroll_runs WHERE id = :r"),
                       {"r": draft}) == "finalised"


def test_a_role_cannot_pass_its_own_db_role_through_the_function(locked, conn):
    roles, _, _ = locked
    _as(conn, roles["kiosk"])
    conn.execute(sa.text("SELECT backoffice.write_audit(:a, 'LOCK_TEST', 'lock_test', 'forged',"
                         " CAST('{\"db_role\": \"postgres\"}' AS jsonb), NULL, NULL)"), {"a": ADMIN})
    conn.execute(sa.text("RESET ROLE"))
    assert conn.scalar(sa.text("SELECT db_role FROM backoffice.audit_logs"
                               " WHERE resource_id = 'forged'")) == roles["kiosk"]
