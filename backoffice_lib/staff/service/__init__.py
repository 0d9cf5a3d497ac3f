"""The staff domain's services: what the CLI, notebooks, jobs and forms call.

Each function takes the caller's connection, checks access on it, never commits, and audits each
change: ``people`` (lifecycle), ``timeclock`` (punches and corrections), ``schedules``,
``attendance`` (the explorer's reads), ``compensation`` (pay and coach rates), ``holidays``,
``settings`` (payroll and time-clock settings) and ``sign_in_users`` (``allowed_users``).
"""
