"""The monthly payroll (business-rules §3), in the rooms every domain shares.

rules/          pure: the pay rules (``compute_payroll``), ``diff`` (what changed between two
                runs), ``statutory`` (net pay), ``close`` (the close checklist), ``filings``
                (filings and certificates), ``sso_file`` (the upload file's bytes)
queries.py      SQL only: the month's inputs, payroll_runs, the pool, holidays, statutory data
service/        transactions (access, queries, rules, audit): runs and finalising, ``close``,
                ``statutory``, ``filings``
reports/        files: the finance notebook's calls, ``outputs`` (workbook, payslips, manifest),
                ``filings``, ``certificates``
payroll_dashboard.py  the managers' Voilà dashboard
close_dashboard.py    the close checklist (Voilà)
"""

from .rules import PAY_COLUMNS, PayrollInputs, PayrollResult, compute_payroll

__all__ = ["PAY_COLUMNS", "PayrollInputs", "PayrollResult", "compute_payroll"]
