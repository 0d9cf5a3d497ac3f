"""``backoffice db backup FILE`` / ``db restore FILE``: a round trip gives back every row, the
partitions (live and archived) and a working sequence; a bad file is one line and exit code 2."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import sqlalchemy as sa
from cli_runner import run_backoffice

from backoffice_lib import bangkok, database, migrate
from backoffice_lib.history.queries import backup as backup_queries
from backoffice_lib.history.queries import partitions
from backoffice_lib.history.service import archive as archival
from backoffice_lib.history.service import backup

BKK = bangkok.BANGKOK
ADMIN = "backup-admin@studio.example"


def _seed(conn) -> None:
    conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                 {"e": ADMIN})
    staff = conn.execute(sa.text(
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash) VALUES ('Backup Tester',"
        " 'BK1', 'x') RETURNING id")).scalar_one()
    for day in (dt.date(2024, 1, 10), dt.date(2024, 1, 11), dt.date(2024, 2, 5)):
        for action, hour in (("clock_in", 9), ("clock_out", 17)):
            conn.execute(
                sa.text("INSERT INTO backoffice.time_entries (staff_id, action, timestamp,"
                        " device_info) VALUES (:s, :a, :t, :d)"),
                {"s": staff, "a": action, "t": dt.datetime.combine(day, dt.time(hour), BKK),
                 "d": '{"kiosk": "front"}'},
            )
    conn.execute(sa.text(
        "INSERT INTO backoffice.audit_logs (user_email, action, resource_type, timestamp)"
        " SELECT :e, 'VIEW', 'backup-test', now() - g * interval '1 day'"
        "  FROM generate_series(1, 90) g"), {"e": ADMIN})
    conn.execute(sa.text(
        "INSERT INTO backoffice.payroll_runs (month, status, checksum, finalised_by, finalised_at)"
        " VALUES ('2024-01', 'finalised', 'test', :e, now())"), {"e": ADMIN})


def _layout(conn):
    return conn.execute(sa.text(
        "SELECT c.relnamespace::regnamespace::text, c.relname, p.relname AS parent"
        "  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        "  JOIN pg_class p ON p.oid = i.inhparent"
        " WHERE p.relname IN ('time_entries', 'audit_logs') AND p.relkind = 'p' ORDER BY 1, 2"
    )).all()


def test_backup_and_restore_round_trip(empty_database_url, tmp_path):
    engine = database.get_engine(empty_database_url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        migrate.upgrade(conn)
        _seed(conn)
    with engine.begin() as conn:
        partitions_made = partitions.ensure_partitions(conn, "time_entries", "2024-01",
                                                                "2024-02")
        assert partitions_made
        archival.run_archive_time_entries_month(conn, "2024-01", ADMIN)
    with engine.begin() as conn:
        before = backup_queries.load_checksums(conn)
        layout = _layout(conn)
    assert before["archive.time_entries"][0] == 4

    env = dict(os.environ, BACKOFFICE_DATABASE_URL=empty_database_url.render_as_string(False),
               BACKOFFICE_USER=ADMIN, BACKOFFICE_DATA_DIR=str(tmp_path / "data"))
    file = tmp_path / "backups" / "studio.dump"
    made = run_backoffice("db", "backup", str(file), env=env)
    assert made.returncode == 0, made.stderr
    assert file.stat().st_size > 0

    with engine.begin() as conn:  # damage: rows gone, rows added, an archived month restored
        conn.execute(sa.text("DELETE FROM backoffice.audit_logs WHERE resource_type = 'backup-test'"))
        conn.execute(sa.text("INSERT INTO backoffice.audit_logs (user_email, action, resource_type)"
                             " VALUES ('x@studio.example', 'VIEW', 'after-backup')"))
        archival.run_restore_time_entries_month(conn, "2024-01", ADMIN)
    engine.dispose()

    restored = run_backoffice("db", "restore", str(file), "--force", env=env)
    assert restored.returncode == 0, restored.stderr

    with engine.begin() as conn:
        after = backup_queries.load_checksums(conn)
        # the restore is audited after it: one RESTORE row more than the backup held
        assert after.pop("backoffice.audit_logs")[0] == before.pop("backoffice.audit_logs")[0] + 1
        assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs"
                                   " WHERE action = 'RESTORE' AND user_email = :e"), {"e": ADMIN})
        assert after == before
        assert _layout(conn) == layout
        top = conn.scalar(sa.text("SELECT max(id) FROM archive.time_entries_all"))
        new_id = conn.scalar(sa.text(
            "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
            " SELECT id, 'clock_in', now() FROM backoffice.staff WHERE staff_id = 'BK1'"
            " RETURNING id"))
        assert new_id > top
    engine.dispose()


def test_restore_of_a_missing_file_is_one_line_and_exit_2(database_url, tmp_path):
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=database_url.render_as_string(False))
    result = run_backoffice("db", "restore", str(tmp_path / "none.dump"), env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no backup file")
    assert len(result.stderr.strip().splitlines()) == 1


def test_backup_tools_are_new_enough_for_the_server(engine):
    with engine.connect() as conn:
        major = int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000
    tool = backup.find_tool("pg_dump", major)
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout
    assert str(major) in out


def test_restore_of_a_file_that_is_no_backup_changes_nothing(database_url, tmp_path):
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=database_url.render_as_string(False))
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    result = run_backoffice("db", "restore", str(junk), env=env)
    assert result.returncode == 2
    assert "is not a backup of pg_dump" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_drop_statements_cover_the_dump_schemas_and_public_objects_only():
    toc = (
        "; Archive created at 2026-11-25\n"
        "6; 2615 16386 SCHEMA - backoffice postgres\n"
        "7; 2615 16400 SCHEMA - reports postgres\n"
        "230; 1259 16500 TABLE public bookings postgres\n"
        "231; 1259 16510 TABLE backoffice staff postgres\n"
        "4000; 0 16500 TABLE DATA public bookings postgres\n"
        "240; 1255 16600 FUNCTION public helper(integer) postgres\n"
    )
    assert backup.compute_drop_statements(toc) == [
        'DROP SCHEMA IF EXISTS "backoffice" CASCADE;',
        'DROP SCHEMA IF EXISTS "archive" CASCADE;',
        'DROP SCHEMA IF EXISTS "pos" CASCADE;',
        'DROP SCHEMA IF EXISTS "reports" CASCADE;',
        'DROP TABLE IF EXISTS public."bookings" CASCADE;',
        "DROP FUNCTION IF EXISTS public.helper(integer) CASCADE;",
    ]
