"""Supplier invoices (business-rules §6): ``service`` (suppliers, numbering, amounts, void),
``pdf`` (the A4 invoice in Thai) and ``report`` (the month's notebook)."""
