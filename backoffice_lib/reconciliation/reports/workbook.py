"""A reconciliation session as one .xlsx: its summary and the matched / invoice-only / POS-only
items, each a sheet (partner files' text kept as data, never formulas)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Connection

from ... import settings, spreadsheets
from .. import queries


def _number(value):
    """JSON money and quantities back to Decimal for Excel (numbers, not text)."""
    if value is None or isinstance(value, (int, Decimal)):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return value


def save_session_workbook(conn: Connection, session_id, path) -> Path:
    """Matched / invoice-only / POS-only tables of a session as sheets of one .xlsx."""
    items = queries.load_items(conn, session_id)
    session = queries.load_session(conn, session_id)
    path = Path(path)
    settings.private_dir(path.parent, narrow_existing=False)
    sheets = {"matched": "matched", "invoice_only": "invoice_only", "pos_only": "pos_only"}
    with settings.private_umask(), pd.ExcelWriter(path, engine="openpyxl") as writer:
        summary = pd.DataFrame(
            [(k, queries.plain_value(session.get(k))) for k in (
                "id", "reconciliation_type", "file_name", "date_range_start", "date_range_end",
                "status", "total_invoice_items", "total_pos_records", "matched_items",
                "match_rate", "total_invoice_amount", "total_pos_amount", "variance_amount",
                "variance_percentage", "error_message")],
            columns=["field", "value"],
        )
        spreadsheets.workbook_frame(summary).to_excel(writer, sheet_name="summary", index=False)
        for item_type, sheet in sheets.items():
            part = items[items["item_type"] == item_type] if len(items) else items
            keep = [c for c in part.columns if part[c].notna().any()] or list(part.columns)
            table = part[keep].drop(columns=["session_id"], errors="ignore")
            table = table.map(lambda v: str(v) if isinstance(v, uuid.UUID) else v)
            for column in table.columns:
                if column.endswith(("amount", "quantity", "variance", "confidence", "lines")):
                    table[column] = table[column].map(_number)
            for column in table.columns:
                if str(table[column].dtype).startswith("datetime64") and getattr(
                        table[column].dt, "tz", None) is not None:
                    table[column] = table[column].dt.tz_localize(None)
            spreadsheets.workbook_frame(table).to_excel(writer, sheet_name=sheet, index=False)
        spreadsheets.make_workbook_inert(writer.book)  # partner files' text: data, not formulas
    return path
