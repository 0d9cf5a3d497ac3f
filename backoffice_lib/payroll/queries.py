"""Data access of the payroll (SQL only): the month's inputs (``PayrollInputs``), payroll_runs,
the service-charge pool, public holidays, statutory rates, declared allowances and the staff
columns of the filings.

Functions take the caller's connection, return rows, dicts or frames, and never commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from .. import bangkok
from ..models.core import (
    InvoiceSetting,
    MonthlyServiceCharge,
    PayrollSetting,
    PublicHoliday,
    Staff,
    StaffCompensation,
    StaffSchedule,
)
from ..models.jobs import JobRun
from ..models.payroll import PayrollRun
from ..models.payroll_forecast import PayrollForecast
from ..models.payroll_review import ReviewAcknowledgement
from ..models.statutory import StaffTaxAllowance, StatutoryRate
from ..models.supplier_tax import TaxFiling
from .rules import PayrollInputs, entries_window, setting_value
from .rules.statutory import PersonStatutory, RateRow, StatutoryInputs

RUNS = PayrollRun.__table__
JOB_RUNS = JobRun.__table__
POOL = MonthlyServiceCharge.__table__
HOLIDAYS = PublicHoliday.__table__
ACKNOWLEDGEMENTS = ReviewAcknowledgement.__table__
RATES = StatutoryRate.__table__
ALLOWANCES = StaffTaxAllowance.__table__
STAFF = Staff.__table__
FILINGS = TaxFiling.__table__
IDENTITY_COLUMNS = ("national_id", "title", "first_name", "last_name", "sso_insured",
                    "joined_on")

STAFF_COLUMNS = ["id", "staff_id", "staff_name", "is_active"]
COMPENSATION_COLUMNS = [
    "id", "staff_id", "compensation_type", "base_salary", "hourly_rate", "ot_rate_per_hour",
    "holiday_rate_per_hour", "is_service_charge_eligible", "min_hours_for_allowance",
    "effective_from", "effective_to",
]


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    """A DataFrame of Python values (Decimal stays Decimal)."""
    data = list(zip(*rows)) if rows else [[] for _ in columns]
    return pd.DataFrame({c: pd.Series(list(v), dtype=object) for c, v in zip(columns, data)})


def load_settings(conn: Connection) -> dict[str, str]:
    table = PayrollSetting.__table__
    return {
        row.setting_key: row.setting_value
        for row in conn.execute(sa.select(table.c.setting_key, table.c.setting_value))
    }


ENTRIES_LIVE_AND_ARCHIVED = sa.table(
    "time_entries_all",
    *(sa.column(name) for name in ("id", "staff_id", "action", "timestamp")),
    schema="archive",
)


def load_entries(conn: Connection, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Entries in [start, end): id, staff_id, action, timestamp_us (epoch microseconds).

    The server packs each column into one array (one row to transfer and parse), which reads a
    month of 10,000 people several times faster than row by row.
    """
    # Live and archived entries alike: a month's first week may reach into an archived month.
    table = ENTRIES_LIVE_AND_ARCHIVED
    epoch_us = sa.cast(sa.func.floor(sa.extract("epoch", table.c.timestamp) * 1_000_000),
                       sa.BigInteger)
    row = conn.execute(
        sa.select(
            sa.func.array_agg(table.c.id),
            sa.func.array_agg(table.c.staff_id),
            sa.func.array_agg(table.c.action == "clock_in"),
            sa.func.array_agg(epoch_us),
        ).where(table.c.timestamp >= start, table.c.timestamp < end)
    ).one()
    ids, staff, clock_in, stamps = (value or [] for value in row)
    return pd.DataFrame(
        {
            "id": np.asarray(ids, dtype="int64"),
            "staff_id": np.asarray(staff, dtype="int64"),
            "action": pd.Series(
                np.where(np.asarray(clock_in, dtype=bool), "clock_in", "clock_out"),
                dtype=object,
            ),
            "timestamp_us": np.asarray(stamps, dtype="int64"),
        }
    )


