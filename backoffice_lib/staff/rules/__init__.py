"""The staff domain's pure rules: values and DataFrames in and out, no database, no widgets.

- ``sessions``: work sessions from time-clock entries (business-rules §3.1), shared with payroll.
- ``attendance``: shifts generated from patterns, on time / late / left early / no show (§2).
- ``pins``: a PIN's form and its bcrypt hash (§1).
"""
