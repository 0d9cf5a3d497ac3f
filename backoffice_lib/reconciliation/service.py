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
import json
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine

from .. import access, audit, bangkok, database, money, settings, spreadsheets
from ..models.core import AllowedUser, AuditLog, ReconciliationItem, ReconciliationSession
from ..models.external import PosSale
from ..models.finance import PartnerProduct, ReconciliationColumnMapping
from . import matching, reading

SESSIONS = ReconciliationSession.__table__
ITEMS = ReconciliationItem.__table__
SALES = PosSale.__table__
USERS = AllowedUser.__table__
AUDIT_LOGS = AuditLog.__table__
MAPPINGS = ReconciliationColumnMapping.__table__
PRODUCTS = PartnerProduct.__table__
AREA = "reconciliation"
REVIEW_ACTIONS = {"approve": "approved", "dispute": "disputed", "adjust": "adjusted"}
RESULT_KEYS = ("session_id", "status", "total_invoice_items", "total_pos_records", "matched_items",
               "match_rate", "variance_amount", "row_errors", "error")


class ReconciliationError(ValueError):
    """Bad input that is not the file (unknown type or coach, bad period); for a person."""


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
        known = conn.execute(
            sa.select(USERS.c.coach_code).where(sa.func.upper(USERS.c.coach_code) == code)
        ).scalar()
        if known is None:
            known = conn.execute(
                sa.text("SELECT coach_code FROM backoffice.coach_earnings WHERE coach_code = :c"
                        " LIMIT 1"), {"c": code}
            ).scalar()
        if known is None:
            raise ReconciliationError(f"unknown coach {code!r} in type {text!r}")
        return ReconciliationType(f"coaching_{code}", "coaching", code)
    raise ReconciliationError(f"type must be restaurant or coaching_<coach>, not {text!r}")


@dataclass(frozen=True)
class PartnerProducts:
    """A partner's products on the POS: product categories and SKUs (normalized)."""

    categories: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()

    @property
    def kept(self) -> bool:
        return bool(self.categories or self.skus)

    def describe(self) -> str:
        if not self.kept:
            return "every POS line with a SKU (no product list is kept for this partner)"
        parts = []
        if self.categories:
            parts.append("categories " + ", ".join(self.categories))
        if self.skus:
            parts.append("SKUs " + ", ".join(self.skus))
        return "the partner's products: " + "; ".join(parts)


def load_partner_products(conn: Connection, reconciliation_type: str) -> PartnerProducts:
    rows = conn.execute(
        sa.select(PRODUCTS.c.match_on, PRODUCTS.c.value)
        .where(PRODUCTS.c.reconciliation_type == reconciliation_type)
        .order_by(PRODUCTS.c.match_on, PRODUCTS.c.value)
    ).all()
    return PartnerProducts(
        tuple(v for m, v in rows if m == "category"),
        tuple(matching.normalize_sku(v) for m, v in rows if m == "sku"),
    )


def save_partner_product(conn: Connection, email: str, reconciliation_type: str, match_on: str,
                         value: str) -> None:
    """Keep one product category or SKU as the partner's (audited); already kept: no change."""
    access.check(conn, email, AREA)
    if match_on not in ("category", "sku"):
        raise ReconciliationError(f"a partner product is a category or a sku, not {match_on!r}")
    value = (value or "").strip()
    if not value or value == reading.NO_SKU:
        raise ReconciliationError("a partner product needs a category name or a SKU")
    stmt = pg_insert(PRODUCTS).values(
        reconciliation_type=reconciliation_type, match_on=match_on, value=value, created_by=email)
    inserted = conn.execute(stmt.on_conflict_do_nothing().returning(PRODUCTS.c.id)).scalar()
    if inserted is not None:
        audit.record(conn, email, "CREATE", "partner_product", inserted,
                     after={"reconciliation_type": reconciliation_type, "match_on": match_on,
                            "value": value})


