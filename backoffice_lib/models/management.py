"""Tables added by managers' forms (filled in by its migration)."""
