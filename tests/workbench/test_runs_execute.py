"""runs.execute_notebook: immutable run folders, manifests, run history, failures never look ok."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path

import nbformat
import pytest

from backoffice_lib.workbench import runs


def _notebook(path: Path, *cells: str, parameters: str = "name = 'x'\noutput_dir = ''") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb.cells.extend(nbformat.v4.new_code_cell(source) for source in cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


WRITE_REPORT = (
    "from pathlib import Path\n"
    "Path(output_dir, 'report.txt').write_text(f'hello {name} from {Path.cwd().name}')"
)


@pytest.fixture
def job_runs_db(engine):
    return engine


def test_successful_run_writes_folder_manifest_and_history(tmp_path, job_runs_db):
    notebook = _notebook(tmp_path / "nbs" / "hello.ipynb", WRITE_REPORT)
    result = runs.execute_notebook(
        notebook,
        {"name": "Bangkok"},
        job_name="hello",
        expected_outputs=["report.txt"],
        output_root=tmp_path / "runs",
        engine=job_runs_db,
    )
    assert result.status == "succeeded", result.error
    assert result.run_dir.parent == tmp_path / "runs" / "hello"
    assert result.executed_notebook.exists()
    report = result.output_dir / "report.txt"
    # parameters injected and the kernel ran in the notebook's own folder
    assert report.read_text() == "hello Bangkok from nbs"
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["error"] is None
    assert manifest["parameters"] == {"name": "Bangkok"}
    assert manifest["outputs"]["report.txt"]["sha256"] == hashlib.sha256(
        report.read_bytes()
    ).hexdigest()
    assert manifest["duration_seconds"] > 0
    with job_runs_db.connect() as conn:
        row = runs.load_run(conn, result.run_id)
    assert row["status"] == "succeeded"
    assert row["job_name"] == "hello"
    assert row["parameters"] == {"name": "Bangkok"}
    assert row["run_dir"] == str(result.run_dir)
    assert row["outputs"] == {"report.txt": manifest["outputs"]["report.txt"]["sha256"]}
    assert row["finished_at"] >= row["started_at"]


def test_run_folder_is_immutable_files_read_only_and_never_reused(tmp_path, job_runs_db):
    notebook = _notebook(tmp_path / "hello.ipynb", WRITE_REPORT)
    first = runs.execute_notebook(
        notebook, {}, job_name="twice", output_root=tmp_path, engine=job_runs_db
    )
    second = runs.execute_notebook(
        notebook, {}, job_name="twice", output_root=tmp_path, engine=job_runs_db
    )
    assert first.run_dir != second.run_dir
    for path in first.run_dir.rglob("*"):
        if path.is_file():
            assert not path.stat().st_mode & 0o222, path


def test_notebook_that_raises_is_failed_with_the_reason(tmp_path, job_runs_db):
    notebook = _notebook(tmp_path / "boom.ipynb", "raise ValueError('no payroll for 2026-13')")
    result = runs.execute_notebook(
        notebook, {}, job_name="boom", output_root=tmp_path, engine=job_runs_db
    )
    assert result.status == "failed"
    assert not result.ok
    assert "ValueError" in result.error and "no payroll for 2026-13" in result.error
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"] == result.error
    assert result.executed_notebook.exists()  # the executed notebook shows where it broke
    with job_runs_db.connect() as conn:
        assert runs.load_run(conn, result.run_id)["status"] == "failed"


def test_run_without_its_expected_output_is_failed(tmp_path, job_runs_db):
    notebook = _notebook(tmp_path / "quiet.ipynb", "x = 1")
    result = runs.execute_notebook(
        notebook,
        {},
        job_name="quiet",
        expected_outputs=["payslips_*.pdf"],
        output_root=tmp_path,
        engine=job_runs_db,
    )
    assert result.status == "failed"
    assert result.error == "missing expected outputs: payslips_*.pdf (not written)"
    with job_runs_db.connect() as conn:
        row = runs.load_run(conn, result.run_id)
    assert (row["status"], row["error"]) == ("failed", result.error)


@pytest.mark.parametrize(
    ("expected", "present", "problems"),
    [
        (["a.csv"], {"a.csv": 10}, []),
        (["a.csv"], {}, ["a.csv (not written)"]),
        (["a.csv"], {"a.csv": 0}, ["a.csv (empty)"]),
        (["*.pdf"], {"x.pdf": 0, "y.pdf": 3}, []),
        (["*.pdf", "sum.csv"], {"x.pdf": 1}, ["sum.csv (not written)"]),
        (["sub/*.csv"], {"sub/a.csv": 4}, []),
    ],
    ids=["present", "not-written", "empty", "glob-one-non-empty", "one-of-two-missing", "subdir"],
)
def test_expected_outputs_must_exist_and_not_be_empty(expected, present, problems):
    assert runs.compute_missing_outputs(expected, present) == problems


def test_run_folder_name_is_utc_timestamp_and_short_id():
    moment = dt.datetime(2026, 11, 1, 7, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    run_id = uuid.UUID("1a2b3c4d-0000-0000-0000-000000000000")
    assert runs.compute_run_folder_name(moment, run_id) == "20261101T000509Z-1a2b3c4d"


def test_platformdirs_runtime_warning_never_lands_in_outputs(tmp_path, job_runs_db, monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    notebook = _notebook(
        tmp_path / "warn.ipynb", "import platformdirs\nplatformdirs.user_runtime_path()"
    )
    result = runs.execute_notebook(
        notebook, {}, job_name="warn", output_root=tmp_path, engine=job_runs_db
    )
    assert result.ok, result.error
    assert "XDG_RUNTIME_DIR" not in result.executed_notebook.read_text()


def test_missing_notebook_or_output_dir_parameter_refused(tmp_path, job_runs_db):
    with pytest.raises(runs.RunError, match="no notebook"):
        runs.execute_notebook(tmp_path / "nope.ipynb", {}, job_name="x", engine=job_runs_db)
    notebook = _notebook(tmp_path / "ok.ipynb")
    with pytest.raises(runs.RunError, match="output_dir"):
        runs.execute_notebook(
            notebook, {"output_dir": "/tmp"}, job_name="x", engine=job_runs_db
        )
