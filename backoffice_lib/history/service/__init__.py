"""The history domain's services (access checks, queries, rules, audit, in the caller's
transaction): ``audit`` (the explorer's reads), ``partitions`` (maintain), ``archive`` (a month
archived or restored, one transaction each) and ``backup`` (backup and guarded restore: the
database and its file, one operation each)."""
