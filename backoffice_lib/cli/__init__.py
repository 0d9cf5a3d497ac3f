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
    "import": ("importer", "import_group",
               "One-way import from the studio's live system, with a dry run and a quarantine."),
    "jobs": ("jobs", "jobs_group",
             "Recurring notebook runs listed in jobs.yml (run folders under <data dir>/runs)."),
    "lab": ("workbench", "lab_command",
            "JupyterLab for analysts: their own notebooks, kernels as the analyst database role."),
    "packages": ("packages", "packages_group",
                 "Customer hour packages: status, usage, sales, transfers, extensions, alerts."),
    "outbox": ("outbox", "outbox_group",
               ("Messages sent, skipped or failed (payslips, certificates, alerts); retry failed"
               " ones.")),
    "payroll": ("payroll", "payroll", "Monthly payroll (business-rules §3)."),
    "reconcile": ("reconciliation", "reconcile",
                  "Reconcile a partner's or coach's file against the point of sale."),
    "schedule": ("staff", "schedule_group", "Shift schedules (admins)."),
    "serve": ("workbench", "serve_command",
              "Serve the catalog's dashboards with Voilà (landing page at /)."),
    "staff": ("staff", "staff_group",
              "Staff members: add, list, reset a PIN, deactivate, unlock (admins)."),
    "taxes": ("taxes", "taxes_group",
              "The month's tax calendar: due dates, states, files, filings recorded (admins)."),
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
        """Run the command owner-only (files it or its children create are 0600/0700, whatever
        the caller's umask) and turn every error a person can fix into one line and exit 2."""
        from .. import settings

        with settings.private_umask():
            try:
                return super().invoke(ctx)
            except click.UsageError as exc:  # a bad option value, a missing option, a typo
                click.echo(f"error: {exc.format_message()}", err=True)
                sys.exit(EXIT_BAD_INPUT)
            except Exception as exc:
                line = describe_error(exc)
                if line is None:
                    raise
                click.echo(f"error: {settings.mask_secrets(line)}", err=True)
                sys.exit(EXIT_BAD_INPUT)


# SQLSTATE classes of errors that a value caused: 22 data exception (numeric field overflow,
# invalid date...), 23 integrity (check, unique, foreign key), P0001 a trigger's RAISE, 42501 a
# trigger's refusal (a finalised payroll month).
BAD_VALUE_STATES = ("22", "23", "P0", "42501")


def _first_line(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def describe_error(exc: BaseException) -> str | None:
    """The one line for an error a person can fix (a refused user, a bad value, an unreachable
    database), or None for a fault of the program (which keeps its traceback).

    The one handler of the command group: commands need not pre-check the connection, and a
    value the database refuses ends here as one line, after its transaction rolled back.
    """
    from .. import bangkok, database
    from ..access import AccessDenied

    if isinstance(exc, database.DatabaseUnavailable | AccessDenied | bangkok.BadMonth
                  | bangkok.BadDate):
        return str(exc)
    import sqlalchemy as sa

    if isinstance(exc, sa.exc.ArgumentError) and "URL" in str(exc):
        return f"BACKOFFICE_DATABASE_URL is not a database URL ({_first_line(exc)})"
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    if not type(orig).__module__.startswith("psycopg"):
        return None
    import psycopg

    state = getattr(orig, "sqlstate", None) or ""
    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError) and (
        not state or state.startswith(("08", "57P"))
    ):
        return f"cannot reach the database {_where()}: {_first_line(orig)}"
    if state.startswith(BAD_VALUE_STATES):
        return f"the database refused a value (nothing was saved): {_first_line(orig)}"
    return None


def _where() -> str:
    from .. import settings

    configured = settings.database_url_from_env()
    if not configured:
        return "(embedded PostgreSQL)"
    try:
        from sqlalchemy.engine import make_url

        return make_url(configured).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is named by its error already
        return "(BACKOFFICE_DATABASE_URL)"


@click.group(cls=WorkbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Back-office workbench of the golf studio: staff, payroll, packages, reconciliation."""


def main() -> None:
    cli(prog_name="backoffice")
