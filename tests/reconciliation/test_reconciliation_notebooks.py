"""The reconciliation and invoice notebooks: thin front-ends (no outputs, one parameters cell, no
logic), the run notebook executed by papermill on the demo data, the invoices notebook too, the
coaching reconciliation on demo data, and the review dashboard's widgets driven in process."""

from __future__ import annotations

import csv
import json
import uuid
from decimal import Decimal
from pathlib import Path

import papermill
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from backoffice_lib import settings
from backoffice_lib.reconciliation import service
from backoffice_lib.workbench import catalog

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "notebooks"
DEMO_ADMIN = "admin@studio.example"
NOTEBOOKS = {
    "reconciliation/reconciliation_run.ipynb": {"type": "restaurant", "file": "", "period": "", "date_window": 0,
                                 "output_dir": "", "user": ""},
    "reconciliation/reconciliation_review.ipynb": {"session_id": ""},
    "invoices/invoices.ipynb": {"month": "", "output_dir": "", "user": ""},
}
FORBIDDEN = ("def ", "class ", "SELECT ", "INSERT ", "UPDATE ", "lambda", " for ", "import sqlalchemy")


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_is_a_thin_front_end(name):
    notebook = json.loads((FOLDER / name).read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    for cell in code:
        source = "".join(cell["source"])
        assert not any(word in source for word in FORBIDDEN), source


@pytest.mark.parametrize("name,parameters", sorted(NOTEBOOKS.items()))
def test_notebook_parameters_are_pinned(name, parameters):
    found = papermill.inspect_notebook(str(FOLDER / name))
    assert {k: v["default"] for k, v in found.items()} == {
        k: json.dumps(v) for k, v in parameters.items()}


def test_catalog_lists_the_three_notebooks():
    entries = {e.path: e for e in catalog.load_catalog(ROOT / "notebooks" / "catalog.yml")}
    assert entries["reconciliation/reconciliation_review.ipynb"].kind == "dashboard"
    assert entries["reconciliation/reconciliation_run.ipynb"].kind == "report"
    assert entries["invoices/invoices.ipynb"].kind == "report"
    assert set(entries["reconciliation/reconciliation_run.ipynb"].parameters) >= {
        "type", "file", "period"}


# --------------------------------------------------------------------------- demo data


def _write_restaurant_report(engine, path: Path) -> tuple[int, str]:
    """A partner's report for the demo's last full week of restaurant sales, with one row
    missing and one quantity off, in Thai headers and D/M dates."""
    with engine.connect() as c:
        rows = c.execute(sa.text(
            "SELECT sale_date, sku_number, min(product_name), sum(item_cnt), sum(item_price_incl_vat)"
            " FROM pos.sales WHERE NOT coalesce(is_voided, false) AND sku_number LIKE 'RST-%'"
            " AND sale_date BETWEEN (SELECT max(sale_date) - 13 FROM pos.sales)"
            " AND (SELECT max(sale_date) - 7 FROM pos.sales)"
            " GROUP BY 1, 2 ORDER BY 1, 2")).all()
    assert len(rows) > 10, "the demo data should have a week of restaurant sales"
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["วันที่", "รหัสสินค้า", "ชื่อสินค้า", "จำนวน", "จำนวนเงิน"])
        for n, (day, sku, name, qty, amount) in enumerate(rows[1:]):
            qty = qty + 1 if n == 0 else qty
            writer.writerow([f"{day:%d/%m/%Y}", sku, name, qty, f"฿{amount:,}"])
    return len(rows) - 1, f"{rows[0][0]:%Y-%m}"


def _forget_session(engine, session_id: str) -> None:
    """Leave the shared demo database as it was."""
    with engine.begin() as c:
        c.execute(sa.text("DELETE FROM backoffice.reconciliation_sessions WHERE id = :i"),
                  {"i": session_id})
        c.execute(sa.text("DELETE FROM backoffice.audit_logs WHERE resource_id = :i"),
                  {"i": session_id})


def test_run_notebook_on_demo_data_writes_the_three_tables(demo_env, demo_engine, tmp_path):
    report_file = tmp_path / "restaurant_week.csv"
    file_rows, _ = _write_restaurant_report(demo_engine, report_file)
    out = tmp_path / "run"
    papermill.execute_notebook(
        str(FOLDER / "reconciliation" / "reconciliation_run.ipynb"), str(tmp_path / "executed.ipynb"),
        parameters={"type": "restaurant", "file": str(report_file), "output_dir": str(out),
                    "user": DEMO_ADMIN},
        kernel_name="python3", cwd=str(FOLDER), progress_bar=False,
    )
    workbooks = list(out.glob("reconciliation_*.xlsx"))
    assert len(workbooks) == 1
    session_id = workbooks[0].stem.removeprefix("reconciliation_")
    try:
        book = load_workbook(workbooks[0])
        assert book.sheetnames == ["summary", "matched", "invoice_only", "pos_only"]
        summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=2, values_only=True)}
        assert summary["status"] == "completed"
        assert summary["total_invoice_items"] == file_rows
        assert summary["matched_items"] == file_rows  # the altered quantity still matches its SKU
        matched = list(book["matched"].iter_rows(values_only=True))
        header = matched[0]
        kinds = [r[header.index("match_type")] for r in matched[1:]]
        assert kinds.count("quantity_variance") == 1
        assert kinds.count("exact") == file_rows - 1
        assert book["pos_only"].max_row >= 2  # the left-out row and the bay products
    finally:
        _forget_session(demo_engine, session_id)


