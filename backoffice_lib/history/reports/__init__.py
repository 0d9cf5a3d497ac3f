"""The history domain's files: the partitions' maintenance report (``partitions_maintain``) and
the schema as ``docs/schema.sql`` (``schema_dump``)."""
