"""Closing a payroll month (business-rules §3): the checklist, the service-charge pool, reopening.

The payroll close dashboard (``close_dashboard.py``) calls these services; each takes the
connection of ONE transaction, checks access, validates, writes and audits, and never commits.
Running the finance notebook and finalising reuse ``run.py`` and the run machinery of
``backoffice jobs`` (the notebook hands the dashboard a starter, see ``close_dashboard``).

Who may do what: admins act (save the pool, run, finalise, reopen with a reason); any other
allowed user may look at the month's checklist without names or pay (``can_act`` is False).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import access, audit, bangkok, money, values
from ..models.core import MonthlyServiceCharge, PublicHoliday
from . import load
from .compute import PayrollResult
from .diff import DIFF_COLUMNS, compute_run_diff, snapshot_lines
from .run import PayrollBlocked, compute_finalisable_run, compute_month

AREA = "payroll"
POOL = MonthlyServiceCharge.__table__
HOLIDAYS = PublicHoliday.__table__
RUNS = load.RUNS


class CloseRefused(ValueError):
    """A close action that cannot be done; the message is for a person."""


# --------------------------------------------------------------------------- parsing (pure)


def compute_close_month(text: str, today: dt.date) -> str:
    """A month a person may close: YYYY-MM, not after the current Bangkok month."""
    value = (text or "").strip()
    try:
        values.parse_business_month(value)
    except bangkok.BadMonth as exc:
        raise CloseRefused(str(exc)) from None
    if value > bangkok.month_key(today):
        raise CloseRefused(f"{value} is in the future: payroll closes a month that has begun")
    return value


def compute_pool_amount(value) -> Decimal:
    """The service-charge pool typed by a person: '12,345.50', '฿ 800' or a Decimal.

    Refused (values.parse_money, the rule of every amount): empty, negative, not a plain ASCII
    number, more than 2 decimals, beyond numeric(12,2).
    """
    text = value.strip() if isinstance(value, str) else value
    try:
        amount = values.parse_money(text, "the month's service-charge pool")
    except values.BadNumber as exc:
        raise CloseRefused(str(exc)) from None
    return money.round_money(amount)


# --------------------------------------------------------------------------- data access


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


# --------------------------------------------------------------------------- services


def _require_open(conn: Connection, month: str, doing: str) -> None:
    finalised = load.load_finalised_run(conn, month)
    if finalised:
        raise CloseRefused(
            f"payroll {month} is finalised (by {finalised['finalised_by']} at "
            f"{finalised['finalised_at'].astimezone(bangkok.BANGKOK):%Y-%m-%d %H:%M}): "
            f"reopen it before you {doing}"
        )


def save_service_charge(conn: Connection, month: str, amount, user: str | None) -> dict:
    """Enter or correct ``month``'s service-charge pool (admin; refused once finalised); audited."""
    who = access.check(conn, user, AREA, admin=True)
    month = compute_close_month(month, bangkok.today())
    value = compute_pool_amount(amount)
    _require_open(conn, month, "change its service charge")
    before = load_service_charge(conn, month)
    save_service_charge_row(conn, month, value)
    audit.record(
        conn,
        who.email,
        "SERVICE_CHARGE_SAVE",
        "monthly_service_charge",
        month,
        before={"total_amount": before["total_amount"]} if before else None,
        after={"total_amount": value},
    )
    return {
        "month": month,
        "total_amount": value,
        "before": before["total_amount"] if before else None,
    }


def reopen_payroll(conn: Connection, month: str, user: str | None, reason: str) -> dict:
    """Reopen a finalised month (admin, with a reason); its finalised run becomes a draft."""
    who = access.check(conn, user, AREA, admin=True)
    bangkok.parse_month(month)
    reason = " ".join((reason or "").split())
    if not reason:
        raise CloseRefused("reopening a finalised month needs a reason (kept in the audit)")
    finalised = load.load_finalised_run(conn, month)
    if finalised is None:
        raise CloseRefused(f"payroll {month} is not finalised: there is nothing to reopen")
    conn.execute(
        sa.update(RUNS)
        .where(RUNS.c.id == finalised["id"])
        .values(status="draft", finalised_by=None, finalised_at=None)
    )
    audit.record(
        conn,
        who.email,
        "PAYROLL_REOPEN",
        "payroll_run",
        finalised["id"],
        before={
            "status": "finalised",
            "finalised_by": finalised["finalised_by"],
            "finalised_at": finalised["finalised_at"],
        },
        after={"status": "draft"},
        details={"reason": reason, "month": month},
    )
    return {"run_id": finalised["id"], "month": month, "reason": reason}


# --------------------------------------------------------------------------- the checklist


