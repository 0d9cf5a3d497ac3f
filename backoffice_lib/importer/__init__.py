"""The one-way import from the studio's live system (issue 16, ``live-system.md``).

Rooms: ``mapping`` (pure: live columns, row conversions, refusal predictions, rules and fixes),
``source`` (the live URL or a pg_dump restored into a staging database, read-only),
``load`` (SQL: staging, set inserts through the real rules, quarantine, versions, sequences),
``quarantine`` (reading and deciding quarantined rows), ``service`` (``run_import`` and the
review's fixes, one transaction each), ``dashboard`` (the admins' quarantine review),
``live_shape`` (the live tables as DDL, for tests and the benchmark).
"""
