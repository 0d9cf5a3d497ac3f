"""The restore drill on the demo data: ``db backup`` (verified, copied to BACKOFFICE_BACKUP_DIR),
rows changed and deleted, ``db restore --force``: every table equal to the moment of the backup
(the md5s of its sidecar). And ``db backups`` lists them, newest first, in text and JSON."""

from __future__ import annotations

import json
import os

import sqlalchemy as sa
from cli_runner import run_backoffice

from backoffice_lib import database
from backoffice_lib.history.queries import backup as backup_queries
from backoffice_lib.history.service import verified_backup

ADMIN = "drill-admin@studio.example"


def _env(url, tmp_path, **more) -> dict:
    return dict(os.environ, BACKOFFICE_DATABASE_URL=url.render_as_string(hide_password=False),
                BACKOFFICE_USER=ADMIN, BACKOFFICE_DATA_DIR=str(tmp_path / "data"), **more)


def test_restore_drill_gives_back_the_database_of_the_moment_of_the_backup(demo_database_url,
                                                                           tmp_path):
    engine = database.get_engine(demo_database_url.render_as_string(hide_password=False))
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"
                          " ON CONFLICT (email) DO UPDATE SET is_admin = true"), {"e": ADMIN})
    other_disk = tmp_path / "other-disk"
    env = _env(demo_database_url, tmp_path, BACKOFFICE_BACKUP_DIR=str(other_disk))

    made = run_backoffice("db", "backup", env=env)
    assert made.returncode == 0, made.stderr
    assert "verified:" in made.stdout and f"copied to {other_disk}" in made.stdout
    [file] = (tmp_path / "data" / "backups").glob("backoffice-*.dump")
    assert (other_disk / file.name).is_file()
    at_backup = {name: tuple(v) for name, v in
                 json.loads(verified_backup.sidecar_path(file).read_text())["tables"].items()}
    assert at_backup["backoffice.time_entries"][0] > 100

    with engine.begin() as c:  # a bad night: rows changed, deleted and added
        c.execute(sa.text("DELETE FROM backoffice.time_entries WHERE id IN (SELECT id FROM"
                          " backoffice.time_entries ORDER BY id LIMIT 25)"))
        c.execute(sa.text("UPDATE backoffice.staff SET staff_name = staff_name || ' (changed)'"))
        c.execute(sa.text("DELETE FROM backoffice.package_alerts"))
        c.execute(sa.text("INSERT INTO backoffice.audit_logs (user_email, action, resource_type)"
                          " VALUES (:e, 'VIEW', 'after-the-backup')"), {"e": ADMIN})
    with engine.connect() as c:
        changed = backup_queries.load_table_fingerprints(c)
    assert changed["backoffice.time_entries"] != at_backup["backoffice.time_entries"]
    assert changed["backoffice.staff"] != at_backup["backoffice.staff"]
    engine.dispose()

    restored = run_backoffice("db", "restore", str(file), "--force", env=env)
    assert restored.returncode == 0, restored.stderr

    with engine.connect() as c, c.begin() as outer:
        # the restore is audited after it: without its one row, every table is as backed up
        assert c.execute(sa.text("DELETE FROM backoffice.audit_logs WHERE action = 'RESTORE'"
                                 " AND user_email = :e"), {"e": ADMIN}).rowcount == 1
        after = backup_queries.load_table_fingerprints(c)
        outer.rollback()
    assert after == at_backup
    engine.dispose()

    listed = run_backoffice("db", "backups", "--format", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    # newest first: the automatic backup taken before the restore (not verified), then ours
    assert rows[0]["file"].startswith("before-restore-") and rows[0]["verified"] is False
    ours = [r for r in rows if r["file"] == file.name]
    assert {r["folder"] for r in ours} == {str(file.parent), str(other_disk)}
    assert all(r["verified"] and r["tables_compared"] == len(at_backup) for r in ours)
    assert all(r["copied_to"] == [str(other_disk / file.name)] for r in ours)
    assert [r["made_at"] for r in rows] == sorted((r["made_at"] for r in rows), reverse=True)

    text = run_backoffice("db", "backups", env=env)
    assert text.returncode == 0, text.stderr
    header, *lines = text.stdout.splitlines()
    assert header.split()[:3] == ["made", "(Bangkok)", "verified"]
    assert len(lines) == 3 and lines[0].split()[2] == "no"
    assert [line.split()[2] for line in lines[1:]] == ["yes", "yes"]


def test_backup_out_file_and_refusals_are_one_line(database_url, tmp_path):
    engine = database.get_engine(database_url.render_as_string(hide_password=False))
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"
                          " ON CONFLICT (email) DO NOTHING"), {"e": ADMIN})
    env = _env(database_url, tmp_path)
    out = tmp_path / "elsewhere" / "named.dump"
    made = run_backoffice("db", "backup", "--out", str(out), env=env)
    assert made.returncode == 0, made.stderr
    assert out.is_file() and verified_backup.sidecar_path(out).is_file()
    assert not (tmp_path / "data" / "backups").exists()

    both = run_backoffice("db", "backup", str(out), "--out", str(tmp_path / "b.dump"), env=env)
    stranger = run_backoffice("db", "backup", env={**env, "BACKOFFICE_USER": "x@studio.example"})
    listing = run_backoffice("db", "backups", env={**env, "BACKOFFICE_USER": "x@studio.example"})
    for refused in (both, stranger, listing):
        assert refused.returncode == 2
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    empty = run_backoffice("db", "backups", env=env)
    assert empty.returncode == 0 and empty.stdout.startswith("no backups in ")
