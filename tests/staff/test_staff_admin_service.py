"""What the staff admin page adds to the staff services: generated PINs shown once and never kept
in clear, the change history from staff_audit_log, the people list, and shift edits and the
generation preview (business-rules §1, §2, §8)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from timeclock_fixtures import ADMIN, MANAGER, add_staff, sql

from backoffice_lib import access, bangkok
from backoffice_lib.staff import staff_admin_dashboard as admin_dashboard
from backoffice_lib.staff.rules import pins
from backoffice_lib.staff.service import people, schedules
from backoffice_lib.staff.service.schedules import ScheduleError

D, T = dt.date, dt.time


def test_generated_pin_is_six_digits_and_never_one_repeated_digit():
    generated = {people.generate_pin() for _ in range(200)}
    assert all(pins.PIN_PATTERN.fullmatch(p) and len(set(p)) > 1 for p in generated)
    assert len(generated) > 150


def test_reset_pin_is_verified_by_its_hash_and_never_reaches_a_log_in_clear(conn, users):
    pk = add_staff(conn, "Pin Person", staff_id="PIN-1")
    pin = people.generate_pin()
    people.reset_pin(conn, ADMIN, pk, pin, reason="forgot it")
    stored = sql(conn, "SELECT pin_hash FROM backoffice.staff WHERE id = :s", s=pk).scalar()
    assert pins.verify_pin(pin, stored) and pin not in stored
    trail = sql(
        conn,
        "SELECT json_agg(a) FROM backoffice.audit_logs a WHERE resource_id = :s"
        " UNION ALL SELECT json_agg(l) FROM backoffice.staff_audit_log l WHERE staff_id = :i",
        s=str(pk), i=pk,
    ).scalars().all()
    assert pin not in json.dumps(trail) and "pin_hash" not in json.dumps(trail)


def test_change_history_lists_the_staff_audit_log_newest_first(conn, users):
    pk = add_staff(conn, "History Person", staff_id="HIS-1")
    people.update_staff(conn, ADMIN, pk, staff_name="History Person Two", reason="typo")
    people.deactivate_staff(conn, ADMIN, pk, reason="left")
    history = people.load_staff_history(conn, pk)
    assert set(history["action_type"]) >= {"created", "updated", "deactivated"}
    assert (history.iloc[0]["action_type"], history.iloc[0]["reason"]) == ("deactivated", "left")
    assert ADMIN in set(history["changed_by_identifier"])


def test_people_list_puts_active_first_and_marks_inactive_and_locked(conn, users):
    active = add_staff(conn, "Zed Active", staff_id="LST-1")
    inactive = add_staff(conn, "Aaa Inactive", staff_id="LST-2", active=False)
    locked = add_staff(conn, "Mid Locked", staff_id="LST-3")
    sql(conn, "UPDATE backoffice.staff SET failed_attempts = 10, locked_until = :t WHERE id = :s",
        t=bangkok.now() + dt.timedelta(minutes=30), s=locked)
    rows = admin_dashboard.compute_staff_rows(people.load_staff(conn, include_inactive=True))
    mine = rows[rows["id"].isin([active, inactive, locked])]
    assert list(mine["state"]) == ["locked", "active", "inactive"]
    assert list(mine["failed_attempts"]) == [10, 0, 0]


# --- shifts -------------------------------------------------------------------------------------


@pytest.fixture
def shift(conn, users):
    pk = add_staff(conn, "Shift Person", staff_id="SHF-1")
    first = schedules.create_shift(conn, ADMIN, pk, D(2031, 3, 4), T(10), T(14))
    second = schedules.create_shift(conn, ADMIN, pk, D(2031, 3, 4), T(15), T(20))
    return pk, first, second


def test_a_shift_is_moved_and_the_move_is_audited(conn, shift):
    _, first, _ = shift
    schedules.update_shift(conn, ADMIN, first, schedule_date=D(2031, 3, 4), start_time=T(9),
                           end_time=T(15))  # touching the next shift is fine
    moved = sql(conn, "SELECT start_time, end_time FROM backoffice.staff_schedules WHERE id = :i",
                i=first).one()
    assert moved == (T(9), T(15))
    assert sql(conn, "SELECT details->'before'->>'start_time' FROM backoffice.audit_logs"
                     " WHERE resource_id = :i AND action = 'UPDATE'", i=str(first)).scalar() == (
        "10:00:00"
    )


def test_an_edit_that_overlaps_is_refused_naming_the_clashing_shift(conn, shift):
    _, first, _ = shift
    with pytest.raises(ScheduleError, match="already has the shift 15:00-20:00 on 2031-03-04"):
        schedules.update_shift(conn, ADMIN, first, schedule_date=D(2031, 3, 4), start_time=T(10),
                               end_time=T(16))


def test_a_deleted_shift_is_gone_and_audited_with_what_it_was(conn, shift):
    _, first, _ = shift
    schedules.delete_shift(conn, ADMIN, first)
    assert sql(conn, "SELECT count(*) FROM backoffice.staff_schedules WHERE id = :i",
               i=first).scalar() == 0
    assert sql(conn, "SELECT details->'before'->>'staff_name' FROM backoffice.audit_logs"
                     " WHERE resource_id = :i AND action = 'DELETE'", i=str(first)).scalar() == (
        "Shift Person"
    )


def test_generation_preview_saves_nothing_and_matches_what_generation_creates(conn, shift):
    pk, _, _ = shift
    tuesday = 2  # 2031-03-04 is a Tuesday
    schedules.create_weekly_pattern(conn, ADMIN, pk, tuesday, T(12), T(16))
    schedules.create_weekly_pattern(conn, ADMIN, pk, 3, T(10), T(18))
    preview = schedules.preview_generate_schedules(conn, ADMIN, D(2031, 3, 2), D(2031, 3, 8))
    before = sql(conn, "SELECT count(*) FROM backoffice.staff_schedules").scalar()
    assert list(preview.created["schedule_date"]) == [D(2031, 3, 5)]
    assert list(preview.skipped["reason"]) == ["overlaps the shift 10:00-14:00"]
    assert list(preview.created["staff_name"]) == ["Shift Person"]
    report = schedules.run_generate_schedules(conn, ADMIN, D(2031, 3, 2), D(2031, 3, 8))
    assert sql(conn, "SELECT count(*) FROM backoffice.staff_schedules").scalar() == before + 1
    assert list(report.created["schedule_date"]) == list(preview.created["schedule_date"])


def test_shift_edits_are_for_admins(conn, shift):
    _, first, _ = shift
    with pytest.raises(access.AccessDenied):
        schedules.delete_shift(conn, MANAGER, first)
