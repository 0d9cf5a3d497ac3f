"""The scheduled maintain job's notebook (notebooks/history/db_maintain.ipynb): a thin front-end,
listed in the catalog as a report, executed by papermill."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import papermill
import yaml

from backoffice_lib import bangkok

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "history" / "db_maintain.ipynb"
FORBIDDEN = ("def ", "class ", "SELECT ", "INSERT ", "ALTER ", "lambda", "import sqlalchemy")


def test_maintain_notebook_is_a_thin_front_end():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert len([c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]) == 1
    for cell in notebook.cells:
        assert cell.cell_type != "code" or (cell.outputs == [] and cell.execution_count is None)
        assert not any(word in cell.source for word in FORBIDDEN), cell.source
    assert set(papermill.inspect_notebook(str(NOTEBOOK))) == {"months_ahead", "output_dir"}
    catalog = yaml.safe_load((ROOT / "notebooks" / "catalog.yml").read_text(encoding="utf-8"))
    entry = {e["path"]: e for e in catalog["notebooks"]}["history/db_maintain.ipynb"]
    assert entry["kind"] == "report"


def test_maintain_notebook_runs_and_lists_the_partitions(database_url, tmp_path):
    papermill.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "executed.ipynb"),
        parameters={"months_ahead": 1, "output_dir": str(tmp_path / "outputs")},
        kernel_name="python3", cwd=str(NOTEBOOK.parent), progress_bar=False,
    )
    written = tmp_path / "outputs" / f"partitions_{bangkok.today().isoformat()}.csv"
    rows = list(csv.DictReader(written.open(encoding="utf-8")))
    this_month = bangkok.month_key(bangkok.today())
    listed = {(r["table"], r["month"]) for r in rows if r["schema"] == "backoffice"}
    for table in ("time_entries", "audit_logs"):
        assert (table, this_month) in listed
        assert (table, "DEFAULT") in listed
