"""The tax calendar, pure (supplier-tax.md §5): the duties of a month, their due dates and states.

- **Duties of month M** (the period they report): social security สปส.1-10 (``sso``), ภ.ง.ด.1
  (``pnd1``), ภ.ง.ด.3 (``pnd3``), ภ.ง.ด.53 (``pnd53``). The yearly ones of year Y, ภ.ง.ด.1ก
  (``pnd1a``) and the employees' 50 ทวิ (``wht50_employees``), are listed in the calendars of
  January and February of Y+1: the two months whose close happens while they fall due.
- **Due dates**, each moved to the next working day past Saturdays, Sundays and the studio's
  active public holidays: ``sso`` the 15th of M+1 (paper and online alike); ``pnd1``/``pnd3``/
  ``pnd53`` the 7th of M+1 on paper and the 15th online while the online extension runs (the
  nominal 15th on or before the dated setting ``online_filing_extension_until``, default
  2027-01-31; past it, online is due with paper); the yearly ones the last day of February Y+1.
- **States**: ``filed`` (a filed date is recorded), else ``nothing_to_file`` (nothing to report
  and no files made), else ``overdue`` (today is past the online due date), else ``files_made``
  or ``files_not_made``. Overdue is judged against the online due date, the later of the two.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from .. import values

MONTHLY_DUTIES = ("sso", "pnd1", "pnd3", "pnd53")
YEARLY_DUTIES = ("pnd1a", "wht50_employees")
DUTIES = MONTHLY_DUTIES + YEARLY_DUTIES
DUTY_LABELS = {
    "sso": "Social security (สปส.1-10)",
    "pnd1": "Salaries withholding (ภ.ง.ด.1)",
    "pnd3": "Individuals withholding (ภ.ง.ด.3)",
    "pnd53": "Companies withholding (ภ.ง.ด.53)",
    "pnd1a": "Yearly salaries return (ภ.ง.ด.1ก)",
    "wht50_employees": "Employees' certificates (50 ทวิ)",
}
STATES = ("nothing_to_file", "files_not_made", "files_made", "filed", "overdue")
STATE_LABELS = {
    "nothing_to_file": "nothing to file",
    "files_not_made": "files not made",
    "files_made": "files made",
    "filed": "filed",
    "overdue": "overdue",
}
EXTENSION_SETTING = "online_filing_extension_until"
DEFAULT_EXTENSION_UNTIL = dt.date(2027, 1, 31)
PAPER_DAY = 7
ONLINE_DAY = 15
SSO_DAY = 15
RECEIPT_MAX = 60
RECEIPT = re.compile(r"[^\x00-\x1f\x7f]+")


class BadFiling(ValueError):
    """A filing record refused where it entered; the text is the message a person reads."""


@dataclass(frozen=True)
class Duty:
    """One duty of one period: ``period`` is 'YYYY-MM' (monthly) or 'YYYY' (yearly)."""

    duty: str
    period: str
    paper_due: dt.date
    online_due: dt.date

    @property
    def label(self) -> str:
        return DUTY_LABELS[self.duty]


@dataclass(frozen=True)
class CalendarRow:
    """A duty with what the register and the data say about it, and its state."""

    duty: Duty
    state: str
    something_to_file: bool
    note: str = ""
    files: list[dict] = field(default_factory=list)
    files_made_at: dt.datetime | None = None
    files_made_by: str | None = None
    filed_on: dt.date | None = None
    receipt_no: str | None = None
    filed_by: str | None = None

    def as_dict(self) -> dict:
        return {
            "duty": self.duty.duty, "label": self.duty.label, "period": self.duty.period,
            "paper_due": self.duty.paper_due.isoformat(),
            "online_due": self.duty.online_due.isoformat(),
            "state": self.state, "note": self.note,
            "files": [dict(f) for f in self.files],
            "files_made_at": self.files_made_at.isoformat() if self.files_made_at else None,
            "files_made_by": self.files_made_by,
            "filed_on": self.filed_on.isoformat() if self.filed_on else None,
            "receipt_no": self.receipt_no, "filed_by": self.filed_by,
        }


# --------------------------------------------------------------------------- due dates


def compute_working_day(day: dt.date, holidays: Collection[dt.date]) -> dt.date:
    """``day``, or the next day that is neither a Saturday, a Sunday nor a holiday."""
    while day.weekday() >= 5 or day in holidays:
        day += dt.timedelta(days=1)
    return day


def compute_online_day(nominal_paper: dt.date, extension_until: dt.date) -> dt.date:
    """The online due date before moving: the 15th while the extension covers it, else paper."""
    extended = nominal_paper.replace(day=ONLINE_DAY)
    return extended if extended <= extension_until else nominal_paper


def compute_yearly_period(month: values.Month) -> str | None:
    """The tax year whose yearly duties the calendar of ``month`` lists (January and February
    of the next year), else None."""
    return str(month.year - 1) if month.month in (1, 2) else None


def compute_duties(month: values.Month, holidays: Collection[dt.date],
                   extension_until: dt.date = DEFAULT_EXTENSION_UNTIL) -> list[Duty]:
    """The duties the calendar of ``month`` lists, with their paper and online due dates."""
    following = month.next().first_day
    period = str(month)
    paper = following.replace(day=PAPER_DAY)
    online = compute_online_day(paper, extension_until)
    sso = compute_working_day(following.replace(day=SSO_DAY), holidays)
    duties = [Duty("sso", period, sso, sso)]
    for duty in ("pnd1", "pnd3", "pnd53"):
        duties.append(Duty(duty, period, compute_working_day(paper, holidays),
                           compute_working_day(online, holidays)))
    year = compute_yearly_period(month)
    if year is not None:
        end_of_february = dt.date(int(year) + 1, 3, 1) - dt.timedelta(days=1)
        due = compute_working_day(end_of_february, holidays)
        duties += [Duty(duty, year, due, due) for duty in YEARLY_DUTIES]
    return duties


def compute_holiday_window(month: values.Month) -> tuple[dt.date, dt.date]:
    """The dates whose holidays can move a due date of ``month``'s calendar."""
    return month.first_day, month.next().next().last_day