def load_payroll_inputs(conn: Connection, month: str, net_pay: bool = True) -> PayrollInputs:
    """Everything ``compute_payroll`` reads for ``month`` (``net_pay=False``: gross pay only)."""
    first, last = bangkok.month_days(month)
    settings = load_settings(conn)
    start, end = entries_window(month, setting_value(settings, "max_session_hours"))
    staff_table = StaffCompensation.__table__
    staff = Staff.__table__
    staff_frame = _frame(
        conn.execute(sa.select(*(staff.c[c] for c in STAFF_COLUMNS)).order_by(staff.c.id)).all(),
        STAFF_COLUMNS,
    )
    compensation = _frame(
        conn.execute(
            sa.select(*(staff_table.c[c] for c in COMPENSATION_COLUMNS))
            .where(staff_table.c.effective_from <= last)
            .where(sa.or_(staff_table.c.effective_to.is_(None), staff_table.c.effective_to >= first))
            .order_by(staff_table.c.staff_id, staff_table.c.effective_from)
        ).all(),
        COMPENSATION_COLUMNS,
    )
    holidays_table = PublicHoliday.__table__
    holidays = {
        row.holiday_date
        for row in conn.execute(
            sa.select(holidays_table.c.holiday_date).where(
                holidays_table.c.is_active.is_(True),
                holidays_table.c.holiday_date >= start.date() - dt.timedelta(days=1),
                holidays_table.c.holiday_date <= last,
            )
        )
    }
    pool_table = MonthlyServiceCharge.__table__
    pool = conn.scalar(
        sa.select(pool_table.c.total_amount).where(pool_table.c.month_year == month)
    )
    return PayrollInputs(
        month=month,
        staff=staff_frame,
        compensation=compensation,
        entries=load_entries(conn, start, end),
        holidays=holidays,
        settings=settings,
        service_charge_pool=Decimal(pool) if pool is not None else None,
        first_compensation=load_first_compensation(conn),
        statutory=load_statutory_inputs(conn, first.year) if net_pay else None,
    )


# --------------------------------------------------------------------------- the forecast


def load_planned_shifts(conn: Connection, date_from: dt.date, date_to: dt.date) -> pd.DataFrame:
    """Scheduled shifts dated ``date_from`` to ``date_to``: id, staff_id (staff.id),
    schedule_date, start_time, end_time."""
    shifts = StaffSchedule.__table__
    columns = ["id", "staff_id", "schedule_date", "start_time", "end_time"]
    return _frame(conn.execute(
        sa.select(*(shifts.c[c] for c in columns))
        .where(shifts.c.schedule_date.between(date_from, date_to))
        .order_by(shifts.c.staff_id, shifts.c.schedule_date, shifts.c.start_time)
    ).all(), columns)


def load_earlier_pools(conn: Connection, month: str, count: int) -> dict[str, Decimal]:
    """The service-charge pools of the ``count`` latest months before ``month`` that have one."""
    return dict(conn.execute(
        sa.select(POOL.c.month_year, POOL.c.total_amount).where(POOL.c.month_year < month)
        .order_by(POOL.c.month_year.desc()).limit(count)
    ).all())


def save_kept_forecast(conn: Connection, month: str, forecast_date: dt.date,
                       rows: list[dict]) -> None:
    """The forecast of ``month`` made on ``forecast_date``: its rows replace any kept before."""
    table = PayrollForecast.__table__
    conn.execute(sa.delete(table).where(table.c.month == month,
                                        table.c.forecast_date == forecast_date))
    if rows:
        conn.execute(sa.insert(table), rows)


def load_kept_forecast(conn: Connection, month: str,
                       forecast_date: dt.date) -> dict[str, Decimal] | None:
    """Employee ID → total pay of the forecast of ``month`` kept on ``forecast_date``; None when
    none was kept that day."""
    table = PayrollForecast.__table__
    rows = conn.execute(
        sa.select(STAFF.c.staff_id, table.c.total_pay)
        .join(STAFF, STAFF.c.id == table.c.staff_id)
        .where(table.c.month == month, table.c.forecast_date == forecast_date)
    ).all()
    return {code: total for code, total in rows} if rows else None


# --------------------------------------------------------------------------- payroll_runs


def save_run(conn: Connection, values: dict) -> int:
    return conn.execute(sa.insert(RUNS).values(**values).returning(RUNS.c.id)).scalar_one()