@dataclass
class CloseChecklist:
    """What the close dashboard shows for a month. ``result`` is None for a viewer who may not
    see names and pay."""

    month: str
    can_act: bool
    pool: Decimal | None
    pool_updated_at: dt.datetime | None
    holidays: list[tuple[dt.date, str]]
    finalised: dict | None
    latest_run: dict | None
    current_run: dict | None  # the latest run of the data as it is now (load.load_current_run)
    blocking_errors: int
    review_flags: int
    people: int
    total_pay: Decimal | None
    result: PayrollResult | None = field(default=None, repr=False)

    @property
    def locked(self) -> bool:
        return self.finalised is not None


def load_close_checklist(conn: Connection, month: str, user: str | None) -> CloseChecklist:
    """The month's checklist; any allowed user may look, only admins see names and pay."""
    who = access.check(conn, user, AREA, admin=False)
    bangkok.parse_month(month)
    pool = load_service_charge(conn, month)
    runs = load.load_runs(conn, month)
    result = compute_month(conn, month)
    return CloseChecklist(
        month=month,
        can_act=who.is_admin,
        pool=pool["total_amount"] if pool else None,
        pool_updated_at=pool["updated_at"] if pool else None,
        holidays=load_holidays(conn, month),
        finalised=load.load_finalised_run(conn, month),
        latest_run=runs[0] if runs else None,
        current_run=load.load_current_run(conn, month, result.checksum),
        blocking_errors=len(result.errors),
        review_flags=len(result.flags),
        people=len(result.lines),
        total_pay=result.totals["total_pay"] if who.is_admin else None,
        result=result if who.is_admin else None,
    )


def compute_checklist_steps(checklist: CloseChecklist) -> list[dict]:
    """The close steps in order, each with a state (done | todo | blocked | info) and a line."""
    c = checklist
    steps = []
    if c.pool is None:
        steps.append({"step": "Service-charge pool", "state": "todo",
                      "detail": "not entered: the run will share 0 THB"})
    else:
        steps.append({"step": "Service-charge pool", "state": "done",
                      "detail": f"฿{c.pool:,.2f}"})
    names = ", ".join(f"{d:%d %b} {n}" for d, n in c.holidays) or "none this month"
    steps.append({"step": "Public holidays", "state": "info", "detail": names})
    steps.append({
        "step": "Blocking errors",
        "state": "blocked" if c.blocking_errors else "done",
        "detail": (f"{c.blocking_errors} to fix before finalising" if c.blocking_errors
                   else "none"),
    })
    steps.append({
        "step": "Review flags",
        "state": "todo" if c.review_flags else "done",
        "detail": f"{c.review_flags} to review" if c.review_flags else "none",
    })
    steps.append(compute_run_step(c))
    if c.finalised:
        steps.append({
            "step": "Finalise",
            "state": "done",
            "detail": f"locked: finalised by {c.finalised['finalised_by']} at "
                      f"{c.finalised['finalised_at'].astimezone(bangkok.BANGKOK):%Y-%m-%d %H:%M}",
        })
    else:
        steps.append({"step": "Finalise", "state": "blocked" if c.blocking_errors else "todo",
                      "detail": "not finalised"})
    return steps


def compute_run_step(c: CloseChecklist) -> dict:
    """The "Run payroll" step: done only by a finished run of the month's data as it is now."""
    latest, current = c.latest_run, c.current_run
    if latest is None:
        return {"step": "Run payroll", "state": "todo", "detail": "no run of this month yet"}
    if c.finalised:
        current = c.finalised
    elif current is None:
        return {"step": "Run payroll", "state": "todo",
                "detail": f"the data changed since run #{latest['id']}: run payroll again"}
    elif current.get("job_status") == "running":
        return {"step": "Run payroll", "state": "todo",
                "detail": f"run #{current['id']} is still running"}
    elif current.get("job_status") == "failed":
        return {"step": "Run payroll", "state": "blocked",
                "detail": f"run #{current['id']} failed: run payroll again"}
    return {
        "step": "Run payroll",
        "state": "done",
        "detail": f"run #{current['id']} by {current['created_by']} at "
                  f"{current['created_at'].astimezone(bangkok.BANGKOK):%Y-%m-%d %H:%M}",
    }


def prepare_run(conn: Connection, month: str, user: str | None) -> str:
    """The month a person may run payroll for from the close page (admin, open month)."""
    access.check(conn, user, AREA, admin=True)
    month = compute_close_month(month, bangkok.today())
    _require_open(conn, month, "run it again")
    return month


def prepare_finalise(conn: Connection, month: str, user: str | None) -> tuple[str, str]:
    """The question a person answers before finalising, and the checksum of the data it is
    about; refused (ValueError) when the month cannot be finalised as it is."""
    access.check(conn, user, AREA, admin=True)
    _require_open(conn, month, "finalise it again")
    result = compute_month(conn, month)
    if result.has_blocking_errors:
        raise PayrollBlocked("fix the blocking errors first: "
                             + "; ".join(result.errors["message"]))
    compute_finalisable_run(month, load.load_current_run(conn, month, result.checksum))
    return compute_finalise_question(result), result.checksum


