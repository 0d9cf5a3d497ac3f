"""The packages notebooks: thin front-ends (one parameters cell, no outputs, no logic), executed by
papermill on the demo data."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import uuid
from pathlib import Path

import nbformat
import papermill
import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks" / "packages"
PARAMETERS = {
    "package_monitor.ipynb": {"as_of"},
    "package_alerts.ipynb": {"as_of", "output_dir"},
    "coach_earnings.ipynb": {"coach", "month", "output_dir"},
}
FORBIDDEN = ("def ", "class ", "SELECT ", "INSERT ", "lambda", "import sqlalchemy")


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_notebook_is_a_thin_front_end(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for cell in notebook.cells:
        assert cell.cell_type != "code" or (cell.outputs == [] and cell.execution_count is None)
        assert not any(word in cell.source for word in FORBIDDEN), cell.source
    assert set(papermill.inspect_notebook(str(NOTEBOOKS / name))) == PARAMETERS[name]


def test_catalog_lists_the_packages_notebooks():
    import yaml

    catalog = yaml.safe_load((ROOT / "notebooks" / "catalog.yml").read_text(encoding="utf-8"))
    entries = {e["path"]: e for e in catalog["notebooks"]}
    assert entries["packages/package_monitor.ipynb"]["kind"] == "dashboard"
    for report in ("packages/package_alerts.ipynb", "packages/coach_earnings.ipynb"):
        assert entries[report]["kind"] == "report"
        assert set(entries[report]["parameters"]) == PARAMETERS[report.split("/")[1]]


def execute(name, tmp_path, user, **parameters):
    output = tmp_path / f"executed-{name}"
    papermill.execute_notebook(
        str(NOTEBOOKS / name), str(output), parameters=parameters, kernel_name="python3",
        cwd=str(NOTEBOOKS), progress_bar=False,
    )
    return output


def outputs_text(path: Path) -> str:
    """Cell outputs and the stored widget state (where a dashboard's HTML lives)."""
    notebook = nbformat.read(path, as_version=4)
    return json.dumps([[c.get("outputs", []) for c in notebook.cells],
                       notebook.metadata.get("widgets", {})], ensure_ascii=False)


@pytest.fixture
def manager(demo_env, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_USER", "manager@studio.example")


@pytest.fixture(scope="module")
def demo_copy_url(demo_database_url):
    """A copy of the demo database for a notebook that writes (alerts are remembered)."""
    name = f"pkgdemo_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(demo_database_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        # A template must have no other sessions; the demo engines reconnect (pool_pre_ping).
        c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE datname = :d AND pid <> pg_backend_pid()"),
                  {"d": demo_database_url.database})
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{demo_database_url.database}"'))
    yield demo_database_url.set(database=name)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_package_monitor_runs_on_demo_data(manager, tmp_path):
    executed = execute("package_monitor.ipynb", tmp_path, None)
    text = outputs_text(executed)
    assert "Package monitor" in text and "manager@studio.example" in text
    assert "Access refused" not in text and "cannot be shown" not in text
    assert "Usable packages by category" in text and "Customer lookup" in text
    assert "Package hours used per week" in text and "hour of day" in text  # the two charts


def test_package_alerts_report_writes_csv_and_excel_with_contacts(demo_copy_url, monkeypatch,
                                                                   tmp_path):
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL",
                       demo_copy_url.render_as_string(hide_password=False))
    today = bangkok.today().isoformat()
    out = tmp_path / "outputs"
    execute("package_alerts.ipynb", tmp_path, None, as_of=today, output_dir=str(out))
    with (out / f"package_alerts_{today}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the demo data has packages expiring within 7 days"
    assert {r["alert_level"] for r in rows} <= {"expiring_soon", "low_balance", "not_activated"}
    assert all(r["contact_number"] for r in rows)
    assert (out / f"package_alerts_{today}.xlsx").stat().st_size > 0


def test_coach_earnings_report_for_one_coach(demo_env, monkeypatch, tmp_path):
    monkeypatch.setenv("BACKOFFICE_USER", "admin@studio.example")  # finance, for one coach
    month = bangkok.previous_month(bangkok.month_key(bangkok.today()))
    out = tmp_path / "outputs"
    execute("coach_earnings.ipynb", tmp_path, None, coach="BOSS", month=month, output_dir=str(out))
    with (out / f"coach_earnings_BOSS_{month}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["coach_code"] for r in rows} == {"BOSS"}
    first, last = bangkok.month_days(month)
    assert all(first <= dt.date.fromisoformat(r["booking_date"]) <= last for r in rows)


def test_coach_earnings_report_refuses_another_coach(demo_env, monkeypatch, tmp_path):
    monkeypatch.setenv("BACKOFFICE_USER", "boss@studio.example")
    with pytest.raises(papermill.PapermillExecutionError, match="access refused"):
        execute("coach_earnings.ipynb", tmp_path, None, coach="MIN", month="2026-01", output_dir="")
