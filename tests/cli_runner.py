"""Run the ``backoffice`` command in a subprocess, as cron, a shell or another tool would."""

from __future__ import annotations

import subprocess
import sys


def run_backoffice(*args: str, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backoffice_lib.cli", *args],
        capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )
