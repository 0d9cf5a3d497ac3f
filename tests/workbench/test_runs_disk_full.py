"""A disk that fills while a run writes its files: that run fails with the reason "the disk is
full: ...", recorded in job_runs, its half-written folder emptied (a manifest says why), and the
runs before it untouched. The full disk is real for the run's process: a file-size limit
(RLIMIT_FSIZE, SIGXFSZ ignored) that its kernel inherits makes the notebook's write fail with
EFBIG, the way a full disk fails it with ENOSPC (a size-limited mount needs root mounts)."""

from __future__ import annotations

import errno
import hashlib
import json
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from backoffice_lib.workbench import runs

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 512 * 1024  # bytes a file of the run's process may reach: the "disk"
WRITE_BIG = ("from pathlib import Path\n"
             "Path(output_dir, 'small.txt').write_text('written before the disk filled')\n"
             "Path(output_dir, 'payslips.bin').write_bytes(b'x' * (2 * 1024 * 1024))")
WRITE_SMALL = "from pathlib import Path\nPath(output_dir, 'report.txt').write_text('all good')"
RUN_ON_A_FULL_DISK = """
import json, resource, signal, sys, uuid
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
from backoffice_lib.workbench import runs
result = runs.execute_notebook(Path(sys.argv[1]), {}, job_name="payslips",
                               expected_outputs=["payslips.bin"], output_root=Path(sys.argv[2]))
print(json.dumps({"run_id": str(result.run_id), "status": result.status, "error": result.error,
                  "run_dir": str(result.run_dir)}))
"""


def _notebook(path: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell("output_dir = ''", metadata={"tags": ["parameters"]}))
    nb.cells.append(nbformat.v4.new_code_cell(source))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_disk_that_fills_fails_that_run_with_the_reason_and_leaves_earlier_runs_intact(
        tmp_path, engine):
    root = tmp_path / "runs"
    earlier = runs.execute_notebook(_notebook(tmp_path / "nbs" / "report.ipynb", WRITE_SMALL),
                                    {}, job_name="report", expected_outputs=["report.txt"],
                                    output_root=root, engine=engine)
    assert earlier.ok, earlier.error
    before = _files(earlier.run_dir)

    big = _notebook(tmp_path / "nbs" / "payslips.ipynb", WRITE_BIG)
    done = subprocess.run([sys.executable, "-c", RUN_ON_A_FULL_DISK, str(big), str(root),
                           str(LIMIT)], capture_output=True, text=True, cwd=ROOT, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "failed"
    assert result["error"].startswith("the disk is full in cell [3]: [Errno 27] File too large")
    assert result["error"].endswith(runs.DISK_FULL_CLEANED)
    with engine.connect() as conn:
        row = runs.load_run(conn, uuid.UUID(result["run_id"]))
    assert (row["status"], row["error"], row["outputs"]) == ("failed", result["error"], {})
    folder = Path(result["run_dir"])
    assert [p.name for p in folder.iterdir()] == [runs.MANIFEST_NAME]  # half-written: removed
    manifest = json.loads((folder / runs.MANIFEST_NAME).read_text())
    assert (manifest["status"], manifest["error"]) == ("failed", result["error"])

    assert _files(earlier.run_dir) == before  # the run before it: every file as it was
    with engine.connect() as conn:
        assert runs.load_run(conn, earlier.run_id)["status"] == "succeeded"


@pytest.mark.parametrize(("exc", "reason"), [
    (OSError(errno.ENOSPC, "No space left on device", "/data/runs/x/manifest.json"),
     "the disk is full: No space left on device (writing manifest.json)"),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), "the disk is full: Disk quota exceeded"),
    (PapermillExecutionError(3, 4, "save()", "OSError", "[Errno 28] No space left on device:"
                             " '/data/runs/x/outputs/a.pdf'", []),
     ("the disk is full in cell [4]: [Errno 28] No space left on device:"
      " '/data/runs/x/outputs/a.pdf'")),
    (PapermillExecutionError(3, 4, "save()", "ValueError", "month 13", []), None),
    (OSError(errno.EACCES, "Permission denied"), None),
])
def test_a_write_that_failed_for_want_of_space_is_named_the_disk_is_full(exc, reason):
    assert runs.compute_disk_full(exc) == reason
    if reason:
        assert runs.compute_error_reason(exc) == reason


def test_a_real_write_to_a_full_device_is_named_the_disk_is_full():
    with pytest.raises(OSError) as raised, open("/dev/full", "wb", buffering=0) as device:
        device.write(b"payslip")
    assert runs.compute_disk_full(raised.value) == (
        "the disk is full: No space left on device")
