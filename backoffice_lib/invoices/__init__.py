"""Supplier invoices (business-rules §6). The rooms: ``rules`` (pure: items, amounts, numbers,
tax IDs, a month's totals), ``queries`` (SQL), ``service`` (suppliers, invoices, void, PDFs: access,
audit), ``reports/`` (``pdf``: the A4 invoice in Thai; ``invoices_month``: the month's notebook)
and ``invoices_dashboard`` (widgets)."""
