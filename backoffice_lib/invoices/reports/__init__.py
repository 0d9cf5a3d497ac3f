"""The supplier invoices' files: an invoice as a PDF (``pdf``) and the month's notebook report
(``invoices_month``: the invoices, totals and withholding tax, PDFs written)."""