def delete_partner_product(conn: Connection, email: str, reconciliation_type: str, match_on: str,
                           value: str) -> None:
    """Stop counting one category or SKU as the partner's (audited); unknown: refused."""
    access.check(conn, email, AREA)
    removed = conn.execute(
        sa.delete(PRODUCTS).where(PRODUCTS.c.reconciliation_type == reconciliation_type,
                                  PRODUCTS.c.match_on == match_on,
                                  PRODUCTS.c.value == (value or "").strip())
        .returning(PRODUCTS.c.id)
    ).scalar()
    if removed is None:
        raise ReconciliationError(f"{reconciliation_type} keeps no {match_on} {value!r}")
    audit.record(conn, email, "DELETE", "partner_product", removed,
                 before={"reconciliation_type": reconciliation_type, "match_on": match_on,
                         "value": value})


def load_partner_product_rows(conn: Connection, reconciliation_type: str) -> list[tuple[str, str]]:
    """(match_on, value) as kept, for a person to read (SKUs as typed)."""
    return [tuple(r) for r in conn.execute(
        sa.select(PRODUCTS.c.match_on, PRODUCTS.c.value)
        .where(PRODUCTS.c.reconciliation_type == reconciliation_type)
        .order_by(PRODUCTS.c.match_on, PRODUCTS.c.value))]


def load_pos_restaurant(conn: Connection, start: dt.date, end: dt.date,
                        products: PartnerProducts | None = None) -> pd.DataFrame:
    """Non-voided POS lines with a SKU, of the partner's products when a list is kept, summed
    per date and SKU, in [start, end]."""
    conditions = [
        SALES.c.sale_date.between(start, end),
        sa.func.coalesce(SALES.c.is_voided, False).is_(False),
        SALES.c.sku_number.is_not(None),
        sa.func.btrim(SALES.c.sku_number).not_in(["", reading.NO_SKU]),
    ]
    if products is not None and products.kept:
        normalized_sku = sa.func.upper(sa.func.regexp_replace(SALES.c.sku_number, r"[\W_]", "", "g"))
        conditions.append(sa.or_(SALES.c.product_category.in_(products.categories or [""]),
                                 normalized_sku.in_(products.skus or [""])))
    query = (
        sa.select(
            SALES.c.sale_date.label("date"),
            SALES.c.sku_number.label("sku"),
            sa.func.min(SALES.c.product_name).label("product_name"),
            sa.func.coalesce(sa.func.sum(SALES.c.item_cnt), 0).label("quantity"),
            sa.func.coalesce(sa.func.sum(SALES.c.item_price_incl_vat), 0).label("amount"),
            sa.func.count().label("lines"),
        )
        .where(*conditions)
        .group_by(SALES.c.sale_date, SALES.c.sku_number)
        .order_by(SALES.c.sale_date, SALES.c.sku_number)
    )
    rows = conn.execute(query).all()
    columns = ["date", "sku", "product_name", "quantity", "amount", "lines"]
    return matching.object_frame([tuple(r) for r in rows], columns)


def load_pos_coaching(conn: Connection, coach_code: str, start: dt.date, end: dt.date):
    """The coach's coach_earnings rows in [start, end] (quantity = hours, amount = earnings)."""
    rows = conn.execute(
        sa.text(
            "SELECT booking_date AS date, customer_name AS customer, hours AS quantity,"
            " coach_earnings AS amount, booking_id, rate_type, error"
            " FROM backoffice.coach_earnings"
            " WHERE coach_code = :code AND booking_date BETWEEN :start AND :end"
            " ORDER BY booking_date, start_time, booking_id"
        ),
        {"code": coach_code, "start": start, "end": end},
    ).all()
    columns = ["date", "customer", "quantity", "amount", "booking_id", "rate_type", "error"]
    frame = matching.object_frame([tuple(r) for r in rows], columns)
    if len(frame):
        frame["quantity"] = [money.round_hours(q or 0) for q in frame["quantity"]]
    return frame


# --------------------------------------------------------------------------- column mappings


def load_column_mapping(conn: Connection, reconciliation_type: str) -> dict[str, str]:
    """The remembered mapping of a type: column -> header text (empty when none)."""
    rows = conn.execute(
        sa.select(MAPPINGS.c.column_name, MAPPINGS.c.header_text)
        .where(MAPPINGS.c.reconciliation_type == reconciliation_type)
        .order_by(MAPPINGS.c.column_name)
    ).all()
    return {column: header for column, header in rows}


