"""Reconciliation of partner and coach files against the point of sale (business-rules §7).

``reading`` turns a CSV/.xlsx into rows, ``matching`` pairs them with POS rows (pure), ``service``
loads, runs, saves, reviews and exports sessions.
"""

from .matching import match_rows, name_similarity
from .reading import FileRefused, read_invoice_file
from .service import (
    ReconciliationError,
    export_session_workbook,
    load_items,
    load_session,
    load_sessions,
    reconcile_file,
    review_item,
    review_items,
    run_reconciliation,
)

__all__ = [
    "FileRefused", "ReconciliationError", "export_session_workbook", "load_items", "load_session",
    "load_sessions", "match_rows", "name_similarity", "read_invoice_file", "reconcile_file",
    "review_item", "review_items", "run_reconciliation",
]