def load_runs(conn: Connection, month: str) -> list[dict]:
    """Runs of a month, newest first."""
    rows = conn.execute(
        sa.select(RUNS).where(RUNS.c.month == month).order_by(RUNS.c.created_at.desc(),
                                                              RUNS.c.id.desc())
    ).mappings().all()
    return [dict(r) for r in rows]


def load_finalised_run(conn: Connection, month: str) -> dict | None:
    row = conn.execute(
        sa.select(RUNS).where(RUNS.c.month == month, RUNS.c.status == "finalised")
    ).mappings().first()
    return dict(row) if row else None


def load_current_run(conn: Connection, month: str, checksum: str) -> dict | None:
    """The month's latest draft run computed on data with ``checksum`` (the data as it is now),
    with ``job_status``: the status of the notebook run that wrote its files (None when it was
    not written by a notebook run)."""
    outputs_of_job = sa.func.concat(JOB_RUNS.c.run_dir, "/outputs")
    row = conn.execute(
        sa.select(RUNS, JOB_RUNS.c.status.label("job_status"), JOB_RUNS.c.error.label("job_error"))
        .select_from(RUNS.outerjoin(JOB_RUNS, outputs_of_job == RUNS.c.run_folder))
        .where(RUNS.c.month == month, RUNS.c.status == "draft", RUNS.c.checksum == checksum)
        .order_by(RUNS.c.created_at.desc(), RUNS.c.id.desc())
        .limit(1)
    ).mappings().first()
    return dict(row) if row else None


def save_finalised(conn: Connection, run_id: int, user: str) -> None:
    """The draft run finalised by ``user`` (an admin) through the database's function
    (migration 0018): the dashboards and scheduler roles may not UPDATE payroll_runs."""
    conn.execute(sa.text("SELECT backoffice.finalise_payroll_run(:run_id, :user)"),
                 {"run_id": run_id, "user": user})


def save_reopened(conn: Connection, run_id: int) -> None:
    """The finalised run back to a draft."""
    conn.execute(
        sa.update(RUNS).where(RUNS.c.id == run_id)
        .values(status="draft", finalised_by=None, finalised_at=None)
    )


# --------------------------------------------------------------------------- the close page


def load_service_charge(conn: Connection, month: str) -> dict | None:
    row = conn.execute(
        sa.select(POOL.c.total_amount, POOL.c.updated_at).where(POOL.c.month_year == month)
    ).first()
    return {"total_amount": row.total_amount, "updated_at": row.updated_at} if row else None


def save_service_charge_row(conn: Connection, month: str, amount: Decimal) -> None:
    from sqlalchemy.dialects.postgresql import insert

    statement = insert(POOL).values(month_year=month, total_amount=amount)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[POOL.c.month_year],
            set_={"total_amount": amount, "updated_at": sa.func.now()},
        )
    )


def load_holidays(conn: Connection, month: str) -> list[tuple[dt.date, str]]:
    first, last = bangkok.month_days(month)
    rows = conn.execute(
        sa.select(HOLIDAYS.c.holiday_date, HOLIDAYS.c.holiday_name)
        .where(HOLIDAYS.c.is_active.is_(True))
        .where(HOLIDAYS.c.holiday_date.between(first, last))
        .order_by(HOLIDAYS.c.holiday_date)
    )
    return [(row.holiday_date, row.holiday_name) for row in rows]


def load_review_acknowledgements(conn: Connection, month: str) -> dict[tuple[int, str], dict]:
    """The month's acknowledged groups of review flags: (staff.id, flag kind) → reason,
    acknowledged_by, acknowledged_at."""
    table = ACKNOWLEDGEMENTS
    rows = conn.execute(
        sa.select(table.c.staff_id, table.c.flag_kind, table.c.reason, table.c.acknowledged_by,
                  table.c.acknowledged_at).where(table.c.month == month)
    )
    return {
        (row.staff_id, row.flag_kind): {"reason": row.reason,
                                        "acknowledged_by": row.acknowledged_by,
                                        "acknowledged_at": row.acknowledged_at}
        for row in rows
    }


