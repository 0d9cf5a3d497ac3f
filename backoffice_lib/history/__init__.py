"""Years of history (business-rules §9): monthly ``partitions``, the ``archive`` of finalised
entries and expired packages, ``backup`` and restore, ``pages`` (keyset-paged reads) and the
``audit_explorer`` dashboard."""
