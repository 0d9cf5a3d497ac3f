"""The history domain's SQL: the audit trail as events (``audit_events``) and paged reads of
large tables (``pages``)."""
