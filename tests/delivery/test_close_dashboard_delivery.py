"""The payroll close page's step 6 without a browser: after finalise, who will get a payslip
and who is skipped and why (a dry run), Send payslips, the month's outbox, Retry failed."""

from __future__ import annotations

import pytest
from delivery_fixtures import ADMIN, SENDER, finalise, punch, smtp_server, world  # noqa: F401 (fixtures)

from backoffice_lib import access, bangkok, database
from backoffice_lib.payroll.close_dashboard import PayrollClose

MONTH = bangkok.previous_month(bangkok.month_key(bangkok.today()))


@pytest.fixture
def page(world, smtp_server, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("BACKOFFICE_MAIL_FROM", SENDER)
    with database.transaction(world.engine) as conn:
        for code in ("D001", "D002", "D003"):
            punch(conn, world.staff[code], f"{MONTH}-10 09:00", f"{MONTH}-10 17:00")
        admin = access.load_user(conn, ADMIN)
    return world, admin


def test_before_finalise_nothing_can_be_sent(page):
    world, admin = page
    view = PayrollClose(admin, MONTH, None, world.engine)
    assert "once the month is finalised" in view.send_preview.value
    assert view.send_button.disabled


def test_send_payslips_then_the_outbox_then_retry_failed(page, smtp_server):
    world, admin = page
    finalise(world.engine, MONTH)
    view = PayrollClose(admin, MONTH, None, world.engine)
    assert "data-would-send='2'" in view.send_preview.value
    assert "Chai Chan (D003)" in view.send_preview.value
    assert "no e-mail address" in view.send_preview.value
    assert not view.send_button.disabled
    smtp_server.recorder.refuse.add("bob@staff.example.org")
    said = view.on_send()
    assert "1 sent" in said and "1 failed" in said
    assert "Alice Able (D001)" in view.outbox.value and "550" in view.outbox.value
    assert not view.retry_button.disabled
    smtp_server.recorder.refuse.clear()
    said = view.on_retry()
    assert "1 sent" in said and "1 already sent" in said
    assert len(smtp_server.recorder.messages) == 2
    assert "data-would-send='0'" in view.send_preview.value
    assert view.retry_button.disabled


def test_without_a_mail_server_the_page_says_how_to_set_it(page, monkeypatch):
    world, admin = page
    finalise(world.engine, MONTH)
    monkeypatch.delenv("BACKOFFICE_SMTP_URL")
    view = PayrollClose(admin, MONTH, None, world.engine)
    assert "data-would-send='2'" in view.send_preview.value  # the dry run needs no server
    said = view.on_send()
    assert "BACKOFFICE_SMTP_URL" in said and "data-state='refused'" in view.send_message.value
