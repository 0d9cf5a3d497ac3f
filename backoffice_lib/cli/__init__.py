"""The ``backoffice`` command: one module per domain, each loaded only when its command runs.

``backoffice --help`` imports no domain (no pandas, SQLAlchemy, plotly or Voilà): the group
knows each command's module, object and one-line help (a test keeps that line equal to the
command's own), and imports the module when the command is invoked.

Exit codes shared by every command: 0 success, 2 bad input or an unreachable database
(one clear line, never a traceback), other codes as each command documents.
"""

from __future__ import annotations

import importlib
import sys

import click

EXIT_BAD_INPUT = 2

# command name -> (module under backoffice_lib.cli, object in it, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "archive": ("archive", "archive_group",
                "Archive finalised time entries and expired packages (and restore them)."),
    "attendance": ("staff", "attendance",
                   ("Per shift: on_time / late / no_show / upcoming, left early; and unscheduled"
                   " sessions.")),
    "clock": ("staff", "clock",
              ("Punch for a person: the PIN is asked for (or read from stdin); the action is"
              " derived.")),
    "coaching": ("packages", "coaching_group", "Coach earnings (business-rules §5)."),
    "db": ("db", "db",
           "The database in use (BACKOFFICE_DATABASE_URL, else the embedded PostgreSQL)."),
    "demo": ("demo", "demo", "Demo data that looks like the studio."),
    "invoice": ("invoices", "invoice", "Supplier invoices: create, PDF, void, suppliers."),
    "jobs": ("jobs", "jobs_group",
             "Recurring notebook runs listed in jobs.yml (run folders under <data dir>/runs)."),
    "packages": ("packages", "packages_group",
                 "Customer hour packages: status, usage, sales, transfers, extensions, alerts."),
    "payroll": ("payroll", "payroll", "Monthly payroll (business-rules §3)."),
    "reconcile": ("invoices", "reconcile",
                  "Reconcile a partner's or coach's file against the point of sale."),
    "schedule": ("staff", "schedule_group", "Shift schedules (admins)."),
    "serve": ("jobs", "serve_command",
              "Serve the catalog's dashboards with Voilà (landing page at /)."),
    "staff": ("staff", "staff_group",
              "Staff members: add, list, reset a PIN, deactivate, unlock (admins)."),
}


def load_command(name: str) -> click.Command:
    module_name, attribute, _ = COMMANDS[name]
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, attribute)


class WorkbenchGroup(click.Group):
    """Loads each command on use; turns errors a person can fix into one line and exit 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return load_command(name) if name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of --help, from COMMANDS: no command module is imported for it."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.utils.make_default_short_help(COMMANDS[name][2], limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from .. import database
            from ..access import AccessDenied

            if isinstance(exc, database.DatabaseUnavailable | AccessDenied):
                click.echo(f"error: {exc}", err=True)
                sys.exit(EXIT_BAD_INPUT)
            raise


@click.group(cls=WorkbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Back-office workbench of the golf studio: staff, payroll, packages, reconciliation."""


def main() -> None:
    cli(prog_name="backoffice")
