"""Tables added by access and sign-in (filled in by its migration)."""
