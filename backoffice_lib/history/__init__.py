"""Years of history (business-rules §9). The rooms: ``rules`` (pure: partitions' names and months,
the archive's month plan, the audit explorer's filter, pages and diffs), ``queries/``
(``partitions``: monthly partitions read and created; ``archive``: partitions and packages moved;
``backup``: tables, counts, checksums, scratch databases; ``audit_events``: the audit trail as
events; ``pages``: keyset-paged reads), ``service/`` (``partitions``: maintain; ``archive``: a month
archived or restored; ``backup``: backup and guarded restore; ``audit``: the explorer's reads),
``reports/`` (``partitions_maintain``: the job's report; ``schema_dump``: docs/schema.sql) and the
``audit_explorer_dashboard``."""
