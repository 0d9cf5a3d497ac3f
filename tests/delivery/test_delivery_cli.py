"""``backoffice payroll deliver`` and ``backoffice outbox`` in a process of their own: exit
codes, one-line refusals, a process killed between the server's accept and the row's update,
and the SMTP password that never shows."""

from __future__ import annotations

import json
import subprocess
import sys

import sqlalchemy as sa
from cli_runner import run_backoffice
from delivery_fixtures import (  # noqa: F401 (fixtures)
    CLERK,
    MONTH,
    SENDER,
    SmtpServer,
    free_port,
    reopen,
    smtp_server,
    world,
)


def test_dry_run_needs_no_mail_server_lists_who_gets_what_and_exits_0(world):
    done = run_backoffice("payroll", "deliver", "--month", MONTH, "--dry-run", env=world.env())
    assert done.returncode == 0, done.stderr
    assert "2 would be sent" in done.stdout and "2 skipped" in done.stdout
    assert "Chai Chan (D003)" in done.stdout and "no e-mail address" in done.stdout
    assert world.outbox() == []


def test_refusals_are_one_line_and_exit_2_with_nothing_sent(world, smtp_server):
    env = world.env(BACKOFFICE_SMTP_URL=smtp_server.url, BACKOFFICE_MAIL_FROM=SENDER)
    no_server = run_backoffice("payroll", "deliver", "--month", MONTH, env=world.env())
    assert no_server.returncode == 2 and "BACKOFFICE_SMTP_URL" in no_server.stderr
    no_reason = run_backoffice("payroll", "deliver", "--month", MONTH, "--resend", env=env)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    clerk = run_backoffice("payroll", "deliver", "--month", MONTH, "--user", CLERK, env=env)
    assert clerk.returncode == 2
    reopen(world.engine)
    not_final = run_backoffice("payroll", "deliver", "--month", MONTH, env=env)
    assert not_final.returncode == 2 and "not finalised" in not_final.stderr
    for done in (no_server, no_reason, clerk, not_final):
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert smtp_server.recorder.messages == [] and world.outbox() == []


def test_sent_then_listed_newest_first_and_a_server_down_exits_2(world, smtp_server):
    down = world.env(BACKOFFICE_SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
                     BACKOFFICE_MAIL_FROM=SENDER)
    failed = run_backoffice("payroll", "deliver", "--month", MONTH, env=down)
    assert failed.returncode == 2 and "2 failed" in failed.stdout
    retried = run_backoffice("outbox", "retry", "--kind", "payslip", "--period", MONTH, env=down)
    assert retried.returncode == 0 and "2 failed messages queued again" in retried.stdout
    assert {r["state"] for r in world.outbox()} == {"queued", "skipped"}
    env = world.env(BACKOFFICE_SMTP_URL=smtp_server.url, BACKOFFICE_MAIL_FROM=SENDER)
    sent = run_backoffice("payroll", "deliver", "--month", MONTH, env=env)
    assert sent.returncode == 0 and "2 sent" in sent.stdout, sent.stdout + sent.stderr
    listed = run_backoffice("outbox", "list", "--kind", "payslip", "--format", "json", env=env)
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    assert {r["state"] for r in rows} == {"sent", "skipped"}


def test_a_process_killed_after_the_server_accepted_never_sends_twice(world, smtp_server):
    """The server's hook SIGKILLs the sending process once it handed Alice's message over: the
    row holds her Message-ID in state 'sending'; the rerun treats it as sent."""
    smtp_server.recorder.kill_on = "alice@staff.example.org"
    env = world.env(BACKOFFICE_SMTP_URL=smtp_server.url, BACKOFFICE_MAIL_FROM=SENDER)
    process = subprocess.run([sys.executable, "-m", "backoffice_lib.cli", "payroll", "deliver",
                              "--month", MONTH], env=env, capture_output=True, text=True,
                             timeout=300, check=False)
    assert process.returncode == -9 and smtp_server.recorder.killed
    [alice] = [r for r in world.outbox() if r["recipient_name"] == "Alice Able (D001)"]
    assert alice["state"] == "sending"
    assert alice["message_id"] == smtp_server.recorder.to("alice@staff.example.org")[0][
        "Message-ID"]
    smtp_server.recorder.kill_on = None
    rerun = run_backoffice("payroll", "deliver", "--month", MONTH, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert len(smtp_server.recorder.to("alice@staff.example.org")) == 1
    assert len(smtp_server.recorder.to("bob@staff.example.org")) == 1
    [alice] = [r for r in world.outbox() if r["recipient_name"] == "Alice Able (D001)"]
    assert alice["state"] == "sent"


def test_the_smtp_password_never_shows_in_output_errors_outbox_or_audit(world):
    password = "Pa55-w0rd-never-shown"

    def authenticate(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        ok = auth_data.login == b"payroll" and auth_data.password == password.encode()
        return AuthResult(success=ok)

    server = SmtpServer(authenticator=authenticate, auth_require_tls=False)
    server.controller.start()
    try:
        outputs = []
        wrong = world.env(BACKOFFICE_SMTP_URL=f"smtp://payroll:{password}x@127.0.0.1:"
                                              f"{server.port}", BACKOFFICE_MAIL_FROM=SENDER)
        outputs.append(run_backoffice("payroll", "deliver", "--month", MONTH, env=wrong))
        assert outputs[-1].returncode == 2
        outside = world.env(BACKOFFICE_SMTP_URL=f"smtp://payroll:{password}@mail.example.com",
                            BACKOFFICE_MAIL_FROM=SENDER)
        outputs.append(run_backoffice("payroll", "deliver", "--month", MONTH, env=outside))
        assert outputs[-1].returncode == 2 and "starttls" in outputs[-1].stderr
        right = world.env(BACKOFFICE_SMTP_URL=f"smtp://payroll:{password}@127.0.0.1:"
                                              f"{server.port}", BACKOFFICE_MAIL_FROM=SENDER)
        outputs.append(run_backoffice("payroll", "deliver", "--month", MONTH, env=right))
        assert outputs[-1].returncode == 0 and "2 sent" in outputs[-1].stdout
        outputs.append(run_backoffice("outbox", "list", "--format", "json", env=right))
    finally:
        server.controller.stop()
    for done in outputs:
        assert password not in done.stdout + done.stderr
    with world.engine.connect() as conn:
        outbox = conn.execute(sa.text("SELECT * FROM backoffice.delivery_outbox")).all()
        audit = conn.execute(sa.text("SELECT * FROM backoffice.audit_logs")).all()
    assert outbox and audit
    assert password not in repr(outbox) + repr(audit)
    assert all(password.encode() not in m.as_bytes() for _, m in server.recorder.messages)
