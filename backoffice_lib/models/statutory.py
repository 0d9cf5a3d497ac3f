"""Tables added by net pay (statutory rates, allowances) (filled in by its migration)."""
