"""The analysts' starter notebooks (issue 27): thin (imports, one parameters cell, calls), no
outputs, kernel python3; each executed by papermill on the demo data."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import nbformat
import papermill
import pytest
import sqlalchemy as sa

from backoffice_lib.workbench import db_roles

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks" / "analysis"
PARAMETERS = {
    "lateness_by_weekday_and_hour.ipynb": {"start", "end", "days", "staff"},
    "pay_rate_and_pin_changes.ipynb": {"start", "end", "days", "user"},
    "package_cohorts.ipynb": {"start", "end", "days"},
    "sales_against_staffing.ipynb": {"start", "end", "days"},
}
FORBIDDEN = ("def ", "class ", "SELECT ", "INSERT ", "UPDATE ", "lambda", "import sqlalchemy",
             "sa.text")
LOOP = re.compile(r"^\s*(for|while|if|with|try)\b", re.MULTILINE)


def test_the_starter_notebooks_are_these():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(PARAMETERS)


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_starter_notebook_is_thin(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [] and cell.execution_count is None
        assert not any(word in cell.source for word in FORBIDDEN), cell.source
        assert not LOOP.search(cell.source), cell.source
    assert set(papermill.inspect_notebook(str(NOTEBOOKS / name))) == PARAMETERS[name]


@pytest.fixture(scope="module")
def analyst_url(demo_engine):
    """The demo database as the lab's kernels see it: the analyst role's login."""
    admin = f"notebooks-{uuid.uuid4().hex[:8]}@analysts.test"
    with demo_engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:a, true)"), {"a": admin})
        role, password = db_roles.run_analyst_login(c, admin)
    yield demo_engine.url.set(username=role, password=password).render_as_string(
        hide_password=False)
    with demo_engine.begin() as c:
        c.execute(sa.text(f'DROP OWNED BY "{role}"'))


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_starter_notebook_runs_top_to_bottom_as_the_analyst_on_the_demo_data(
    name, analyst_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", analyst_url)
    output = tmp_path / name
    papermill.execute_notebook(str(NOTEBOOKS / name), str(output), kernel_name="python3",
                               cwd=str(tmp_path), progress_bar=False)
    executed = nbformat.read(output, as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in executed.cells])
    assert "application/vnd.plotly.v1+json" in outputs  # its figure was drawn
    assert '"output_type": "error"' not in outputs
