"""The analysts' API (issue 27): one query per call, tidy typed frames with Bangkok times.

Each function reads through SQLAlchemy in one query (``queries``) and builds its frame with the
pure ``rules``; ``engine`` defaults to the workbench's (``BACKOFFICE_DATABASE_URL``: in a lab
kernel, the analyst role's login). Periods are Bangkok dates, both ends included, given as
``datetime.date`` or ``"YYYY-MM-DD"``; an empty ``end`` is today, an empty ``start`` the
``days`` days up to ``end`` (the starter notebooks' defaults).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.engine import Engine

from .. import bangkok, database
from . import queries, rules

DEFAULT_DAYS = 90


def _period(start, end, days: int) -> tuple[dt.date, dt.date]:
    last = rules.parse_day(end, "end") if end else bangkok.today()
    return rules.compute_period(start or last - dt.timedelta(days=max(days, 1) - 1), last)


def _read(engine: Engine | None, load, *args, **kwargs) -> list[tuple]:
    with (engine or database.get_engine()).connect() as conn:
        return load(conn, *args, **kwargs)


def attendance(start="", end="", staff=None, *, days: int = DEFAULT_DAYS,
               as_of: dt.datetime | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """One row per shift dated ``start``..``end`` (planned start and end, clock-in and out,
    ``status`` on_time | late | no_show | upcoming, ``minutes_late``, ``left_early``, planned and
    worked hours) and per session worked outside any shift (``status`` unscheduled).

    ``staff``: None (everyone), a staff id, a name, or a list of them. Columns and types:
    ``rules.ATTENDANCE_DTYPES``."""
    first, last = _period(start, end, days)
    ids, names = rules.compute_staff_filter(staff)
    begin, finish = rules.compute_period_times(first, last)
    rows = _read(engine, queries.load_attendance_rows, first, last, begin, finish, ids, names)
    return rules.compute_attendance_frame(rows, first, last, as_of or bangkok.now())


def sessions(start="", end="", staff=None, *, days: int = DEFAULT_DAYS,
             engine: Engine | None = None) -> pd.DataFrame:
    """One row per work session (clock-in to clock-out) whose work date is in the period;
    ``flag`` names a missing clock-out or an orphan clock-out. Types: ``rules.SESSION_DTYPES``."""
    first, last = _period(start, end, days)
    ids, names = rules.compute_staff_filter(staff)
    begin, finish = rules.compute_period_times(first, last)
    rows = _read(engine, queries.load_attendance_rows, first, last, begin, finish, ids, names)
    return rules.compute_sessions_frame(rows, first, last)


def audit(start="", end="", *, days: int = DEFAULT_DAYS, user: str | None = None,
          resource_type: str | None = None,
          action: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """The audit trail (``audit_logs`` through ``audit_changes``, and ``staff_audit_log``) in the
    period: one row per change and field, ``before``/``after`` flattened as text. Pay values
    of pay resources read "(hidden)"; secrets never reach the trail. Types:
    ``rules.AUDIT_DTYPES``."""
    first, last = _period(start, end, days)
    begin, finish = rules.compute_period_times(first, last)
    rows = _read(engine, queries.load_audit_rows, begin, finish, user_email=user,
                 resource_type=resource_type, action=action)
    return rules.compute_audit_frame(rows)


def package_usage(start="", end="", *, days: int = DEFAULT_DAYS,
                  engine: Engine | None = None) -> pd.DataFrame:
    """Packages bought ``start``..``end`` with every use of them (a package never used: one
    row without usage). Types: ``rules.PACKAGE_USAGE_DTYPES``."""
    first, last = _period(start, end, days)
    return rules.compute_package_usage_frame(
        _read(engine, queries.load_package_usage_rows, first, last))


def sales(start="", end="", *, days: int = DEFAULT_DAYS, include_voided: bool = False,
          engine: Engine | None = None) -> pd.DataFrame:
    """Point-of-sale lines dated ``start``..``end`` (voided lines left out unless asked);
    amounts ``Decimal``. Types: ``rules.SALES_DTYPES``."""
    first, last = _period(start, end, days)
    return rules.compute_sales_frame(
        _read(engine, queries.load_sales_rows, first, last, include_voided=include_voided))
