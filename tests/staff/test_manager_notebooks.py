"""The managers' notebooks (issue 14): parameters and one call only, and each runs end to end on
the demo data under papermill, leaving its page's widgets and no error panel."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = {
    "staff/staff_admin.ipynb": {"page_size": 20},
    "staff/schedules.ipynb": {"week": ""},
    "staff/studio_settings.ipynb": {"year": 0},
    "packages/front_desk.ipynb": {"recent_customers": 25},
}


@pytest.mark.parametrize("path,parameters", NOTEBOOKS.items(), ids=list(NOTEBOOKS))
def test_notebook_is_parameters_and_one_call(path, parameters):
    book = nbformat.read(ROOT / "notebooks" / path, as_version=4)
    assert book.metadata.kernelspec.name == "python3"
    assert len([c for c in book.cells if "parameters" in c.metadata.get("tags", [])]) == 1
    inspected = papermill.inspect_notebook(str(ROOT / "notebooks" / path))
    assert {k: ast.literal_eval(v["default"]) for k, v in inspected.items()} == parameters
    for cell in book.cells:
        assert cell.cell_type != "code" or not cell.get("outputs")
        for word in ("def ", "class ", "SELECT ", "lambda"):
            assert word not in cell.source


@pytest.mark.parametrize("path", list(NOTEBOOKS))
def test_notebook_runs_on_the_demo_data(tmp_path, demo_env, monkeypatch, path):
    for key, value in demo_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("BACKOFFICE_USER", "admin@studio.example")
    output = tmp_path / Path(path).name
    papermill.execute_notebook(
        str(ROOT / "notebooks" / path), str(output), kernel_name="python3", cwd=str(tmp_path),
        progress_bar=False,
    )
    book = nbformat.read(output, as_version=4)
    state = json.dumps(book.metadata.get("widgets", {}))
    assert "bo-page" in state and "backoffice-error" not in state
    assert "Traceback" not in json.dumps([c.get("outputs", []) for c in book.cells])
