"""``backoffice archive ...`` and ``backoffice db maintain`` through the CLI, on a database of its
own: refusals are one line and exit code 2, and archive → status → restore round-trips."""

from __future__ import annotations

import datetime as dt
import os

import sqlalchemy as sa
from cli_runner import run_backoffice

from backoffice_lib import bangkok, database, migrate

ADMIN = "cli-admin@studio.example"


def _seed(conn) -> None:
    conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                 {"e": ADMIN})
    staff = conn.execute(sa.text(
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash) VALUES ('Cli Tester', 'CL1',"
        " 'x') RETURNING id")).scalar_one()
    for day in (dt.date(2024, 1, 10), dt.date(2024, 1, 11), dt.date(2024, 2, 5)):
        for action, hour in (("clock_in", 9), ("clock_out", 17)):
            conn.execute(
                sa.text("INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                        " VALUES (:s, :a, :t)"),
                {"s": staff, "a": action, "t": bangkok.at(day, dt.time(hour))},
            )
    conn.execute(sa.text(
        "INSERT INTO backoffice.payroll_runs (month, status, checksum, finalised_by, finalised_at)"
        " VALUES ('2024-01', 'finalised', 'test', :e, now())"), {"e": ADMIN})


def test_archive_commands_refuse_clearly_and_round_trip(empty_database_url):
    engine = database.get_engine(empty_database_url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        migrate.upgrade(conn)
        _seed(conn)
    engine.dispose()
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=empty_database_url.render_as_string(False),
               BACKOFFICE_USER=ADMIN)

    maintained = run_backoffice("db", "maintain", env=env)
    assert maintained.returncode == 0, maintained.stderr
    assert "time_entries: " in maintained.stdout and "time_entries_2024_01" in maintained.stdout

    refused = run_backoffice("archive", "time-entries", "--before", "2024-03", env=env)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "error: payroll not finalised for 2024-02: finalise those months or choose an earlier"
        " --before (nothing archived)"
    )

    bad = run_backoffice("archive", "time-entries", "--before", "2024-13", env=env)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1

    nobody = run_backoffice("archive", "time-entries", "--before", "2024-02",
                  env=dict(env, BACKOFFICE_USER="nobody@studio.example"))
    assert nobody.returncode == 2 and "not an allowed user" in nobody.stderr

    archived = run_backoffice("archive", "time-entries", "--before", "2024-02", env=env)
    assert archived.returncode == 0, archived.stderr
    assert "2024-01: 4 time entries archived" in archived.stdout

    status = run_backoffice("archive", "status", env=env)
    assert "time entries 2024-01: 4 archived" in status.stdout

    restored = run_backoffice("archive", "restore", "time-entries", "--all", env=env)
    assert restored.returncode == 0, restored.stderr
    assert "2024-01: 4 time entries restored" in restored.stdout

    packages = run_backoffice("archive", "packages", "--expired-before", "2024-01-01", env=env)
    assert packages.returncode == 0 and "no packages expired before 2024-01-01" in packages.stdout

    with engine.begin() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.time_entries")) == 6
        actions = conn.scalars(sa.text(
            "SELECT action FROM backoffice.audit_logs WHERE resource_type = 'time_entries'"
            " ORDER BY timestamp")).all()
    assert actions == ["ARCHIVE", "RESTORE"]
    engine.dispose()
