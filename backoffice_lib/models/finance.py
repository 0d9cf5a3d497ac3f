"""Tables added by finance in the browser (column mappings, partner products) (filled in by its migration)."""