def save_column_mapping(conn: Connection, email: str, reconciliation_type: str,
                        mapping: dict[str, str]) -> dict[str, str]:
    """Remember ``mapping`` (column -> header) for a type, merged over what was remembered;
    audited with before and after. Returns the mapping now remembered."""
    access.check(conn, email, AREA)
    clean: dict[str, str] = {}
    for column, header in mapping.items():
        try:
            reading.check_column_name(column)
        except ValueError as exc:
            raise ReconciliationError(str(exc)) from None
        if not (header or "").strip():
            raise ReconciliationError(f"the header for {column} is empty")
        clean[column] = header.strip()
    before = load_column_mapping(conn, reconciliation_type)
    changed = {c: h for c, h in clean.items() if before.get(c) != h}
    if not changed:
        return before
    stmt = pg_insert(MAPPINGS).values([
        {"reconciliation_type": reconciliation_type, "column_name": column, "header_text": header,
         "updated_by": email} for column, header in changed.items()])
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[MAPPINGS.c.reconciliation_type, MAPPINGS.c.column_name],
        set_={"header_text": stmt.excluded.header_text, "updated_by": stmt.excluded.updated_by,
              "updated_at": sa.func.now()}))
    after = {**before, **changed}
    audit.record(conn, email, "UPDATE", "reconciliation_column_mapping", reconciliation_type,
                 before={c: before.get(c) for c in changed}, after=changed)
    return after


def preview_file(conn: Connection, reconciliation_type: str, file_path, file_name=None):
    """The file's header row, a sample and what is still missing, read with the type's
    remembered mapping: what the review dashboard shows before asking for a mapping."""
    rec_type = parse_type(conn, reconciliation_type)
    mapping = load_column_mapping(conn, rec_type.name)
    return reading.preview_file(file_path, rec_type.kind, file_name, mapping)


# --------------------------------------------------------------------------- pure helpers


def compute_period(rows: pd.DataFrame, date_from: dt.date | None, date_to: dt.date | None):
    """(start, end, rows inside, row errors for rows outside) of a file and an optional period."""
    start = date_from or min(rows["date"])
    end = date_to or max(rows["date"])
    if start > end:
        raise reading.FileRefused(f"the period {start} to {end} is empty (start after end)")
    inside = rows["date"].map(lambda d: start <= d <= end).astype(bool)
    errors = [
        f"row {n}: date {d} is outside the period {start} to {end}"
        for n, d in zip(rows.loc[~inside, "row_number"], rows.loc[~inside, "date"])
    ]
    return start, end, rows.loc[inside], errors


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _row_dicts(frame: pd.DataFrame) -> dict:
    """index label -> the row as JSON-ready values (the *_cents helper columns left out)."""
    columns = [c for c in frame.columns if not str(c).endswith("_cents")]
    values = zip(*(frame[c].tolist() for c in columns)) if columns else iter(())
    return {
        index: {c: _plain(v) for c, v in zip(columns, row)}
        for index, row in zip(frame.index, values)
    }


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --------------------------------------------------------------------------- the run

ITEM_COPY_COLUMNS = ("session_id", "item_type", "match_type", "confidence", "invoice_data",
                     "pos_data", "amount_variance", "quantity_variance")


