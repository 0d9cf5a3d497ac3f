"""Verified backups: rotation by age, the overview's 26-hour warning, the figures taken in the
dump's own snapshot, a verification that catches a truncated or corrupted backup, the sidecar,
the copy to BACKOFFICE_BACKUP_DIR and rotation on disk."""

from __future__ import annotations

import datetime as dt
import json
import stat

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.history import rules
from backoffice_lib.history.queries import backup as backup_queries
from backoffice_lib.history.service import backup, verified_backup

BKK = bangkok.BANGKOK
ADMIN = "verify-admin@studio.example"
TODAY = dt.date(2026, 12, 6)  # a Sunday


def _at(day: str, hour: int = 3) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), BKK)


def _daily_backups(first: dt.date, last: dt.date) -> list[rules.BackupFile]:
    days = (last - first).days + 1
    return [rules.BackupFile(f"b-{first + dt.timedelta(days=n)}", _at(str(first + dt.timedelta(
        days=n))), True) for n in range(days)]


# --- rotation by age (pure) ----------------------------------------------------------------------


def test_rotation_keeps_seven_days_four_weeks_and_twelve_months_of_a_daily_backup():
    backups = _daily_backups(dt.date(2025, 1, 1), TODAY)
    kept = sorted(rules.choose_backups_to_keep(backups, TODAY, 7, 4, 12))
    days = [f"b-{TODAY - dt.timedelta(days=n)}" for n in range(7)]  # 2026-11-30 .. 12-06
    # the newest of each ISO week: this week's is today; then the Sundays before it
    weeks = ["b-2026-12-06", "b-2026-11-29", "b-2026-11-22", "b-2026-11-15"]
    # the newest of each month: this month's is today; then each month's last day
    months = ["b-2026-12-06"] + [f"b-{bangkok.month_days(m)[1]}" for m in (
        "2026-11", "2026-10", "2026-09", "2026-08", "2026-07", "2026-06", "2026-05", "2026-04",
        "2026-03", "2026-02", "2026-01")]
    assert kept == sorted(set(days + weeks + months))
    assert len(kept) == 7 + 3 + 10  # 2026-11-30 is a day and that month's last


UTC = dt.UTC


@pytest.mark.parametrize(
    ("backups", "daily", "weekly", "monthly", "kept"),
    [
        # two backups a day: the newest of the day is the day's
        ([("a", _at("2026-12-06", 1), True), ("b", _at("2026-12-06", 5), True)], 7, 0, 0, {"b"}),
        # an unverified backup never keeps a day, but the newest is always kept
        ([("ok", _at("2026-12-05"), True), ("bad", _at("2026-12-06"), False)], 7, 0, 0,
         {"ok", "bad"}),
        # an older unverified backup goes
        ([("bad", _at("2026-12-05"), False), ("ok", _at("2026-12-06"), True)], 7, 0, 0, {"ok"}),
        # a long pause: nothing in any window, the newest verified backup is still kept
        ([("old", _at("2024-01-01"), True), ("older", _at("2023-12-01"), True)], 7, 4, 12,
         {"old"}),
        # counts of zero keep only the newest
        ([("a", _at("2026-12-04"), True), ("b", _at("2026-12-05"), True)], 0, 0, 0, {"b"}),
        # Bangkok days: 23:30 UTC on the 4th is 06:30 on the 5th in Bangkok, inside two days
        ([("today", _at("2026-12-06", 1), True),
          ("utc-4th", dt.datetime(2026, 12, 4, 23, 30, tzinfo=UTC), True),
          ("bkk-4th", _at("2026-12-04", 23), True)], 2, 0, 0, {"today", "utc-4th"}),
        # a backup dated after today (a clock set back) is kept
        ([("future", _at("2026-12-09"), True), ("now", _at("2026-12-06"), True)], 1, 0, 0,
         {"future", "now"}),
        # weeks are ISO weeks: Monday 2026-11-30 starts this week, Sunday the 29th the last
        ([("mon", _at("2026-11-30"), True), ("sun", _at("2026-11-29"), True),
          ("sat", _at("2026-11-28"), True)], 0, 2, 0, {"mon", "sun"}),
        # months: the newest of each of the last two months, not October's
        ([("dec", _at("2026-12-01"), True), ("nov-30", _at("2026-11-30"), True),
          ("nov-01", _at("2026-11-01"), True), ("oct", _at("2026-10-31"), True)], 0, 0, 2,
         {"dec", "nov-30"}),
    ],
    ids=["newest-of-the-day", "unverified-newest-kept", "unverified-older-goes",
         "long-pause-keeps-the-last-verified", "zero-counts-keep-the-newest",
         "bangkok-days", "future-kept", "iso-weeks", "months"],
)
def test_rotation_rule(backups, daily, weekly, monthly, kept):
    files = [rules.BackupFile(name, made_at, ok) for name, made_at, ok in backups]
    assert rules.choose_backups_to_keep(files, TODAY, daily, weekly, monthly) == kept