def save_review_acknowledgements(conn: Connection, month: str, groups: list[tuple[int, str]],
                                 reason: str, user: str) -> None:
    """One row per (staff.id, flag kind) of ``month``; an acknowledged group gets the new
    reason, who and when."""
    from sqlalchemy.dialects.postgresql import insert

    table = ACKNOWLEDGEMENTS
    statement = insert(table).values([
        {"month": month, "staff_id": staff, "flag_kind": kind, "reason": reason,
         "acknowledged_by": user}
        for staff, kind in groups
    ])
    conn.execute(statement.on_conflict_do_update(
        index_elements=[table.c.month, table.c.staff_id, table.c.flag_kind],
        set_={"reason": statement.excluded.reason,
              "acknowledged_by": statement.excluded.acknowledged_by,
              "acknowledged_at": sa.func.now()},
    ))


# --------------------------------------------------------------------------- net pay (issue 15)


def load_first_compensation(conn: Connection) -> dict[int, dt.date]:
    """Each person's first compensation row ever (the joiner rule, §3.2)."""
    table = StaffCompensation.__table__
    return dict(conn.execute(
        sa.select(table.c.staff_id, sa.func.min(table.c.effective_from))
        .group_by(table.c.staff_id)).all())


def load_rate_rows(conn: Connection) -> list[RateRow]:
    table = StatutoryRate.__table__
    return [RateRow(r.rate_key, r.value, r.effective_from, r.threshold) for r in conn.execute(
        sa.select(table.c.rate_key, table.c.value, table.c.effective_from, table.c.threshold)
        .order_by(table.c.rate_key, table.c.effective_from, table.c.threshold))]


def load_statutory_inputs(conn: Connection, year: int) -> StatutoryInputs:
    """Rates and each person's insured flag, joining date and declared allowances of ``year``
    (never the national ID)."""
    staff = Staff.__table__
    allowances = StaffTaxAllowance.__table__
    rows = conn.execute(
        sa.select(staff.c.id, staff.c.sso_insured, staff.c.joined_on, allowances.c.amount)
        .select_from(staff.outerjoin(allowances, (allowances.c.staff_id == staff.c.id)
                                     & (allowances.c.tax_year == year)))
    ).all()
    people = {
        row.id: PersonStatutory(sso_insured=bool(row.sso_insured), joined_on=row.joined_on,
                                declared_allowances=row.amount or Decimal(0))
        for row in rows
    }
    return StatutoryInputs(rate_rows=load_rate_rows(conn), people=people)


def load_staff_identities(conn: Connection) -> dict[int, dict]:
    """National ID, title and names per staff.id: for admin-only filings and certificates."""
    staff = Staff.__table__
    return {
        row.id: {"national_id": row.national_id, "title": row.title,
                 "first_name": row.first_name, "last_name": row.last_name}
        for row in conn.execute(sa.select(staff.c.id, staff.c.national_id, staff.c.title,
                                          staff.c.first_name, staff.c.last_name))
    }


def load_employer(conn: Connection) -> dict:
    """The employer of the filings: invoice_settings (name, tax ID, address) and the payroll
    settings sso_employer_account (10 digits) and sso_branch (6 digits, default 000000)."""
    invoice = InvoiceSetting.__table__
    company = dict(conn.execute(sa.select(invoice.c.key, invoice.c.value)).all())
    settings = load_settings(conn)
    return {
        "name": company.get("company_name", ""),
        "tax_id": company.get("company_tax_id", ""),
        "address": " ".join(x for x in (company.get("company_address_line1"),
                                         company.get("company_address_line2")) if x),
        "sso_account": (settings.get("sso_employer_account") or "").strip() or "0000000000",
        "sso_branch": (settings.get("sso_branch") or "").strip() or "000000",
    }


def load_staff_key(conn: Connection, staff_code: str) -> int | None:
    """staff.id of an employee ID (staff.staff_id), or None."""
    staff = Staff.__table__
    return conn.scalar(sa.select(staff.c.id).where(staff.c.staff_id == staff_code))


# --------------------------------------------------------------------------- statutory data (admin)


def load_rate_row(conn: Connection, rate_key: str, threshold: Decimal,
                  effective_from: dt.date):
    """The dated rate row of ``rate_key`` (id, value), or None."""
    return conn.execute(sa.select(RATES.c.id, RATES.c.value).where(
        (RATES.c.rate_key == rate_key) & (RATES.c.threshold == threshold)
        & (RATES.c.effective_from == effective_from))).first()


