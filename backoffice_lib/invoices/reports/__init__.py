"""The supplier invoices' files: an invoice as a PDF (``pdf``), the month's notebook report
(``invoices_month``: the invoices, totals and withholding tax, PDFs written), the month's
withholding filings ภ.ง.ด.3 / ภ.ง.ด.53 (``withholding``) and the suppliers' 50 ทวิ
(``certificates``)."""

from .certificates import write_withholding_certificates
from .withholding import write_withholding_filings

__all__ = ["write_withholding_certificates", "write_withholding_filings"]
