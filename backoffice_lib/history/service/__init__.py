"""The history domain's services (access checks, queries, rules, audit, in the caller's
transaction): the audit explorer's reads (``audit``)."""