# --------------------------------------------------------------------------- states


def compute_state(duty: Duty, *, something_to_file: bool, files: list, filed_on: dt.date | None,
                  today: dt.date) -> str:
    if filed_on is not None:
        return "filed"
    if not something_to_file and not files:
        return "nothing_to_file"
    if today > duty.online_due:
        return "overdue"
    return "files_made" if files else "files_not_made"


def compute_calendar(duties: list[Duty], records: Mapping[tuple[str, str], Mapping],
                     something: Mapping[str, tuple[bool, str]], today: dt.date
                     ) -> list[CalendarRow]:
    """One row per duty: ``records`` the register's rows by (duty, period); ``something`` per
    duty whether there is something to file and a note saying why (or why not)."""
    rows = []
    for duty in duties:
        record = records.get((duty.duty, duty.period)) or {}
        files = list(record.get("files") or [])
        has, note = something.get(duty.duty, (True, ""))
        filed_on = record.get("filed_on")
        rows.append(CalendarRow(
            duty=duty,
            state=compute_state(duty, something_to_file=has, files=files, filed_on=filed_on,
                                today=today),
            something_to_file=has, note=note, files=files,
            files_made_at=record.get("files_made_at"), files_made_by=record.get("files_made_by"),
            filed_on=filed_on, receipt_no=record.get("receipt_no"),
            filed_by=record.get("filed_by"),
        ))
    return rows


def compute_payroll_something(finalised: Mapping | None, total_key: str, what: str
                              ) -> tuple[bool, str]:
    """Whether a monthly payroll duty has something to file: only a finalised payroll whose
    ``total_key`` total is zero says no; before the payroll is finalised the duty stands."""
    if finalised is None:
        return True, "payroll not finalised yet"
    total = values.parse_money(str((finalised.get("totals") or {}).get(total_key, "0")))
    if total == 0:
        return False, f"finalised payroll: no {what}"
    return True, f"finalised payroll: {what} {total:,.2f}"


def compute_yearly_something(finalised_people: Mapping[str, int]) -> tuple[bool, str]:
    """The yearly duties stand unless every finalised month of the year paid nobody."""
    if finalised_people and not any(finalised_people.values()):
        return False, "no one paid in the year's finalised payrolls"
    return True, f"{len(finalised_people)} month(s) of payroll finalised"


def compute_invoice_something(payments: int, unknown_kind: int, form: str) -> tuple[bool, str]:
    """Whether ``form`` (pnd3/pnd53) has something to file: a paid invoice with tax whose payee
    is of its kind, or whose payee kind is not recorded yet (it may be on either form)."""
    if payments == 0 and unknown_kind == 0:
        return False, "no payment with tax in the month"
    note = f"{payments} payment(s) with tax"
    if unknown_kind:
        note += f"; {unknown_kind} to a supplier without a payee kind"
    return True, note


# --------------------------------------------------------------------------- values typed


def parse_duty(text: str) -> str:
    if text not in DUTIES:
        raise BadFiling(f"unknown duty {text!r}: one of {', '.join(DUTIES)}")
    return text


def parse_period(duty: str, text: str) -> str:
    """'YYYY-MM' for a monthly duty, 'YYYY' for a yearly one."""
    if duty in YEARLY_DUTIES:
        if not re.fullmatch(r"[0-9]{4}", text or ""):
            raise BadFiling(f"{duty} is yearly: give the tax year as YYYY, not {text!r}")
        values.Month(int(text), 1)  # a year of the calendar
        return text
    try:
        return str(values.parse_business_month(text))
    except ValueError as exc:
        raise BadFiling(f"{duty} is monthly: {exc}") from None


def compute_period_end(period: str) -> dt.date:
    if len(period) == 4:
        return dt.date(int(period), 12, 31)
    return values.Month.parse(period).last_day


def check_filed_on(period: str, filed_on: dt.date, today: dt.date) -> dt.date:
    """A filing date is not in the future and not before its period ended."""
    if filed_on > today:
        raise BadFiling(f"the filing date {filed_on} is in the future (today is {today})")
    if filed_on <= compute_period_end(period):
        raise BadFiling(f"the filing date {filed_on} is not after the period {period} ended")
    return filed_on


def parse_receipt(text: str) -> str:
    receipt = (text or "").strip()
    if not receipt:
        raise BadFiling("the receipt number is required")
    if len(receipt) > RECEIPT_MAX or not RECEIPT.fullmatch(receipt):
        raise BadFiling(f"the receipt number must be printable text of at most {RECEIPT_MAX} "
                        "characters")
    return receipt


def parse_extension_until(text: str | None) -> dt.date:
    """The setting's value ('YYYY-MM-DD'); no row means the default."""
    if text is None or not text.strip():
        return DEFAULT_EXTENSION_UNTIL
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadFiling(f"setting {EXTENSION_SETTING} is not a date: {text!r}") from None