def _save_items(conn, session_id, items: pd.DataFrame, invoices: pd.DataFrame, pos: pd.DataFrame):
    """All items in one COPY (200,000 rows take seconds, not minutes), in the caller's
    transaction."""
    invoice_rows, pos_rows = _row_dicts(invoices), _row_dicts(pos)

    def as_json(rows: dict, index) -> str | None:
        return None if _missing(index) else json.dumps(rows[index], ensure_ascii=False)

    records = [
        (session_id, item["item_type"], None if _missing(item["match_type"]) else item["match_type"],
         None if _missing(item["confidence"]) else item["confidence"],
         as_json(invoice_rows, item["invoice_row"]), as_json(pos_rows, item["pos_row"]),
         item["amount_variance"], item["quantity_variance"])
        for item in items.to_dict("records")
    ]
    driver = conn.connection.driver_connection
    table = f"{ITEMS.schema}.{ITEMS.name}"
    with driver.cursor() as cursor, cursor.copy(
        f"COPY {table} ({', '.join(ITEM_COPY_COLUMNS)}) FROM STDIN"
    ) as copy:
        for record in records:
            copy.write_row(record)


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
    mapping = load_column_mapping(conn, rec_type.name)
    products = (load_partner_products(conn, rec_type.name) if rec_type.kind == "restaurant"
                else None)
    placeholder = date_from or date_to or bangkok.today()
    session_id = conn.execute(
        sa.insert(SESSIONS)
        .values(admin_user_id=user.id, reconciliation_type=rec_type.name, file_name=name,
                date_range_start=placeholder, date_range_end=date_to or placeholder,
                status="processing")
        .returning(SESSIONS.c.id)
    ).scalar_one()
    row_errors: list[str] = []
    savepoint = conn.begin_nested()
    try:
        read = reading.read_invoice_file(file_path, rec_type.kind, name, mapping)
        row_errors = list(read.row_errors)
        start, end, invoices, outside = compute_period(read.rows, date_from, date_to)
        row_errors += outside
        if invoices.empty:
            raise reading.FileRefused(f"no row of the file falls in the period {start} to {end}")
        if rec_type.kind == "restaurant":
            pos = load_pos_restaurant(conn, start, end, products)
        else:
            pos = load_pos_coaching(conn, rec_type.coach_code, start, end)
        pos = matching.with_cents(pos)
        matches = matching.match_rows(rec_type.kind, invoices, pos, date_window)
        items = matching.compute_items(rec_type.kind, invoices, pos, matches)
        summary = matching.compute_summary(invoices, pos, items)
        _save_items(conn, session_id, items, invoices, pos)
        conn.execute(
            sa.update(SESSIONS).where(SESSIONS.c.id == session_id).values(
                date_range_start=start, date_range_end=end, status="completed",
                completed_at=sa.func.now(), **summary,
            )
        )
        savepoint.commit()
    except Exception as exc:  # noqa: BLE001 (a refused file or a bug: never stay processing)
        savepoint.rollback()
        error = str(exc) if isinstance(exc, reading.FileRefused) else (
            f"unexpected error while reconciling: {type(exc).__name__}: {exc}")
        conn.execute(
            sa.update(SESSIONS).where(SESSIONS.c.id == session_id).values(
                status="failed", error_message=error, completed_at=sa.func.now())
        )
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
            reading.check_column_name(column)
        except ValueError as exc:
            raise ReconciliationError(str(exc)) from None
    try:
        preview = reading.preview_file(file_path, rec_type.kind, name, columns)
        reading.check_mapping_against_header(columns, preview)
    except (ValueError, reading.FileRefused) as exc:
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


# --------------------------------------------------------------------------- reading sessions


def load_sessions(conn: Connection, limit: int = 100) -> pd.DataFrame:
    query = (
        sa.select(SESSIONS, USERS.c.email.label("admin_email"))
        .join(USERS, USERS.c.id == SESSIONS.c.admin_user_id, isouter=True)
        .order_by(SESSIONS.c.created_at.desc(), SESSIONS.c.id)
        .limit(limit)
    )
    rows = [dict(r) for r in conn.execute(query).mappings()]
    columns = [c.name for c in SESSIONS.columns] + ["admin_email"]
    return pd.DataFrame(rows, columns=columns)


def load_session(conn: Connection, session_id) -> dict:
    row = conn.execute(
        sa.select(SESSIONS).where(SESSIONS.c.id == _uuid(session_id))
    ).mappings().first()
    if row is None:
        raise ReconciliationError(f"no reconciliation session {session_id}")
    session = dict(row)
    details = conn.execute(
        sa.select(AUDIT_LOGS.c.details)
        .where(AUDIT_LOGS.c.resource_type == "reconciliation_session",
               AUDIT_LOGS.c.resource_id == str(session["id"]), AUDIT_LOGS.c.action == "RECONCILE")
        .order_by(AUDIT_LOGS.c.timestamp.desc())
        .limit(1)
    ).scalar()
    session["row_errors"] = (details or {}).get("row_errors", [])
    session["pos_scope"] = (details or {}).get("pos_scope")
    session["columns"] = (details or {}).get("columns") or {}
    return session


