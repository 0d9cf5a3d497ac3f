"""The reconciliation's files: the partner's file read (``partner_file``), a session's workbook
(``workbook``) and the run notebook's report (``reconciliation_run``)."""
