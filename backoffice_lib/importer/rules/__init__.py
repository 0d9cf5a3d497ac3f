"""The live import's rules (pure): the live columns and row conversions (``mapping``), the
archive's table of contents judged (``archive``), the quarantine review (``review``)."""
