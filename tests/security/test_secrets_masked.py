"""No secret in any error (issue 22): every message that may name a database or mail URL shows it
with its password masked (``settings.mask_secrets``): ``backoffice db url`` with a URL that is not
PostgreSQL's, an unreachable database, the CLI's one error line, a dashboard's error panel."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice
from click.testing import CliRunner

from backoffice_lib import database, settings, ui
from backoffice_lib.cli import cli

SECRET = "s3cr3t-Pa55"


@pytest.mark.parametrize("text, expected", [
    pytest.param(f"postgresql://backoffice:{SECRET}@db.example/studio",
                 "postgresql://backoffice:***@db.example/studio", id="a PostgreSQL URL"),
    pytest.param(f"not mysql://root:{SECRET}@db.example:3306/x, sorry",
                 "not mysql://root:***@db.example:3306/x, sorry", id="a URL inside a sentence"),
    pytest.param(f"smtp://mailer:{SECRET}@smtp.example:587", "smtp://mailer:***@smtp.example:587",
                 id="an SMTP URL"),
    pytest.param("postgresql://u:p@ss:w@rd@db.example/x", "postgresql://u:***@db.example/x",
                 id="a password holding @ and :"),
    pytest.param(f"postgresql://:{SECRET}@db.example/x", "postgresql://:***@db.example/x",
                 id="a password without a user"),
    pytest.param(f"postgresql://u@db.example/x?password={SECRET}&sslmode=require",
                 "postgresql://u@db.example/x?password=***&sslmode=require",
                 id="a password in the query"),
    pytest.param(f"host=db.example user=u password={SECRET} dbname=x",
                 "host=db.example user=u password=*** dbname=x", id="a libpq DSN"),
    pytest.param(f"password = '{SECRET} with spaces'", "password = ***", id="a quoted password"),
    pytest.param(f"no file mysql:/root:{SECRET}@db.example/x", "no file mysql:/root:***@db.example/x",
                 id="a URL as a path shows it (one slash)"),
    pytest.param("postgresql://backoffice@db.example/studio",
                 "postgresql://backoffice@db.example/studio", id="no password: unchanged"),
    pytest.param("http://host:8080/a@b", "http://host:8080/a@b", id="a port is not a password"),
])
def test_mask_secrets(text, expected):
    assert settings.mask_secrets(text) == expected


def _environment(url: str, tmp_path) -> dict[str, str]:
    return {**os.environ, "BACKOFFICE_DATABASE_URL": url, "BACKOFFICE_DATA_DIR": str(tmp_path)}


def test_db_url_with_a_url_that_is_not_postgresql_masks_the_password(tmp_path):
    done = run_backoffice("db", "url", env=_environment(
        f"mysql://root:{SECRET}@db.example/studio", tmp_path), timeout=120)
    assert done.returncode == 2
    assert SECRET not in done.stdout + done.stderr
    assert done.stderr.strip() == ("error: BACKOFFICE_DATABASE_URL must be a PostgreSQL URL, not "
                                   "'mysql://root:***@db.example/studio'")


@pytest.mark.parametrize("url", [
    pytest.param(f"postgresql://nobody:{SECRET}@127.0.0.1:1/nothing", id="password in the URL"),
    pytest.param(f"postgresql://nobody@127.0.0.1:1/nothing?password={SECRET}",
                 id="password in the query"),
    pytest.param(f"sqlite:///x.db?password={SECRET}", id="another database's URL"),
])
@pytest.mark.parametrize("args", [["db", "url"], ["db", "upgrade"],
                                  ["payroll", "compute", "--month", "2025-01"]])
def test_no_command_prints_a_database_password(tmp_path, monkeypatch, url, args):
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", url)
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BACKOFFICE_USER", "admin@studio.example")
    database.database_url.cache_clear()
    database.get_engine.cache_clear()
    try:
        result = CliRunner().invoke(cli, args, prog_name="backoffice")
    finally:
        database.database_url.cache_clear()
        database.get_engine.cache_clear()
    assert result.exit_code == 2, result.output
    assert SECRET not in result.stdout + result.stderr
    assert "***" in result.stderr


def test_masked_url_masks_the_query_too():
    from sqlalchemy.engine import make_url

    url = make_url(f"postgresql+psycopg://u:{SECRET}@h/d?password={SECRET}")
    assert database.masked_url(url) == "postgresql+psycopg://u:***@h/d?password=***"


@pytest.fixture(scope="module")
def dashboard_admin(engine):
    email = f"masked-{uuid.uuid4().hex[:8]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:e, true)"), {"e": email})
    return email


@pytest.mark.parametrize("error", [
    pytest.param(database.DatabaseUnavailable(f"cannot reach postgresql://a:{SECRET}@h/d"),
                 id="an unreachable database"),
    pytest.param(RuntimeError(f"mail not sent: smtp://mailer:{SECRET}@smtp.example:587"),
                 id="an unexpected error naming a mail URL"),
])
def test_a_dashboard_error_panel_masks_the_url(dashboard_admin, monkeypatch, tmp_path, error):
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BACKOFFICE_USER", dashboard_admin)

    def build(user):
        raise error

    shown = ui.guarded_dashboard("payroll", build).value
    assert SECRET not in shown
    assert ":***@" in shown


@pytest.mark.parametrize("source", [
    pytest.param(f"postgresql://live:{SECRET}@127.0.0.1:1/studio", id="an unreachable live URL"),
    pytest.param(f"postgresql://live:{SECRET}@127.0.0.1:1/studio?password={SECRET}",
                 id="a password in the query too"),
    pytest.param(f"mysql://live:{SECRET}@127.0.0.1:1/studio", id="not a PostgreSQL URL"),
])
def test_import_live_never_prints_the_sources_password(dashboard_admin, tmp_path, source):
    result = CliRunner().invoke(cli, ["import", "live", "--source", source, "--dry-run",
                                      "--user", dashboard_admin], prog_name="backoffice")
    assert result.exit_code == 2, result.output
    assert SECRET not in result.stdout + result.stderr
    assert result.stderr.startswith("error: ")


def test_a_failed_runs_reason_masks_the_url():
    from backoffice_lib.workbench.runs import compute_error_reason

    reason = compute_error_reason(database.DatabaseUnavailable(
        f"cannot reach the database postgresql://a:{SECRET}@h/d: refused"))
    assert reason == "DatabaseUnavailable: cannot reach the database postgresql://a:***@h/d: refused"


def test_an_import_source_url_is_named_without_its_password(engine):
    """The live import names its source in errors, its report and the audit: never a password,
    in the URL's user part or in a password= of its query."""
    from backoffice_lib.importer.queries import source

    for url in (f"postgresql://nobody@127.0.0.1:1/live?password={SECRET}",
                f"postgresql://nobody:{SECRET}@127.0.0.1:1/live"):
        with pytest.raises(source.SourceUnreadable) as refused, source.open_source(url, engine):
            pass
        assert SECRET not in str(refused.value) and "***" in str(refused.value)
