"""Years of history (business-rules §9): monthly ``partitions``, the ``archive`` of finalised
entries and expired packages, ``backup`` and restore, the schema dump; ``rules`` (pure: the audit
explorer's filter, pages and diffs), ``queries/`` (``audit_events``: the audit trail as events;
``pages``: keyset-paged reads), ``service/`` (``audit``: the explorer's reads, access checked) and
the ``audit_explorer_dashboard``."""
