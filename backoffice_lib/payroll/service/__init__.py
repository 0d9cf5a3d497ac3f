"""Payroll services: load, validate, compute, save and audit in the caller's transaction.

What the CLI, the notebooks, the jobs and the dashboards call. Each takes the connection of ONE
transaction and never commits; the entry point wraps it in ``with database.transaction() as
conn:``. This module: a month's pay (``load_month_payroll``), the draft run (``run_payroll``) and
finalising (``finalise_payroll``); ``service.close`` the close page's actions,
``service.statutory`` the admin's statutory data, ``service.filings`` filings and certificates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from ... import access, audit, bangkok, values
from .. import queries
from ..rules import PayrollResult, compute_payroll
from ..rules.diff import snapshot_lines


class PayrollBlocked(ValueError):
    """The month has blocking errors (sessions without compensation): it cannot be finalised."""


class AlreadyFinalised(ValueError):
    """The month already has a finalised run."""


class NoFinishedRun(ValueError):
    """The month has no finished run of its current data: finance has not seen what it locks."""


@dataclass
class PayrollRunReport:
    """A draft run of a month, with what it is compared against."""

    month: str
    user: str
    result: PayrollResult
    run_id: int
    status: str  # 'finalised' when the month's finalised run has the same data checksum
    lines: list[dict]
    previous_run: dict | None = None  # the month's run before this one
    last_month: str = ""
    last_month_lines: list[dict] = field(default_factory=list)
    last_month_source: str = ""
    output_dir: str = ""


def load_month_payroll(conn: Connection, month: values.Month | str) -> PayrollResult:
    """Load and compute a month (no writes)."""
    month = values.month_key(month)
    return compute_payroll(queries.load_payroll_inputs(conn, month))


def load_payroll_months(conn: Connection, month: values.Month | str, user: str | None,
                        count: int = 3) -> list[PayrollResult]:
    """``month`` and the ``count - 1`` months before it, computed now (the managers' dashboard:
    payroll's readers only; no writes)."""
    access.check(conn, user, "payroll")
    key = values.month_key(month)
    results = []
    for _ in range(count):
        results.append(load_month_payroll(conn, key))
        key = bangkok.previous_month(key)
    return results


def _summary(result: PayrollResult) -> dict:
    return {
        "month": result.month,
        "checksum": result.checksum,
        "people": len(result.lines),
        "totals": {k: str(v) for k, v in result.totals.items()},
        "blocking_errors": len(result.errors),
        "review_flags": len(result.flags),
    }


def run_payroll(
    conn: Connection, month: values.Month | str, user: str | None, output_dir: str | None = None
) -> PayrollRunReport:
    """Compute ``month``, save it as a draft run, audit it; compare with the previous runs."""
    month = values.month_key(month)
    who = access.check(conn, user, "payroll")
    result = load_month_payroll(conn, month)
    previous_runs = queries.load_runs(conn, month)
    finalised = queries.load_finalised_run(conn, month)
    last_month = bangkok.previous_month(month)
    last_runs = queries.load_runs(conn, last_month)
    if last_runs:
        chosen = next((r for r in last_runs if r["status"] == "finalised"), last_runs[0])
        last_lines = chosen["lines"]
        source = f"{chosen['status']} run #{chosen['id']} of {last_month}"
    else:
        last_lines = snapshot_lines(load_month_payroll(conn, last_month))
        source = f"{last_month} computed now (no run saved)"
    lines = snapshot_lines(result)
    summary = _summary(result)
    run_id = queries.save_run(conn, _draft_run(month, result, summary, who.email, output_dir or None))
    audit.record(conn, who.email, "PAYROLL_RUN", "payroll_run", run_id, after=summary)
    status = "finalised" if finalised and finalised["checksum"] == result.checksum else "draft"
    return PayrollRunReport(
        month=month,
        user=who.email,
        result=result,
        run_id=run_id,
        status=status,
        lines=lines,
        previous_run=previous_runs[0] if previous_runs else None,
        last_month=last_month,
        last_month_lines=last_lines,
        last_month_source=source,
        output_dir=output_dir or "",
    )


def _draft_run(month, result, summary: dict, user: str, run_folder: str | None = None) -> dict:
    """The payroll_runs row of a computed month, as a draft (finalising marks it afterwards)."""
    return {
        "month": month,
        "status": "draft",
        "checksum": result.checksum,
        "people": summary["people"],
        "total_pay": result.totals["total_pay"],
        "totals": summary["totals"],
        "service_charge": {k: str(v) for k, v in result.service_charge.items()},
        "lines": snapshot_lines(result),
        "blocking_errors": summary["blocking_errors"],
        "review_flags": summary["review_flags"],
        "run_folder": run_folder,
        "created_by": user,
    }


def require_finished_run(month: str, run: dict | None) -> None:
    """A month is finalised on a finished run of its current data (what finance has seen):
    refused when there is none, or when the notebook run that writes its files has not
    succeeded."""
    if run is None:
        raise NoFinishedRun(
            f"payroll {month} has no run of its current data: run payroll first (the time "
            "entries, pay rates or service charge changed since the last run, or it never ran)"
        )
    if run.get("job_status") == "running":
        raise NoFinishedRun(f"payroll {month}: run #{run['id']} is still running; finalise "
                            "when it has finished")
    if run.get("job_status") == "failed":
        raise NoFinishedRun(f"payroll {month}: the last run (#{run['id']}) failed "
                            f"({run.get('job_error') or 'see the Runs page'}): run payroll again")


def finalise_payroll(conn: Connection, month: values.Month | str, user: str | None) -> dict:
    """Lock ``month`` (admin only) on its finished run of the current data; audited.

    Refuses a month with blocking errors, one already finalised, and one whose data changed
    since its last finished run (``NoFinishedRun``).
    """
    month = values.month_key(month)
    who = access.check(conn, user, "payroll", admin=True)
    existing = queries.load_finalised_run(conn, month)
    if existing:
        raise AlreadyFinalised(
            f"payroll {month} was already finalised by {existing['finalised_by']} "
            f"at {existing['finalised_at']:%Y-%m-%d %H:%M}"
        )
    result = load_month_payroll(conn, month)
    if result.has_blocking_errors:
        raise PayrollBlocked(
            f"payroll {month} cannot be finalised: " + "; ".join(result.errors["message"])
        )
    run = queries.load_current_run(conn, month, result.checksum)
    require_finished_run(month, run)
    summary = _summary(result)
    run_id = run["id"]
    queries.save_finalised(conn, run_id, who.email)
    audit.record(conn, who.email, "PAYROLL_FINALISE", "payroll_run", run_id,
                 before={"status": "draft"}, after={**summary, "status": "finalised"})
    return {"run_id": run_id, **summary, "status": "finalised", "finalised_by": who.email}
