"""Customer hour packages and coach pay (business-rules §4, §5).

Rooms: ``rules`` is pure (statuses, usage refusals, alerts, the monitor's lists, coach totals);
``queries`` holds the SQL; ``service`` sells, uses, transfers and extends packages (one
transaction each, audited), with ``service.alerts`` (the daily alerts), ``service.coaching``
(coach earnings), ``service.customers`` (the front desk's customers) and ``service.monitor``
(the monitor's reads); ``reports`` writes the alert list and coach earnings files;
``front_desk_dashboard`` and ``package_monitor_dashboard`` are the pages.
"""
