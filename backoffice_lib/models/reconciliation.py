"""Tables added by the reconciliation work (filled in by its migration)."""
