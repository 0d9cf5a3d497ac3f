"""Tables added by the timeclock work (filled in by its migration)."""