def test_rotation_refuses_a_negative_count():
    with pytest.raises(ValueError, match="keep_weekly"):
        rules.choose_backups_to_keep([], TODAY, 7, -1, 12)


# --- the overview's warning (pure) ----------------------------------------------------------------

NOW = dt.datetime(2026, 12, 6, 9, 0, tzinfo=BKK)


@pytest.mark.parametrize(
    ("last", "warn", "text"),
    [
        (None, True, "No verified backup"),
        (NOW - dt.timedelta(hours=6), False, "Last verified backup 6 h old"),
        (NOW - dt.timedelta(hours=26), False, "Last verified backup 26 h old"),
        (NOW - dt.timedelta(hours=26, minutes=1), True, "Last verified backup 26 h old"),
        (NOW - dt.timedelta(days=3), True, "Last verified backup 3 days old"),
        (NOW - dt.timedelta(minutes=5), False, "Last verified backup 5 min old"),
    ],
    ids=["none", "fresh", "exactly-26-hours", "just-over-26-hours", "days-old", "minutes-old"],
)
def test_the_overview_warns_when_the_last_verified_backup_is_older_than_26_hours(last, warn, text):
    status = rules.compute_backup_status(last, NOW)
    assert (status.warn, status.text) == (warn, text)


# --- figures in the snapshot of the dump -----------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(engine):
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:e, true) ON CONFLICT DO NOTHING"), {"e": ADMIN})
        c.execute(sa.text("INSERT INTO backoffice.audit_logs (user_email, action, resource_type,"
                          " timestamp) SELECT :e, 'VIEW', 'verify-test', now() - g * interval"
                          " '1 hour' FROM generate_series(1, 200) g"), {"e": ADMIN})
    return engine


def test_figures_are_taken_in_the_snapshot_of_the_dump_whatever_arrives_meanwhile(seeded, tmp_path):
    """The source's figures and pg_dump share one exported snapshot: rows committed after it
    are in neither, so the verification compares like with like."""
    reader = seeded.connect().execution_options(isolation_level="REPEATABLE READ")
    with reader.begin():
        snapshot = backup_queries.load_exported_snapshot(reader)
        figures = backup_queries.load_table_fingerprints(reader)
        with seeded.begin() as other:  # rows arriving while the backup is being made
            other.execute(sa.text("INSERT INTO backoffice.audit_logs (user_email, action,"
                                  " resource_type) VALUES (:e, 'VIEW', 'during-the-dump')"),
                          {"e": ADMIN})
            other.execute(sa.text("DELETE FROM backoffice.audit_logs WHERE resource_type ="
                                  " 'verify-test' AND id IN (SELECT id FROM backoffice.audit_logs"
                                  " WHERE resource_type = 'verify-test' LIMIT 1)"))
        file = backup.run_backup(tmp_path / "snap.dump", seeded, snapshot=snapshot)
    reader.close()
    assert verified_backup.run_verify_backup(file, figures, seeded) == []
    with seeded.connect() as c:
        now = backup_queries.load_table_fingerprints(c)
    assert now["backoffice.audit_logs"] != figures["backoffice.audit_logs"]
    assert now["backoffice.audit_logs"][0] == figures["backoffice.audit_logs"][0]  # +1 -1


