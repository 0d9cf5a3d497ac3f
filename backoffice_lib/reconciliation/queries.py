"""The reconciliation's SQL: the POS side, sessions, items, column mappings and partner products.

Each function takes the caller's connection, returns rows or frames and never commits; access
checks and audit rows are the service's (``service.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from .. import money
from ..models.core import AllowedUser, AuditLog, ReconciliationItem, ReconciliationSession
from ..models.external import PosSale
from ..models.finance import PartnerProduct, ReconciliationColumnMapping
from .rules import matching
from .rules.matching import PartnerProducts
from .rules.parsing import NO_SKU, ReconciliationError

SESSIONS = ReconciliationSession.__table__
ITEMS = ReconciliationItem.__table__
SALES = PosSale.__table__
USERS = AllowedUser.__table__
AUDIT_LOGS = AuditLog.__table__
MAPPINGS = ReconciliationColumnMapping.__table__
PRODUCTS = PartnerProduct.__table__


# --------------------------------------------------------------------------- types and coaches


def load_coach_code(conn: Connection, code: str) -> str | None:
    """The coach code as the workbench knows it (allowed_users, else coach_earnings), or None."""
    known = conn.execute(
        sa.select(USERS.c.coach_code).where(sa.func.upper(USERS.c.coach_code) == code)
    ).scalar()
    if known is None:
        known = conn.execute(
            sa.text("SELECT coach_code FROM backoffice.coach_earnings WHERE coach_code = :c"
                    " LIMIT 1"), {"c": code}
        ).scalar()
    return known


def load_reconciliation_types(conn: Connection) -> list[str]:
    """restaurant, then coaching_<code> for each coach: codes of allowed_users and of the
    coaching bookings (the same ``Coaching (<Coach>)`` rule as the coach_earnings view)."""
    codes = conn.execute(sa.text(
        "SELECT upper(coach_code) FROM backoffice.allowed_users WHERE coach_code IS NOT NULL"
        " UNION SELECT DISTINCT upper(substring(booking_type FROM '^Coaching \\((.+)\\)$'))"
        " FROM public.bookings WHERE booking_type LIKE 'Coaching (%)' ORDER BY 1"
    )).scalars().all()
    return ["restaurant", *[f"coaching_{code}" for code in codes if code]]


# --------------------------------------------------------------------------- partner products


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


def load_partner_product_rows(conn: Connection, reconciliation_type: str) -> list[tuple[str, str]]:
    """(match_on, value) as kept, for a person to read (SKUs as typed)."""
    return [tuple(r) for r in conn.execute(
        sa.select(PRODUCTS.c.match_on, PRODUCTS.c.value)
        .where(PRODUCTS.c.reconciliation_type == reconciliation_type)
        .order_by(PRODUCTS.c.match_on, PRODUCTS.c.value))]


def insert_partner_product(conn: Connection, email: str, reconciliation_type: str,
                           match_on: str, value: str):
    """The new row's id, or None when the product was kept already."""
    stmt = pg_insert(PRODUCTS).values(
        reconciliation_type=reconciliation_type, match_on=match_on, value=value, created_by=email)
    return conn.execute(stmt.on_conflict_do_nothing().returning(PRODUCTS.c.id)).scalar()


def delete_partner_product_row(conn: Connection, reconciliation_type: str, match_on: str,
                               value: str):
    """The removed row's id, or None when no such product was kept."""
    return conn.execute(
        sa.delete(PRODUCTS).where(PRODUCTS.c.reconciliation_type == reconciliation_type,
                                  PRODUCTS.c.match_on == match_on,
                                  PRODUCTS.c.value == value)
        .returning(PRODUCTS.c.id)
    ).scalar()


# --------------------------------------------------------------------------- the POS side


def load_pos_restaurant(conn: Connection, start: dt.date, end: dt.date,
                        products: PartnerProducts | None = None) -> pd.DataFrame:
    """Non-voided POS lines with a SKU, of the partner's products when a list is kept, summed
    per date and SKU, in [start, end]."""
    conditions = [
        SALES.c.sale_date.between(start, end),
        sa.func.coalesce(SALES.c.is_voided, False).is_(False),
        SALES.c.sku_number.is_not(None),
        sa.func.btrim(SALES.c.sku_number).not_in(["", NO_SKU]),
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


def save_column_mapping_rows(conn: Connection, email: str, reconciliation_type: str,
                             changed: dict[str, str]) -> None:
    """Upsert column -> header rows of a type."""
    stmt = pg_insert(MAPPINGS).values([
        {"reconciliation_type": reconciliation_type, "column_name": column, "header_text": header,
         "updated_by": email} for column, header in changed.items()])
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[MAPPINGS.c.reconciliation_type, MAPPINGS.c.column_name],
        set_={"header_text": stmt.excluded.header_text, "updated_by": stmt.excluded.updated_by,
              "updated_at": sa.func.now()}))


# --------------------------------------------------------------------------- sessions and items


def insert_session(conn: Connection, admin_user_id, reconciliation_type: str, file_name: str,
                   start: dt.date, end: dt.date):
    return conn.execute(
        sa.insert(SESSIONS)
        .values(admin_user_id=admin_user_id, reconciliation_type=reconciliation_type,
                file_name=file_name, date_range_start=start, date_range_end=end,
                status="processing")
        .returning(SESSIONS.c.id)
    ).scalar_one()


def update_session(conn: Connection, session_id, **values) -> None:
    """Set a session's columns (its status, figures, error), completed now."""
    conn.execute(sa.update(SESSIONS).where(SESSIONS.c.id == session_id).values(
        completed_at=sa.func.now(), **values))


def plain_value(value):
    """A value as JSON can hold it (Decimal and dates as text, NaN as None)."""
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
        index: {c: plain_value(v) for c, v in zip(columns, row)}
        for index, row in zip(frame.index, values)
    }


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


ITEM_COPY_COLUMNS = ("session_id", "item_type", "match_type", "confidence", "invoice_data",
                     "pos_data", "amount_variance", "quantity_variance")


def save_items(conn, session_id, items: pd.DataFrame, invoices: pd.DataFrame, pos: pd.DataFrame):
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
        sa.select(SESSIONS).where(SESSIONS.c.id == parse_uuid(session_id))
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
        sa.select(ITEMS).where(ITEMS.c.session_id == parse_uuid(session_id))
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


def load_item_review(conn: Connection, item_id) -> dict | None:
    """An item's id, status, notes and session before a review."""
    row = conn.execute(
        sa.select(ITEMS.c.id, ITEMS.c.status, ITEMS.c.resolution_notes, ITEMS.c.session_id)
        .where(ITEMS.c.id == parse_uuid(item_id))
    ).mappings().first()
    return None if row is None else dict(row)


def update_item_status(conn: Connection, item_id, status: str, notes: str | None,
                       email: str) -> None:
    conn.execute(
        sa.update(ITEMS).where(ITEMS.c.id == item_id).values(
            status=status, resolution_notes=notes, resolved_by=email, resolved_at=sa.func.now())
    )


def parse_uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ReconciliationError(f"not a session or item id: {value!r}") from None
