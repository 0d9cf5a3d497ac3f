"""The month's tax duties in one calendar (supplier-tax.md §5): social security, ภ.ง.ด.1,
ภ.ง.ด.3, ภ.ง.ด.53 and the yearly ภ.ง.ด.1ก and employees' 50 ทวิ, their due dates (paper and
online, past weekends and the studio's holidays), the files made and the filings recorded.

Rooms: ``rules`` (pure: duties, due dates, states), ``queries`` (the register and what the
payroll and the invoices say about a month), ``service`` (admins; ``record_filed`` audited),
``month_close_dashboard`` (the Month close page). Builds on staff, payroll and invoices.
"""