def save_new_rate_row(conn: Connection, rate_key: str, value: Decimal, threshold: Decimal,
                      effective_from: dt.date, note: str | None, user: str) -> int:
    return conn.execute(sa.insert(RATES).values(
        rate_key=rate_key, value=value, threshold=threshold, effective_from=effective_from,
        note=note, created_by=user).returning(RATES.c.id)).scalar_one()


def save_rate_value(conn: Connection, row_id: int, value: Decimal, note: str | None,
                    user: str) -> None:
    conn.execute(sa.update(RATES).where(RATES.c.id == row_id).values(
        value=value, note=note, created_by=user))


def load_staff_exists(conn: Connection, staff: int) -> bool:
    return conn.scalar(sa.select(STAFF.c.id).where(STAFF.c.id == staff)) is not None


def load_declared_allowances(conn: Connection, staff: int, tax_year: int) -> Decimal | None:
    return conn.scalar(sa.select(ALLOWANCES.c.amount).where(
        ALLOWANCES.c.staff_id == staff, ALLOWANCES.c.tax_year == tax_year))


def save_declared_allowances(conn: Connection, staff: int, tax_year: int, amount: Decimal,
                             user: str) -> None:
    from sqlalchemy.dialects.postgresql import insert

    statement = insert(ALLOWANCES).values(staff_id=staff, tax_year=tax_year, amount=amount,
                                          updated_by=user)
    conn.execute(statement.on_conflict_do_update(
        index_elements=["staff_id", "tax_year"],
        set_={"amount": amount, "updated_by": user, "updated_at": sa.func.now()}))


def load_staff_statutory(conn: Connection, staff: int, with_code: bool = False) -> dict | None:
    """The statutory columns of ``staff`` (national ID included), with the employee ID and
    name when ``with_code``; None when there is no such person."""
    columns = [STAFF.c[c] for c in IDENTITY_COLUMNS]
    if with_code:
        columns = [STAFF.c.staff_id, STAFF.c.staff_name, *columns]
    row = conn.execute(sa.select(*columns).where(STAFF.c.id == staff)).mappings().first()
    return dict(row) if row else None


def load_national_id_holder(conn: Connection, national_id: str, other_than: int) -> str | None:
    """The employee ID of someone else recorded with ``national_id``, or None."""
    return conn.scalar(sa.select(STAFF.c.staff_id).where(
        STAFF.c.national_id == national_id, STAFF.c.id != other_than))


def save_staff_statutory(conn: Connection, staff: int, changed: dict) -> None:
    conn.execute(sa.update(STAFF).where(STAFF.c.id == staff).values(**changed))


# --------------------------------------------------------------------------- tax_filings


def save_filing_files(conn: Connection, duty: str, period: str, files: list[dict],
                      user: str) -> bool:
    """The files made for ``duty`` of ``period`` (name, sha256, bytes) into the filing register
    (supplier-tax.md §5). A duty recorded as filed keeps the files it was filed with: False."""
    table = FILINGS
    made = {"files": files, "files_made_at": sa.func.now(), "files_made_by": user}
    done = conn.execute(
        pg_insert(table).values(duty=duty, period=period, **made)
        .on_conflict_do_update(index_elements=["duty", "period"], set_=made,
                               where=table.c.filed_on.is_(None))
        .returning(table.c.id)
    ).first()
    return done is not None


def load_delivery_contacts(conn: Connection, staff_ids: list[int]) -> dict[int, dict]:
    """Where each person's payslip goes and what opens it: staff.id -> staff_id (the code),
    staff_name, email, national_id (delivery.md §2)."""
    if not staff_ids:
        return {}
    rows = conn.execute(sa.select(STAFF.c.id, STAFF.c.staff_id, STAFF.c.staff_name,
                                  STAFF.c.email, STAFF.c.national_id)
                        .where(STAFF.c.id.in_([int(i) for i in staff_ids])))
    return {r.id: dict(r._mapping) for r in rows}


def save_staff_email(conn: Connection, staff: int, email: str | None) -> str | None:
    """Set where a person's payslips go; returns the address before."""
    before = conn.scalar(sa.select(STAFF.c.email).where(STAFF.c.id == staff))
    conn.execute(sa.update(STAFF).where(STAFF.c.id == staff).values(email=email))
    return before
