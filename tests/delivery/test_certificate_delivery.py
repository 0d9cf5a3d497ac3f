"""Employees' 50 ทวิ reach them like payslips (delivery.md §2): encrypted with the national ID,
once, the skipped named."""

from __future__ import annotations

import datetime as dt
import io

from cli_runner import run_backoffice
from delivery_fixtures import ADMIN, PEOPLE, SENDER, smtp_server, world  # noqa: F401 (fixtures)
from pypdf import PdfReader

from backoffice_lib.payroll.service.delivery import deliver_employee_certificates

TODAY = dt.date(2025, 2, 15)  # January 2025 has ended


def test_each_employee_gets_their_50_tawi_encrypted_once(world, smtp_server):
    report = deliver_employee_certificates(2025, ADMIN, channels=smtp_server.channels(),
                                           engine=world.engine, today=TODAY)
    assert sorted(e["recipient"] for e in report.sent) == ["Alice Able (D001)", "Bob Baker (D002)"]
    assert len(report.skipped) == 2 and report.exit_code == 0
    [message] = smtp_server.recorder.to("alice@staff.example.org")
    assert "50 ทวิ" in message["Subject"] and "tax year 2025" in message["Subject"]
    [part] = list(message.iter_attachments())
    reader = PdfReader(io.BytesIO(part.get_content()))
    assert reader.trailer["/Encrypt"]["/R"] == 6 and not reader.decrypt("1234567890123")
    assert reader.decrypt(PEOPLE["D001"][2])
    again = deliver_employee_certificates(2025, ADMIN, channels=smtp_server.channels(),
                                          engine=world.engine, today=TODAY)
    assert again.sent == [] and len(again.already_sent) == 2
    assert len(smtp_server.recorder.messages) == 2


def test_certificates_deliver_dry_run_from_the_command_line(world):
    done = run_backoffice("payroll", "certificates", "--year", "2025", "--deliver", "--dry-run",
                          env=world.env(BACKOFFICE_MAIL_FROM=SENDER))
    assert done.returncode == 0, done.stderr
    assert "2 would be sent" in done.stdout
    nowhere = run_backoffice("payroll", "certificates", "--year", "2025", env=world.env())
    assert nowhere.returncode == 2 and "--deliver" in nowhere.stderr