def test_coaching_reconciliation_on_demo_data(demo_engine, tmp_path):
    with demo_engine.connect() as c:
        transaction = c.begin()
        try:
            rows = c.execute(sa.text(
                "SELECT booking_date, customer_name, hours, coach_earnings"
                " FROM backoffice.coach_earnings WHERE coach_code = 'BOSS' AND error IS NULL"
                " ORDER BY booking_date, booking_id LIMIT 20")).all()
            assert rows, "the demo data should have coaching bookings of BOSS"
            path = tmp_path / "boss.csv"
            lines = ["Lesson Date,Student,Lessons,Fee"] + [
                f"{d:%m/%d/%Y},{name},{hours},\"{amount:,}\"" for d, name, hours, amount in rows]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            result = service.run_reconciliation(c, DEMO_ADMIN, "coaching_boss", path)
            assert result["status"] == "completed"
            assert result["total_invoice_items"] == len(rows)
            assert result["matched_items"] == len(rows)
            assert result["match_rate"] == Decimal("100.00")
        finally:
            transaction.rollback()


def test_invoices_notebook_on_demo_data_writes_pdfs(demo_env, demo_engine, tmp_path):
    with demo_engine.connect() as c:
        month = c.execute(sa.text(
            "SELECT to_char(invoice_date, 'YYYY-MM') FROM backoffice.invoices"
            " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar()
        count = c.execute(sa.text(
            "SELECT count(*) FROM backoffice.invoices WHERE to_char(invoice_date, 'YYYY-MM') = :m"),
            {"m": month}).scalar()
    assert month, "the demo data should have invoices"
    out = tmp_path / "pdfs"
    papermill.execute_notebook(
        str(FOLDER / "invoices" / "invoices.ipynb"), str(tmp_path / "executed.ipynb"),
        parameters={"month": month, "output_dir": str(out), "user": DEMO_ADMIN},
        kernel_name="python3", cwd=str(FOLDER), progress_bar=False,
    )
    pdfs = sorted(out.glob("invoice_*.pdf"))
    assert len(pdfs) == count
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)


# --------------------------------------------------------------------------- review dashboard


def _find(widget, kind, description=None):
    """Depth-first search of a widget tree."""
    import ipywidgets as widgets

    stack = [widget]
    while stack:
        current = stack.pop(0)
        if isinstance(current, kind) and (description is None
                                          or getattr(current, "description", None) == description):
            return current
        if isinstance(current, widgets.Box):
            stack.extend(current.children)
    raise AssertionError(f"no {kind.__name__} {description!r}")


def test_review_dashboard_filters_and_reviews_items(engine, monkeypatch):
    import ipywidgets as widgets

    from backoffice_lib.reconciliation.reconciliation_dashboard import reconciliation_dashboard

    email = f"rec-dash-{uuid.uuid4().hex[:8]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                  {"e": email})
        c.execute(sa.text(
            "INSERT INTO pos.sales (sale_date, sku_number, product_name, item_cnt,"
            " item_price_incl_vat) VALUES ('2032-02-03', 'RST-001', 'Pad Thai', 2, 240),"
            " ('2032-02-03', 'RST-010', 'Singha Beer', 4, 480)"))
    path = ROOT / "tests" / "files" / "restaurant_thai_headers.csv"
    report = path.read_text(encoding="utf-8").replace("/2025", "/2032")
    upload = settings.data_dir() / f"dash-{uuid.uuid4().hex[:6]}.csv"
    upload.write_text(report, encoding="utf-8")
    try:
        result = service.reconcile_file(email, "restaurant", upload, file_name="thai.csv")
    finally:
        upload.unlink()
    monkeypatch.setenv("BACKOFFICE_USER", email)
    board = reconciliation_dashboard(result["session_id"])
    picker = _find(board, widgets.Dropdown, "Session")
    assert picker.value == result["session_id"]
    texts = [w.value for w in board.children if isinstance(w, widgets.HTML)]
    assert any("match rate" in t and "66.67" in t for t in texts)
    kinds = _find(board, widgets.SelectMultiple, "Kind")
    items = _find(board, widgets.SelectMultiple, "Items")
    assert len(items.options) == 3  # 2 matched (one exact, one qty variance) + 1 file-only
    kinds.value = ("invoice_only",)
    assert len(items.options) == 1 and "invoice_only" in items.options[0][0]
    item_id = items.options[0][1]
    items.value = (item_id,)
    _find(board, widgets.Text, "Notes").value = "restaurant billed a day we have no sale"
    _find(board, widgets.Button, "Dispute").click()
    with engine.connect() as c:
        status, notes, by = c.execute(sa.text(
            "SELECT status, resolution_notes, resolved_by FROM backoffice.reconciliation_items"
            " WHERE id = :i"), {"i": item_id}).one()
    assert (status, notes, by) == ("disputed", "restaurant billed a day we have no sale", email)


def test_review_dashboard_helpers_cope_with_no_session_yet():
    import pandas as pd

    from backoffice_lib.reconciliation import reconciliation_dashboard as board

    empty = pd.DataFrame()
    filtered = board.compute_filtered_items(empty, board.KINDS, (0, 1), board.STATUSES)
    assert board.compute_item_options(filtered) == []
    assert list(board.compute_item_table(filtered).columns) == board.TABLE_COLUMNS
