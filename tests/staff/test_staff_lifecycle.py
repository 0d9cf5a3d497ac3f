"""Staff lifecycle: create with a hashed 6-digit PIN, update, reset PIN, deactivate, unlock (§1, §8)."""

from __future__ import annotations

import datetime as dt

import pytest
from timeclock_fixtures import ADMIN, MANAGER, add_staff, sql

from backoffice_lib import access, bangkok
from backoffice_lib.staff.rules import pins
from backoffice_lib.staff.service import people


def audit_rows(conn, resource_id):
    return [
        tuple(r)
        for r in sql(
            conn,
            "SELECT user_email, action, resource_type FROM backoffice.audit_logs"
            " WHERE resource_id = :r ORDER BY timestamp",
            r=str(resource_id),
        )
    ]


def staff_log(conn, staff_pk):
    return [
        tuple(r)
        for r in sql(
            conn,
            "SELECT action_type, changed_by_type, changed_by_identifier, reason"
            " FROM backoffice.staff_audit_log WHERE staff_id = :s ORDER BY id",
            s=staff_pk,
        )
    ]


def test_create_staff_hashes_the_pin_with_bcrypt_cost_12(conn, users):
    created = people.create_staff(conn, ADMIN, " Somchai ", "123456", staff_id="E1")
    pin_hash = sql(
        conn, "SELECT pin_hash FROM backoffice.staff WHERE id = :i", i=created["id"]
    ).scalar()
    assert pin_hash.startswith("$2b$12$") and pins.verify_pin("123456", pin_hash)
    assert created["staff_name"] == "Somchai" and created["is_active"] is True
    assert "pin_hash" not in created
    assert audit_rows(conn, created["id"]) == [(ADMIN, "CREATE", "staff")]
    assert staff_log(conn, created["id"]) == [("created", "admin", ADMIN, "new staff member")]


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456", "", " 123456", "١٢٣٤٥٦", "123456\n"])
def test_pin_must_be_exactly_six_digits(conn, users, pin):
    with pytest.raises(pins.BadPin):
        people.create_staff(conn, ADMIN, "Somchai", pin)


def test_employee_id_is_unique(conn, users):
    people.create_staff(conn, ADMIN, "A", "123456", staff_id="E1")
    with pytest.raises(people.StaffError, match="already used"):
        people.create_staff(conn, ADMIN, "B", "123456", staff_id="E1")


@pytest.mark.parametrize(
    "email,message",
    [
        (MANAGER, "is not an admin"),
        ("nobody@example.com", "not an allowed user"),
        (None, "no user"),
    ],
    ids=["non_admin_refused", "unknown_user_refused", "no_user_refused"],
)
def test_staff_management_is_for_admins_and_refusals_are_audited(conn, users, email, message):
    def refusals():
        return sql(
            conn,
            "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
            " AND user_email = :e AND resource_type = 'staff'",
            e=email or "(anonymous)",
        ).scalar()

    before = refusals()
    with pytest.raises(access.AccessDenied, match=message):
        people.create_staff(conn, email, "Somchai", "123456")
    assert refusals() == before + 1


def test_update_staff_is_audited_with_before_and_after(conn, users):
    pk = add_staff(conn, "Somchai", "E1")
    after = people.update_staff(conn, ADMIN, "E1", staff_name="Somchai K.", reason="spelling")
    assert after["staff_name"] == "Somchai K."
    # Other tests commit audit rows to this database: pick this change's row only.
    details = sql(
        conn,
        "SELECT details FROM backoffice.audit_logs WHERE action = 'UPDATE'"
        " AND resource_type = 'staff' AND details -> 'after' ->> 'staff_name' = 'Somchai K.'",
    ).scalar_one()
    assert (
        details["before"]["staff_name"] == "Somchai"
        and details["after"]["staff_name"] == "Somchai K."
    )
    assert details["reason"] == "spelling"
    assert staff_log(conn, pk)[-1] == ("updated", "admin", ADMIN, "spelling")


def test_reset_pin_sets_a_new_hash_and_clears_the_lock(conn, users):
    pk = add_staff(conn, "Somchai", "E1")
    sql(
        conn,
        "UPDATE backoffice.staff SET failed_attempts = 10, locked_until = now() + interval '1 hour'"
        " WHERE id = :i",
        i=pk,
    )
    people.reset_pin(conn, ADMIN, "E1", "654321", reason="forgot PIN")
    row = sql(conn, "SELECT * FROM backoffice.staff WHERE id = :i", i=pk).mappings().one()
    assert pins.verify_pin("654321", row["pin_hash"]) and row["pin_hash"].startswith("$2b$12$")
    assert (row["failed_attempts"], row["locked_until"]) == (0, None)
    assert staff_log(conn, pk)[-1] == ("pin_changed", "admin", ADMIN, "forgot PIN")


def test_deactivate_is_a_soft_delete_with_reason(conn, users):
    pk = add_staff(conn, "Somchai", "E1")
    with pytest.raises(people.StaffError, match="needs a reason"):
        people.deactivate_staff(conn, ADMIN, "E1", reason=" ")
    people.deactivate_staff(conn, ADMIN, "E1", reason="left the studio")
    assert sql(conn, "SELECT is_active FROM backoffice.staff WHERE id = :i", i=pk).scalar() is False
    assert staff_log(conn, pk)[-1] == ("deactivated", "admin", ADMIN, "left the studio")
    listed = people.load_staff(conn)
    assert pk not in set(listed["id"])
    assert pk in set(people.load_staff(conn, include_inactive=True)["id"])


def test_unlock_clears_lock_and_attempts(conn, users):
    pk = add_staff(conn, "Somchai", "E1")
    sql(
        conn,
        "UPDATE backoffice.staff SET failed_attempts = 10, locked_until = :u WHERE id = :i",
        u=bangkok.now() + dt.timedelta(hours=1),
        i=pk,
    )
    people.unlock_staff(conn, ADMIN, str(pk), reason="verified in person")
    assert sql(
        conn, "SELECT failed_attempts, locked_until FROM backoffice.staff WHERE id = :i", i=pk
    ).one() == (0, None)
    assert staff_log(conn, pk)[-1] == ("unlocked", "admin", ADMIN, "verified in person")
    assert audit_rows(conn, pk)[-1] == (ADMIN, "UNLOCK", "staff")


def test_unknown_staff_is_a_clear_error(conn, users):
    with pytest.raises(people.StaffError, match="no staff member 'X9'"):
        people.unlock_staff(conn, ADMIN, "X9", reason="r")


def test_load_staff_shows_clock_state(conn, users):
    pk = add_staff(conn, "Somchai", "E1")
    sql(
        conn,
        "INSERT INTO backoffice.time_entries (staff_id, action, timestamp) VALUES (:s, 'clock_in', now())",
        s=pk,
    )
    row = people.load_staff(conn).set_index("id").loc[pk]
    assert row["currently_clocked_in"] and row["last_action"] == "clock_in"
    assert "pin_hash" not in people.load_staff(conn).columns
