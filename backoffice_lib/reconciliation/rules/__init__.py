"""The reconciliation's rules (pure): a file's cell rows read into data (``parsing``) and
matched with the POS side (``matching``). No SQL, no files, no widgets."""
