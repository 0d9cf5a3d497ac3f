"""Bad input on every command (issue 12): one line on stderr, exit code 2, no traceback, and
nothing written (the row counts of every workbench table are the same before and after).

One table of (command line, stdin, exit code, message fragment), run through the real command
group: most rows in this process with Click's CliRunner (a subprocess costs seconds of imports),
a few as a subprocess exactly as a person runs it. The values come from the review of issue 12:
an unreachable database, numbers beyond numeric's range, non-ASCII digits, months with trailing
characters or years 0000/9999, implausible business dates, malformed PINs, unknown ids.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice
from click.testing import CliRunner

from backoffice_lib import bangkok, database
from backoffice_lib.cli import cli
from backoffice_lib.history.queries import backup as backup_queries
from backoffice_lib.history.service import backup

ADMIN = "admin@studio.example"
NOWHERE = "postgresql://nobody@127.0.0.1:1/nothing"
UNREACHABLE = {"BACKOFFICE_DATABASE_URL": NOWHERE}
THAI_DATE = "๒๐๒๕-๐๑-๑๐"
LATER = (bangkok.today().replace(day=1) + dt.timedelta(days=40)).isoformat()
FAR = f"{bangkok.today().year + 6}-01-01"


def row(name, args, fragment, *, stdin=None, env=None, code=2, as_subprocess=False):
    return pytest.param(args, stdin, env, code, fragment, as_subprocess, id=name)


MONTHS = [
    ("13th month", "2025-13"), ("one-digit month", "2025-1"), ("trailing newline", "2025-01\n"),
    ("trailing letter", "2025-01x"), ("leading space", " 2025-01"), ("Thai digits", "๒๕๖๘-01"),
    ("full-width digits", "２０２５-01"), ("year 0000", "0000-01"), ("year 9999", "9999-12"),
    ("empty", ""), ("slashes", "2025/01"), ("word", "January"),
]

TABLE = [
    # --- payroll: months --------------------------------------------------------------------
    *[row(f"payroll compute month {name}", ["payroll", "compute", "--month", value], "YYYY-MM")
      for name, value in MONTHS],
    row("payroll compute month before 2000", ["payroll", "compute", "--month", "1999-12"],
        "plausible"),
    row("payroll compute month too far ahead", ["payroll", "compute", "--month", "2999-01"],
        "plausible"),
    row("payroll compute format", ["payroll", "compute", "--month", "2025-01", "--format", "xml"],
        "--format"),
    row("payroll compute no month", ["payroll", "compute"], "Missing option '--month'"),
    row("payroll run month 13", ["payroll", "run", "--month", "2025-13"], "YYYY-MM"),
    row("payroll finalise year 9999", ["payroll", "finalise", "--month", "9999-12"], "YYYY-MM"),
    row("payroll finalise trailing newline", ["payroll", "finalise", "--month", "2025-01\n"],
        "YYYY-MM"),
    # --- packages use: hours, dates, ids ------------------------------------------------------
    *[row(f"packages use hours {name}",
          ["packages", "use", "--package", "{package}", "--hours", value, "--date", "{today}",
           "--employee", "Ploy"], fragment)
      for name, value, fragment in [
          ("word", "abc", "--hours"), ("exponent", "1e30", "--hours"),
          ("beyond numeric(8,2)", "1000000", "--hours"), ("negative", "-1", "--hours"),
          ("Thai digits", "๑.๕", "--hours"), ("NaN", "NaN", "--hours"),
          ("Infinity", "Infinity", "--hours"), ("three decimals", "1.234", "more than 2 decimals"),
          ("zero", "0", "more than 0"), ("empty", "", "--hours"), ("comma", "1,5", "--hours"),
      ]],
    *[row(f"packages use date {name}",
          ["packages", "use", "--package", "{package}", "--hours", "1", "--date", value,
           "--employee", "Ploy"], fragment)
      for name, value, fragment in [
          ("30 February", "2025-02-30", "date of the calendar"),
          ("year 1", "0001-01-01", "plausible"), ("1900", "1900-01-01", "plausible"),
          ("trailing newline", "2025-01-01\n", "YYYY-MM-DD"), ("Thai digits", THAI_DATE, "YYYY-MM-DD"),
          ("day first", "31/01/2025", "YYYY-MM-DD"), ("far future", FAR, "plausible"),
          ("compact", "20250101", "YYYY-MM-DD"),
      ]],
    row("packages use package not a uuid",
        ["packages", "use", "--package", "x1", "--hours", "1", "--date", "{today}", "--employee", "P"],
        "not a package id"),
    row("packages use unknown package",
        ["packages", "use", "--package", "00000000-0000-0000-0000-00000000dead", "--hours", "1",
         "--date", "{today}", "--employee", "P"], "no package"),
    row("packages use unknown booking",
        ["packages", "use", "--package", "{package}", "--hours", "0.5", "--date", "{today}",
         "--employee", "Ploy", "--booking", "NO-SUCH-BOOKING"], "usage refused"),
    row("packages use no employee",
        ["packages", "use", "--package", "{package}", "--hours", "0.5", "--date", "{today}",
         "--employee", " "], "employee"),
    # --- packages sell / transfer / extend / status / alerts -----------------------------------
    *[row(f"packages sell discount {name}",
          ["packages", "sell", "--customer", "Khun Test", "--type", "{package_type}", "--discount",
           value], "--discount")
      for name, value in [("exponent", "1e12"), ("beyond numeric(12,2)", "99999999999"),
                          ("negative", "-5"), ("Thai digit", "๕"), ("word", "free")]],
    row("packages sell type Thai digit",
        ["packages", "sell", "--customer", "Khun Test", "--type", "๓"], "no package type"),
    row("packages sell type id too long",
        ["packages", "sell", "--customer", "Khun Test", "--type", "99999999999"],
        "not a package type id"),
    row("packages sell bought in 1900",
        ["packages", "sell", "--customer", "Khun Test", "--type", "{package_type}", "--date",
         "1900-01-01"], "plausible"),
    row("packages sell in the future",
        ["packages", "sell", "--customer", "Khun Test", "--type", "{package_type}", "--date",
         LATER], "in the future"),
    row("packages sell no customer",
        ["packages", "sell", "--customer", " ", "--type", "{package_type}"], "customer name"),
    row("packages transfer unknown customer",
        ["packages", "transfer", "--package", "{package}", "--to", "Nobody Such Person",
         "--reason", "gift"], "no customer named"),
    row("packages transfer bad package",
        ["packages", "transfer", "--package", "x", "--to", "{customer}", "--reason", "gift"],
        "not a package id"),
    row("packages transfer empty reason",
        ["packages", "transfer", "--package", "{package}", "--to", "{customer}", "--reason", " "],
        "reason"),
    row("packages extend 30 February",
        ["packages", "extend", "--package", "{package}", "--until", "2025-02-30", "--reason", "x"],
        "calendar"),
    row("packages extend year 1",
        ["packages", "extend", "--package", "{package}", "--until", "0001-01-01", "--reason", "x"],
        "plausible"),
    row("packages status as-of month 13", ["packages", "status", "--as-of", "2025-13-01"],
        "calendar"),
    row("packages status as-of 9999", ["packages", "status", "--as-of", "9999-12-31"], "plausible"),
    row("packages alerts as-of 0000", ["packages", "alerts", "--as-of", "0000-01-01"],
        "calendar"),
    row("packages alerts format", ["packages", "alerts", "--format", "xml"], "--format"),
    row("coaching earnings 30 February",
        ["coaching", "earnings", "--from", "2025-02-30", "--to", "2025-03-01"], "calendar"),
    row("coaching earnings Thai digits",
        ["coaching", "earnings", "--from", THAI_DATE, "--to", "2025-03-01"], "YYYY-MM-DD"),
    row("coaching earnings to before from",
        ["coaching", "earnings", "--from", "2025-03-01", "--to", "2025-02-01"], "before"),
    row("coaching earnings format",
        ["coaching", "earnings", "--from", "2025-03-01", "--to", "2025-03-31", "--format", "xml"],
        "--format"),
    # --- invoices and reconciliation ----------------------------------------------------------
    *[row(f"invoice create {name}",
          ["invoice", "create", "--supplier", "{supplier}", "--date", date, "--item", item,
           *extra], fragment)
      for name, date, item, extra, fragment in [
          ("in year 1", "0001-01-01", "Lesson;1;100", [], "plausible"),
          ("in 1900", "1900-01-01", "Lesson;1;100", [], "plausible"),
          ("month 13", "2025-13-01", "Lesson;1;100", [], "calendar"),
          ("date with a newline", "2025-01-10\n", "Lesson;1;100", [], "YYYY-MM-DD"),
          ("quantity word", "2025-01-10", "Lesson;abc;100", [], "quantity"),
          ("quantity Thai digits", "2025-01-10", "Lesson;๒;100", [], "quantity"),
          ("price beyond numeric(12,2)", "2025-01-10", "Lesson;1;99999999999", [], "unit price"),
          ("price exponent", "2025-01-10", "Lesson;1;1e40", [], "unit price"),
          ("price negative", "2025-01-10", "Lesson;1;-100", [], "unit price"),
          ("price three decimals", "2025-01-10", "Lesson;1;1.005", [], "unit price"),
          ("item without parts", "2025-01-10", "Lesson", [], "description;quantity;unit_price"),
          ("line total beyond numeric(12,2)", "2025-01-10", "Lesson;9999999999;9999999999", [],
           "nothing was saved"),
          ("tax rate above 100", "2025-01-10", "Lesson;1;100", ["--tax-rate", "101"], "--tax-rate"),
          ("tax rate Thai digit", "2025-01-10", "Lesson;1;100", ["--tax-rate", "๓"], "--tax-rate"),
          ("tax rate word", "2025-01-10", "Lesson;1;100", ["--tax-rate", "abc"], "--tax-rate"),
      ]],
    row("invoice create unknown supplier",
        ["invoice", "create", "--supplier", "00000000-0000-0000-0000-00000000dead", "--date",
         "2025-01-10", "--item", "Lesson;1;100"], "supplier"),
    row("invoice list month 13", ["invoice", "list", "--month", "2025-13"], "YYYY-MM"),
    row("invoice list month with newline", ["invoice", "list", "--month", "2025-01\n"], "YYYY-MM"),
    row("invoice list year 0000", ["invoice", "list", "--month", "0000-01"], "YYYY-MM"),
    row("invoice pdf unknown number", ["invoice", "pdf", "999999999", "--out", "{tmp}/x.pdf"],
        "999999999"),
    row("invoice void unknown number", ["invoice", "void", "999999999", "--reason", "typo"],
        "999999999"),
    row("invoice supplier-add duplicate tax id",
        ["invoice", "supplier-add", "--name", "Copy Co", "--tax-id", "{supplier_tax_id}"], "tax"),
    row("reconcile missing file",
        ["reconcile", "--type", "restaurant", "--file", "{tmp}/nothing.csv"], "no such file"),
    row("reconcile from 30 February",
        ["reconcile", "--type", "restaurant", "--file", "{tmp}/nothing.csv", "--from",
         "2025-02-30"], "calendar"),
    row("reconcile window too wide",
        ["reconcile", "--type", "restaurant", "--file", "{tmp}/nothing.csv", "--date-window",
         "99"], "--date-window"),
    # --- staff, clock, schedules, attendance --------------------------------------------------
    *[row(f"clock PIN {name}", ["clock", "--staff", "{staff}"], "6 digits", stdin=pin + "\n")
      for name, pin in [("5 digits", "12345"), ("7 digits", "1234567"), ("empty", ""),
                        ("Thai digits", "๑๒๓๔๕๖"), ("Arabic-Indic digits", "١٢٣٤٥٦"),
                        ("letters", "abcdef"), ("trailing space", "123456 ")]],
    *[row(f"staff add PIN {name}", ["staff", "add", "--name", "New Person"], "6 digits",
          stdin=f"{pin}\n{pin}\n")
      for name, pin in [("5 digits", "12345"), ("Thai digits", "๑๒๓๔๕๖"), ("empty", "")]],
    row("staff reset-pin letters", ["staff", "reset-pin", "{staff}", "--reason", "forgot"],
        "6 digits", stdin="abcdef\nabcdef\n"),
    row("staff deactivate unknown", ["staff", "deactivate", "NOBODY-9", "--reason", "left"],
        "NOBODY-9"),
    row("staff unlock unknown", ["staff", "unlock", "NOBODY-9", "--reason", "x"], "NOBODY-9"),
    row("staff list format", ["staff", "list", "--format", "xml"], "--format"),
    row("schedule generate six years",
        ["schedule", "generate", "--from", "2025-01-01", "--to", "2030-12-31"], "more than 366"),
    row("schedule generate 30 February",
        ["schedule", "generate", "--from", "2025-02-30", "--to", "2025-03-01"], "calendar"),
    row("schedule generate to before from",
        ["schedule", "generate", "--from", "2025-03-01", "--to", "2025-02-01"], "before"),
    row("attendance year 1", ["attendance", "--from", "0001-01-01", "--to", "2025-01-31"],
        "plausible"),
    row("attendance Thai digits", ["attendance", "--from", THAI_DATE, "--to", "2025-01-31"],
        "YYYY-MM-DD"),
    row("attendance to before from", ["attendance", "--from", "2025-03-01", "--to", "2025-02-01"],
        "before"),
    # --- db, archive, jobs, demo --------------------------------------------------------------
    *[row(f"db maintain months-ahead {name}", ["db", "maintain", "--months-ahead", value],
          "--months-ahead")
      for name, value in [("huge", "1000000000000"), ("negative", "-1"), ("Thai digit", "๓"),
                          ("word", "many"), ("beyond 36", "37")]],
    row("db restore missing file", ["db", "restore", "{tmp}/none.dump", "--force"],
        "no backup file"),
    row("db restore not a dump", ["db", "restore", "{tmp}/junk.dump", "--force"],
        "not a backup of pg_dump"),
    row("db restore without force", ["db", "restore", "{tmp}/saved.dump"], "--force"),
    row("db backup unwritable", ["db", "backup", "/proc/no/such/x.dump"], "cannot write"),
    row("archive time-entries month 13", ["archive", "time-entries", "--before", "2024-13"],
        "YYYY-MM"),
    row("archive time-entries year 0000", ["archive", "time-entries", "--before", "0000-01"],
        "YYYY-MM"),
    row("archive packages year 1", ["archive", "packages", "--expired-before", "0001-01-01"],
        "plausible"),
    row("archive restore nothing named", ["archive", "restore", "time-entries"], "--month"),
    row("archive restore month one digit",
        ["archive", "restore", "time-entries", "--month", "2025-1"], "YYYY-MM"),
    row("jobs run unknown job", ["jobs", "run", "no-such-job"], "no job named"),
    row("jobs run acting user as a parameter",
        ["jobs", "run", "invoices-monthly", "-p", "user=boss@studio.example"], "-p user="),
    row("jobs run parameter without value", ["jobs", "run", "invoices-monthly", "-p", "month"],
        "KEY=VALUE"),
    row("jobs run-due 30 February", ["jobs", "run-due", "--today", "2025-02-30", "--dry-run"],
        "calendar"),
    row("jobs run-due year 1", ["jobs", "run-due", "--today", "0001-01-01", "--dry-run"],
        "plausible"),
    row("jobs list limit 0", ["jobs", "list", "--limit", "0"], "--limit"),
    row("demo load scale 0", ["demo", "load", "--scale", "0"], "--scale"),
    row("demo load scale 1000", ["demo", "load", "--scale", "1000"], "--scale"),
    row("demo load as-of in the future", ["demo", "load", "--as-of", LATER], "after today"),
    row("demo load as-of 30 February", ["demo", "load", "--as-of", "2025-02-30"], "calendar"),
    row("demo load seed negative", ["demo", "load", "--seed", "-1"], "--seed"),
    row("unknown command", ["nosuch"], "No such command"),
    # --- import live: a dump runs no code (issue 22) ------------------------------------------
    row("import live plain SQL dump", ["import", "live", "--source", "{tmp}/plain.sql",
                                       "--dry-run"], "plain SQL dumps run psql commands"),
    row("import live archive with functions",
        ["import", "live", "--source", "{tmp}/saved.dump", "--dry-run"],
        "is refused: its restore would create"),
    row("import live not a dump", ["import", "live", "--source", "{tmp}/junk.dump"],
        "neither a pg_dump"),
    # --- an unreachable database: one line, exit 2, on every kind of command ------------------
    *[row(f"unreachable database: {' '.join(args[:2])}", args, "cannot reach the database",
          env=UNREACHABLE)
      for args in [
          ["payroll", "compute", "--month", "2025-01"], ["packages", "status"],
          ["packages", "alerts"], ["invoice", "list"], ["staff", "list"],
          ["attendance", "--from", "2025-01-01", "--to", "2025-01-31"], ["archive", "status"],
          ["jobs", "list"], ["db", "url"], ["db", "upgrade"], ["demo", "load"],
          ["coaching", "earnings", "--from", "2025-01-01", "--to", "2025-01-31"],
          ["db", "maintain"], ["invoice", "suppliers"],
      ]],
    # --- no secret in any error (issue 22): a URL's password is masked -------------------------
    row("db url: a MySQL URL's password masked", ["db", "url"],
        "not 'mysql://root:***@db.example/x'",
        env={"BACKOFFICE_DATABASE_URL": "mysql://root:s3cret@db.example/x"}),
    row("db upgrade: a password in the query masked", ["db", "upgrade"], "password=***",
        env={"BACKOFFICE_DATABASE_URL": f"{NOWHERE}?password=s3cret"}),
    row("unreachable with a password: masked", ["payroll", "compute", "--month", "2025-01"],
        "nobody:***@127.0.0.1",
        env={"BACKOFFICE_DATABASE_URL": "postgresql://nobody:s3cret@127.0.0.1:1/nothing"}),
    row("db backup: an unreachable URL's password masked", ["db", "backup", "{tmp}/x.dump"],
        "***", env={"BACKOFFICE_DATABASE_URL": "postgresql://nobody:s3cret@127.0.0.1:1/nothing"}),
    # --- a few exactly as a person runs them (a subprocess) ------------------------------------
    row("subprocess: db url with a MySQL URL's password masked", ["db", "url"],
        "not 'mysql://root:***@db.example/x'",
        env={"BACKOFFICE_DATABASE_URL": "mysql://root:s3cret@db.example/x"}, as_subprocess=True),
    row("subprocess: payroll month with a newline", ["payroll", "compute", "--month", "2025-01\n"],
        "YYYY-MM", as_subprocess=True),
    row("subprocess: unreachable database", ["payroll", "compute", "--month", "2025-01"],
        "cannot reach the database", env=UNREACHABLE, as_subprocess=True),
    row("subprocess: clock PIN of 5 digits", ["clock", "--staff", "{staff}"], "6 digits",
        stdin="12345\n", as_subprocess=True),
    row("subprocess: hours beyond numeric",
        ["packages", "use", "--package", "{package}", "--hours", "99999999", "--date", "{today}",
         "--employee", "Ploy"], "--hours", as_subprocess=True),
]


@pytest.fixture(scope="module")
def known(demo_engine, demo_database_url, tmp_path_factory):
    """Real ids of the demo data for the rows that need one, and files for the restore rows."""
    tmp = tmp_path_factory.mktemp("bad-inputs")
    (tmp / "junk.dump").write_text("not a dump")
    (tmp / "plain.sql").write_text(f"-- PostgreSQL database dump\n\\! touch {tmp}/pwned\n")
    with demo_engine.connect() as conn:
        values = {
            "package": str(conn.scalar(sa.text(
                "SELECT id FROM backoffice.packages ORDER BY purchase_date DESC, id LIMIT 1"))),
            "package_type": str(conn.scalar(sa.text(
                "SELECT id FROM backoffice.package_types ORDER BY id LIMIT 1"))),
            "supplier": str(conn.scalar(sa.text(
                "SELECT id FROM backoffice.invoice_suppliers WHERE tax_id IS NOT NULL"
                " ORDER BY name LIMIT 1"))),
            "supplier_tax_id": conn.scalar(sa.text(
                "SELECT tax_id FROM backoffice.invoice_suppliers WHERE tax_id IS NOT NULL"
                " ORDER BY name LIMIT 1")),
            "customer": conn.scalar(sa.text(
                "SELECT customer_name FROM public.customers ORDER BY customer_name LIMIT 1")),
            "staff": conn.scalar(sa.text(
                "SELECT staff_id FROM backoffice.staff WHERE is_active ORDER BY staff_id LIMIT 1")),
            "today": bangkok.today().isoformat(),
            "tmp": str(tmp),
        }
    url = demo_database_url.render_as_string(hide_password=False)
    backup.run_backup(tmp / "saved.dump", database.get_engine(url))
    return values, url, tmp


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: count for name, (count, _) in backup_queries.load_counts(conn).items()}


def _invoke(args, stdin, env, monkeypatch):
    """The command group in this process, with the environment a shell would give it."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    database.database_url.cache_clear()
    database.get_engine.cache_clear()
    try:
        result = CliRunner().invoke(cli, args, input=stdin, prog_name="backoffice")
    finally:
        monkeypatch.undo()
        database.database_url.cache_clear()
        database.get_engine.cache_clear()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the test fails with it
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("args, stdin, env, code, fragment, as_subprocess", TABLE)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
        known, demo_engine, monkeypatch, args, stdin, env, code, fragment, as_subprocess):
    values, url, tmp = known
    args = [a.format(**values) for a in args]
    environment = {"BACKOFFICE_DATABASE_URL": url, "BACKOFFICE_USER": ADMIN,
                   "BACKOFFICE_DATA_DIR": str(tmp / "data"), **(env or {})}
    before = _counts(demo_engine)
    if as_subprocess:
        full = {**os.environ, **environment}
        done = (run_backoffice(*args, env=full, timeout=120) if stdin is None
                else _subprocess_with_stdin(args, stdin, full))
        exit_code, stderr = done.returncode, done.stderr
    else:
        exit_code, _, stderr = _invoke(args, stdin, environment, monkeypatch)
    assert exit_code == code, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert fragment in lines[0], lines[0]
    assert "s3cret" not in stderr  # issue 22: no password in any error
    assert _counts(demo_engine) == before


def _subprocess_with_stdin(args, stdin, env):
    return subprocess.run([sys.executable, "-m", "backoffice_lib.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_the_table_has_at_least_100_rows():
    assert len(TABLE) >= 100
