"""`backoffice jobs run | run-due | list` end to end: papermill runs, exit codes, run history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))

WRITES = (
    "from pathlib import Path\n"
    "Path(output_dir, f'report_{month}.csv').write_text('month,total\\n' + month + ',1\\n')"
)


def _notebook(path: Path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("month = ''\noutput_dir = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(code),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture
def jobs_env(tmp_path, database_url, engine):
    """A jobs file of three jobs over two small notebooks, runs into tmp_path; the scheduler's
    user is an admin (the jobs commands are for admins)."""
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES ('scheduler@studio.example', true) ON CONFLICT DO NOTHING"))
    suffix = uuid.uuid4().hex[:6]
    notebooks = tmp_path / "notebooks"
    _notebook(notebooks / "r" / "ok.ipynb", WRITES)
    _notebook(notebooks / "r" / "boom.ipynb", "raise RuntimeError('the POS file is missing')")
    names = {"ok": f"ok-{suffix}", "lazy": f"lazy-{suffix}", "boom": f"boom-{suffix}"}
    (tmp_path / "jobs.yml").write_text(
        "jobs:\n"
        f"  - {{name: {names['ok']}, notebook: r/ok.ipynb, schedule: monthly:1,"
        "      parameters: {month: '{previous_month}'}, expected_outputs: ['report_{month}.csv']}\n"
        f"  - {{name: {names['lazy']}, notebook: r/ok.ipynb, schedule: daily,"
        "      parameters: {month: '{current_month}'}, expected_outputs: ['summary.pdf']}\n"
        f"  - {{name: {names['boom']}, notebook: r/boom.ipynb, schedule: monthly:5}}\n"
    )
    env = {
        **os.environ,
        "BACKOFFICE_DATABASE_URL": database_url.render_as_string(hide_password=False),
        "BACKOFFICE_DATA_DIR": str(tmp_path / "data"),
        "BACKOFFICE_JOBS_FILE": str(tmp_path / "jobs.yml"),
        "BACKOFFICE_NOTEBOOKS_DIR": str(notebooks),
        "BACKOFFICE_USER": "scheduler@studio.example",
    }
    return env, names, tmp_path


def _cli(env, *args):
    return subprocess.run(
        [BACKOFFICE, *args], check=False, env=env, capture_output=True, text=True, timeout=600
    )


def test_run_due_runs_what_is_due_once_and_fails_loudly(jobs_env):
    env, names, tmp_path = jobs_env
    first = _cli(env, "jobs", "run-due", "--today", "2026-11-02")
    # ok runs and succeeds; lazy finishes without its expected output; boom is not due before the 5th
    assert first.returncode == 1, first.stderr
    assert f"{names['ok']}: succeeded" in first.stdout
    assert f"{names['lazy']}: failed" in first.stderr
    assert "missing expected outputs: summary.pdf (not written)" in first.stderr
    assert names["boom"] not in first.stdout + first.stderr

    runs = sorted((tmp_path / "data" / "runs" / names["ok"]).iterdir())
    assert len(runs) == 1
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    assert manifest["parameters"] == {"month": "2026-10"}
    assert manifest["period_key"] == "2026-11"
    assert manifest["trigger"] == "schedule"
    assert list(manifest["outputs"]) == ["report_2026-10.csv"]
    assert (runs[0] / "ok.ipynb").exists()

    dry = _cli(env, "jobs", "run-due", "--today", "2026-11-02", "--dry-run")
    assert dry.returncode == 0
    assert names["ok"] not in dry.stdout  # done for 2026-11: idempotent
    assert f"{names['lazy']}: due for 2026-11-02" in dry.stdout  # a failure is retried

    listing = _cli(env, "jobs", "list", "--job", names["ok"])
    assert listing.returncode == 0
    assert "succeeded" in listing.stdout and "2026-11" in listing.stdout


def test_run_one_job_now_with_overrides_and_exit_codes(jobs_env):
    env, names, _ = jobs_env
    ok = _cli(env, "jobs", "run", names["ok"], "-p", "month=2026-07")
    assert ok.returncode == 0, ok.stderr
    assert "succeeded" in ok.stdout
    assert ok.stderr == ""  # quiet logs: the kernel uses IPC, no TCP transport warning
    boom = _cli(env, "jobs", "run", names["boom"])
    assert boom.returncode == 1
    assert "RuntimeError" in boom.stderr and "the POS file is missing" in boom.stderr
    assert "Traceback" not in boom.stderr

    unknown = _cli(env, "jobs", "run", "no-such-job")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: no job named 'no-such-job'")
    bad = _cli(env, "jobs", "run", names["ok"], "-p", "month")
    assert bad.returncode == 2
    assert "KEY=VALUE" in bad.stderr


def test_broken_jobs_file_is_one_line_and_exit_2(jobs_env):
    env, _, tmp_path = jobs_env
    (tmp_path / "jobs.yml").write_text("jobs:\n  - {name: x, notebook: nope.ipynb, schedule: daily}\n")
    result = _cli(env, "jobs", "run-due", "--dry-run")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: job x: no notebook at")
    assert len(result.stderr.strip().splitlines()) == 1
