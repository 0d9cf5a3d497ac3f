"""Delivery benchmark: `python -m benchmarks.bench_delivery [--staff 1000]`.

Targets (delivery.md, issue 25):
- 1,000 payslips of a finalised month drawn, encrypted (AES-256) and delivered to a local SMTP
  server (aiosmtpd, in this process) in under 60 s;
- the dry run for 1,000 (who would get one, who is skipped) in under 5 s.

A scratch database (bench_payroll's 1,000 staff and ~50,000 entries), every person with an
e-mail, the month run and finalised; dropped at the end. The SMTP server is aiosmtpd's Sink in a
process of its own (as a mail relay would be). Prints figures and ratios, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time

import sqlalchemy as sa

from backoffice_lib import database
from backoffice_lib.delivery.service import Channels
from backoffice_lib.payroll.service import finalise_payroll, run_payroll
from backoffice_lib.payroll.service.delivery import deliver_payslips

from .bench_payroll import BENCH_ADMIN, MONTH, _drop, _scratch, generate

TARGET_SEND_S = 60.0
TARGET_DRY_RUN_S = 5.0


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=1000)
    args = parser.parse_args()
    engine, name = _scratch("bench_delivery")
    port = _port()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"])
    _wait_for(port)
    try:
        generate(engine, args.staff)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                                 " VALUES (:e, true)"), {"e": BENCH_ADMIN})
            conn.execute(sa.text("UPDATE backoffice.staff SET email ="
                                 " 'person' || id || '@staff.example.org'"))
        with database.transaction(engine) as conn:
            run_payroll(conn, MONTH, BENCH_ADMIN)
        with database.transaction(engine) as conn:
            finalise_payroll(conn, MONTH, BENCH_ADMIN)
        channels = Channels(smtp_url=f"smtp://127.0.0.1:{port}",
                            mail_from="Bench Studio <office@bench.example>")
        started = time.perf_counter()
        dry = deliver_payslips(MONTH, BENCH_ADMIN, dry_run=True, channels=Channels(),
                               engine=engine)
        dry_s = time.perf_counter() - started
        started = time.perf_counter()
        sent = deliver_payslips(MONTH, BENCH_ADMIN, channels=channels, engine=engine)
        send_s = time.perf_counter() - started
        started = time.perf_counter()
        rerun = deliver_payslips(MONTH, BENCH_ADMIN, channels=channels, engine=engine)
        rerun_s = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
        _drop(engine, name)
    print(f"dry run for {len(dry.would_send)} payslips: {dry_s:.2f} s "
          f"(target {TARGET_DRY_RUN_S:.0f} s, ratio {dry_s / TARGET_DRY_RUN_S:.2f})")
    print(f"{len(sent.sent)} payslips drawn, encrypted and delivered ({len(sent.failed)} "
          f"failed): {send_s:.1f} s "
          f"(target {TARGET_SEND_S:.0f} s, ratio {send_s / TARGET_SEND_S:.2f}); "
          f"{send_s / max(1, len(sent.sent)) * 1000:.0f} ms each")
    print(f"rerun (all {len(rerun.already_sent)} already sent): {rerun_s:.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
