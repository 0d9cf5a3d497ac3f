"""SQL of the tax calendar: the filing register (``tax_filings``), what the payroll and the
supplier invoices say about a month, the holidays and the online-extension setting, and the run
files whose checksums match the files recorded as made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from ..models.core import Invoice, InvoiceSupplier, PayrollSetting, PublicHoliday
from ..models.jobs import JobRun
from ..models.payroll import PayrollRun
from ..models.supplier_tax import TaxFiling

FILINGS = TaxFiling.__table__
HOLIDAYS = PublicHoliday.__table__
SETTINGS = PayrollSetting.__table__
RUNS = PayrollRun.__table__
INVOICES = Invoice.__table__
SUPPLIERS = InvoiceSupplier.__table__
JOB_RUNS = JobRun.__table__
FILING_COLUMNS = ["duty", "period", "files", "files_made_at", "files_made_by", "filed_on",
                  "receipt_no", "filed_by", "filed_at"]


def load_holiday_dates(conn: Connection, first: dt.date, last: dt.date) -> set[dt.date]:
    """The active public holidays between ``first`` and ``last``."""
    rows = conn.execute(
        sa.select(HOLIDAYS.c.holiday_date)
        .where(HOLIDAYS.c.holiday_date.between(first, last),
               sa.func.coalesce(HOLIDAYS.c.is_active, True))
    ).scalars()
    return set(rows)


def load_setting(conn: Connection, key: str) -> str | None:
    return conn.execute(
        sa.select(SETTINGS.c.setting_value).where(SETTINGS.c.setting_key == key)
    ).scalar()


def load_filings(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """The register's rows of these (duty, period) pairs."""
    keys = list(keys)
    if not keys:
        return {}
    rows = conn.execute(
        sa.select(*[FILINGS.c[c] for c in FILING_COLUMNS])
        .where(sa.tuple_(FILINGS.c.duty, FILINGS.c.period).in_(keys))
    ).mappings().all()
    return {(r["duty"], r["period"]): dict(r) for r in rows}


def load_filing(conn: Connection, duty: str, period: str, *, lock: bool = False) -> dict | None:
    query = sa.select(*[FILINGS.c[c] for c in FILING_COLUMNS]).where(
        FILINGS.c.duty == duty, FILINGS.c.period == period)
    row = conn.execute(query.with_for_update() if lock else query).mappings().first()
    return dict(row) if row is not None else None


def save_filed(conn: Connection, duty: str, period: str, filed_on: dt.date, receipt_no: str,
               user: str) -> None:
    """The duty recorded as filed (a row is made when no files were recorded for it)."""
    fields = {"filed_on": filed_on, "receipt_no": receipt_no, "filed_by": user,
              "filed_at": sa.func.now()}
    conn.execute(
        pg_insert(FILINGS).values(duty=duty, period=period, **fields)
        .on_conflict_do_update(index_elements=["duty", "period"], set_=fields)
    )


def load_finalised_payroll(conn: Connection, month: str) -> dict | None:
    """The month's finalised payroll run: its head count and totals (text), or None."""
    row = conn.execute(
        sa.select(RUNS.c.people, RUNS.c.totals)
        .where(RUNS.c.month == month, RUNS.c.status == "finalised")
    ).mappings().first()
    return dict(row) if row is not None else None


def load_finalised_people(conn: Connection, year: int) -> dict[str, int]:
    """Head count of each finalised payroll month of ``year``."""
    rows = conn.execute(
        sa.select(RUNS.c.month, RUNS.c.people)
        .where(RUNS.c.month.like(f"{year:04d}-%"), RUNS.c.status == "finalised")
    ).all()
    return {month: int(people) for month, people in rows}


def load_withholding_payments(conn: Connection, first: dt.date, last: dt.date) -> dict[str, int]:
    """Paid, not void invoices with tax paid between ``first`` and ``last``, counted by the
    payee kind of their supplier (None: not recorded)."""
    rows = conn.execute(
        sa.select(SUPPLIERS.c.payee_kind, sa.func.count())
        .select_from(INVOICES.join(SUPPLIERS, SUPPLIERS.c.id == INVOICES.c.supplier_id))
        .where(INVOICES.c.paid_on.between(first, last), INVOICES.c.status != "void",
               INVOICES.c.tax_amount > 0)
        .group_by(SUPPLIERS.c.payee_kind)
    ).all()
    return {kind: int(count) for kind, count in rows}


def load_run_files(conn: Connection, checksums: Iterable[str]) -> list[dict]:
    """Files of succeeded runs whose sha256 is one of ``checksums``: run id, the output's path
    in the run and its sha256, newest run first."""
    checksums = sorted(set(checksums))
    if not checksums:
        return []
    outputs = sa.func.jsonb_each_text(JOB_RUNS.c.outputs).table_valued("key", "value")
    rows = conn.execute(
        sa.select(JOB_RUNS.c.id, outputs.c.key, outputs.c.value, JOB_RUNS.c.finished_at)
        .select_from(JOB_RUNS.join(outputs, sa.true()))
        .where(JOB_RUNS.c.status == "succeeded", outputs.c.value.in_(checksums))
        .order_by(JOB_RUNS.c.finished_at.desc())
    ).all()
    return [{"run_id": r[0], "path": r[1], "sha256": r[2]} for r in rows]
