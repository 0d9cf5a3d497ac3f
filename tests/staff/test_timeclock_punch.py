"""Punching at the time clock: business-rules §1 (PIN, lockout, derived action, double tap, photo)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from timeclock_fixtures import (
    ADMIN,
    MANAGER,
    PIN,
    add_staff,
    add_users,
    at,
    sql,
    staff_row,
)

from backoffice_lib import access, bangkok
from backoffice_lib.staff.service import people, timeclock

DAY = dt.date(2025, 3, 3)
T0 = at(DAY, 9)
WRONG = "111111"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 100


@pytest.fixture
def person(conn):
    add_users(conn)
    return add_staff(conn, "Somchai", "E100")


def punch(conn, pin=PIN, when=T0, **kw):
    return timeclock.punch(conn, MANAGER, "E100", pin, now=when, **kw)


def entries(conn, staff_pk):
    return [
        tuple(r)
        for r in sql(
            conn,
            "SELECT action, timestamp FROM backoffice.time_entries WHERE staff_id = :s"
            " ORDER BY timestamp",
            s=staff_pk,
        )
    ]


def set_setting(conn, key, value):
    sql(
        conn,
        "INSERT INTO backoffice.payroll_settings (setting_key, setting_value) VALUES (:k, :v)"
        " ON CONFLICT (setting_key) DO UPDATE SET setting_value = excluded.setting_value",
        k=key,
        v=value,
    )


def test_action_is_derived_clock_in_then_clock_out_then_clock_in(conn, person):
    results = [punch(conn, when=T0 + dt.timedelta(hours=h)) for h in (0, 8, 24)]
    assert [r.status for r in results] == ["punched"] * 3
    assert [a for a, _ in entries(conn, person)] == ["clock_in", "clock_out", "clock_in"]
    assert results[1].message == "Somchai: clock out at 17:00"


def test_person_is_picked_by_employee_id_or_numeric_id(conn, person):
    result = timeclock.punch(conn, MANAGER, str(person), PIN, now=T0)
    assert result.ok and result.staff_pk == person


def test_a_picked_numeric_id_is_never_mistaken_for_an_employee_id(conn, person):
    other = add_staff(conn, "Decoy", str(person))  # an employee ID equal to Somchai's id
    picked = timeclock.punch(conn, MANAGER, person, PIN, now=T0)  # an int: the id itself
    typed = timeclock.punch(conn, MANAGER, str(person), PIN, now=T0 + dt.timedelta(minutes=5))
    assert (picked.staff_pk, typed.staff_pk) == (person, other)


def test_wrong_pin_is_counted_fix(conn, person):
    result = punch(conn, WRONG)
    assert result.status == "wrong_pin"
    assert result.remaining_attempts == 9
    assert staff_row(conn, person)["failed_attempts"] == 1
    assert entries(conn, person) == []


def test_wrong_pin_is_charged_to_the_picked_person_only(conn, person):
    other = add_staff(conn, "Malee", "E200")
    punch(conn, WRONG)
    assert staff_row(conn, person)["failed_attempts"] == 1
    assert staff_row(conn, other)["failed_attempts"] == 0


@pytest.mark.parametrize(
    "wrong_pins,status,remaining,warning",
    [
        (1, "wrong_pin", 9, False),
        (8, "wrong_pin", 2, False),
        (9, "wrong_pin", 1, True),  # after 9 the kiosk warns
        (10, "locked", 0, False),  # pin_max_failed_attempts default 10
    ],
    ids=["first_wrong_pin", "eighth_no_warning", "ninth_warns", "tenth_locks"],
)
def test_lockout_defaults(conn, person, wrong_pins, status, remaining, warning):
    for i in range(wrong_pins):
        result = punch(conn, WRONG, when=T0 + dt.timedelta(seconds=i))
    assert (result.status, result.remaining_attempts, result.warning) == (
        status,
        remaining,
        warning,
    )
    if status == "locked":
        assert staff_row(conn, person)["locked_until"] == T0 + dt.timedelta(seconds=9, minutes=60)
        assert "locked until 2025-03-03 10:00" in result.message
    if warning:
        assert "1 attempt left" in result.message and "locks" in result.message


def test_locked_account_refuses_the_right_pin_with_the_lock_end(conn, person):
    for i in range(10):
        punch(conn, WRONG, when=T0)
    result = punch(conn, PIN, when=T0 + dt.timedelta(minutes=59))
    assert result.status == "locked"
    assert result.locked_until == T0 + dt.timedelta(minutes=60)
    assert "locked until 2025-03-03 10:00" in result.message
    assert entries(conn, person) == []
    # while locked, attempts are not even checked, so they are not counted either
    assert staff_row(conn, person)["failed_attempts"] == 10


def test_lock_ends_after_lockout_minutes_and_right_pin_resets(conn, person):
    for _ in range(10):
        punch(conn, WRONG, when=T0)
    result = punch(conn, PIN, when=T0 + dt.timedelta(minutes=60))
    assert result.ok
    assert staff_row(conn, person) == {
        "failed_attempts": 0,
        "locked_until": None,
        "is_active": True,
    }


def test_after_an_expired_lock_the_count_starts_again(conn, person):
    for _ in range(10):
        punch(conn, WRONG, when=T0)
    result = punch(conn, WRONG, when=T0 + dt.timedelta(hours=2))
    assert (result.status, result.remaining_attempts) == ("wrong_pin", 9)


def test_right_pin_resets_failed_attempts(conn, person):
    for _ in range(3):
        punch(conn, WRONG)
    assert punch(conn, PIN).ok
    assert staff_row(conn, person)["failed_attempts"] == 0
    details = sql(
        conn, "SELECT details FROM backoffice.audit_logs WHERE action = 'PIN_ACCEPTED'"
    ).scalar()
    assert (details["before"]["failed_attempts"], details["after"]["failed_attempts"]) == (3, 0)


@pytest.mark.parametrize(
    "max_attempts,minutes,wrong,status,locked_for",
    [
        ("3", "15", 3, "locked", dt.timedelta(minutes=15)),
        ("3", "15", 2, "wrong_pin", None),
        ("1", "60", 1, "locked", dt.timedelta(minutes=60)),
        ("3", "0", 3, "locked", dt.timedelta(0)),  # a row that says 0 means 0 (fix)
    ],
    ids=["three_attempts", "two_of_three", "one_attempt", "zero_minutes_means_zero"],
)
def test_lockout_settings_from_payroll_settings(
    conn, person, max_attempts, minutes, wrong, status, locked_for
):
    set_setting(conn, "pin_max_failed_attempts", max_attempts)
    set_setting(conn, "pin_lockout_minutes", minutes)
    for _ in range(wrong):
        result = punch(conn, WRONG)
    assert result.status == status
    if locked_for is not None:
        assert staff_row(conn, person)["locked_until"] == T0 + locked_for


def test_zero_lockout_minutes_lets_the_right_pin_in_at_once(conn, person):
    set_setting(conn, "pin_lockout_minutes", "0")
    for _ in range(10):
        punch(conn, WRONG)
    assert punch(conn, PIN).ok


def test_second_punch_within_two_minutes_needs_confirmation(conn, person):
    assert punch(conn).ok
    second = punch(conn, when=T0 + dt.timedelta(seconds=90))
    assert second.status == "confirm" and second.action == "clock_out"
    assert len(entries(conn, person)) == 1
    confirmed = punch(conn, when=T0 + dt.timedelta(seconds=90), confirm=True)
    assert confirmed.ok and confirmed.action == "clock_out"


def test_punch_after_two_minutes_needs_no_confirmation(conn, person):
    assert punch(conn).ok
    assert punch(conn, when=T0 + dt.timedelta(minutes=2)).ok


def test_confirmed_punch_within_one_minute_is_refused_clearly(conn, person):
    assert punch(conn).ok
    result = punch(conn, when=T0 + dt.timedelta(seconds=30), confirm=True)
    assert result.status == "refused" and "wait a minute" in result.message
    assert len(entries(conn, person)) == 1


@pytest.mark.parametrize("active", [False])
def test_inactive_staff_cannot_punch(conn, active):
    add_users(conn)
    add_staff(conn, "Gone", "E900", active=active)
    result = timeclock.punch(conn, MANAGER, "E900", PIN, now=T0)
    assert result.status == "refused" and "not active" in result.message


def test_unknown_staff_cannot_punch(conn, person):
    result = timeclock.punch(conn, MANAGER, "NOPE", PIN, now=T0)
    assert result.status == "refused" and "no staff member" in result.message


def test_unknown_user_is_refused_and_the_refusal_is_audited(conn, person):
    with pytest.raises(access.AccessDenied, match="not an allowed user"):
        timeclock.punch(conn, "stranger@example.com", "E100", PIN, now=T0)
    assert (
        sql(
            conn,
            "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
            " AND user_email = 'stranger@example.com'",
        ).scalar()
        == 1
    )


# --- photo and device -----------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("photo,kind", [(JPEG, "jpg"), (PNG, "png"), (WEBP, "webp")])
def test_photo_is_stored_and_then_photo_captured_is_true_fix(conn, person, data_dir, photo, kind):
    result = punch(conn, photo=photo, device_info={"device": "kiosk-1", "browser": "chromium"})
    assert result.ok and result.photo_captured and result.camera_error is None
    row = sql(
        conn,
        "SELECT photo_url, photo_captured, camera_error, device_info FROM backoffice.time_entries"
        " WHERE id = :i",
        i=result.entry_id,
    ).one()
    assert row.photo_captured is True and row.camera_error is None
    assert row.photo_url.startswith("photos/2025/03/") and row.photo_url.endswith("." + kind)
    assert (data_dir / row.photo_url).read_bytes() == photo
    assert row.device_info == {"device": "kiosk-1", "browser": "chromium"}


@pytest.mark.parametrize(
    "photo,camera_error,why",
    [
        (b"GIF89a" + b"\x00" * 10, None, "not a JPEG, PNG or WebP"),
        (b"\xff\xd8\xff" + b"\x00" * (1024 * 1024), None, "too large"),
        (b"", None, "no photo data"),
        (None, "camera permission denied", "camera permission denied"),
        (None, None, "no photo taken"),
    ],
    ids=["wrong_magic_bytes", "over_1_mb", "empty", "camera_error_passed_on", "no_photo"],
)
def test_photo_problems_leave_photo_captured_false_with_camera_error(
    conn, person, data_dir, photo, camera_error, why
):
    result = punch(conn, photo=photo, camera_error=camera_error)
    assert result.ok and not result.photo_captured
    row = sql(
        conn,
        "SELECT photo_url, photo_captured, camera_error FROM backoffice.time_entries WHERE id = :i",
        i=result.entry_id,
    ).one()
    assert row.photo_captured is False and row.photo_url is None and why in row.camera_error
    assert not (data_dir / "photos").exists() or not any((data_dir / "photos").rglob("*.*"))


def test_photo_of_exactly_1_mb_is_accepted(conn, person, data_dir):
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024 - 8)
    assert punch(conn, photo=photo).photo_captured


def test_photo_that_cannot_be_stored_says_why(conn, person, data_dir):
    (data_dir / "photos").write_text("a file where the folder should be")
    result = punch(conn, photo=JPEG)
    assert result.ok and not result.photo_captured
    assert result.camera_error.startswith("photo could not be stored")


# --- audit ------------------------------------------------------------------------------------


def test_punch_and_wrong_pin_are_audited_in_the_same_transaction(conn, person):
    punch(conn, WRONG)
    result = punch(conn, when=T0 + dt.timedelta(minutes=1))
    rows = sql(
        conn,
        "SELECT user_email, action, resource_type, resource_id FROM backoffice.audit_logs"
        " WHERE (resource_type, resource_id) IN (('staff', :p), ('time_entries', :e))",
        p=str(person),
        e=str(result.entry_id),
    ).all()
    assert sorted(tuple(r) for r in rows) == [
        (MANAGER, "CLOCK_IN", "time_entries", str(result.entry_id)),
        (MANAGER, "PIN_ACCEPTED", "staff", str(person)),
        (MANAGER, "PIN_FAILED", "staff", str(person)),
    ]


def test_lock_is_recorded_in_staff_audit_log(conn, person):
    now = bangkok.now()  # the trigger compares locked_until with the database's now()
    for _ in range(10):
        punch(conn, WRONG, when=now)
    kinds = [
        r.action_type
        for r in sql(
            conn,
            "SELECT action_type FROM backoffice.staff_audit_log WHERE staff_id = :s ORDER BY id",
            s=person,
        )
    ]
    assert kinds[-1] == "locked"


def test_pins_appear_in_no_log_audit_row_or_snapshot(conn, caplog):
    add_users(conn)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        created = people.create_staff(conn, ADMIN, "Pim", "135790", staff_id="E300")
        timeclock.punch(conn, MANAGER, "E300", "975310", now=T0)
        timeclock.punch(conn, MANAGER, "E300", "135790", now=T0 + dt.timedelta(minutes=1))
        people.reset_pin(conn, ADMIN, "E300", "864200", reason="forgot")
        people.unlock_staff(conn, ADMIN, "E300", reason="test")
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    audit_text = json.dumps(
        [
            list(map(str, r))
            for r in sql(conn, "SELECT action, resource_id, details FROM backoffice.audit_logs")
        ]
    )
    snapshots = json.dumps(
        [
            list(map(str, r))
            for r in sql(
                conn,
                "SELECT changes_summary, old_data_snapshot, new_data_snapshot, reason"
                " FROM backoffice.staff_audit_log WHERE staff_id = :s",
                s=created["id"],
            )
        ]
    )
    pin_hash = sql(
        conn, "SELECT pin_hash FROM backoffice.staff WHERE id = :s", s=created["id"]
    ).scalar()
    for secret in ("135790", "975310", "864200"):
        assert secret not in caplog.text
        assert secret not in audit_text
        assert secret not in snapshots
    for text in (audit_text, snapshots):
        assert "pin_hash" not in text and pin_hash not in text and "$2b$" not in text
    assert snapshots.count("pin_changed") == 0  # action_type column is not in this dump
