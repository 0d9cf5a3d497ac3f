"""Customer hour packages and coach pay (business-rules §4, §5).

Rooms: ``rules`` is pure; ``service`` sells, uses, transfers and extends packages (one
transaction each, audited); ``alerts`` raises the daily alerts; ``coaching`` computes coach
earnings; ``dashboard`` is the package monitor.
"""