def test_the_fingerprint_is_in_primary_key_order_and_covers_every_table(seeded):
    with seeded.connect() as c:
        figures = backup_queries.load_table_fingerprints(c)
        keys = backup_queries.load_primary_key_columns(c)
    assert {"backoffice.staff", "backoffice.audit_logs", "archive.time_entries",
            "backoffice.job_runs"} <= set(figures)
    assert keys["backoffice.audit_logs"] == ["id", "\"timestamp\""]
    assert not any(name.startswith(("pg_catalog.", "information_schema.")) for name in figures)


# --- the verification catches what does not restore ----------------------------------------------


@pytest.mark.parametrize("damage", ["cut-in-half", "data-zeroed"])
def test_verification_catches_a_truncated_or_corrupted_backup(seeded, tmp_path, damage):
    """A verified backup, then its file damaged: restoring it into the scratch database fails
    (or gives other rows), so it would never be recorded as verified."""
    record = verified_backup.run_verified_backup(ADMIN, tmp_path / "whole.dump", engine=seeded,
                                                 copy_dir=None)
    assert record["verified"]
    whole = bytearray((tmp_path / "whole.dump").read_bytes())
    if damage == "cut-in-half":
        whole = whole[: len(whole) // 2]
    else:  # the tables' data: zlib streams (0x78 0x9c), each with 64 bytes zeroed
        starts = [i for i in range(len(whole) - 1) if whole[i:i + 2] == b"x\x9c"]
        assert starts
        for start in starts:
            whole[start + 2:start + 66] = bytes(64)
    bad = tmp_path / f"{damage}.dump"
    bad.write_bytes(bytes(whole))
    figures = {name: tuple(value) for name, value in record["tables"].items()}
    try:
        differences = verified_backup.run_verify_backup(bad, figures, seeded)
    except backup.BackupError as exc:
        assert "failed" in str(exc)
    else:
        assert differences


def test_verification_catches_a_backup_whose_rows_differ_from_the_moment_it_claims(seeded, tmp_path):
    """Figures of another moment (a row changed, a row gone) are reported table by table."""
    record = verified_backup.run_verified_backup(ADMIN, tmp_path / "a.dump", engine=seeded,
                                                 copy_dir=None)
    claimed = {k: tuple(v) for k, v in record["tables"].items()}
    claimed["backoffice.audit_logs"] = (claimed["backoffice.audit_logs"][0] + 1,
                                        claimed["backoffice.audit_logs"][1])
    claimed["backoffice.allowed_users"] = (claimed["backoffice.allowed_users"][0], "0" * 32)
    claimed["backoffice.no_such_table"] = (0, "")
    assert verified_backup.run_verify_backup(tmp_path / "a.dump", claimed, seeded) == [
        "backoffice.allowed_users: same 1 rows but different contents (md5)",
        (f"backoffice.audit_logs: {claimed['backoffice.audit_logs'][0]} rows,"
         f" {claimed['backoffice.audit_logs'][0] - 1} after the restore"),
        "backoffice.no_such_table: missing after the restore",
    ]


def test_a_verified_backup_is_owner_only_with_its_sidecar_and_copy(seeded, tmp_path):
    folder, second = tmp_path / "backups", tmp_path / "other-disk"
    record = verified_backup.run_verified_backup(ADMIN, engine=seeded, folder=folder,
                                                 copy_dir=second)
    file = folder / record["file"]
    assert verified_backup.BACKUP_NAME.match(file.name)
    for path in (file, verified_backup.sidecar_path(file), second / file.name,
                 verified_backup.sidecar_path(second / file.name)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    sidecar = json.loads(verified_backup.sidecar_path(file).read_text())
    assert sidecar["verified"] is True and sidecar["differences"] == []
    assert sidecar["copied_to"] == [str(second / file.name)]
    with seeded.connect() as c:
        assert sidecar["tables_compared"] == len(backup_queries.load_every_table_name(c))
        assert c.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs WHERE action ="
                                " 'BACKUP' AND user_email = :e AND details->>'file' = :f"),
                        {"e": ADMIN, "f": str(file)}) == 1
    listed = verified_backup.load_backups([folder, second])
    assert [(b["file"], b["verified"]) for b in listed] == [(file.name, True)] * 2