def _span(row) -> str:
    start = "?" if row.clock_in is None or pd.isna(row.clock_in) else f"{row.clock_in:%H:%M}"
    end = "?" if row.clock_out is None or pd.isna(row.clock_out) else f"{row.clock_out:%H:%M}"
    return f"{start}–{end} ({row.hours} h)"


def compute_flags_with_entries(result: PayrollResult) -> pd.DataFrame:
    """Each blocking error and review flag with the person and the entries behind it."""
    sessions = result.sessions[result.sessions["in_month"]]
    by_day: dict[tuple[int, dt.date], list[str]] = {}
    by_person: dict[int, int] = {}
    for row in sessions.itertuples(index=False):
        by_day.setdefault((int(row.staff), row.work_date), []).append(_span(row))
        by_person[int(row.staff)] = by_person.get(int(row.staff), 0) + 1
    rows = [
        {
            "kind": "blocking",
            "person": f"{e['staff_name']} ({e['staff_id']})",
            "date": "",
            "flag": e["error"],
            "detail": e["message"],
            "entries": f"{by_person.get(int(e['staff']), 0)} sessions this month",
        }
        for e in result.errors.to_dict("records")
    ]
    rows += [
        {
            "kind": "review",
            "person": f"{f['staff_name']} ({f['staff_id']})",
            "date": f["work_date"].isoformat(),
            "flag": f["flag"].replace("_", " "),
            "detail": f["detail"],
            "entries": "; ".join(by_day.get((int(f["staff"]), f["work_date"]), [])),
        }
        for f in result.flags.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["kind", "person", "date", "flag", "detail", "entries"])


def compute_correctable_entries(result: PayrollResult) -> list[tuple[str, int, str]]:
    """Flagged entries a person can correct: (label, entry id, suggested action add|delete)."""
    names = dict(zip(result.lines["staff"], result.lines["staff_name"]))
    found = []
    sessions = result.sessions[result.sessions["in_month"]]
    for row in sessions.itertuples(index=False):
        if row.flag == "missing_clock_out" and row.clock_in_id is not None:
            found.append(((f"{names.get(row.staff, row.staff)}: missing clock-out after "
                          f"{row.clock_in:%Y-%m-%d %H:%M} (#{row.clock_in_id})"),
                          int(row.clock_in_id), "add"))
        elif row.flag == "orphan_clock_out" and row.clock_out_id is not None:
            found.append(((f"{names.get(row.staff, row.staff)}: clock-out without clock-in at "
                          f"{row.clock_out:%Y-%m-%d %H:%M} (#{row.clock_out_id})"),
                          int(row.clock_out_id), "delete"))
    return found


def load_run_summary(
    conn: Connection, month: str, user: str | None, run_folder: str | None = None
) -> dict:
    """A finished run of ``month`` (the one written to ``run_folder``, else the latest) with
    its totals and what changed against the month's previous run and against last month."""
    access.check(conn, user, AREA, admin=True)
    runs = load.load_runs(conn, month)
    chosen = next((r for r in runs if run_folder and r["run_folder"] == run_folder), None)
    chosen = chosen or (runs[0] if runs else None)
    if chosen is None:
        raise CloseRefused(f"payroll {month} has no run yet")
    position = runs.index(chosen)  # newest first: the run before it comes next
    previous = runs[position + 1] if position + 1 < len(runs) else None
    last_month = bangkok.previous_month(month)
    last_runs = load.load_runs(conn, last_month)
    if last_runs:
        base = next((r for r in last_runs if r["status"] == "finalised"), last_runs[0])
        last_lines, source = base["lines"], f"{base['status']} run #{base['id']} of {last_month}"
    else:
        last_lines = snapshot_lines(compute_month(conn, last_month))
        source = f"{last_month} computed now (no run saved)"
    return {
        "run_id": chosen["id"],
        "month": month,
        "people": chosen["people"],
        "totals": chosen["totals"],
        "diff_previous": (compute_run_diff(previous["lines"], chosen["lines"]) if previous
                          else pd.DataFrame(columns=DIFF_COLUMNS)),
        "previous_source": (f"run #{previous['id']}" if previous
                            else "first run of the month"),
        "diff_last_month": compute_run_diff(last_lines, chosen["lines"]),
        "last_month_source": source,
    }


def compute_finalise_question(result: PayrollResult) -> str:
    """The confirmation a person reads before finalising: total and head count."""
    return (
        f"Finalise payroll {result.month}: {len(result.lines)} people, total "
        f"฿{result.totals['total_pay']:,.2f}? The month's time entries and pay rates are then "
        "locked; only an admin with a reason can reopen it."
    )
