"""Delivery's fixtures: a finalised month in a database of its own (runs commit as they go), a
real SMTP server in process (aiosmtpd) and a local HTTP server answering as LINE's push API."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import threading
import uuid
from decimal import Decimal as D
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok, database
from backoffice_lib.delivery.service import Channels
from backoffice_lib.payroll.rules.statutory import make_national_id
from backoffice_lib.payroll.service import finalise_payroll, run_payroll
from backoffice_lib.payroll.service.close import reopen_payroll

ADMIN = "finance-admin@studio.example"
CLERK = "clerk@studio.example"
MONTH = "2025-01"
SENDER = "Golf Studio <office@studio.example>"
PEOPLE = {  # code: (name, e-mail, national ID or None)
    "D001": ("Alice Able", "alice@staff.example.org", make_national_id("110000000001")),
    "D002": ("Bob Baker", "bob@staff.example.org", make_national_id("110000000002")),
    "D003": ("Chai Chan", None, make_national_id("110000000003")),
    "D004": ("Dao Dee", "dao@staff.example.org", None),
}


def copy_database(template: str, prefix: str) -> tuple[str, sa.engine.URL]:
    """A database copied from ``template`` (the suite's migrated or demo template)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = database.database_url().set(database="postgres")
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return name, server.set(database=name)


def drop_database(name: str) -> None:
    admin = sa.create_engine(database.database_url().set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=bangkok.BANGKOK)


def add_person(conn, code: str, name: str, email: str | None, national_id: str | None) -> int:
    staff = conn.scalar(sa.text(
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash, email, national_id)"
        " VALUES (:n, :c, 'x', :e, :i) RETURNING id"),
        {"n": name, "c": code, "e": email, "i": national_id})
    conn.execute(sa.text(
        "INSERT INTO backoffice.staff_compensation (staff_id, compensation_type, base_salary,"
        " hourly_rate, ot_rate_per_hour, holiday_rate_per_hour, is_service_charge_eligible,"
        " min_hours_for_allowance, effective_from) VALUES (:s, 'salary', :b, 0, 100, 50, false,"
        " 6, '2024-01-01')"), {"s": staff, "b": D(20000) + D(staff)})
    punch(conn, staff, "2025-01-06 09:00", "2025-01-06 17:00")
    return staff


def punch(conn, staff: int, start: str, end: str) -> None:
    for action, moment in (("clock_in", at(start)), ("clock_out", at(end))):
        conn.execute(sa.text("INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
                             " VALUES (:s, :a, :t)"), {"s": staff, "a": action, "t": moment})


def finalise(engine, month: str = MONTH) -> None:
    with database.transaction(engine) as conn:
        run_payroll(conn, month, ADMIN)
    with database.transaction(engine) as conn:
        finalise_payroll(conn, month, ADMIN)


def reopen(engine, month: str = MONTH) -> None:
    with database.transaction(engine) as conn:
        reopen_payroll(conn, month, ADMIN, "a correction")


class World:
    def __init__(self, url: sa.engine.URL):
        self.url = url
        self.engine = database.get_engine(url.render_as_string(hide_password=False))
        self.staff: dict[str, int] = {}

    def env(self, **extra) -> dict:
        return {**os.environ, "BACKOFFICE_DATABASE_URL":
                self.url.render_as_string(hide_password=False), "BACKOFFICE_USER": ADMIN,
                **extra}

    def outbox(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(
                "SELECT * FROM backoffice.delivery_outbox ORDER BY id"))]


@pytest.fixture
def world(_migrated_template):
    """Four people paid in 2025-01, finalised (committed) in a database of this test's own."""
    name, url = copy_database(_migrated_template, "delivery")
    made = World(url)
    with database.transaction(made.engine) as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES (:a, true), (:c, false)"), {"a": ADMIN, "c": CLERK})
        for code, (person, email, national_id) in PEOPLE.items():
            made.staff[code] = add_person(conn, code, person, email, national_id)
    finalise(made.engine)
    yield made
    made.engine.dispose()
    database.get_engine.cache_clear()
    drop_database(name)


class Recorder:
    """aiosmtpd handler: keeps every accepted message; refuses the addresses in ``refuse``
    (550); with ``kill_on`` set, SIGKILLs the client process once it handed that recipient's
    message over (the server has accepted it, the client never sees the answer)."""

    def __init__(self):
        self.messages: list = []
        self.refuse: set[str] = set()
        self.kill_on: str | None = None
        self.killed: list[int] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        if self.kill_on and self.kill_on in envelope.rcpt_tos:
            pid = client_pid(session.peer[1])
            if pid:
                self.killed.append(pid)
                os.kill(pid, signal.SIGKILL)
        return "250 2.0.0 accepted"

    def to(self, address: str) -> list:
        return [m for rcpt, m in self.messages if address in rcpt]


def client_pid(port: int) -> int | None:
    """The process whose socket has local port ``port`` (the SMTP client)."""
    import psutil

    for connection in psutil.net_connections(kind="tcp"):
        if (connection.laddr and connection.laddr.port == port and connection.pid
                and connection.pid != os.getpid()):
            return connection.pid
    return None


class SmtpServer:
    def __init__(self, **smtp_options):
        from aiosmtpd.controller import Controller

        self.recorder = Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port,
                                     **smtp_options)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def channels(self, url: str | None = None) -> Channels:
        return Channels(smtp_url=url or self.url, mail_from=SENDER)


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


class LineHandler(BaseHTTPRequestHandler):
    """Answers as LINE's push endpoint: 200 with X-Line-Request-Id; 400 for a user ID in
    ``bad``; 429 with Retry-After for the first ``throttle`` requests."""

    def do_POST(self):
        state = self.server.state
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        state["requests"].append({"auth": self.headers.get("Authorization"),
                                  "retry_key": self.headers.get("X-Line-Retry-Key"),
                                  "path": self.path, "body": body})
        if state["throttle"] > 0:
            state["throttle"] -= 1
            self._answer(429, {"message": "Too Many Requests"}, {"Retry-After": "1"})
        elif body["to"] in state["bad"]:
            self._answer(400, {"message": "The property, 'to', in the request body is invalid"})
        else:
            state["pushed"].append(body)
            self._answer(200, {}, {"X-Line-Request-Id": f"req-{len(state['pushed'])}"})

    def _answer(self, code: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def line_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), LineHandler)
    server.state = {"requests": [], "pushed": [], "bad": set(), "throttle": 0}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
