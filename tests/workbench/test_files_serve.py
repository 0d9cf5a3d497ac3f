"""Run files through a real ``backoffice serve`` in header mode, the test client playing the proxy:
who the proxy names decides what is served (admins: every run; a coach: their own earnings),
nothing outside the recorded outputs, each download and each refusal audited."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from backoffice_lib import database
from backoffice_lib.workbench import runs, signin

ROOT = Path(__file__).resolve().parents[2]
SECRET = "files-test-proxy-secret-" + "y" * 16
HOST = "studio.test"
TAG = uuid.uuid4().hex[:8]
ADMIN, COACH, CLERK = (f"admin-{TAG}@files.test", f"coach-{TAG}@files.test",
                       f"clerk-{TAG}@files.test")
CODE = f"C{TAG}".upper()
EARNINGS = f"coach_earnings_{CODE}_2026-10.csv"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _record(engine, folder: Path, *, job: str, notebook: str, parameters: dict,
            outputs: dict[str, bytes]) -> uuid.UUID:
    run_id = uuid.uuid4()
    started = dt.datetime.now(dt.UTC)
    run_dir = folder / job / runs.compute_run_folder_name(started, run_id)
    for name, data in outputs.items():
        path = run_dir / runs.OUTPUTS_FOLDER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (run_dir / Path(notebook).name).write_text(
        '{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Report"]}],'
        ' "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    with database.transaction(engine) as conn:
        runs.save_run_started(conn, run_id=run_id, job_name=job, notebook=f"/nb/{notebook}",
                              parameters=parameters, run_dir=str(run_dir), started_at=started)
        runs.save_run_finished(conn, run_id=run_id, status="succeeded", error=None,
                               outputs={name: "sha" for name in outputs},
                               finished_at=started + dt.timedelta(seconds=3),
                               duration_seconds=3.0)
    return run_id


@pytest.fixture(scope="module")
def world(engine, database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("files-serve")
    with engine.begin() as c:
        c.execute(sa.text(
            "INSERT INTO backoffice.allowed_users (email, is_admin, is_coach, coach_code) VALUES"
            " (:a, true, false, NULL), (:c, false, true, :code), (:k, false, false, NULL)"),
            {"a": ADMIN, "c": COACH, "k": CLERK, "code": CODE})
    payroll = _record(engine, folder, job="payroll-monthly", notebook="payroll/payroll_run.ipynb",
                      parameters={"month": "2026-10"},
                      outputs={"payroll_2026-10.xlsx": b"PK-book",
                               "payslips/payslip_2026-10_E1.pdf": b"%PDF-1",
                               "payslips/payslip_2026-10_E2.pdf": b"%PDF-2"})
    coaching = _record(engine, folder, job="coach-earnings",
                       notebook="packages/coach_earnings.ipynb",
                       parameters={"coach": f"c{TAG}", "month": "2026-10"},
                       outputs={EARNINGS: b"date,amount\n"})
    (folder / "secret").write_text(SECRET + "\n")
    (folder / "secret").chmod(0o600)
    port = _free_port()
    env = dict(os.environ)
    env["BACKOFFICE_DATABASE_URL"] = database_url.render_as_string(hide_password=False)
    for key in ("BACKOFFICE_USER", "BACKOFFICE_AUTH_HEADER", signin.SECRET_ENV):
        env.pop(key, None)
    log = folder / "serve.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("backoffice")), "serve", "--port", str(port),
         "--auth-header", "X-Forwarded-Email", "--proxy-secret-file", str(folder / "secret"),
         "--public-host", HOST, "--pool-size", "0"],
        env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        try:
            requests.get(base, headers={"Host": HOST}, timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.3)
    yield {"base": base, "payroll": payroll, "coaching": coaching}
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def get(world, path: str, user: str | None, *, secret: str | None = SECRET):
    headers = {"Host": HOST}
    if user:
        headers["X-Forwarded-Email"] = user
    if secret:
        headers[signin.SECRET_HEADER] = secret
    return requests.get(world["base"] + path, headers=headers, timeout=60, allow_redirects=False)


def audits(engine, user: str, action: str) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(sa.text(
            "SELECT resource_type, resource_id FROM backoffice.audit_logs"
            " WHERE user_email = :u AND action = :a"), {"u": user, "a": action}).mappings()]


def test_an_admin_named_by_the_proxy_downloads_payslips_and_their_zip(world, engine):
    run = world["payroll"]
    slip = get(world, f"/files/{run}/payslips/payslip_2026-10_E1.pdf", ADMIN)
    assert slip.status_code == 200 and slip.content == b"%PDF-1"
    assert slip.headers["Content-Type"] == "application/pdf"
    assert slip.headers["Content-Disposition"].startswith(
        'attachment; filename="payslip_2026-10_E1.pdf"')
    bundle = get(world, f"/runs/{run}/payslips.zip", ADMIN)
    assert zipfile.ZipFile(io.BytesIO(bundle.content)).namelist() == [
        "payslips/payslip_2026-10_E1.pdf", "payslips/payslip_2026-10_E2.pdf"]
    page = get(world, f"/runs/{run}/notebook.html", ADMIN)
    assert page.status_code == 200 and "<h1" in page.text and "<script" not in page.text
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert {(a["resource_id"]) for a in audits(engine, ADMIN, "DOWNLOAD")} == {
        f"{run}/payslips/payslip_2026-10_E1.pdf", f"{run}/payslips.zip", f"{run}/notebook.html"}


@pytest.mark.parametrize(
    "path",
    ["/files/{run}/../manifest.json", "/files/{run}/payslips/..%2F..%2Fmanifest.json",
     "/files/{run}/payslips", "/files/{run}/payslips/", "/files/{run}/unrecorded.pdf",
     "/runs/{run}/nothing.zip", "/files/" + str(uuid.UUID(int=1)) + "/x.pdf"],
)
def test_nothing_outside_the_recorded_outputs(world, path):
    assert get(world, path.format(run=world["payroll"]), ADMIN).status_code == 404


def test_a_coach_gets_their_own_earnings_and_is_refused_payroll_audited(world, engine):
    own = get(world, f"/files/{world['coaching']}/{EARNINGS}", COACH)
    assert own.status_code == 200 and own.headers["Content-Type"] == "text/csv; charset=utf-8"
    refused = get(world, f"/files/{world['payroll']}/payroll_2026-10.xlsx", COACH)
    assert refused.status_code == 403 and "Access refused" in refused.text
    assert refused.content.find(b"PK-book") == -1
    assert audits(engine, COACH, "ACCESS_DENIED") == [
        {"resource_type": "job_run", "resource_id": str(world["payroll"])}]
    other = get(world, f"/files/{world['coaching']}/{EARNINGS}", CLERK)
    assert other.status_code == 403


def test_a_forged_header_without_the_proxy_secret_gets_nothing(world):
    forged = get(world, f"/files/{world['payroll']}/payroll_2026-10.xlsx", ADMIN, secret=None)
    assert forged.status_code == 403 and b"PK-book" not in forged.content
    nobody = get(world, f"/files/{world['payroll']}/payroll_2026-10.xlsx", None)
    assert nobody.status_code == 403


def test_the_runs_page_shows_each_person_the_runs_they_may_see(world):
    admin = get(world, "/runs", ADMIN).text
    assert str(world["payroll"]) in admin and str(world["coaching"]) in admin
    coach = get(world, "/runs", COACH).text
    assert str(world["payroll"]) not in coach and str(world["coaching"]) in coach
