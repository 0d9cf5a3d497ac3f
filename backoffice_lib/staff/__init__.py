"""Staff and the time clock (business-rules §1, §2): people, PINs, punches, schedules, attendance.

Rooms: ``rules/`` (pure: sessions, attendance, pins), ``queries/`` (SQL only), ``service/``
(one transaction's work each, access-checked and audited: people, timeclock, schedules,
attendance, compensation, holidays, settings, sign_in_users) and the ``*_dashboard`` modules
(widgets only: staff, staff admin, schedules, settings, attendance explorer, kiosk, and the one
entry-correction form the payroll close page shares).
"""