def load_items(conn: Connection, session_id) -> pd.DataFrame:
    """The session's items, JSON data flattened into invoice_* and pos_* columns."""
    rows = [dict(r) for r in conn.execute(
        sa.select(ITEMS).where(ITEMS.c.session_id == _uuid(session_id))
        .order_by(ITEMS.c.item_type, ITEMS.c.confidence.desc().nulls_last(), ITEMS.c.id)
    ).mappings()]
    for row in rows:
        for prefix in ("invoice", "pos"):
            for key, value in (row.pop(f"{prefix}_data") or {}).items():
                row[f"{prefix}_{key}"] = value
    columns = [c.name for c in ITEMS.columns if c.name not in ("invoice_data", "pos_data")]
    for row in rows:
        columns += [key for key in row if key not in columns]
    return matching.object_frame([tuple(row.get(c) for c in columns) for row in rows], columns)


def _number(value):
    """JSON money and quantities back to Decimal for Excel (numbers, not text)."""
    if value is None or isinstance(value, (int, Decimal)):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return value


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ReconciliationError(f"not a session or item id: {value!r}") from None


# --------------------------------------------------------------------------- reviewing


def review_item(conn: Connection, email: str, item_id, action: str, notes: str | None = None):
    """approve / dispute / adjust one item; dispute and adjust need notes. Audited."""
    access.check(conn, email, AREA)
    if action not in REVIEW_ACTIONS:
        raise ReconciliationError(f"action must be one of {', '.join(REVIEW_ACTIONS)}, not {action!r}")
    notes = (notes or "").strip() or None
    if action != "approve" and not notes:
        raise ReconciliationError(f"to {action} an item, say why in the notes")
    before = conn.execute(
        sa.select(ITEMS.c.id, ITEMS.c.status, ITEMS.c.resolution_notes, ITEMS.c.session_id)
        .where(ITEMS.c.id == _uuid(item_id))
    ).mappings().first()
    if before is None:
        raise ReconciliationError(f"no reconciliation item {item_id}")
    status = REVIEW_ACTIONS[action]
    conn.execute(
        sa.update(ITEMS).where(ITEMS.c.id == before["id"]).values(
            status=status, resolution_notes=notes, resolved_by=email, resolved_at=sa.func.now())
    )
    audit.record(conn, email, "UPDATE", "reconciliation_item", before["id"],
                 before={"status": before["status"], "resolution_notes": before["resolution_notes"]},
                 after={"status": status, "resolution_notes": notes},
                 details={"session_id": before["session_id"], "action": action})
    return {"id": str(before["id"]), "status": status}


def review_items(email: str, item_ids, action: str, notes: str | None = None,
                 engine: Engine | None = None) -> int:
    """Entry point for the dashboard: review several items in one transaction."""
    with database.transaction(engine) as conn:
        for item_id in item_ids:
            review_item(conn, email, item_id, action, notes)
    return len(list(item_ids))


# --------------------------------------------------------------------------- export


def export_session_workbook(conn: Connection, session_id, path) -> Path:
    """Matched / invoice-only / POS-only tables of a session as sheets of one .xlsx."""
    items = load_items(conn, session_id)
    session = load_session(conn, session_id)
    path = Path(path)
    settings.private_dir(path.parent, narrow_existing=False)
    sheets = {"matched": "matched", "invoice_only": "invoice_only", "pos_only": "pos_only"}
    with settings.private_umask(), pd.ExcelWriter(path, engine="openpyxl") as writer:
        summary = pd.DataFrame(
            [(k, _plain(session.get(k))) for k in (
                "id", "reconciliation_type", "file_name", "date_range_start", "date_range_end",
                "status", "total_invoice_items", "total_pos_records", "matched_items",
                "match_rate", "total_invoice_amount", "total_pos_amount", "variance_amount",
                "variance_percentage", "error_message")],
            columns=["field", "value"],
        )
        summary.to_excel(writer, sheet_name="summary", index=False)
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
            table.to_excel(writer, sheet_name=sheet, index=False)
        spreadsheets.make_workbook_inert(writer.book)  # partner files' text: data, not formulas
    return path
