"""What ``notebooks/reconciliation/reconciliation_run.ipynb`` calls (papermill): run a file, show the figures, write Excel.

``run_reconciliation_report`` reconciles one file in its own transaction and writes the matched /
invoice-only / POS-only tables to ``<output_dir>/reconciliation_<session>.xlsx`` (a fresh run folder
under the data dir when ``output_dir`` is empty). The other functions turn its result into tables
for the notebook. A refused file still yields a run (status ``failed``, with its error).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ... import access, bangkok, database, session_user, settings
from .. import queries, service
from .workbook import save_session_workbook


@dataclass
class ReconciliationRun:
    result: dict
    session: dict
    items: pd.DataFrame
    output_dir: Path
    files: list[Path] = field(default_factory=list)


def default_output_dir() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return settings.data_dir() / "runs" / "reconciliation" / stamp


def run_reconciliation_report(
    type: str,
    file: str,
    period: str = "",
    output_dir: str = "",
    date_window: int = 0,
    user: str = "",
) -> ReconciliationRun:
    """Reconcile ``file`` as ``type`` for ``period`` (YYYY-MM, or empty: the file's dates)."""
    email = user or session_user.signed_in_user()
    access.require(email, service.AREA)
    if not file:
        raise service.ReconciliationError("set the `file` parameter to a CSV or .xlsx path")
    if period:
        bangkok.parse_month(period)
    path = Path(file).expanduser().resolve()
    if not path.is_file():
        raise service.ReconciliationError(f"no such file: {path}")
    result = service.reconcile_file(email, type, path, period=period or None,
                                    date_window=int(date_window))
    folder = settings.private_dir(Path(output_dir).resolve() if output_dir
                                  else default_output_dir(), narrow_existing=False)
    with database.transaction() as conn:
        session = queries.load_session(conn, result["session_id"])
        items = queries.load_items(conn, result["session_id"])
        workbook = save_session_workbook(
            conn, result["session_id"], folder / f"reconciliation_{result['session_id']}.xlsx")
    return ReconciliationRun(result, session, items, folder, [workbook])


def summary_table(run: ReconciliationRun) -> pd.DataFrame:
    s = run.session
    rows = [
        ("session", str(s["id"])), ("type", s["reconciliation_type"]), ("file", s["file_name"]),
        ("period", f"{s['date_range_start']} to {s['date_range_end']}"), ("status", s["status"]),
        ("file rows", s["total_invoice_items"]), ("POS records", s["total_pos_records"]),
        ("matched", s["matched_items"]), ("match rate %", s["match_rate"]),
        ("file amount", s["total_invoice_amount"]), ("POS amount", s["total_pos_amount"]),
        ("variance (file − POS)", s["variance_amount"]),
        ("variance % of POS", s["variance_percentage"]), ("error", s["error_message"] or ""),
    ]
    return pd.DataFrame(rows, columns=["", "value"]).astype(object)


def row_errors_table(run: ReconciliationRun) -> pd.DataFrame:
    return pd.DataFrame({"unreadable or left-out rows": list(run.result["row_errors"])},
                        dtype=object)


ITEM_VIEW = {
    "matched": ["match_type", "confidence", "invoice_row_number", "invoice_date", "pos_date",
                "invoice_customer", "pos_customer", "invoice_sku", "pos_sku", "invoice_quantity",
                "pos_quantity", "invoice_amount", "pos_amount", "amount_variance",
                "quantity_variance"],
    "invoice_only": ["invoice_row_number", "invoice_date", "invoice_customer", "invoice_sku",
                     "invoice_product", "invoice_quantity", "invoice_amount"],
    "pos_only": ["pos_date", "pos_customer", "pos_booking_id", "pos_sku", "pos_product_name",
                 "pos_quantity", "pos_amount", "pos_error"],
}


def items_table(run: ReconciliationRun, item_type: str, limit: int = 200) -> pd.DataFrame:
    """The first ``limit`` items of one type (the workbook has them all)."""
    items = run.items
    if items.empty:
        return pd.DataFrame(columns=ITEM_VIEW[item_type])
    part = items[items["item_type"] == item_type]
    columns = [c for c in ITEM_VIEW[item_type] if c in part.columns and part[c].notna().any()]
    return part[columns].head(limit).reset_index(drop=True)


def files_table(run: ReconciliationRun) -> pd.DataFrame:
    return pd.DataFrame({"file": [str(p) for p in run.files],
                         "bytes": [p.stat().st_size for p in run.files]})
