"""The live import's SQL: the live source read (``source``), staging and set inserts into the
workbench (``staging``), the quarantine (``quarantine``), the live tables as DDL (``live_shape``)."""
