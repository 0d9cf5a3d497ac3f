"""SQL of ``staff_compensation`` (a person's pay rates), ``coach_rates`` and the audit rows of
pay-rate changes. The exclusion constraint ``ex_staff_compensation_no_overlap`` is the last guard
for every writer."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from ...models.core import CoachRate, PackageType, StaffCompensation
from ..rules.compensation import COLUMNS
from .refusals import DatabaseRefused, database_reason

COMPENSATION = StaffCompensation.__table__
COACH_RATES = CoachRate.__table__
PACKAGE_TYPES = PackageType.__table__


def load_compensation(conn: Connection, staff_pk: int, *, lock: bool = False) -> pd.DataFrame:
    """A person's compensation rows, newest first (Decimal money)."""
    query = (
        sa.select(*[COMPENSATION.c[c] for c in COLUMNS])
        .where(COMPENSATION.c.staff_id == staff_pk)
        .order_by(COMPENSATION.c.effective_from.desc())
    )
    rows = conn.execute(query.with_for_update() if lock else query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS, dtype=object)


def save_rate_change(conn: Connection, closes: list[dict], values: dict) -> int:
    """Close rows (id, effective_to) and insert the new row, in a savepoint; its id. A refusal
    of the database is ``DatabaseRefused`` (an overlap said in words)."""
    try:
        with conn.begin_nested():
            for row in closes:
                conn.execute(
                    sa.update(COMPENSATION)
                    .where(COMPENSATION.c.id == row["id"])
                    .values(effective_to=row["effective_to"])
                )
            return conn.execute(
                sa.insert(COMPENSATION).values(**values).returning(COMPENSATION.c.id)
            ).scalar_one()
    except sa.exc.DBAPIError as exc:
        diag = getattr(getattr(exc, "orig", None), "diag", None)
        if getattr(diag, "constraint_name", None) == "ex_staff_compensation_no_overlap":
            raise DatabaseRefused("the new row overlaps another row of this person (found by"
                                  " the database)") from None
        raise DatabaseRefused(database_reason(exc)) from None


def load_pay_rate_audit_rows(conn: Connection, staff_pk: int, *, limit: int = 100) -> list[tuple]:
    """The audit rows (timestamp, action, user_email, details) of a person's pay rates: the rows
    saved for them and the rows the importer closed, newest first."""
    return [tuple(r) for r in conn.execute(
        sa.text(
            'SELECT "timestamp", action, user_email, details FROM backoffice.audit_logs'
            " WHERE resource_type = 'staff_compensation'"
            "   AND (details->'after'->>'staff_id' = :staff"
            "        OR (details->>'fix' = 'close_pay_rate' AND resource_id IN"
            "            (SELECT id::text FROM backoffice.staff_compensation"
            "              WHERE staff_id = :pk)))"
            ' ORDER BY "timestamp" DESC LIMIT :limit'
        ),
        {"staff": str(int(staff_pk)), "pk": int(staff_pk), "limit": limit},
    ).all()]


def load_coaching_types(conn: Connection) -> list[str]:
    """The names of the Coaching package types, in display order."""
    return [
        r[0]
        for r in conn.execute(
            sa.select(PACKAGE_TYPES.c.name)
            .where(sa.cast(PACKAGE_TYPES.c.type, sa.Text) == "Coaching")
            .order_by(PACKAGE_TYPES.c.display_order, PACKAGE_TYPES.c.name)
        )
    ]


def load_coach_rate_values(conn: Connection) -> dict:
    """rate type -> THB per hour."""
    return dict(conn.execute(sa.select(COACH_RATES.c.rate_type, COACH_RATES.c.rate)).all())


def load_coach_rate(conn: Connection, rate_type: str, *, lock: bool = False):
    query = sa.select(COACH_RATES.c.rate).where(COACH_RATES.c.rate_type == rate_type)
    return conn.execute(query.with_for_update() if lock else query).scalar()


def save_coach_rate_value(conn: Connection, rate_type: str, rate) -> None:
    statement = pg_insert(COACH_RATES).values(rate_type=rate_type, rate=rate)
    conn.execute(statement.on_conflict_do_update(index_elements=["rate_type"],
                                                 set_={"rate": rate}))
