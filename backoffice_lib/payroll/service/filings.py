"""The month's statutory filings and the year's withholding certificates (statutory-payroll.md
§3–4), admin only and audited in the caller's transaction: load, compute (``rules.filings``),
check who blocks them. ``reports.filings`` and ``reports.certificates`` write the files;
``record_files_made`` puts what they wrote (names, sha256, sizes) into the filing register that
the tax calendar reads (supplier-tax.md §5: duties ``sso``, ``pnd1``, ``wht50_employees``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from ... import access, audit, bangkok, money, values
from .. import queries
from ..rules import PayrollResult
from ..rules.filings import (
    Certificate,
    Filings,
    FilingsBlocked,
    NoMonthEnded,
    compute_certificates,
    compute_filings,
    months_of_year,
)
from . import load_month_payroll


def prepare_filings(conn: Connection, month: values.Month | str, user: str | None,
                    result: PayrollResult | None = None) -> Filings:
    """Admin only: compute the month (or take ``result``), check the people, audit; raises
    ``FilingsBlocked`` when an insured person has no valid national ID."""
    month = values.month_key(month)
    who = access.check(conn, user, "payroll", admin=True)
    result = result if result is not None else load_month_payroll(conn, month)
    identities = queries.load_staff_identities(conn)
    filings = compute_filings(result, identities, queries.load_employer(conn),
                              queries.load_settings(conn))
    if filings.blocking:
        raise FilingsBlocked(month, filings.blocking)
    audit.record(conn, who.email, "PAYROLL_FILINGS", "payroll_month", month,
                 after={"sso": filings.sso_totals, "pnd1": filings.pnd1_totals,
                        "checksum": result.checksum})
    return filings


def prepare_certificates(conn: Connection, year: int, user: str | None,
                         today: dt.date | None = None) -> tuple[dict, list[Certificate]]:
    """Admin only: the employer and one certificate per person paid in the year; audited."""
    who = access.check(conn, user, "payroll", admin=True)
    months = months_of_year(year, today or bangkok.today())
    if not months:
        raise NoMonthEnded(f"no month of {year} has ended yet: nothing to certify")
    monthly = []
    for month in months:
        lines = load_month_payroll(conn, month).lines
        monthly.append([{**row, "month": month} for row in lines.to_dict("records")])
    certificates = compute_certificates(year, monthly, queries.load_staff_identities(conn))
    audit.record(conn, who.email, "PAYROLL_CERTIFICATES", "tax_year", year, after={
        "months": months, "people": len(certificates),
        "income": sum((c.income for c in certificates), money.ZERO),
        "tax": sum((c.tax for c in certificates), money.ZERO),
    })
    return queries.load_employer(conn), certificates


PAYROLL_DUTIES = ("sso", "pnd1", "pnd1a", "wht50_employees")


def record_files_made(conn: Connection, user: str | None, duty: str, period: str,
                      files: list[dict]) -> bool:
    """Admin only: ``files`` (name, sha256, bytes) recorded as made for ``duty`` of ``period``
    ('YYYY-MM', or 'YYYY' for the yearly duties), audited (``TAX_FILES_MADE``). A duty already
    recorded as filed keeps the files it was filed with: nothing changes, False."""
    if duty not in PAYROLL_DUTIES:
        raise ValueError(f"not a payroll duty: {duty!r}")
    who = access.check(conn, user, "payroll", admin=True)
    recorded = queries.save_filing_files(conn, duty, period, files, who.email)
    if recorded:
        audit.record(conn, who.email, "TAX_FILES_MADE", "tax_filing", f"{duty}/{period}",
                     after={"files": files})
    return recorded
