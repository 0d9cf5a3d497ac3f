"""The db-backup job (jobs.yml, notebooks/history/db_backup.ipynb): a thin notebook, listed in the
catalog, run once by papermill through the jobs machinery: a verified backup in the data dir's
backups/, the tables compared in the run's outputs, older backups rotated away."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import nbformat
import papermill
import sqlalchemy as sa
import yaml

from backoffice_lib import bangkok
from backoffice_lib.history.service import verified_backup
from backoffice_lib.workbench import jobs

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "history" / "db_backup.ipynb"
FORBIDDEN = ("def ", "class ", "SELECT ", "INSERT ", "ALTER ", "lambda", "import sqlalchemy")
ADMIN = "backup-job@studio.example"


def test_backup_notebook_is_a_thin_front_end_and_a_daily_job():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert len([c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]) == 1
    for cell in notebook.cells:
        assert cell.cell_type != "code" or (cell.outputs == [] and cell.execution_count is None)
        assert not any(word in cell.source for word in FORBIDDEN), cell.source
    assert papermill.inspect_notebook(str(NOTEBOOK)).keys() == {
        "keep_daily", "keep_weekly", "keep_monthly", "output_dir"}
    catalog = yaml.safe_load((ROOT / "notebooks" / "catalog.yml").read_text(encoding="utf-8"))
    assert {e["path"]: e for e in catalog["notebooks"]}["history/db_backup.ipynb"]["kind"] == "report"
    job = {j.name: j for j in jobs.load_jobs()}["db-backup"]
    assert (job.schedule, job.notebook) == ("daily", "history/db_backup.ipynb")
    assert job.parameters == {"keep_daily": 7, "keep_weekly": 4, "keep_monthly": 12}


def test_the_backup_job_runs_once_verifies_and_rotates(engine, tmp_path, monkeypatch):
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"
                          " ON CONFLICT (email) DO NOTHING"), {"e": ADMIN})
    monkeypatch.setenv("BACKOFFICE_USER", ADMIN)
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BACKOFFICE_BACKUP_DIR", str(tmp_path / "other-disk"))
    backups = tmp_path / "data" / "backups"
    backups.mkdir(parents=True)
    stale = verified_backup.compute_backup_name(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    (backups / stale).write_bytes(b"PGDMP")  # a verified backup of long ago, to rotate away
    verified_backup.save_sidecar(backups / stale, {"made_at": "2020-01-01T00:00:00+00:00",
                                                   "verified": True})
    job = {j.name: j for j in jobs.load_jobs()}["db-backup"]

    result = jobs.run_job(job, output_root=tmp_path / "runs", engine=engine)

    assert result.status == "succeeded", result.error
    table = result.output_dir / f"backup_{bangkok.today().isoformat()}.csv"
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert {"backoffice.staff", "backoffice.job_runs"} <= {r["table"] for r in rows}
    assert {r["verified"] for r in rows} == {"True"}
    listed = verified_backup.load_backups([backups, tmp_path / "other-disk"])
    assert sorted((b["verified"], Path(b["folder"]).name) for b in listed) == [
        (True, "backups"), (True, "other-disk")]
    assert not (backups / stale).exists()  # newer verified backups exist: rotated away
