"""Delivery (delivery.md): payslips, certificates and package alerts reach people, once.

The rooms: ``rules`` (pure: the never-twice plan, the SMTP setting, the messages' texts),
``queries`` (the outbox), ``channels`` (e-mail over SMTP, LINE's push API: the only network I/O),
``reports`` (a PDF protected with AES-256), ``service`` (a delivery run: a row before each
message, the state after it, the audit). The domains that send build on it: payroll
(payslips, employees' 50 ทวิ), invoices (suppliers' 50 ทวิ), packages (alerts).
"""
