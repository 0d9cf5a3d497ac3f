"""The staff domain's pure rules: values and DataFrames in and out, no database, no widgets.

- ``sessions``: work sessions from time-clock entries (business-rules §3.1), shared with payroll;
  the flagged sessions a person corrects, grouped per person and kind.
- ``attendance``: shifts generated from patterns, on time / late / left early / no show (§2),
  and the attendance explorer's period, filters and pages.
- ``compensation``: pay rates parsed at the edge, a raise's plan, cuts and summaries (§3.2, §5).
- ``settings``: the payroll and time-clock settings' kinds, bounds and defaults.
- ``holidays`` (the Thai calendar), ``sign_in_users`` (e-mails, coach codes), ``pins`` (§1).
"""
