"""Payslips reach each person of a finalised month, encrypted, once (delivery.md §2-§3), over a
real SMTP server in process. Each test has its own database (a run commits as it goes)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from delivery_fixtures import (  # noqa: F401 (fixtures)
    ADMIN,
    CLERK,
    MONTH,
    PEOPLE,
    add_person,
    finalise,
    free_port,
    punch,
    reopen,
    smtp_server,
    world,
)
from pypdf import PdfReader

from backoffice_lib import database
from backoffice_lib.delivery.rules import DeliveryRefused
from backoffice_lib.payroll.rules.close import CloseRefused
from backoffice_lib.payroll.service.delivery import deliver_payslips


def deliver(world, server, **options):
    return deliver_payslips(MONTH, options.pop("user", ADMIN), engine=world.engine,
                            channels=options.pop("channels", None) or server.channels(),
                            **options)


def pdf_of(message) -> bytes:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    return part.get_content()


def test_each_person_gets_their_payslip_once_and_the_unreachable_are_skipped_and_named(
        world, smtp_server):
    report = deliver(world, smtp_server)
    assert sorted(e["recipient"] for e in report.sent) == ["Alice Able (D001)", "Bob Baker (D002)"]
    assert {e["recipient"]: e["why"] for e in report.skipped} == {
        "Chai Chan (D003)": "no e-mail address",
        "Dao Dee (D004)": "no valid national ID (the PDF's password)"}
    assert report.exit_code == 0
    assert len(smtp_server.recorder.messages) == 2
    again = deliver(world, smtp_server)
    assert again.sent == [] and len(again.already_sent) == 2 and len(again.skipped) == 2
    assert len(smtp_server.recorder.messages) == 2  # a rerun sends nothing twice
    states = {(r["recipient_name"], r["state"]) for r in world.outbox()}
    assert ("Alice Able (D001)", "sent") in states and ("Chai Chan (D003)", "skipped") in states
    assert all(r["message_id"].startswith("<") for r in world.outbox() if r["state"] == "sent")


def test_every_payslip_is_aes_256_and_opens_only_with_the_national_id(world, smtp_server):
    deliver(world, smtp_server)
    for code in ("D001", "D002"):
        _, address, national_id = PEOPLE[code]
        [message] = smtp_server.recorder.to(address)
        data = pdf_of(message)
        reader = PdfReader(io.BytesIO(data))
        assert reader.is_encrypted
        encrypt = reader.trailer["/Encrypt"]
        assert (encrypt["/V"], encrypt["/R"]) == (5, 6)
        assert encrypt["/CF"]["/StdCF"]["/CFM"] == "/AESV3"
        assert not reader.decrypt("0000000000000")
        assert not reader.decrypt("")
        assert reader.decrypt(national_id)
        assert "Payslip 2025-01" in reader.pages[0].extract_text()
        text = message.get_body(("plain",)).get_content()
        assert "13-digit national ID" in text and "เลขประจำตัวประชาชน 13 หลัก" in text
        assert "January 2025" in text and "มกราคม 2568" in text
        for shown in (text, message["Subject"], pdf_filename(message)):
            assert national_id not in shown
        assert message["Message-ID"] in {r["message_id"] for r in world.outbox()}


def pdf_filename(message) -> str:
    return next(message.iter_attachments()).get_filename()


def test_a_month_not_finalised_is_refused_and_nothing_is_sent(world, smtp_server):
    reopen(world.engine)
    with pytest.raises(CloseRefused, match="not finalised"):
        deliver(world, smtp_server)
    assert smtp_server.recorder.messages == [] and world.outbox() == []


def test_only_admins_deliver(world, smtp_server):
    from backoffice_lib.access import AccessDenied

    with pytest.raises(AccessDenied):
        deliver(world, smtp_server, user=CLERK)


def test_a_person_added_after_reopen_and_finalise_gets_theirs_and_no_one_else_again(
        world, smtp_server):
    deliver(world, smtp_server)
    reopen(world.engine)
    with database.transaction(world.engine) as conn:
        add_person(conn, "D005", "Eve Early", "eve@staff.example.org",
                   _valid_id("120000000005"))
    finalise(world.engine)
    report = deliver(world, smtp_server)
    assert [e["recipient"] for e in report.sent] == ["Eve Early (D005)"]
    assert sorted(e["recipient"] for e in report.already_sent) == [
        "Alice Able (D001)", "Bob Baker (D002)"]
    assert len(smtp_server.recorder.messages) == 3


def _valid_id(first12: str) -> str:
    from backoffice_lib.payroll.rules.statutory import make_national_id

    return make_national_id(first12)


def test_a_changed_payslip_goes_again_saying_it_corrects_the_earlier_one(world, smtp_server):
    deliver(world, smtp_server)
    reopen(world.engine)
    with database.transaction(world.engine) as conn:
        punch(conn, world.staff["D001"], "2025-01-07 09:00", "2025-01-07 17:00")
    finalise(world.engine)
    report = deliver(world, smtp_server)
    assert [e["recipient"] for e in report.sent] == ["Alice Able (D001)"]
    messages = smtp_server.recorder.to("alice@staff.example.org")
    assert len(messages) == 2
    assert "corrects" in messages[1]["Subject"] and "corrects" not in messages[0]["Subject"]
    rows = [r for r in world.outbox() if r["recipient_name"] == "Alice Able (D001)"]
    assert rows[1]["corrects_id"] == rows[0]["id"]
    assert rows[0]["attachment_sha256"] != rows[1]["attachment_sha256"]


def test_a_recipient_the_server_refuses_fails_alone_and_is_retried_next_run(world, smtp_server):
    smtp_server.recorder.refuse.add("bob@staff.example.org")
    report = deliver(world, smtp_server)
    assert [e["recipient"] for e in report.sent] == ["Alice Able (D001)"]
    [failed] = report.failed
    assert failed["recipient"] == "Bob Baker (D002)" and "550" in failed["why"]
    assert report.exit_code == 1
    smtp_server.recorder.refuse.clear()
    again = deliver(world, smtp_server)
    assert [e["recipient"] for e in again.sent] == ["Bob Baker (D002)"]
    [bob] = [r for r in world.outbox() if r["recipient_name"] == "Bob Baker (D002)"]
    assert (bob["state"], bob["attempts"], bob["last_error"]) == ("sent", 2, None)


def test_the_server_down_fails_every_message_exit_2_then_up_sends_exactly_those(
        world, smtp_server):
    down = smtp_server.channels(f"smtp://127.0.0.1:{free_port()}")
    report = deliver(world, smtp_server, channels=down)
    assert report.sent == [] and len(report.failed) == 2 and report.exit_code == 2
    assert all("cannot be reached" in e["why"] for e in report.failed)
    assert {r["state"] for r in world.outbox() if r["state"] != "skipped"} == {"failed"}
    again = deliver(world, smtp_server)
    assert sorted(e["recipient"] for e in again.sent) == ["Alice Able (D001)", "Bob Baker (D002)"]
    assert again.exit_code == 0 and len(smtp_server.recorder.messages) == 2


def test_five_failed_attempts_stop_until_outbox_retry_starts_the_count_again(
        world, smtp_server):
    from backoffice_lib.delivery.service import retry_outbox

    smtp_server.recorder.refuse.add("bob@staff.example.org")
    for _ in range(5):
        deliver(world, smtp_server)
    sixth = deliver(world, smtp_server)
    assert [e["why"] for e in sixth.failed] == ["5 attempts failed; `outbox retry` to try again"]
    assert sixth.exit_code == 1
    smtp_server.recorder.refuse.clear()
    assert deliver(world, smtp_server).sent == []  # still given up
    with database.transaction(world.engine) as conn:
        [row] = retry_outbox(conn, ADMIN, kind="payslip", period=MONTH)
    assert row["recipient_name"] == "Bob Baker (D002)"
    assert [e["recipient"] for e in deliver(world, smtp_server).sent] == ["Bob Baker (D002)"]
    with world.engine.connect() as conn:
        actions = conn.scalars(sa.text("SELECT action FROM backoffice.audit_logs"
                                       " WHERE action LIKE 'OUTBOX%' OR action LIKE 'DELIVERY%'"
                                       )).all()
    assert "OUTBOX_RETRY" in actions and "DELIVERY_RUN" in actions


def test_resend_sends_again_with_its_reason_audited_and_needs_a_reason(world, smtp_server):
    deliver(world, smtp_server)
    with pytest.raises(CloseRefused, match="reason"):
        deliver(world, smtp_server, resend_reason="  ")
    report = deliver(world, smtp_server, resend_reason="Bob lost the e-mail",
                     staff_code="D002")
    assert [e["recipient"] for e in report.sent] == ["Bob Baker (D002)"]
    assert len(smtp_server.recorder.to("bob@staff.example.org")) == 2
    with world.engine.connect() as conn:
        details = conn.scalar(sa.text("SELECT details FROM backoffice.audit_logs"
                                      " WHERE action = 'DELIVERY_RESEND'"))
    assert details["reason"] == "Bob lost the e-mail"


def test_a_dry_run_needs_no_mail_server_and_sends_nothing(world, smtp_server):
    from backoffice_lib.delivery.service import Channels

    report = deliver(world, smtp_server, dry_run=True, channels=Channels())
    assert sorted(e["recipient"] for e in report.would_send) == [
        "Alice Able (D001)", "Bob Baker (D002)"]
    assert len(report.skipped) == 2 and report.exit_code == 0
    assert world.outbox() == [] and smtp_server.recorder.messages == []


def test_no_mail_server_is_a_refusal_that_says_how_to_set_it(world, smtp_server):
    from backoffice_lib.delivery.service import Channels

    with pytest.raises(DeliveryRefused, match="BACKOFFICE_SMTP_URL"):
        deliver(world, smtp_server, channels=Channels(mail_from="x@studio.example"))
    assert world.outbox() == []


def test_a_person_skipped_for_no_email_gets_theirs_once_an_admin_adds_it(world, smtp_server):
    from backoffice_lib.payroll.rules.statutory import BadStatutoryValue
    from backoffice_lib.payroll.service.delivery import set_staff_email

    deliver(world, smtp_server)
    with database.transaction(world.engine) as conn:
        with pytest.raises(BadStatutoryValue, match="not an e-mail"):
            set_staff_email(conn, ADMIN, world.staff["D003"], "chai at home")
        set_staff_email(conn, ADMIN, world.staff["D003"], "chai@staff.example.org")
    report = deliver(world, smtp_server)
    assert [e["recipient"] for e in report.sent] == ["Chai Chan (D003)"]
    assert len(smtp_server.recorder.to("chai@staff.example.org")) == 1
    [chai] = [r for r in world.outbox() if r["recipient_name"] == "Chai Chan (D003)"]
    assert (chai["state"], chai["skip_reason"]) == ("sent", None)
    with world.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs"
                                   " WHERE action = 'STAFF_EMAIL_SET'")) == 1


def test_a_resend_of_one_never_sent_sends_it_once_and_the_next_run_not_again(world,
                                                                              smtp_server):
    report = deliver(world, smtp_server, resend_reason="first time through --resend",
                     staff_code="D002")
    assert [e["recipient"] for e in report.sent] == ["Bob Baker (D002)"]
    again = deliver(world, smtp_server)
    assert [e["recipient"] for e in again.sent] == ["Alice Able (D001)"]
    assert len(smtp_server.recorder.to("bob@staff.example.org")) == 1


def test_a_resend_to_someone_whose_address_was_removed_skips_them_and_keeps_the_record(
        world, smtp_server):
    from backoffice_lib.payroll.service.delivery import set_staff_email

    deliver(world, smtp_server)
    with database.transaction(world.engine) as conn:
        set_staff_email(conn, ADMIN, world.staff["D001"], "")
    report = deliver(world, smtp_server, resend_reason="the server lost a batch")
    assert [e["recipient"] for e in report.sent] == ["Bob Baker (D002)"]
    assert "Alice Able (D001)" in [e["recipient"] for e in report.skipped]
    states = [r["state"] for r in world.outbox() if r["recipient_name"] == "Alice Able (D001)"]
    assert states == ["sent"]
