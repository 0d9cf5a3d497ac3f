"""Package alerts reach customers by e-mail and LINE, once per package, level and channel
(delivery.md §3-§4): a real SMTP server in process and a local server answering as LINE's
push endpoint (200, 400, 429 with Retry-After). On a copy of the demo data of this module."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from delivery_fixtures import (
    SENDER,
    SmtpServer,
    copy_database,
    drop_database,
    line_server,  # noqa: F401 (fixtures)
)

from backoffice_lib import bangkok, database
from backoffice_lib.delivery.service import Channels
from backoffice_lib.packages.rules import alert_list_frame
from backoffice_lib.packages.service.alerts import run_package_alerts
from backoffice_lib.packages.service.delivery import deliver_package_alerts, load_alerts_reached

TOKEN = "line-token-never-shown"


@pytest.fixture
def studio(_demo_template):
    """A copy of the demo data with today's alerts raised (committed)."""
    name, url = copy_database(_demo_template, "alerts")
    engine = database.get_engine(url.render_as_string(hide_password=False))
    day = bangkok.today()
    with database.transaction(engine) as conn:
        run_package_alerts(conn, day)
    yield engine, day
    engine.dispose()
    database.get_engine.cache_clear()
    drop_database(name)


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


def channels(smtp, line) -> Channels:
    return Channels(smtp_url=smtp.url, mail_from=SENDER, line_api=line.base, line_token=TOKEN)


def test_each_alert_reaches_its_customer_once_per_channel_and_the_list_says_so(
        studio, smtp, line_server):
    engine, day = studio
    alerts = load_alerts_reached(day, engine)
    emails = [a for a in alerts if a["email"]]
    lines = [a for a in alerts if a["line_user_id"]]
    assert emails and lines, "the demo data raises alerts for customers of both kinds"
    report = deliver_package_alerts(day, channels=channels(smtp, line_server), engine=engine)
    assert report.failed == [] and len(report.sent) == len(emails) + len(lines)
    assert len(smtp.recorder.messages) == len(emails)
    pushed = line_server.state["pushed"]
    assert len(pushed) == len(lines)
    assert {p["to"] for p in pushed} == {a["line_user_id"] for a in lines}
    first = lines[0]
    [text] = [p["messages"][0]["text"] for p in pushed if p["to"] == first["line_user_id"]][:1]
    assert text.index("แพ็กเกจ") < text.index("Dear")  # Thai, then English, in one text
    assert first["package_type_name"] in text and "hours left" in text
    assert all(r["auth"] == f"Bearer {TOKEN}" for r in line_server.state["requests"])
    again = deliver_package_alerts(day, channels=channels(smtp, line_server), engine=engine)
    assert again.sent == [] and len(again.already_sent) == len(report.sent)
    assert len(smtp.recorder.messages) == len(emails) and len(pushed) == len(lines)
    frame = alert_list_frame(load_alerts_reached(day, engine))
    reached = dict(zip(frame["package_id"] + frame["alert_level"], frame["reached"]))
    assert reached[str(first["package_id"]) + first["alert_level"]].count("sent") >= 1
    no_contact = [a for a in alerts if not a["email"] and not a["line_user_id"]]
    for alert in no_contact:
        assert reached[str(alert["package_id"]) + alert["alert_level"]].startswith("no e-mail")


def test_line_429_waits_retry_after_and_retries_in_the_same_attempt(studio, smtp, line_server):
    engine, day = studio
    line_server.state["throttle"] = 1
    report = deliver_package_alerts(day, channels=channels(smtp, line_server), engine=engine)
    assert report.failed == []
    retried = line_server.state["requests"][:2]
    assert retried[0]["body"] == retried[1]["body"]
    assert retried[0]["retry_key"] == retried[1]["retry_key"]  # the same message, once
    with engine.connect() as conn:
        attempts = conn.scalars(sa.text(
            "SELECT attempts FROM backoffice.delivery_outbox WHERE channel = 'line'")).all()
    assert set(attempts) == {1}


def test_a_line_user_id_line_refuses_fails_alone_without_the_token(studio, smtp, line_server):
    engine, day = studio
    lines = [a for a in load_alerts_reached(day, engine) if a["line_user_id"]]
    line_server.state["bad"].add(lines[0]["line_user_id"])
    report = deliver_package_alerts(day, channels=channels(smtp, line_server), engine=engine)
    failed = [e for e in report.failed if e["channel"] == "line"]
    assert len(failed) == len([a for a in lines if a["line_user_id"] == lines[0]["line_user_id"]])
    assert "400" in failed[0]["why"] and TOKEN not in failed[0]["why"]
    assert report.exit_code == 1


def test_without_channel_settings_the_alerts_are_skipped_and_named(studio):
    engine, day = studio
    report = deliver_package_alerts(day, channels=Channels(), engine=engine)
    assert report.sent == [] and report.skipped
    assert all(e["why"].startswith("not sent:") for e in report.skipped)
    frame = alert_list_frame(load_alerts_reached(day, engine))
    assert frame["reached"].str.contains("skipped: not sent").any()


def test_an_admin_stores_a_customers_line_user_id_audited(studio):
    from cli_runner import run_backoffice

    engine, _ = studio
    env = {**__import__("os").environ,
           "BACKOFFICE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "BACKOFFICE_USER": "admin@studio.example"}
    good = "U" + "0123456789abcdef" * 2
    done = run_backoffice("packages", "customer-line", "CUS00001", good, env=env)
    assert done.returncode == 0, done.stderr
    bad = run_backoffice("packages", "customer-line", "CUS00001", "someone", env=env)
    assert bad.returncode == 2 and "32 hex digits" in bad.stderr
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT line_user_id FROM public.customers"
                                   " WHERE customer_code = 'CUS00001'")) == good
        assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs WHERE"
                                   " resource_type = 'customer' AND action = 'UPDATE'")) == 1


def test_a_manager_running_the_days_alerts_sends_them_too(studio, smtp, line_server):
    engine, day = studio
    with engine.connect() as conn:
        manager = conn.scalar(sa.text("SELECT email FROM backoffice.allowed_users"
                                      " WHERE NOT is_admin AND NOT is_coach LIMIT 1"))
    report = deliver_package_alerts(day, manager, channels=channels(smtp, line_server),
                                    engine=engine)
    assert report.sent and report.failed == []
