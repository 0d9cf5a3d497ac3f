"""The tax calendar's service (supplier-tax.md §5): admins only (area ``taxes``).

- ``load_tax_calendar``: every duty the calendar of a month lists, its paper and online due
  dates (``rules.compute_duties``), what the register says (files made with their checksums,
  filed date and receipt) and its state. Reading writes nothing.
- ``record_filed``: an admin records a duty as filed (date and the receipt number of the Revenue
  Department or the fund), audited (``TAX_FILED``) in the caller's transaction. A duty already
  recorded as filed is corrected only with a reason.
- ``load_downloads``: the files recorded as made that a run of the workbench kept (matched by
  their sha256 in ``job_runs.outputs``): served by ``backoffice serve``'s run files, which check
  access and audit each download.

The files themselves are made (and recorded as made) by the commands and jobs that write them:
``backoffice payroll filings`` / ``certificates`` and the payroll run (sso, pnd1,
wht50_employees), ``backoffice invoice filings`` and the monthly invoices job (pnd3, pnd53).
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

from sqlalchemy.engine import Connection

from .. import access, audit, bangkok, values
from . import queries, rules
from .rules import BadFiling, CalendarRow

AREA = "taxes"

__all__ = ["AREA", "BadFiling", "load_downloads", "load_extension_until", "load_tax_calendar",
           "record_filed"]


def load_extension_until(conn: Connection) -> dt.date:
    """The last day the online extension covers (payroll_settings
    ``online_filing_extension_until``, default 2027-01-31)."""
    return rules.parse_extension_until(queries.load_setting(conn, rules.EXTENSION_SETTING))


def _month(month: values.Month | str) -> values.Month:
    return month if isinstance(month, values.Month) else values.Month.parse(month)


def _something(conn: Connection, month: values.Month, duties: list[rules.Duty]
               ) -> dict[str, tuple[bool, str]]:
    key = str(month)
    finalised = queries.load_finalised_payroll(conn, key)
    payments = queries.load_withholding_payments(conn, month.first_day, month.last_day)
    unknown = payments.get(None, 0)
    something = {
        "sso": rules.compute_payroll_something(finalised, "sso_employee", "contributions"),
        "pnd1": rules.compute_payroll_something(finalised, "withholding_tax", "tax withheld"),
        "pnd3": rules.compute_invoice_something(payments.get("individual", 0), unknown, "pnd3"),
        "pnd53": rules.compute_invoice_something(payments.get("juristic", 0), unknown, "pnd53"),
    }
    yearly = [d for d in duties if d.duty in rules.YEARLY_DUTIES]
    if yearly:
        people = queries.load_finalised_people(conn, int(yearly[0].period))
        for duty in yearly:
            something[duty.duty] = rules.compute_yearly_something(people)
    return something


def load_tax_calendar(conn: Connection, user: str | None, month: values.Month | str,
                      today: dt.date | None = None) -> list[CalendarRow]:
    """The calendar of ``month``: one row per duty, in the order of ``rules.DUTIES``."""
    access.check(conn, user, AREA, admin=True)
    month = _month(month)
    first, last = rules.compute_holiday_window(month)
    holidays = queries.load_holiday_dates(conn, first, last)
    duties = rules.compute_duties(month, holidays, load_extension_until(conn))
    records = queries.load_filings(conn, [(d.duty, d.period) for d in duties])
    return rules.compute_calendar(duties, records, _something(conn, month, duties),
                                  today or bangkok.today())


def record_filed(conn: Connection, user: str | None, duty: str, period: str,
                 filed_on: dt.date, receipt_no: str, *, reason: str | None = None,
                 today: dt.date | None = None) -> dict:
    """Record ``duty`` of ``period`` ('YYYY-MM', or 'YYYY' for a yearly duty) as filed on
    ``filed_on`` with the receipt number; audited. Raises ``BadFiling`` (a message for a
    person) for an unknown duty, a period of the wrong shape, a date in the future or before
    the period ended, an empty receipt, or a duty filed already without a reason."""
    who = access.check(conn, user, AREA, admin=True)
    duty = rules.parse_duty(duty)
    period = rules.parse_period(duty, period)
    filed_on = rules.check_filed_on(period, filed_on, today or bangkok.today())
    receipt_no = rules.parse_receipt(receipt_no)
    reason = (reason or "").strip() or None
    before = queries.load_filing(conn, duty, period, lock=True)
    if before and before["filed_on"] is not None and reason is None:
        raise BadFiling(f"{duty} {period} is recorded as filed on {before['filed_on']} "
                        f"(receipt {before['receipt_no']}): give a reason to correct it")
    queries.save_filed(conn, duty, period, filed_on, receipt_no, who.email)
    after = {"filed_on": filed_on, "receipt_no": receipt_no}
    audit.record(
        conn, who.email, "TAX_FILED", "tax_filing", f"{duty}/{period}",
        before=({"filed_on": before["filed_on"], "receipt_no": before["receipt_no"]}
                if before and before["filed_on"] is not None else None),
        after=after, details={"reason": reason} if reason else None,
    )
    return {"duty": duty, "period": period, **after, "filed_by": who.email}


def load_downloads(conn: Connection, user: str | None, rows: list[CalendarRow]
                   ) -> dict[tuple[str, str], list[dict]]:
    """Per (duty, period), the recorded files a run kept: name, sha256, bytes, run id and the
    output's path in that run (newest run first); a file made outside a run (the command line's
    ``--out``) has no run and is listed without one."""
    access.check(conn, user, AREA, admin=True)
    wanted = {f["sha256"] for row in rows for f in row.files if f.get("sha256")}
    kept: dict[tuple[str, str], dict] = {}
    for found in queries.load_run_files(conn, wanted):
        key = (found["sha256"], PurePosixPath(found["path"]).name)
        kept.setdefault(key, found)
    downloads = {}
    for row in rows:
        listed = []
        for f in row.files:
            run = kept.get((f.get("sha256"), f.get("name")))
            listed.append({**f, "run_id": run["run_id"] if run else None,
                           "path": run["path"] if run else None})
        downloads[(row.duty.duty, row.duty.period)] = listed
    return downloads
