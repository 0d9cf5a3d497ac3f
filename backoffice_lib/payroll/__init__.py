"""The monthly payroll (business-rules §3).

compute.py  pure rules: sessions, days, weeks, pay lines, flags, blocking errors, checksum
diff.py     pure: what changed between two runs and why
load.py     SQL: the month's inputs, payroll_runs
run.py      services: run_payroll (draft, audited), finalise_payroll (admin, audited)
outputs.py  Excel workbook, PDF payslips, manifest of a run folder
report.py   the finance notebook's calls
dashboard.py  the managers' Voilà dashboard
"""

from .compute import PAY_COLUMNS, PayrollInputs, PayrollResult, compute_payroll

__all__ = ["PAY_COLUMNS", "PayrollInputs", "PayrollResult", "compute_payroll"]
