"""Reconciliation service (business-rules §7): load the POS side, read the file, match, save, audit.

``run_reconciliation`` does it all on the caller's connection, in one transaction: the session row
goes ``processing`` → ``completed`` (with its items) or ``failed`` (with its error, no items). The
entry points (CLI, notebooks, dashboard) call ``reconcile_file``, which opens that transaction.

The POS side:
- ``restaurant``: the period's non-voided ``pos.sales`` lines with a SKU (``-`` means none) that
  are the partner's products (``partner_products``: its product categories or SKUs; bay and
  pro-shop lines are not), summed per date and SKU (quantity = Σ item_cnt, amount = Σ
  item_price_incl_vat). A partner with no product list kept counts every line with a SKU, and the
  session's audit details say so (``pos_scope``).
- ``coaching_<coach>``: that coach's ``coach_earnings`` rows in the period (quantity = hours,
  amount = coach_earnings; a row without a rate keeps its error and no amount).
The period is the file's first to last date unless given; file rows outside a given period are
reported as row errors and left out.

Column mappings: a person maps a file's columns once per reconciliation type (review dashboard,
or ``backoffice reconcile --columns``); ``run_reconciliation(columns=...)`` checks the mapping
against the file's header, saves it (audited) and reads the file with it, and later files of the
type are read with the remembered mapping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from .. import access, audit, bangkok, database
from . import queries
from .reports import partner_file
from .rules import matching, parsing
from .rules.parsing import FilePreview, FileRefused, ReconciliationError

AREA = "reconciliation"
REVIEW_ACTIONS = {"approve": "approved", "dispute": "disputed", "adjust": "adjusted"}
RESULT_KEYS = ("session_id", "status", "total_invoice_items", "total_pos_records", "matched_items",
               "match_rate", "variance_amount", "row_errors", "error")


@dataclass(frozen=True)
class ReconciliationType:
    name: str  # restaurant | coaching_<CODE>
    kind: str  # restaurant | coaching
    coach_code: str | None = None


# --------------------------------------------------------------------------- type and POS side


def parse_type(conn: Connection, value: str) -> ReconciliationType:
    """``restaurant`` or ``coaching_<coach>`` with a coach code the workbench knows."""
    text = (value or "").strip()
    if text.lower() == "restaurant":
        return ReconciliationType("restaurant", "restaurant")
    if text.lower().startswith("coaching_") and len(text) > len("coaching_"):
        code = text[len("coaching_"):].strip().upper()
        if queries.load_coach_code(conn, code) is None:
            raise ReconciliationError(f"unknown coach {code!r} in type {text!r}")
        return ReconciliationType(f"coaching_{code}", "coaching", code)
    raise ReconciliationError(f"type must be restaurant or coaching_<coach>, not {text!r}")


def save_partner_product(conn: Connection, email: str, reconciliation_type: str, match_on: str,
                         value: str) -> None:
    """Keep one product category or SKU as the partner's (audited); already kept: no change."""
    access.check(conn, email, AREA)
    if match_on not in ("category", "sku"):
        raise ReconciliationError(f"a partner product is a category or a sku, not {match_on!r}")
    value = (value or "").strip()
    if not value or value == parsing.NO_SKU:
        raise ReconciliationError("a partner product needs a category name or a SKU")
    inserted = queries.insert_partner_product(conn, email, reconciliation_type, match_on, value)
    if inserted is not None:
        audit.record(conn, email, "CREATE", "partner_product", inserted,
                     after={"reconciliation_type": reconciliation_type, "match_on": match_on,
                            "value": value})


def delete_partner_product(conn: Connection, email: str, reconciliation_type: str, match_on: str,
                           value: str) -> None:
    """Stop counting one category or SKU as the partner's (audited); unknown: refused."""
    access.check(conn, email, AREA)
    removed = queries.delete_partner_product_row(conn, reconciliation_type, match_on,
                                                 (value or "").strip())
    if removed is None:
        raise ReconciliationError(f"{reconciliation_type} keeps no {match_on} {value!r}")
    audit.record(conn, email, "DELETE", "partner_product", removed,
                 before={"reconciliation_type": reconciliation_type, "match_on": match_on,
                         "value": value})


# --------------------------------------------------------------------------- column mappings


