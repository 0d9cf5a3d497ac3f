"""Tables added by the jobs work (filled in by its migration)."""
