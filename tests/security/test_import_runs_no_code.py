"""Issue 22, deliverable 1: an import runs no code from its source.

Each test builds its dump with ``pg_dump -Fc`` (or a plain SQL file) from a scratch database
holding a malicious object, imports it, and proves nothing happened: no role created, no file
written, no row in the workbench, no staging database or import role left behind. The malicious
function acts only inside a staging database (``live_import_%``), so building the scratch
database runs nothing; restored as a superuser (the old import) it would have created the role
and written the file.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice
from importer.live_fixture import libpq, live_database, run_live

from backoffice_lib.history.service.backup import find_tool
from backoffice_lib.importer import service
from backoffice_lib.importer.queries import source
from backoffice_lib.importer.queries.source import SourceUnreadable

ADMIN = "admin@studio.example"
EVIL_ROLE = "evil_import_superuser"


@pytest.fixture(scope="module")
def workbench(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES (:e, true)"), {"e": ADMIN})
    return engine


@pytest.fixture
def marker():
    """A file the attack would write (in /tmp, which the server's OS user may write to)."""
    path = Path(f"/tmp/bo-import-pwned-{uuid.uuid4().hex}")
    yield path
    path.unlink(missing_ok=True)


def _evil_function(marker: Path) -> str:
    return f"""
CREATE FUNCTION public.evil(value integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF current_database() LIKE 'live_import_%' THEN
    EXECUTE 'CREATE ROLE {EVIL_ROLE} SUPERUSER LOGIN';
    EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch {marker}''';
  END IF;
  RETURN true;
END $$;
CREATE TABLE backoffice.notes (id integer PRIMARY KEY, CHECK (public.evil(id)));
INSERT INTO backoffice.notes VALUES (1);
"""


def _dump(url, path: Path) -> Path:
    subprocess.run([find_tool("pg_dump", 18), "--format=custom", "--no-owner",
                    f"--file={path}", f"--dbname={libpq(url)}"], check=True)
    return path


def _state(workbench) -> dict:
    """What an attack could change: roles, files, the workbench's rows, staging leftovers."""
    with workbench.connect() as conn:
        return {
            "roles": sorted(conn.scalars(sa.text(
                "SELECT rolname FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%'")).all()),
            "staging": conn.scalar(sa.text(
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'live\\_import\\_%'")),
            "rows": tuple(conn.execute(sa.text(
                "SELECT (SELECT count(*) FROM backoffice.allowed_users),"
                " (SELECT count(*) FROM backoffice.import_runs),"
                " (SELECT count(*) FROM backoffice.staff),"
                " (SELECT count(*) FROM backoffice.import_quarantine)")).one()),
        }


def _assert_nothing_happened(workbench, before: dict, marker: Path) -> None:
    after = _state(workbench)
    assert EVIL_ROLE not in after["roles"]
    assert not [r for r in after["roles"] if r.startswith("live_import_")]
    assert after == before
    assert not marker.exists()


@contextlib.contextmanager
def _scratch(sql: str):
    with live_database(rows=False) as url:
        run_live(url, sql)
        yield url


@pytest.mark.parametrize(("name", "sql", "refused"), [
    ("function run by a check constraint", None, "FUNCTION public evil"),
    ("extension", "CREATE EXTENSION pg_trgm SCHEMA public;", "EXTENSION - pg_trgm"),
    ("event trigger", """
CREATE FUNCTION public.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN NULL; END $$;
CREATE EVENT TRIGGER on_ddl ON ddl_command_start EXECUTE FUNCTION public.on_ddl();""",
     "EVENT TRIGGER - on_ddl"),
    ("table of another schema", "CREATE SCHEMA extra; CREATE TABLE extra.t (id integer);",
     "SCHEMA - extra"),
])
def test_import_refuses_an_archive_that_would_create_code_before_restoring_anything(
        workbench, tmp_path, marker, name, sql, refused):
    with _scratch(sql or _evil_function(marker)) as url:
        dump = _dump(url, tmp_path / "live.dump")
        if name == "event trigger":
            run_live(url, "DROP EVENT TRIGGER on_ddl")
    before = _state(workbench)
    with pytest.raises(SourceUnreadable, match="is refused: its restore would create") as caught:
        service.import_live(str(dump), ADMIN, dry_run=True, engine=workbench)
    assert refused in str(caught.value)
    _assert_nothing_happened(workbench, before, marker)


def test_import_archive_whose_contents_lie_restores_as_a_powerless_role_and_is_refused(
        workbench, tmp_path, marker):
    """The function's entry relabelled SEQUENCE passes the listing: its CHECK still runs during
    the restore, as the run's role: no role, no file; the staging check refuses the archive."""
    with _scratch(_evil_function(marker)) as url:
        dump = _dump(url, tmp_path / "live.dump")
    data = dump.read_bytes()
    label = b"\x00\x08\x00\x00\x00FUNCTION"
    assert data.count(label) == 1
    dump.write_bytes(data.replace(label, b"\x00\x08\x00\x00\x00SEQUENCE"))
    listing = source.compute_archive_plan(subprocess.run(
        [find_tool("pg_restore", 18), "--list", str(dump)], capture_output=True, text=True,
        check=True).stdout)
    assert not listing.refused  # the listing is fooled: the role and the check must hold
    before = _state(workbench)
    with pytest.raises(SourceUnreadable, match="function public.evil"):
        service.import_live(str(dump), ADMIN, dry_run=True, engine=workbench)
    _assert_nothing_happened(workbench, before, marker)


def test_import_refuses_a_plain_sql_file_and_runs_none_of_its_psql_commands(
        workbench, database_url, tmp_path, marker):
    dump = tmp_path / "live.sql"
    dump.write_text(
        "-- PostgreSQL database dump\n"
        f"\\! touch {marker}\n"
        f"CREATE ROLE {EVIL_ROLE} SUPERUSER LOGIN;\n"
        f"\\connect {database_url.database}\n"
        "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES ('evil@x.example', true);\n"
    )
    before = _state(workbench)
    env = {**os.environ,
           "BACKOFFICE_DATABASE_URL": database_url.render_as_string(hide_password=False)}
    done = run_backoffice("import", "live", "--source", str(dump), "--dry-run", "--user", ADMIN,
                          env=env)
    assert done.returncode == 2
    assert "plain SQL dumps run psql commands; make a custom-format dump with pg_dump -Fc" in (
        done.stderr)
    _assert_nothing_happened(workbench, before, marker)


def test_import_restores_as_a_role_made_for_the_run_owning_only_the_staging_database(
        workbench, tmp_path, marker):
    with live_database(rows=False) as url:
        dump = _dump(url, tmp_path / "live.dump")
    before = _state(workbench)
    with pytest.raises(RuntimeError, match="failure inside"), \
            source._staging_database(dump, workbench) as staging:
        role = staging.username
        with workbench.connect() as conn:
            attributes = conn.execute(sa.text(
                "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,"
                " rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": role}).one()
            members = conn.scalars(sa.text(
                "SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid"
                " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :r"), {"r": role}).all()
            owned = conn.scalars(sa.text(
                "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba"
                " WHERE r.rolname = :r"), {"r": role}).all()
            dangerous = {g: conn.scalar(sa.text("SELECT pg_has_role(:r, :g, 'USAGE')"),
                                        {"r": role, "g": g})
                         for g in ("pg_execute_server_program", "pg_write_server_files",
                                   "pg_read_server_files")}
        assert tuple(attributes) == (False, False, False, False, False, True)
        assert members == [] and not any(dangerous.values())
        assert owned == [staging.database]
        with psycopg.connect(libpq(staging), autocommit=True) as as_role:
            for attack in (f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'",
                           f"COPY (SELECT 1) TO '{marker}'",
                           f"CREATE ROLE {EVIL_ROLE} SUPERUSER"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    as_role.execute(attack)
        raise RuntimeError("failure inside the staging block")
    _assert_nothing_happened(workbench, before, marker)


def test_import_dry_run_of_a_good_archive_touches_nothing_in_the_workbench(
        workbench, tmp_path, marker):
    from backoffice_lib.history.queries.backup import load_counts

    with live_database() as url:
        dump = _dump(url, tmp_path / "live.dump")
    before = _state(workbench)
    with workbench.connect() as conn:
        counts = load_counts(conn)
    report = service.import_live(str(dump), ADMIN, dry_run=True, engine=workbench)
    assert report["dry_run"] is True and report["totals"]["read"] == 66
    with workbench.connect() as conn:
        assert load_counts(conn) == counts
    _assert_nothing_happened(workbench, before, marker)


LONG_TABLE = """
CREATE TABLE backoffice.import_notes_with_a_long_name (first_long_column_name_for_room integer,
  second_long_column_name_for_room integer, third_long_column_name_for_room integer);
INSERT INTO backoffice.import_notes_with_a_long_name VALUES (1, 2, 3);
"""


def _copy_to_program_archive(tmp_path: Path, marker: Path) -> Path:
    """A real archive whose data statement (run by pg_restore as it is written in the archive)
    is rewritten into COPY ... TO PROGRAM (same length: the archive stays readable)."""
    with _scratch(LONG_TABLE) as url:
        dump = _dump(url, tmp_path / "live.dump")
    data = dump.read_bytes()
    statement = (b"COPY backoffice.import_notes_with_a_long_name (first_long_column_name_for_room,"
                 b" second_long_column_name_for_room, third_long_column_name_for_room)"
                 b" FROM stdin;\n")
    assert data.count(statement) == 1
    attack = f"COPY (SELECT 1) TO PROGRAM 'touch {marker}';".encode()
    dump.write_bytes(data.replace(statement, attack.ljust(len(statement) - 1) + b"\n"))
    return dump


def test_import_archive_whose_data_statement_is_copy_to_program_writes_no_file(
        workbench, tmp_path, marker):
    dump = _copy_to_program_archive(tmp_path, marker)
    before = _state(workbench)
    report = service.import_live(str(dump), ADMIN, dry_run=True, engine=workbench)
    assert report["dry_run"] is True
    _assert_nothing_happened(workbench, before, marker)


def test_import_drops_the_staging_database_and_role_a_killed_import_left(workbench, tmp_path):
    dead = "live_import_999999999_deadbeef"  # beyond pid_max: that process cannot be running
    with workbench.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{dead}" LOGIN'))
        conn.execute(sa.text(f'CREATE DATABASE "{dead}" OWNER "{dead}"'))
    with live_database(rows=False) as url:
        dump = _dump(url, tmp_path / "live.dump")
    service.import_live(str(dump), ADMIN, dry_run=True, engine=workbench)
    with workbench.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = :n"),
                           {"n": dead}) == 0
        assert conn.scalar(sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"),
                           {"n": dead}) == 0
