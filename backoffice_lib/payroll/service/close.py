"""Closing a payroll month (business-rules §3): the checklist, the service-charge pool, reopening.

The payroll close dashboard calls these services; each takes the connection of ONE transaction,
checks access, validates, writes and audits, and never commits. Running the finance notebook and
finalising reuse ``service`` and the run machinery of ``backoffice jobs`` (the notebook hands the
dashboard a starter, see ``close_dashboard``).

Who may do what: admins act (save the pool, run, finalise, reopen with a reason); any other
allowed user may look at the month's checklist without names or pay (``can_act`` is False).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Connection

from ... import access, audit, bangkok
from .. import queries
from ..rules.close import (
    CloseChecklist,
    CloseRefused,
    compute_acknowledge_reason,
    compute_close_month,
    compute_finalise_question,
    compute_flag_groups,
    compute_pool_amount,
)
from ..rules.diff import DIFF_COLUMNS, compute_run_diff, snapshot_lines
from . import PayrollBlocked, load_month_payroll, require_finished_run

AREA = "payroll"


def _require_open(conn: Connection, month: str, doing: str) -> None:
    finalised = queries.load_finalised_run(conn, month)
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
    before = queries.load_service_charge(conn, month)
    queries.save_service_charge_row(conn, month, value)
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
    finalised = queries.load_finalised_run(conn, month)
    if finalised is None:
        raise CloseRefused(f"payroll {month} is not finalised: there is nothing to reopen")
    queries.save_reopened(conn, finalised["id"])
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


def acknowledge_review_flags(conn: Connection, month: str, user: str | None,
                             groups: list[tuple[int, str]], reason: str) -> dict:
    """Acknowledge groups of ``month``'s review flags, each (staff.id, flag kind), with one
    reason (admin; refused once finalised); audited. A group acknowledged before gets the new
    reason. The close checklist then counts only the groups not acknowledged."""
    who = access.check(conn, user, AREA, admin=True)
    month = compute_close_month(month, bangkok.today())
    reason = compute_acknowledge_reason(reason)
    chosen = sorted({(int(staff), str(kind)) for staff, kind in groups})
    if not chosen:
        raise CloseRefused("pick the groups of review flags to acknowledge")
    _require_open(conn, month, "acknowledge its review flags")
    current = compute_flag_groups(load_month_payroll(conn, month).flags, {})
    counts = {(g["staff"], g["flag"]): g for g in current.to_dict("records")}
    unknown = [f"{kind} of staff #{staff}" for staff, kind in chosen if (staff, kind) not in counts]
    if unknown:
        raise CloseRefused(f"payroll {month} has no such review flags (the data changed?): "
                           + ", ".join(unknown))
    queries.save_review_acknowledgements(conn, month, chosen, reason, who.email)
    acknowledged = [{"staff_id": counts[key]["staff_id"], "flag": key[1],
                     "flags": counts[key]["flags"]} for key in chosen]
    audit.record(conn, who.email, "PAYROLL_FLAGS_ACKNOWLEDGE", "payroll_month", month,
                 after={"groups": acknowledged, "reason": reason})
    return {"month": month, "groups": len(chosen),
            "flags": sum(g["flags"] for g in acknowledged), "reason": reason}


def load_close_checklist(conn: Connection, month: str, user: str | None) -> CloseChecklist:
    """The month's checklist; any allowed user may look, only admins see names and pay."""
    who = access.check(conn, user, AREA, admin=False)
    bangkok.parse_month(month)
    pool = queries.load_service_charge(conn, month)
    runs = queries.load_runs(conn, month)
    result = load_month_payroll(conn, month)
    groups = compute_flag_groups(result.flags, queries.load_review_acknowledgements(conn, month))
    acknowledged = int(groups["acknowledged"].sum())
    return CloseChecklist(
        month=month,
        can_act=who.is_admin,
        pool=pool["total_amount"] if pool else None,
        pool_updated_at=pool["updated_at"] if pool else None,
        holidays=queries.load_holidays(conn, month),
        finalised=queries.load_finalised_run(conn, month),
        latest_run=runs[0] if runs else None,
        current_run=queries.load_current_run(conn, month, result.checksum),
        blocking_errors=len(result.errors),
        review_flags=len(result.flags),
        people=len(result.lines),
        total_pay=result.totals["total_pay"] if who.is_admin else None,
        result=result if who.is_admin else None,
        review_groups=len(groups) - acknowledged,
        acknowledged_groups=acknowledged,
        flag_groups=groups if who.is_admin else None,
    )


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
    result = load_month_payroll(conn, month)
    if result.has_blocking_errors:
        raise PayrollBlocked("fix the blocking errors first: "
                             + "; ".join(result.errors["message"]))
    require_finished_run(month, queries.load_current_run(conn, month, result.checksum))
    return compute_finalise_question(result), result.checksum


def load_run_summary(
    conn: Connection, month: str, user: str | None, run_folder: str | None = None
) -> dict:
    """A finished run of ``month`` (the one written to ``run_folder``, else the latest) with
    its totals and what changed against the month's previous run and against last month."""
    access.check(conn, user, AREA, admin=True)
    runs = queries.load_runs(conn, month)
    chosen = next((r for r in runs if run_folder and r["run_folder"] == run_folder), None)
    chosen = chosen or (runs[0] if runs else None)
    if chosen is None:
        raise CloseRefused(f"payroll {month} has no run yet")
    position = runs.index(chosen)  # newest first: the run before it comes next
    previous = runs[position + 1] if position + 1 < len(runs) else None
    last_month = bangkok.previous_month(month)
    last_runs = queries.load_runs(conn, last_month)
    if last_runs:
        base = next((r for r in last_runs if r["status"] == "finalised"), last_runs[0])
        last_lines, source = base["lines"], f"{base['status']} run #{base['id']} of {last_month}"
    else:
        last_lines = snapshot_lines(load_month_payroll(conn, last_month))
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
