"""Tables added by the payroll work (filled in by its migration)."""
