"""The payroll's files and the finance notebook's calls (notebooks/payroll/payroll_run.ipynb):
one function per cell. ``outputs`` writes a run's workbook, payslips and manifest, ``filings`` the
statutory filings, ``certificates`` the withholding certificates.

``prepare_payroll_run`` checks access, computes the month and saves it as a draft run (audited),
in one transaction; the other functions only shape what it returned into tables, and
``write_outputs`` writes the run folder's files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ... import access, database, session_user, settings
from ..rules import COMPONENTS
from ..rules.diff import compute_run_diff
from ..rules.statutory import NET_MONEY_TOTALS
from ..service import PayrollRunReport, run_payroll
from .outputs import compute_pay_table, table_columns, write_run_outputs


def _note(text: str) -> pd.DataFrame:
    return pd.DataFrame({"": [text]})


def prepare_payroll_run(month: str, output_dir: str = "", user: str | None = None
                        ) -> PayrollRunReport:
    """Compute ``month`` and save a draft run, as the signed-in user (BACKOFFICE_USER)."""
    who = user or session_user.signed_in_user()
    access.require(who, "payroll")
    folder = output_dir or str(settings.data_dir() / "runs" / "payroll-manual" / month)
    with database.transaction() as conn:
        return run_payroll(conn, month, who, folder)


def run_heading(run: PayrollRunReport) -> pd.DataFrame:
    result = run.result
    return pd.DataFrame(
        {
            "month": [run.month],
            "status": [run.status],
            "people": [len(result.lines)],
            "blocking errors": [len(result.errors)],
            "review flags": [len(result.flags)],
            "data checksum": [result.checksum[:16]],
            "run": [f"#{run.run_id} by {run.user}"],
        }
    )


def blocking_errors_table(run: PayrollRunReport) -> pd.DataFrame:
    errors = run.result.errors
    if errors.empty:
        return _note("No blocking errors: the month can be finalised.")
    return errors[["staff_id", "staff_name", "message"]]


def review_flags_table(run: PayrollRunReport) -> pd.DataFrame:
    flags = run.result.flags
    if flags.empty:
        return _note("No review flags.")
    return flags[["staff_id", "staff_name", "work_date", "flag", "detail"]]


def payroll_table(run: PayrollRunReport) -> pd.DataFrame:
    rows = compute_pay_table(run.result)
    return pd.DataFrame(rows, columns=table_columns(run.result))


def totals_table(run: PayrollRunReport) -> pd.DataFrame:
    result = run.result
    names = COMPONENTS + ["total_pay"]
    if result.has_net_pay:
        names += NET_MONEY_TOTALS
    rows = [(name, f"{result.totals[name]:,.2f}") for name in names]
    sc = result.service_charge
    rows += [
        ("service-charge pool", f"{sc['pool']:,.2f}"),
        ("eligible staff", str(sc["eligible"])),
        ("share each (rounded down)", f"{sc['share']:,.2f}"),
        ("undistributed remainder", f"{sc['undistributed']:,.2f}"),
    ]
    return pd.DataFrame(rows, columns=["component", "THB"])


def diff_previous_run_table(run: PayrollRunReport) -> pd.DataFrame:
    """Against the month's previous run: who changed and why."""
    if run.previous_run is None:
        return _note(f"First run of {run.month}: nothing to compare.")
    diff = compute_run_diff(run.previous_run["lines"], run.lines)
    if diff.empty:
        return _note(f"No change since run #{run.previous_run['id']} "
                     f"({run.previous_run['created_at']:%Y-%m-%d %H:%M}).")
    return diff


def diff_last_month_table(run: PayrollRunReport) -> pd.DataFrame:
    """Against last month (its finalised run, else its latest run, else computed now)."""
    diff = compute_run_diff(run.last_month_lines, run.lines)
    if diff.empty:
        return _note(f"No change against {run.last_month_source}.")
    return diff.assign(compared_with=run.last_month_source)


def write_outputs(run: PayrollRunReport) -> pd.DataFrame:
    """Workbook, payslips and manifest into the run's output folder; lists what was written."""
    files = write_run_outputs(run.result, Path(run.output_dir), run.status)
    return pd.DataFrame(
        [(name, path.stat().st_size) for name, path in sorted(files.items())],
        columns=["file", "bytes"],
    )


def write_run_filings(run: PayrollRunReport, user: str | None = None) -> pd.DataFrame:
    """The month's statutory filings (admin only, audited) into the run folder's ``filings/``;
    lists what was written, or who blocks the filings (insured without a valid national ID)."""
    from ..rules.filings import FilingsBlocked
    from ..service.filings import prepare_filings
    from .filings import record_filings_made, write_filings

    who = user or run.user
    try:
        with database.transaction() as conn:
            filings = prepare_filings(conn, run.month, who, result=run.result)
    except FilingsBlocked as blocked:
        return pd.DataFrame({"blocking: insured without a valid national ID": blocked.people})
    files = write_filings(filings, Path(run.output_dir) / "filings")
    rows = [(f"filings/{name}", path.stat().st_size) for name, path in sorted(files.items())]
    rows += [("warning", w) for w in filings.warnings]
    rows += [("note", n) for n in record_filings_made(who, run.month, files)]
    return pd.DataFrame(rows, columns=["file", "bytes"])
