"""The ``backoffice`` command. Each domain registers its commands from its own module.

Exit codes shared by every command: 0 success, 2 bad input or an unreachable database
(one clear line, never a traceback), other codes as each command documents.
"""

from __future__ import annotations

import sys

import click

from .. import database
from ..access import AccessDenied
from . import archive, db, demo, invoices, jobs, packages, payroll, staff

EXIT_BAD_INPUT = 2


class WorkbenchGroup(click.Group):
    """Turns the errors a person can fix into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except database.DatabaseUnavailable as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except AccessDenied as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)


@click.group(cls=WorkbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Back-office workbench of the golf studio: staff, payroll, packages, reconciliation."""


for module in (db, demo, staff, payroll, packages, invoices, jobs, archive):
    module.register(cli)


def main() -> None:
    cli(prog_name="backoffice")
