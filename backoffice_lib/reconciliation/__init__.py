"""Reconciliation of partner and coach files against the point of sale (business-rules §7).

The rooms: ``rules`` (pure: ``parsing`` turns a file's cell rows into data, ``matching`` pairs
them with POS rows), ``queries`` (SQL), ``service`` (one transaction: load, run, save, review,
audit), ``reports`` (files: the partner's file read, a session's workbook, the run notebook's
report) and ``reconciliation_dashboard`` (widgets).
"""
