"""Run files: which path may be served, to whom, with which type and name (no server needed).

The folders are real folders under tmp_path, the runs real job_runs rows on the rolled-back conn.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
import zipfile

import pytest
import sqlalchemy as sa

from backoffice_lib import access
from backoffice_lib.workbench import files

ADMIN = "files-admin@test.example"
COACH = "files-coach@test.example"
CLERK = "files-clerk@test.example"


@pytest.fixture
def users(conn):
    conn.execute(sa.text(
        "INSERT INTO backoffice.allowed_users (email, is_admin, is_coach, coach_code) VALUES"
        " (:a, true, false, NULL), (:c, false, true, 'MIN'), (:k, false, false, NULL)"),
        {"a": ADMIN, "c": COACH, "k": CLERK})


def make_run(tmp_path, outputs: dict[str, bytes], *, notebook="payroll/payroll_run.ipynb",
             parameters=None, status="succeeded") -> dict:
    run_id = uuid.uuid4()
    run_dir = tmp_path / "runs" / f"run-{run_id.hex[:8]}"
    (run_dir / "outputs").mkdir(parents=True)
    for name, data in outputs.items():
        path = run_dir / "outputs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return {
        "id": run_id, "job_name": "payroll-monthly", "notebook": f"/nb/{notebook}",
        "parameters": parameters or {"month": "2026-10"}, "status": status,
        "trigger": "manual", "requested_by": ADMIN, "period_key": None, "run_dir": str(run_dir),
        "outputs": {name: "sha" for name in outputs}, "error": None,
        "started_at": dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC),
        "finished_at": dt.datetime(2026, 11, 1, 3, 0, 6, tzinfo=dt.UTC),
        "duration_seconds": 6.25,
    }


SLIPS = {
    "payroll_2026-10.xlsx": b"PK-workbook",
    "payslips/payslip_2026-10_E001.pdf": b"%PDF-1",
    "payslips/payslip_2026-10_E002.pdf": b"%PDF-2",
}


@pytest.mark.parametrize(
    "name",
    ["../manifest.json", "payslips/../../manifest.json", "/etc/passwd", "payslips/",
     "./payroll_2026-10.xlsx", "payslips//x.pdf", "a\\b", "", "x\x00.pdf"],
)
def test_no_path_outside_a_plain_relative_name(name):
    with pytest.raises(files.FileRefused):
        files.compute_output_name(name)


def test_only_files_the_run_recorded_are_served(tmp_path):
    run = make_run(tmp_path, SLIPS)
    path = files.resolve_output(run, "payslips/payslip_2026-10_E001.pdf")
    assert path.read_bytes() == b"%PDF-1"
    (tmp_path / "runs" / f"run-{run['id'].hex[:8]}" / "outputs" / "added_later.csv").write_text("x")
    with pytest.raises(files.FileRefused, match="not a file of run"):
        files.resolve_output(run, "added_later.csv")
    with pytest.raises(files.FileRefused):
        files.resolve_output(run, "payslips")  # a folder: no listing


def test_a_symbolic_link_is_never_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("salaries")
    run = make_run(tmp_path, {"report.csv": b"a,b\n"})
    outputs = tmp_path / "runs" / f"run-{run['id'].hex[:8]}" / "outputs"
    os.symlink(secret, outputs / "link.csv")
    run["outputs"]["link.csv"] = "sha"
    with pytest.raises(files.FileRefused, match="link"):
        files.resolve_output(run, "link.csv")
    (outputs / "sub").symlink_to(tmp_path, target_is_directory=True)
    run["outputs"]["sub/secret.txt"] = "sha"
    with pytest.raises(files.FileRefused, match="link"):
        files.resolve_output(run, "sub/secret.txt")


def test_an_outputs_folder_that_is_a_link_is_refused(tmp_path):
    run = make_run(tmp_path, {"report.csv": b"a,b\n"})
    run_dir = tmp_path / "runs" / f"run-{run['id'].hex[:8]}"
    (run_dir / "outputs").rename(run_dir / "real")
    (run_dir / "outputs").symlink_to(run_dir / "real", target_is_directory=True)
    with pytest.raises(files.FileRefused, match="link"):
        files.resolve_output(run, "report.csv")


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("payroll_2026-10.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("payslips/payslip_2026-10_E001.pdf", "application/pdf"),
        ("coach_earnings_MIN_2026-10.csv", "text/csv; charset=utf-8"),
        ("manifest.json", "application/json"),
        ("payslips.zip", "application/zip"),
        ("notes.unknownext", "application/octet-stream"),
    ],
)
def test_content_type_by_file_name(name, content_type):
    assert files.compute_content_type(name) == content_type


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ("payslip_2026-10_E001.pdf",
         ("attachment; filename=\"payslip_2026-10_E001.pdf\"; "
         "filename*=UTF-8''payslip_2026-10_E001.pdf")),
        ("สลิป 1.pdf", ("attachment; filename=\"_1.pdf\"; "
         "filename*=UTF-8''%E0%B8%AA%E0%B8%A5%E0%B8%B4%E0%B8%9B%201.pdf")),
        ('a"b.csv', "attachment; filename=\"a_b.csv\"; filename*=UTF-8''a%22b.csv"),
    ],
)
def test_download_name_header(filename, header):
    assert files.compute_disposition(filename) == header


def test_run_files_list_outputs_folder_zips_and_the_notebook(tmp_path):
    run = make_run(tmp_path, SLIPS)
    listed = files.compute_run_files(run, base_url="/")
    rid = run["id"]
    assert [(f["name"], f["url"]) for f in listed] == [
        ("payroll_2026-10.xlsx", f"/files/{rid}/payroll_2026-10.xlsx"),
        ("payslips/payslip_2026-10_E001.pdf", f"/files/{rid}/payslips/payslip_2026-10_E001.pdf"),
        ("payslips/payslip_2026-10_E002.pdf", f"/files/{rid}/payslips/payslip_2026-10_E002.pdf"),
        ("payslips.zip", f"/runs/{rid}/payslips.zip"),
        ("notebook.html", f"/runs/{rid}/notebook.html"),
    ]
    running = {**run, "status": "running", "outputs": {}}
    assert files.compute_run_files(running) == []


def test_payslips_zip_holds_every_payslip_with_fixed_dates(tmp_path):
    run = make_run(tmp_path, SLIPS)
    data = files.build_folder_zip(run, "payslips")
    assert data == files.build_folder_zip(run, "payslips")  # same files, same bytes
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["payslips/payslip_2026-10_E001.pdf",
                                  "payslips/payslip_2026-10_E002.pdf"]
    assert archive.read("payslips/payslip_2026-10_E002.pdf") == b"%PDF-2"
    with pytest.raises(files.FileRefused):
        files.build_folder_zip(run, "..")


@pytest.mark.parametrize(
    ("who", "notebook", "parameters", "allowed"),
    [
        ("admin", "payroll/payroll_run.ipynb", {"month": "2026-10"}, True),
        ("coach", "payroll/payroll_run.ipynb", {"month": "2026-10"}, False),
        ("clerk", "payroll/payroll_run.ipynb", {"month": "2026-10"}, False),
        ("coach", "packages/coach_earnings.ipynb", {"coach": "min", "month": "2026-10"}, True),
        ("coach", "packages/coach_earnings.ipynb", {"coach": "BOSS", "month": "2026-10"}, False),
        ("coach", "packages/coach_earnings.ipynb", {"coach": "", "month": "2026-10"}, False),
        ("admin", "packages/coach_earnings.ipynb", {"coach": "BOSS", "month": "2026-10"}, True),
        ("clerk", "packages/coach_earnings.ipynb", {"coach": "MIN", "month": "2026-10"}, False),
        ("nobody", "payroll/payroll_run.ipynb", {"month": "2026-10"}, False),
    ],
)
def test_who_may_see_a_run(who, notebook, parameters, allowed):
    people = {
        "admin": access.User(uuid.uuid4(), ADMIN, True, False, None),
        "coach": access.User(uuid.uuid4(), COACH, False, True, "MIN"),
        "clerk": access.User(uuid.uuid4(), CLERK, False, False, None),
        "nobody": None,
    }
    run = {"notebook": f"/x/notebooks/{notebook}", "parameters": parameters}
    assert files.compute_may_see_run(people[who], run) is allowed


def test_a_refusal_is_audited_on_the_run(conn, users, tmp_path):
    run = make_run(tmp_path, SLIPS)
    assert files.check_run_access(conn, ADMIN, run).email == ADMIN
    with pytest.raises(access.AccessDenied, match="payroll-monthly are for admins"):
        files.check_run_access(conn, COACH, run)
    row = conn.execute(sa.text(
        "SELECT resource_type, resource_id, details FROM backoffice.audit_logs"
        " WHERE user_email = :u AND action = 'ACCESS_DENIED'"), {"u": COACH}).one()
    assert row.resource_type == "job_run" and row.resource_id == str(run["id"])


def test_run_document_for_jobs_list_json(tmp_path):
    run = make_run(tmp_path, {"payroll_2026-10.xlsx": b"x"})
    document = files.compute_run_document(run, base_url="http://studio:8866/")
    assert document["id"] == str(run["id"])
    assert document["status"] == "succeeded" and document["seconds"] == 6.25
    assert document["folder"] == run["run_dir"]
    assert document["parameters"] == {"month": "2026-10"}
    assert document["files"][0] == {
        "name": "payroll_2026-10.xlsx", "kind": "output", "sha256": "sha",
        "url": f"http://studio:8866/files/{run['id']}/payroll_2026-10.xlsx",
    }

