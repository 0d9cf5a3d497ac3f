"""`backoffice jobs list --format json`: the contract other tools read (runs, folders, file URLs)."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid

import sqlalchemy as sa
from cli_runner import run_backoffice

from backoffice_lib import database
from backoffice_lib.workbench import runs


def _record_run(engine, tmp_path, *, job: str, status: str, outputs: dict[str, bytes],
                error: str | None = None) -> uuid.UUID:
    run_id = uuid.uuid4()
    started = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
    run_dir = tmp_path / job / runs.compute_run_folder_name(started, run_id)
    for name, data in outputs.items():
        path = run_dir / runs.OUTPUTS_FOLDER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with database.transaction(engine) as conn:
        runs.save_run_started(conn, run_id=run_id, job_name=job, notebook="/nb/payroll_run.ipynb",
                              parameters={"month": "2026-10"}, run_dir=str(run_dir),
                              started_at=started, requested_by="admin@studio.example")
        runs.save_run_finished(conn, run_id=run_id, status=status, error=error,
                               outputs={name: f"sha-{name}" for name in outputs},
                               finished_at=started + dt.timedelta(seconds=7),
                               duration_seconds=7.25)
    return run_id


def test_jobs_list_json_gives_every_run_with_its_files_and_urls(engine, database_url, tmp_path):
    job = f"json-{uuid.uuid4().hex[:6]}"
    with database.transaction(engine) as conn:  # `jobs list` is for admins
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES ('json-admin@test.example', true) ON CONFLICT DO NOTHING"))
    ok = _record_run(engine, tmp_path, job=job, status="succeeded", outputs={
        "payroll_2026-10.xlsx": b"x", "payslips/payslip_2026-10_E001.pdf": b"%PDF"})
    failed = _record_run(engine, tmp_path, job=job, status="failed", outputs={},
                         error="MissingRate in cell [4]: no statutory rate")
    env = {**os.environ,
           "BACKOFFICE_DATABASE_URL": database_url.render_as_string(hide_password=False),
           "BACKOFFICE_USER": "json-admin@test.example"}
    done = run_backoffice("jobs", "list", "--job", job, "--format", "json",
                          "--base-url", "https://studio.example", env=env)
    assert done.returncode == 0, done.stderr
    listed = {run["id"]: run for run in json.loads(done.stdout)}
    assert set(listed) == {str(ok), str(failed)}
    good = listed[str(ok)]
    assert good["status"] == "succeeded" and good["seconds"] == 7.25
    assert good["parameters"] == {"month": "2026-10"}
    assert good["folder"].endswith(runs.compute_run_folder_name(
        dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC), ok))
    assert [(f["name"], f["url"]) for f in good["files"]] == [
        ("payroll_2026-10.xlsx", f"https://studio.example/files/{ok}/payroll_2026-10.xlsx"),
        ("payslips/payslip_2026-10_E001.pdf",
         f"https://studio.example/files/{ok}/payslips/payslip_2026-10_E001.pdf"),
        ("payslips.zip", f"https://studio.example/runs/{ok}/payslips.zip"),
        ("notebook.html", f"https://studio.example/runs/{ok}/notebook.html"),
    ]
    assert listed[str(failed)]["error"] == "MissingRate in cell [4]: no statutory rate"

    text = run_backoffice("jobs", "list", "--job", job, env=env)
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].startswith("started (Bangkok)")  # the default is unchanged
    assert "MissingRate" in text.stdout