def save_column_mapping(conn: Connection, email: str, reconciliation_type: str,
                        mapping: dict[str, str]) -> dict[str, str]:
    """Remember ``mapping`` (column -> header) for a type, merged over what was remembered;
    audited with before and after. Returns the mapping now remembered."""
    access.check(conn, email, AREA)
    clean: dict[str, str] = {}
    for column, header in mapping.items():
        try:
            parsing.check_column_name(column)
        except ValueError as exc:
            raise ReconciliationError(str(exc)) from None
        if not (header or "").strip():
            raise ReconciliationError(f"the header for {column} is empty")
        clean[column] = header.strip()
    before = queries.load_column_mapping(conn, reconciliation_type)
    changed = {c: h for c, h in clean.items() if before.get(c) != h}
    if not changed:
        return before
    queries.save_column_mapping_rows(conn, email, reconciliation_type, changed)
    after = {**before, **changed}
    audit.record(conn, email, "UPDATE", "reconciliation_column_mapping", reconciliation_type,
                 before={c: before.get(c) for c in changed}, after=changed)
    return after


def preview_file(conn: Connection, reconciliation_type: str, file_path, file_name=None,
                 *, email: str | None = None) -> FilePreview:
    """The file's header row, a sample and what is still missing, read with the type's
    remembered mapping: what the review dashboard shows before asking for a mapping. With
    ``email``, that person's access is checked first (the dashboard's upload)."""
    if email is not None:
        access.check(conn, email, AREA)
    rec_type = parse_type(conn, reconciliation_type)
    mapping = queries.load_column_mapping(conn, rec_type.name)
    return partner_file.load_file_preview(file_path, rec_type.kind, file_name, mapping)


# --------------------------------------------------------------------------- the run


def _result(session_id, status, summary=None, row_errors=(), error=None) -> dict:
    summary = summary or {}
    return {
        "session_id": str(session_id),
        "status": status,
        "total_invoice_items": summary.get("total_invoice_items", 0),
        "total_pos_records": summary.get("total_pos_records", 0),
        "matched_items": summary.get("matched_items", 0),
        "match_rate": summary.get("match_rate"),
        "variance_amount": summary.get("variance_amount"),
        "row_errors": list(row_errors),
        "error": error,
    }


def run_reconciliation(
    conn: Connection,
    email: str,
    reconciliation_type: str,
    file_path,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    date_window: int = 0,
    file_name: str | None = None,
    columns: dict[str, str] | None = None,
) -> dict:
    """Reconcile one file; returns RESULT_KEYS. A refused file gives a ``failed`` session.

    ``columns`` (column -> header text): a mapping a person gave for this file; it must name
    headers of the file, is remembered for the type (audited), and the file is read with it.
    """
    user = access.check(conn, email, AREA)
    rec_type = parse_type(conn, reconciliation_type)
    if date_window is None or int(date_window) < 0 or int(date_window) > 31:
        raise ReconciliationError("the date window is a number of days from 0 to 31")
    date_window = int(date_window)
    if date_from and date_to and date_from > date_to:
        raise ReconciliationError(f"--from {date_from} is after --to {date_to}")
    name = file_name or Path(file_path).name
    if columns:
        _remember_columns(conn, email, rec_type, file_path, name, columns)
    mapping = queries.load_column_mapping(conn, rec_type.name)
    products = (queries.load_partner_products(conn, rec_type.name) if rec_type.kind == "restaurant"
                else None)
    placeholder = date_from or date_to or bangkok.today()
    session_id = queries.insert_session(conn, user.id, rec_type.name, name, placeholder,
                                        date_to or placeholder)
    row_errors: list[str] = []
    savepoint = conn.begin_nested()
    try:
        read = partner_file.load_invoice_file(file_path, rec_type.kind, name, mapping)
        row_errors = list(read.row_errors)
        start, end, invoices, outside = parsing.compute_period(read.rows, date_from, date_to)
        row_errors += outside
        if invoices.empty:
            raise FileRefused(f"no row of the file falls in the period {start} to {end}")
        if rec_type.kind == "restaurant":
            pos = queries.load_pos_restaurant(conn, start, end, products)
        else:
            pos = queries.load_pos_coaching(conn, rec_type.coach_code, start, end)
        pos = matching.with_cents(pos)
        matches = matching.match_rows(rec_type.kind, invoices, pos, date_window)
        items = matching.compute_items(rec_type.kind, invoices, pos, matches)
        summary = matching.compute_summary(invoices, pos, items)
        queries.save_items(conn, session_id, items, invoices, pos)
        queries.update_session(conn, session_id, date_range_start=start, date_range_end=end,
                               status="completed", **summary)
        savepoint.commit()
    except Exception as exc:  # noqa: BLE001 (a refused file or a bug: never stay processing)
        savepoint.rollback()
        error = str(exc) if isinstance(exc, FileRefused) else (
            f"unexpected error while reconciling: {type(exc).__name__}: {exc}")
        queries.update_session(conn, session_id, status="failed", error_message=error)
        audit.record(conn, email, "RECONCILE", "reconciliation_session", session_id,
                     after={"status": "failed", "error": error},
                     details={"file_name": name, "type": rec_type.name,
                              "row_errors": row_errors[:200]})
        return _result(session_id, "failed", row_errors=row_errors, error=error)
    audit.record(
        conn, email, "RECONCILE", "reconciliation_session", session_id,
        after={"status": "completed", **summary},
        details={"file_name": name, "type": rec_type.name, "date_range": [start, end],
                 "date_window": date_window, "date_order": read.date_order,
                 "header_row": read.header_row, "columns": read.columns,
                 "pos_scope": products.describe() if products else "the coach's earnings",
                 "row_errors": row_errors[:200],
                 "row_error_count": len(row_errors)},
    )
    return _result(session_id, "completed", summary, row_errors)


