"""The documentation: it builds without a broken link, its command reference is the commands'
own ``--help``, and its copies of the studio's documents are the documents as they stand."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice_lib.cli import reference

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "docs" / "reference" / "specs"
SHARED_SPECS = ROOT.parent / "shared" / "spec"
CITED = re.compile(r"\b([a-z][a-z-]+\.md)\b")


def test_cli_reference_is_the_commands_own_help():
    written = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert written == reference.render_cli_reference(), (
        "docs/reference/cli.md differs from the commands' --help:"
        " .venv/bin/python -m backoffice_lib.cli.reference")


@pytest.mark.parametrize("path", [(), ("payroll", "compute"), ("serve",)],
                         ids=["backoffice", "payroll compute", "serve"])
def test_cli_reference_shows_what_a_terminal_shows(path):
    shown = subprocess.run(
        [str(Path(sys.executable).with_name("backoffice")), *path, "--help"],
        capture_output=True, text=True, check=True, timeout=120,
        env=dict(os.environ, COLUMNS=str(reference.COLUMNS)),
    ).stdout
    assert shown.rstrip() in (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")


@pytest.mark.skipif(not SHARED_SPECS.is_dir(),
                    reason="the studio's documents (../shared/spec) are not next to this checkout")
def test_spec_copies_are_the_documents_as_they_stand():
    sources = sorted(p.name for p in SHARED_SPECS.glob("*.md"))
    copies = sorted(p.name for p in SPECS.glob("*.md") if p.name != "index.md")
    assert copies == sources
    drifted = [name for name in sources
               if (SPECS / name).read_bytes() != (SHARED_SPECS / name).read_bytes()]
    assert not drifted, f"copy them again from ../shared/spec: {drifted}"


def test_every_spec_the_code_cites_is_in_the_repository():
    held = {p.name for p in SPECS.glob("*.md")}
    cited = {}
    for folder in ("backoffice_lib", "tests", "notebooks", "benchmarks"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".ipynb", ".yml") or "__pycache__" in path.parts:
                continue
            for name in CITED.findall(path.read_text(encoding="utf-8", errors="replace")):
                if name.endswith(("-schema.md", "-rules.md", "-additions.md", "-payroll.md",
                                  "-system.md", "-tax.md")) or name == "delivery.md":
                    cited.setdefault(name, path.relative_to(ROOT))
    assert cited, "no citation found: the pattern no longer matches the code's citations"
    missing = {name: str(where) for name, where in cited.items() if name not in held}
    assert not missing, f"cited but not in docs/reference/specs: {missing}"


def test_docs_build_strict_without_a_broken_link(tmp_path):
    built = subprocess.run(
        [str(Path(sys.executable).with_name("mkdocs")), "build", "--strict", "--quiet",
         "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert (tmp_path / "site" / "reference" / "cli" / "index.html").is_file()


# A file the documents name: `backoffice_lib/...`, `notebooks/...`, `tests/...`, or a library
# module or notebook named from its domain (`staff/service/compensation.py`).
PATH_IN_DOCS = re.compile(r"`((?:backoffice_lib|notebooks|tests|benchmarks)/[\w./-]*|[\w/]+/\w+\.(?:py|ipynb))`")


def test_every_file_the_documents_name_exists():
    documents = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").rglob("*.md")]
    missing = sorted({
        f"{document.relative_to(ROOT)}: {path}"
        for document in documents if document.is_file() and "specs" not in document.parts
        for path in PATH_IN_DOCS.findall(document.read_text(encoding="utf-8"))
        if not any((base / path).exists()
                   for base in (ROOT, ROOT / "backoffice_lib", ROOT / "notebooks"))
    })
    assert not missing, "the documents name files the repository no longer holds:\n" + "\n".join(
        missing)