def test_a_verified_backup_that_cannot_be_copied_fails_but_stays_verified(seeded, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the second folder should be")
    with pytest.raises(backup.BackupError, match="verified, but cannot copy the backup to"):
        verified_backup.run_verified_backup(ADMIN, engine=seeded, folder=tmp_path / "b",
                                            copy_dir=blocked / "inside")
    [listed] = verified_backup.load_backups([tmp_path / "b"])
    assert listed["verified"] and listed["copied_to"] == []
    sidecar = verified_backup.load_sidecar(tmp_path / "b" / listed["file"])
    assert "cannot copy" in sidecar["copy_error"]


def test_the_scratch_database_of_a_verification_is_dropped(seeded, tmp_path):
    record = verified_backup.run_verified_backup(ADMIN, tmp_path / "x.dump", engine=seeded,
                                                 copy_dir=None)
    assert record["scratch_database"].startswith(verified_backup.SCRATCH_PREFIX)
    assert record["scratch_database"] not in backup_queries.load_database_names(
        seeded, verified_backup.SCRATCH_PREFIX)


def test_two_verified_backups_at_once_never_collide(seeded, tmp_path):
    """Same folder, same second: each its own file, sidecar and scratch database."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda _: verified_backup.run_verified_backup(
            ADMIN, engine=seeded, folder=tmp_path, copy_dir=None), range(2)))
    assert all(record["verified"] for record in done)
    assert len({record["file"] for record in done}) == 2
    assert len({record["scratch_database"] for record in done}) == 2
    assert len(verified_backup.load_backups([tmp_path])) == 2


@pytest.mark.parametrize(
    ("name", "stale"),
    [
        ("backoffice_verify_20261205200000_abc", True),    # 13 h old
        ("backoffice_verify_20261206060000_abc", False),   # 3 h old: may be in use
        ("backoffice_verify_notastamp_abc", False),
        ("backoffice_verify_20261399000000_abc", False),   # no such date
        ("studio", False),
    ],
    ids=["old", "young", "no-stamp", "bad-date", "another-database"],
)
def test_scratch_databases_left_by_a_killed_verification_are_dropped_later(name, stale):
    now = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    found = rules.choose_stale_scratch_databases([name], verified_backup.SCRATCH_PREFIX, now)
    assert found == ([name] if stale else [])


def test_the_next_verification_drops_a_stale_scratch_database(seeded, tmp_path):
    left = f"{verified_backup.SCRATCH_PREFIX}20200101000000_killed"
    with seeded.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text(f'CREATE DATABASE "{left}"'))
    verified_backup.run_verified_backup(ADMIN, tmp_path / "y.dump", engine=seeded, copy_dir=None)
    assert left not in backup_queries.load_database_names(seeded, verified_backup.SCRATCH_PREFIX)


def test_a_backup_by_someone_not_an_admin_is_refused(seeded, tmp_path):
    from backoffice_lib import access

    with pytest.raises(access.AccessDenied):
        verified_backup.run_verified_backup("nobody@studio.example", tmp_path / "n.dump",
                                            engine=seeded, copy_dir=None)
    assert not (tmp_path / "n.dump").exists()


# --- rotation on disk ----------------------------------------------------------------------------


def _fake_backup(folder, name: str, made_at: dt.datetime, verified: bool = True) -> None:
    (folder / name).write_bytes(b"PGDMP")
    verified_backup.save_sidecar(folder / name, {"made_at": made_at.isoformat(),
                                                 "verified": verified})


def test_rotation_deletes_only_the_backups_the_workbench_named(tmp_path):
    start = dt.datetime(2026, 10, 1, 20, 0, tzinfo=dt.UTC)
    names = []
    for n in range(60):
        moment = start + dt.timedelta(days=n)
        names.append(verified_backup.compute_backup_name(moment))
        _fake_backup(tmp_path, names[-1], moment)
    _fake_backup(tmp_path, "before-restore-20261001T000000Z.dump", start)
    _fake_backup(tmp_path, "monthly-by-hand.dump", start)
    removed = verified_backup.run_rotate_backups(tmp_path, dt.date(2026, 12, 6), daily=7,
                                                 weekly=4, monthly=12)
    left = sorted(p.name for p in tmp_path.glob("*.dump"))
    assert "before-restore-20261001T000000Z.dump" in left and "monthly-by-hand.dump" in left
    assert len(removed) + len(left) == 62
    assert not any((tmp_path / (name + ".json")).exists() for name in removed)
    kept_days = sorted(bangkok.bangkok_date(b["made_at"]) for b in verified_backup.load_backups(
        [tmp_path]) if verified_backup.BACKUP_NAME.match(b["file"]))
    # Bangkok days Oct 2 .. Nov 30: Nov 30 (the last 7 days, this week, November), Sundays
    # Nov 29, 22, 15 (three weeks before), Oct 31 (October)
    assert kept_days == [dt.date(2026, 10, 31), dt.date(2026, 11, 15), dt.date(2026, 11, 22),
                         dt.date(2026, 11, 29), dt.date(2026, 11, 30)]


def test_a_backup_that_does_not_restore_is_kept_and_recorded_as_not_verified(
        empty_database_url, tmp_path):
    """pg_dump succeeds, yet the file does not restore: a check that reads another table (the
    child's rows are copied before their parents'). The backup stays, its sidecar and the audit
    say why, nothing is copied, and the command fails."""
    from backoffice_lib import database, migrate

    engine = database.get_engine(empty_database_url.render_as_string(hide_password=False))
    with engine.begin() as c:
        migrate.upgrade(c)
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:e, true)"), {"e": ADMIN})
        c.execute(sa.text("CREATE TABLE public.b_parent (id int PRIMARY KEY)"))
        c.execute(sa.text("CREATE FUNCTION public.parent_exists(int) RETURNS boolean"
                          " LANGUAGE sql AS 'SELECT EXISTS (SELECT FROM public.b_parent"
                          " WHERE id = $1)'"))
        c.execute(sa.text("CREATE TABLE public.a_child (id int PRIMARY KEY,"
                          " parent int CHECK (public.parent_exists(parent)))"))
        c.execute(sa.text("INSERT INTO public.b_parent VALUES (1)"))
        c.execute(sa.text("INSERT INTO public.a_child VALUES (1, 1)"))
    with pytest.raises(verified_backup.BackupNotVerified,
                       match="NOT verified: the restore into a scratch database failed"):
        verified_backup.run_verified_backup(ADMIN, engine=engine, folder=tmp_path / "b",
                                            copy_dir=tmp_path / "second")
    [listed] = verified_backup.load_backups([tmp_path / "b"])
    assert not listed["verified"] and "a_child" in listed["problem"]
    assert not (tmp_path / "second").exists()
    with engine.connect() as c:
        audited = c.execute(sa.text("SELECT details FROM backoffice.audit_logs WHERE action ="
                                    " 'BACKUP'")).scalar_one()
    assert audited["verified"] is False and "scratch database failed" in audited["problem"]
    assert verified_backup.compute_backups_table(
        verified_backup.load_backups([tmp_path / "b"])).splitlines()[1].split()[2] == "NO"
    engine.dispose()
