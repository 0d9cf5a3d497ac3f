"""Tables added by the partitioning and archival work (filled in by its migration)."""
