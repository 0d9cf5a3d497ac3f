"""Files private (issue 12): the data dir, run folders, photos, uploads and backups are created
owner-only (folders 0700, files 0600; a finished run's files 0400) whatever the umask."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from backoffice_lib import bangkok, settings
from backoffice_lib.history.service import backup
from backoffice_lib.reconciliation.reports import partner_file
from backoffice_lib.staff.service import timeclock
from backoffice_lib.workbench import runs

UMASKS = [0o022, 0o000]
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
ADMIN = "admin@studio.example"


@pytest.fixture(params=UMASKS, ids=["umask-022", "umask-000"])
def loose_umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    root = tmp_path / "data"
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(root))
    return root


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def readable_by_others(root: Path) -> list[str]:
    """Every folder or file under root (root included) that group or others may use."""
    return [f"{p} {oct(mode(p))}" for p in [root, *root.rglob("*")]
            if mode(p) & (stat.S_IRWXG | stat.S_IRWXO)]


def test_data_dir_is_created_owner_only(loose_umask, data_dir):
    assert settings.data_dir() == data_dir.resolve()
    assert mode(data_dir) == 0o700


def test_an_existing_open_data_dir_is_narrowed(data_dir):
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    settings.data_dir()
    assert mode(data_dir) == 0o700


def test_staff_photos_are_owner_only(loose_umask, data_dir):
    moment = bangkok.at(dt.date(2025, 3, 10), dt.time(9))
    relative = timeclock.save_photo(JPEG, "jpg", moment)
    photo = timeclock.photo_path(relative)
    assert photo.read_bytes() == JPEG
    assert mode(photo) == 0o600
    assert mode(photo.parent) == mode(photo.parent.parent) == mode(data_dir / "photos") == 0o700
    assert readable_by_others(data_dir) == []


def test_reconciliation_uploads_are_owner_only(loose_umask, data_dir):
    path = Path(partner_file.save_upload("partner report.csv", b"Date,Item\n"))
    assert mode(path) == 0o600
    assert readable_by_others(data_dir) == []


def test_backups_are_owner_only(loose_umask, data_dir, engine):
    target = backup.run_backup(backup.backups_dir() / "studio.dump", engine)
    assert target.stat().st_size > 0
    assert mode(target) == 0o600 and mode(target.parent) == 0o700
    assert readable_by_others(data_dir) == []


def test_backup_outside_the_data_dir_is_owner_only_too(loose_umask, tmp_path, engine):
    target = backup.run_backup(tmp_path / "elsewhere" / "studio.dump", engine)
    assert mode(target) == 0o600 and mode(target.parent) == 0o700


def test_run_folders_are_owner_only_under_an_open_umask(data_dir, engine, tmp_path):
    """The kernel writes the report with umask 000 in the caller; the run is still private."""
    notebook = tmp_path / "nb" / "report.ipynb"
    notebook.parent.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("output_dir = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import pathlib\n"
            "pathlib.Path(output_dir, 'slips').mkdir()\n"
            "pathlib.Path(output_dir, 'slips', 'payslip.txt').write_text('salary 30000')"),
    ]
    nbformat.write(nb, notebook)
    previous = os.umask(0o000)
    try:
        result = runs.execute_notebook(notebook, {}, job_name="private-test",
                                       expected_outputs=["slips/payslip.txt"], engine=engine)
    finally:
        os.umask(previous)
    assert result.ok, result.error
    assert readable_by_others(data_dir) == []
    assert mode(result.run_dir) == mode(result.output_dir) == 0o700
    assert mode(result.output_dir / "slips" / "payslip.txt") == 0o400
    assert mode(result.manifest_path) == 0o400


def test_cli_writes_owner_only_whatever_the_shell_umask(demo_database_url, tmp_path):
    """`packages alerts --output-dir` lists customers' phones and e-mails: the command runs with
    umask 077, so the folder and the CSV/Excel files it writes are private even from umask 000."""
    out = tmp_path / "alerts"
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=demo_database_url.render_as_string(False),
               BACKOFFICE_USER=ADMIN, BACKOFFICE_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run(
        [sys.executable, "-m", "backoffice_lib.cli", "packages", "alerts", "--output-dir", str(out)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
        preexec_fn=lambda: os.umask(0o000),
    )
    assert done.returncode == 0, done.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    assert readable_by_others(out) == []


def test_filings_and_certificates_are_owner_only_whatever_the_umask(loose_umask, tmp_path,
                                                                    demo_engine):
    """National IDs and pay: the filings and the 50 ทวิ PDFs are private even from a notebook
    or a caller with an open umask (not only from the CLI, which narrows its own)."""
    from backoffice_lib.payroll.reports import certificates, filings
    from backoffice_lib.payroll.service import filings as filing_service

    month = bangkok.previous_month(bangkok.month_key(bangkok.today()))
    with demo_engine.connect() as conn, conn.begin() as outer:
        monthly = filing_service.prepare_filings(conn, month, ADMIN)
        employer, people = filing_service.prepare_certificates(conn, int(month[:4]), ADMIN)
        outer.rollback()  # the audit rows of this test are not kept
    written = filings.write_filings(monthly, tmp_path / "filings" / "deep")
    pdfs = certificates.write_certificates(employer, people[:2], tmp_path / "certificates")
    assert len(written) == 4 and len(pdfs) == 2
    assert readable_by_others(tmp_path / "filings") == []
    assert readable_by_others(tmp_path / "certificates") == []
