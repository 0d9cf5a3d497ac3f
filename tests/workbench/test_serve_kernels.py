"""Serving fast from the first click (issue 17): the kernel and pool parts of `backoffice serve`."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from backoffice_lib.workbench import kernel_warmup, serve
from backoffice_lib.workbench.serve import ServeOptions


def test_voila_waits_a_minute_for_a_cells_outputs_and_kernels_talk_over_ipc():
    config = serve.compute_voila_config(["a.ipynb"], ServeOptions(pool_size=1))
    assert config["VoilaExecutor"]["iopub_timeout"] == 60  # nbclient's 4 s lost widgets
    assert config["KernelManager"]["transport"] == "ipc"
    assert config["Voila"]["log_level"] == "WARN"


def _done(loop, value=None, error=None):
    future = loop.create_future()
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
    return future


@pytest.mark.parametrize(
    "case,pool,waiting,warm",
    [
        ("a kernel waiting for its request is warm", [("k1", False)], {"k1"}, True),
        ("a kernel whose page rendered through is warm", [("k1", True)], set(), True),
        ("a kernel still running its notebook is not", [("k1", False)], set(), False),
        ("a pool not yet filled is not", [], set(), False),
        ("a kernel that failed to start is not waited for", [("error", None)], set(), True),
        ("a kernel still starting is not", [("pending", None)], set(), False),
    ],
)
def test_pools_are_warm_when_every_kernel_ran_up_to_its_request(case, pool, waiting, warm):
    loop = asyncio.new_event_loop()
    try:
        tasks = []
        for kernel_id, rendered in pool:
            if kernel_id == "error":
                tasks.append(_done(loop, error=RuntimeError("kernel died")))
            elif kernel_id == "pending":
                tasks.append(loop.create_future())
            else:
                render = _done(loop) if rendered else loop.create_future()
                tasks.append(_done(loop, {"kernel_id": kernel_id, "task": render}))
        assert serve.compute_pools_warm({"a.ipynb": tasks}, ["a.ipynb"], 1, waiting) is warm
    finally:
        loop.close()


def test_startup_file_runs_the_warmup_and_never_stops_a_kernel(tmp_path):
    target = kernel_warmup.write_startup_file(tmp_path)
    assert target == tmp_path / "profile_default" / "startup" / kernel_warmup.STARTUP_FILE
    assert "start_kernel()" in target.read_text()
    assert "except Exception" in target.read_text()
    config = tmp_path / "profile_default" / kernel_warmup.KERNEL_CONFIG_FILE
    assert "c.IPKernelApp.log_level = 'CRITICAL'" in config.read_text()


def test_figure_widgets_carry_a_small_module_that_imports_the_served_bundle():
    """In a fresh interpreter, as in a kernel: the hook patches plotly when it is imported."""
    code = (
        "import os, sys\n"
        "os.environ['VOILA_BASE_URL'] = '/studio/'\n"
        "from backoffice_lib.workbench import kernel_warmup\n"
        "kernel_warmup.start_kernel()\n"
        "assert 'plotly' not in sys.modules  # nothing imported for a kernel that needs no plot\n"
        "import plotly.graph_objects as go\n"
        "print(go.FigureWidget()._esm)\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout
    assert len(shown) < 300  # not plotly's 5 MB bundle
    assert f"/studio/backoffice/static/plotly-{kernel_warmup.plotly_version()}/widgetbundle.js" \
        in shown
    assert "export default bundle.default" in shown
    assert kernel_warmup.plotly_bundle_file().stat().st_size > 1_000_000  # what is served


def test_a_kernels_first_figure_skips_the_iri_grammar_that_jsonschema_builds_at_import():
    """A cold kernel's first FigureWidget pulled nbformat -> jsonschema -> rfc3987_syntax, whose
    grammar took 0.75 s to build; the kernel start keeps it out and jsonschema still validates."""
    code = (
        "import sys\n"
        "from backoffice_lib.workbench import kernel_warmup\n"
        "kernel_warmup.start_kernel()\n"
        "import plotly.graph_objects as go\n"
        "go.FigureWidget(data=[go.Bar(x=[1], y=[2])])\n"
        "import jsonschema, nbformat\n"
        "assert 'nbformat.validator' in sys.modules  # the import chain the skip is about\n"
        "assert sys.modules['rfc3987_syntax'] is None\n"
        "checker = jsonschema.FormatChecker()\n"
        "assert 'iri' not in checker.checkers and 'date' in checker.checkers\n"
        "nbformat.validate(nbformat.v4.new_notebook())\n"
        "print('ok')\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=False)
    assert shown.stdout.strip() == "ok", shown.stderr
