"""The staff domain's SQL: functions that take the caller's connection and return rows or frames
(never commit). ``attendance``: the reads of the attendance explorer and the staff dashboard."""
