"""The staff domain's SQL, one module per service (``people``, ``timeclock``, ``schedules``,
``attendance``, ``compensation``, ``holidays``, ``settings``, ``sign_in_users``): functions that
take the caller's connection, return rows or frames and never commit. ``refusals``: a write the
database refuses (a constraint or trigger), run in a savepoint, comes back as its reason."""
