"""The command reference of the documentation, written from the commands' own ``--help``.

    .venv/bin/python -m backoffice_lib.cli.reference [--out docs/reference/cli.md]

Every command and subcommand's ``--help`` as a terminal of 80 columns shows it, one section each,
in the order ``backoffice --help`` lists them. A test renders it again and compares it with the
committed page, so the page never drifts from the commands (as sqlite-utils' cog does).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from . import cli

COLUMNS = 80
PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md"
HEADER = """\
# Command line

Generated from each command's own `--help` (`make docs` writes this page again; a test fails
when it differs). Exit codes shared by every command: 0 success; 2 bad input, a refused user or
an unreachable database (one line on stderr, never a traceback); other codes as each command
says. The acting user is `--user` or `BACKOFFICE_USER`.
"""


def iter_command_paths() -> Iterator[tuple[str, ...]]:
    """``()`` for ``backoffice`` itself, then each command and subcommand, depth first."""

    def walk(command: click.Command, path: tuple[str, ...], parent: click.Context | None):
        yield path
        if not isinstance(command, click.Group):
            return
        ctx = click.Context(command, info_name=path[-1] if path else "backoffice", parent=parent)
        for name in command.list_commands(ctx):
            child = command.get_command(ctx, name)
            if child is not None and not child.hidden:
                yield from walk(child, (*path, name), ctx)

    yield from walk(cli, (), None)


def render_help(path: tuple[str, ...]) -> str:
    """What ``backoffice PATH --help`` prints in a terminal of ``COLUMNS`` columns."""
    # click wraps help at the terminal's width less 2 (CliRunner alone would force 80)
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="backoffice",
                                terminal_width=COLUMNS - 2, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"backoffice {' '.join(path)} --help exited {result.exit_code}")
    return result.output


def render_cli_reference() -> str:
    sections = [HEADER]
    for path in iter_command_paths():
        title = " ".join(("backoffice", *path))
        level = "#" * min(2 + max(len(path) - 1, 0), 4)
        sections.append(f"{level} `{title}`\n\n```text\n{render_help(path).rstrip()}\n```\n")
    return "\n".join(sections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PAGE, help="file to write")
    out = parser.parse_args().out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_cli_reference(), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
