"""Staff and the time clock (business-rules §1, §2): people, PINs, punches, schedules, attendance.

Rooms: ``sessions`` and ``attendance`` are pure rules; ``people``, ``timeclock`` and
``schedules`` hold the SQL and the services (one transaction each, audited); ``kiosk``,
``dashboard`` and ``attendance_explorer`` are the dashboards.
"""
