"""The staff / clock / schedule / attendance commands, in-process on committed data (cleaned up)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from click.testing import CliRunner
from timeclock_fixtures import sql

from backoffice_lib import bangkok
from backoffice_lib.cli import cli


@pytest.fixture
def world(engine):
    """A committed admin and non-admin; everything done for them is deleted afterwards."""
    tag = uuid.uuid4().hex[:8]
    admin, other = f"boss-{tag}@studio.example", f"desk-{tag}@studio.example"
    with engine.begin() as c:
        sql(
            c,
            "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true), (:o, false)",
            a=admin,
            o=other,
        )
    yield {"admin": admin, "other": other, "tag": tag}
    with engine.begin() as c:
        ids = [
            r.id
            for r in sql(c, "SELECT id FROM backoffice.staff WHERE staff_id LIKE :t", t=f"%{tag}%")
        ]
        for table in (
            "time_entries",
            "staff_schedules",
            "staff_weekly_schedules",
            "staff_audit_log",
        ):
            sql(c, f"DELETE FROM backoffice.{table} WHERE staff_id = ANY(:ids)", ids=ids)
        sql(c, "DELETE FROM backoffice.staff WHERE id = ANY(:ids)", ids=ids)
        sql(c, "DELETE FROM backoffice.audit_logs WHERE user_email IN (:a, :o)", a=admin, o=other)
        sql(c, "DELETE FROM backoffice.allowed_users WHERE email IN (:a, :o)", a=admin, o=other)


def run(*args, stdin=None, user=None):
    env = {"BACKOFFICE_USER": user} if user else {}
    return CliRunner().invoke(cli, list(args), input=stdin, env=env)


def add(world, name="Nok", pin="112233"):
    staff_id = f"N-{world['tag']}-{name}"
    result = run(
        "staff",
        "add",
        "--name",
        name,
        "--staff-id",
        staff_id,
        stdin=f"{pin}\n{pin}\n",
        user=world["admin"],
    )
    assert result.exit_code == 0, result.output
    return staff_id


def test_staff_add_reads_the_pin_from_stdin_and_never_prints_it(world):
    result = run(
        "staff",
        "add",
        "--name",
        "Nok",
        "--staff-id",
        f"N-{world['tag']}",
        stdin="112233\n112233\n",
        user=world["admin"],
    )
    assert result.exit_code == 0 and "added Nok" in result.output
    assert "112233" not in result.output
    listed = run("staff", "list", "--format", "csv", user=world["admin"])
    rows = [
        r
        for r in csv.DictReader(io.StringIO(listed.output))
        if r["staff_id"] == f"N-{world['tag']}"
    ]
    assert rows[0]["staff_name"] == "Nok" and rows[0]["failed_attempts"] == "0"
    assert "pin" not in listed.output.lower()


def test_a_pin_is_never_an_argument(world):
    staff_id = add(world)
    result = run("clock", "--staff", staff_id, "112233", user=world["admin"])
    assert result.exit_code == 2 and "unexpected extra argument" in result.output.lower()


@pytest.mark.parametrize("pin", ["12345", "abcdef"])
def test_staff_add_with_a_bad_pin_is_one_line_exit_2(world, pin):
    result = run(
        "staff",
        "add",
        "--name",
        "X",
        "--staff-id",
        f"X-{world['tag']}",
        stdin=f"{pin}\n{pin}\n",
        user=world["admin"],
    )
    assert (result.exit_code, result.output.strip()) == (2, "error: a PIN is exactly 6 digits")


def test_staff_commands_refuse_a_non_admin_with_exit_2(world):
    result = run("staff", "list", user=world["other"])
    assert result.exit_code == 2
    assert "is not an admin" in result.output and "Traceback" not in result.output


def test_staff_commands_without_a_user_say_how_to_give_one(world, engine):
    result = run("staff", "list")
    assert result.exit_code == 2 and "--user EMAIL or set BACKOFFICE_USER" in result.output
    with engine.begin() as c:  # the committed refusal of nobody: found, then cleaned up
        deleted = sql(
            c,
            "DELETE FROM backoffice.audit_logs WHERE user_email = '(anonymous)'"
            " AND action = 'ACCESS_DENIED' AND resource_type = 'staff'"
            " AND timestamp > now() - interval '5 minutes'",
        ).rowcount
    assert deleted >= 1


def test_clock_wrong_pin_then_right_pin_then_double_tap(world):
    staff_id = add(world)
    wrong = run("clock", "--staff", staff_id, stdin="999999\n", user=world["other"])
    assert wrong.exit_code == 1 and "wrong PIN, 9 attempts left" in wrong.output
    right = run("clock", "--staff", staff_id, stdin="112233\n", user=world["other"])
    assert right.exit_code == 0 and "clock in at" in right.output
    again = run("clock", "--staff", staff_id, stdin="112233\n", user=world["other"])
    assert again.exit_code == 1 and "pass --confirm" in again.output
    listed = run("staff", "list", "--format", "csv", user=world["admin"])
    row = next(r for r in csv.DictReader(io.StringIO(listed.output)) if r["staff_id"] == staff_id)
    assert (row["failed_attempts"], row["currently_clocked_in"]) == ("0", "True")


def test_reset_pin_deactivate_unlock(world):
    staff_id = add(world)
    assert (
        run(
            "staff",
            "reset-pin",
            staff_id,
            "--reason",
            "forgot",
            stdin="445566\n445566\n",
            user=world["admin"],
        ).exit_code
        == 0
    )
    assert run("clock", "--staff", staff_id, stdin="445566\n", user=world["other"]).exit_code == 0
    unlocked = run("staff", "unlock", staff_id, "--reason", "checked", user=world["admin"])
    assert unlocked.exit_code == 0 and unlocked.output.startswith("unlocked Nok")
    assert (
        run("staff", "deactivate", staff_id, "--reason", "left", user=world["admin"]).exit_code == 0
    )
    refused = run("clock", "--staff", staff_id, stdin="445566\n", user=world["other"])
    assert refused.exit_code == 1 and "not active" in refused.output


def test_unknown_staff_is_one_line_exit_2(world):
    result = run("staff", "unlock", "NOBODY-X", "--reason", "r", user=world["admin"])
    assert result.exit_code == 2 and result.output.startswith("error: no staff member")


def test_schedule_generate_and_attendance_csv(world, engine):
    staff_id = add(world)
    today = bangkok.today()
    monday = today - dt.timedelta(days=today.weekday() + 7)  # last week's Monday
    with engine.begin() as c:
        pk = sql(c, "SELECT id FROM backoffice.staff WHERE staff_id = :s", s=staff_id).scalar()
        sql(
            c,
            "INSERT INTO backoffice.staff_weekly_schedules (staff_id, day_of_week, start_time,"
            " end_time) VALUES (:s, 1, '09:00', '17:00')",
            s=pk,
        )
        sql(
            c,
            "INSERT INTO backoffice.time_entries (staff_id, action, timestamp) VALUES"
            " (:s, 'clock_in', :a), (:s, 'clock_out', :b)",
            s=pk,
            a=bangkok.at(monday, dt.time(9, 12)),
            b=bangkok.at(monday, dt.time(17)),
        )
    generated = run(
        "schedule", "generate", "--from", str(monday), "--to", str(monday), user=world["admin"]
    )
    assert generated.exit_code == 0 and generated.output.startswith("created 1 shifts")
    again = run(
        "schedule", "generate", "--from", str(monday), "--to", str(monday), user=world["admin"]
    )
    assert "skipped Nok" in again.output and "the shift 09:00-17:00 already exists" in again.output
    report = run(
        "attendance",
        "--from",
        str(monday),
        "--to",
        str(monday),
        "--format",
        "csv",
        user=world["other"],
    )
    assert report.exit_code == 0, report.output
    rows = [r for r in csv.DictReader(io.StringIO(report.output)) if r["staff_name"] == "Nok"]
    assert [(r["shift"], r["status"], r["minutes_late"], r["hours"]) for r in rows] == [
        ("09:00-17:00", "late", "12", "7.80")
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2025-13-01", "--to", "2025-01-02"],
        ["--from", "2025-01-05", "--to", "2025-01-02"],
    ],
)
def test_attendance_bad_dates_are_one_line_exit_2(world, args):
    result = run("attendance", *args, user=world["other"])
    assert result.exit_code == 2 and result.output.startswith("error: ")
