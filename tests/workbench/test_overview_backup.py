"""The overview shows the age of the last verified backup and warns after 26 hours (the handler
``on_backup_status``, without a browser); a backup that did not verify does not count."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from backoffice_lib import access, database
from backoffice_lib.history.service import verified_backup
from backoffice_lib.workbench import overview_dashboard as board


def _backup(folder, hours_ago: float, verified: bool) -> None:
    made = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)
    file = folder / verified_backup.compute_backup_name(made)
    file.write_bytes(b"PGDMP")
    verified_backup.save_sidecar(file, {"made_at": made.isoformat(), "verified": verified})


def test_the_overview_warns_until_a_verified_backup_younger_than_26_hours(engine, tmp_path,
                                                                          monkeypatch):
    email = f"ov-backup-{uuid.uuid4().hex[:6]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:e, true)"), {"e": email})
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BACKOFFICE_BACKUP_DIR", raising=False)
    backups = tmp_path / "data" / "backups"
    backups.mkdir(parents=True)

    with database.transaction() as c:
        view = board.OverviewDashboard(access.load_user(c, email), "2025-03")
    assert "No verified backup" in view.backup_box.value and "warn" in view.backup_box.value

    _backup(backups, 30, verified=True)
    _backup(backups, 2, verified=False)  # newer, but it did not verify
    view.on_backup_status()
    assert "Last verified backup 30 h old" in view.backup_box.value
    assert "older than 26 h" in view.backup_box.value and "warn" in view.backup_box.value

    _backup(backups, 1, verified=True)
    view.on_backup_status()
    assert "Last verified backup 1 h old" in view.backup_box.value
    assert "warn" not in view.backup_box.value


def test_the_backup_status_is_for_admins_only(engine, tmp_path, monkeypatch):
    email = f"ov-backup-{uuid.uuid4().hex[:6]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:e, true)"), {"e": email})
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path / "data"))
    with database.transaction() as c:
        view = board.OverviewDashboard(access.load_user(c, email), "2025-03")
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES"
                          " (:o, true)"), {"o": f"other-{email}"})
        c.execute(sa.text("UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :e"),
                  {"e": email})
    view.on_backup_status()
    assert "Could not read the backups" in view.backup_box.value
    assert "not an admin" in view.backup_box.value
