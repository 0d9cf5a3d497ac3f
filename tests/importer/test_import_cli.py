"""``backoffice import live`` as a person runs it: URL or pg_dump file, text or JSON, exit codes."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice
from live_fixture import CLEAR_PINS, libpq, live_database

from backoffice_lib.history.service.backup import find_tool

ADMIN = "admin@studio.example"
KEYS = ["read", "imported", "updated", "unchanged", "quarantined"]


@pytest.fixture(scope="module")
def live_url():
    with live_database() as url:
        yield url


@pytest.fixture(scope="module")
def env(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES"
                             " (:a, true), ('coach@studio.example', false)"), {"a": ADMIN})
    return dict(os.environ)


def _dump(url, path, fmt: str) -> None:
    major = 18
    with sa.create_engine(url).connect() as conn:
        major = int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000
    subprocess.run([find_tool("pg_dump", major), f"--format={fmt}", "--no-owner",
                    f"--file={path}", f"--dbname={libpq(url)}"], check=True)


def test_import_live_from_a_pg_dump_file_dry_run(env, live_url, tmp_path):
    dump = tmp_path / "live.custom"
    _dump(live_url, dump, "custom")
    done = run_backoffice("import", "live", "--source", str(dump), "--dry-run", "--format",
                          "json", "--user", ADMIN, env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dry_run"] is True
    reads = {t["table"]: t["read"] for t in report["tables"]}
    assert reads["time_entries"] == 13 and reads["lengolf_sales"] == 3
    assert (reads["reconciliation_sessions"], reads["reconciliation_items"]) == (3, 4)
    assert report["totals"]["quarantined"] == 14
    assert "sha256" in report["snapshot"]
    with sa.create_engine(live_url).connect() as conn:  # the staging database is gone
        assert conn.scalar(sa.text(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'live_import_%'")) == 0
        assert conn.scalar(sa.text(  # and so is the role that restored it
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'live_import_%'")) == 0


def test_import_live_refuses_a_plain_sql_dump_fix_issue_22(env, live_url, tmp_path):
    dump = tmp_path / "live.sql"
    _dump(live_url, dump, "plain")
    done = run_backoffice("import", "live", "--source", str(dump), "--dry-run", "--user", ADMIN,
                          env=env)
    assert done.returncode == 2
    assert "plain SQL dumps run psql commands; make a custom-format dump with pg_dump -Fc" in (
        done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1


def test_import_live_from_the_url_prints_the_report_and_json_has_the_same_keys(env, live_url):
    source = live_url.render_as_string(hide_password=False)
    done = run_backoffice("import", "live", "--source", source, "--user", ADMIN, env=env)
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[1].split()
    assert header == ["table", *KEYS]
    total = next(line for line in done.stdout.splitlines() if line.startswith("total")).split()
    assert total[1:] == ["66", "51", "1", "0", "14"]
    again = run_backoffice("import", "live", "--source", source, "--format", "json", "--user",
                           ADMIN, env=env)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert sorted(report["totals"]) == sorted(KEYS)
    assert all(sorted(k for k in t if k != "table") == sorted(KEYS) for t in report["tables"])
    assert (report["totals"]["imported"], report["totals"]["unchanged"]) == (0, 52)
    for pin in CLEAR_PINS:
        assert pin not in done.stdout + done.stderr + again.stdout + again.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--source", "/nonexistent/live.dump", "--user", ADMIN], "no file"),
    (["--source", "postgresql://nobody@127.0.0.1:1/none", "--user", ADMIN],
     "cannot read the live database"),
    (["--source", "README.md", "--user", ADMIN], "neither a pg_dump"),
    (["--source", "/nonexistent/live.dump", "--user", "coach@studio.example"], "not an admin"),
])
def test_import_live_refuses_in_one_line_with_exit_2(env, args, message):
    done = run_backoffice("import", "live", *args, env=env)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
