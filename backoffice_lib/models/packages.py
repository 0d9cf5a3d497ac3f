"""Tables added by the packages work (filled in by its migration)."""