def _remember_columns(conn, email, rec_type: ReconciliationType, file_path, name, columns):
    """Check a given mapping against the file's header, then remember it for the type."""
    for column in columns:
        try:
            parsing.check_column_name(column)
        except ValueError as exc:
            raise ReconciliationError(str(exc)) from None
    try:
        preview = partner_file.load_file_preview(file_path, rec_type.kind, name, columns)
        parsing.check_mapping_against_header(columns, preview)
    except (ValueError, FileRefused) as exc:
        raise ReconciliationError(str(exc)) from None
    save_column_mapping(conn, email, rec_type.name, columns)


def reconcile_file(email: str, reconciliation_type: str, file_path, *, period: str | None = None,
                   date_from=None, date_to=None, date_window: int = 0, file_name: str | None = None,
                   columns: dict[str, str] | None = None, engine: Engine | None = None) -> dict:
    """Entry point: ``run_reconciliation`` in a transaction of its own. ``period`` 'YYYY-MM'."""
    if period:
        date_from, date_to = bangkok.month_days(period)
    with database.transaction(engine) as conn:
        return run_reconciliation(conn, email, reconciliation_type, file_path,
                                  date_from=_as_date(date_from), date_to=_as_date(date_to),
                                  date_window=date_window, file_name=file_name, columns=columns)


def _as_date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ReconciliationError(f"dates are YYYY-MM-DD, not {value!r}") from None


# --------------------------------------------------------------------------- reviewing


def review_item(conn: Connection, email: str, item_id, action: str, notes: str | None = None):
    """approve / dispute / adjust one item; dispute and adjust need notes. Audited."""
    access.check(conn, email, AREA)
    if action not in REVIEW_ACTIONS:
        raise ReconciliationError(f"action must be one of {', '.join(REVIEW_ACTIONS)}, not {action!r}")
    notes = (notes or "").strip() or None
    if action != "approve" and not notes:
        raise ReconciliationError(f"to {action} an item, say why in the notes")
    before = queries.load_item_review(conn, item_id)
    if before is None:
        raise ReconciliationError(f"no reconciliation item {item_id}")
    status = REVIEW_ACTIONS[action]
    queries.update_item_status(conn, before["id"], status, notes, email)
    audit.record(conn, email, "UPDATE", "reconciliation_item", before["id"],
                 before={"status": before["status"], "resolution_notes": before["resolution_notes"]},
                 after={"status": status, "resolution_notes": notes},
                 details={"session_id": before["session_id"], "action": action})
    return {"id": str(before["id"]), "status": status}


def review_items(conn: Connection, email: str, item_ids, action: str,
                 notes: str | None = None) -> int:
    """Review several items in the caller's transaction (the review dashboard's buttons)."""
    item_ids = list(item_ids)
    for item_id in item_ids:
        review_item(conn, email, item_id, action, notes)
    return len(item_ids)


# --------------------------------------------------------------------------- the review dashboard


def load_review_sessions(conn: Connection, email: str) -> tuple[pd.DataFrame, list[str]]:
    """The latest sessions and the reconciliation types a person may reconcile (access checked)."""
    access.check(conn, email, AREA)
    return queries.load_sessions(conn), queries.load_reconciliation_types(conn)


def load_review_session(conn: Connection, email: str, session_id) -> tuple[dict, pd.DataFrame]:
    """One session and its items, for a person allowed into reconciliation."""
    access.check(conn, email, AREA)
    return queries.load_session(conn, session_id), queries.load_items(conn, session_id)


def load_partner_products_kept(conn: Connection, email: str,
                               reconciliation_type: str) -> list[tuple[str, str]]:
    """(match_on, value) of a partner's kept products, for a person allowed in (access checked)."""
    access.check(conn, email, AREA)
    return queries.load_partner_product_rows(conn, reconciliation_type)
