"""The one-way import from the studio's live system (issue 16, ``live-system.md``).

Rooms: ``rules/`` (pure: ``mapping``: live columns, row conversions, refusal predictions, rules
and fixes; ``archive``: an archive's table of contents judged; ``review``: the quarantine grouped
for review), ``queries/`` (``source``: the live URL or a pg_dump restored into a staging database,
read-only; ``staging``: staging, set inserts through the real rules, quarantine, versions,
sequences; ``quarantine``: reading and deciding quarantined rows; ``live_shape``: the live tables
as DDL, for tests and the benchmark), ``service`` (``run_import`` and the review's fixes, one
transaction each) and ``import_review_dashboard`` (the admins' quarantine review).
"""
