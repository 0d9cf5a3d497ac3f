"""The payroll notebooks are thin: no outputs, one `parameters` cell with literal defaults, only
calls into the library; papermill sees the parameters finance and Voilà rely on."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks" / "payroll"
PARAMETERS = {
    "payroll_run.ipynb": {"month": '"2025-01"', "output_dir": '""'},
    "payroll_dashboard.ipynb": {"month": '""'},
}


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_payroll_notebook_parameters(name):
    found = papermill.inspect_notebook(str(NOTEBOOKS / name))
    assert {k: v["default"] for k, v in found.items()} == PARAMETERS[name]


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_payroll_notebook_is_thin(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c for c in code if "parameters" in c.metadata.get("tags", [])] == [code[1]]
    assert code[0].source.startswith(("from backoffice_lib", "import backoffice_lib"))
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)), cell.source
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, str)
                        and "select " in node.value.lower()), cell.source
        if cell is code[1]:
            for statement in tree.body:
                assert isinstance(statement, ast.Assign)
                assert isinstance(statement.value, ast.Constant)
        elif cell is not code[0]:
            assert len(tree.body) == 1, cell.source  # one library call per cell
