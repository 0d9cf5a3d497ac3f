"""Every command checks access with the dashboards' roles (issue 12, business-rules §8): payroll,
invoices, reconciliation, backups, restores, archive, jobs, db maintain and customer contacts are
for admins; a coach sees only their own coaching rows. A refusal is one line, exit code 2, and
audited (ACCESS_DENIED) with nothing else written. Also the library rules behind the commands:
a malformed PIN is never counted, an unknown customer is refused, a finalised month is changed
only by an admin with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from backoffice_lib import access, bangkok, database
from backoffice_lib.cli import cli
from backoffice_lib.history.queries import backup as backup_queries
from backoffice_lib.history.service import backup
from backoffice_lib.packages import service as package_service
from backoffice_lib.staff.service import timeclock

ADMIN = "admin@studio.example"
COACH = "min@studio.example"  # an allowed user, coach MIN, not an admin
STRANGER = "stranger@example.com"
MONTH = bangkok.previous_month(bangkok.month_key(bangkok.today()))

# Commands that read personal or pay data, or change what only admins may change.
ADMIN_COMMANDS = [
    ["payroll", "compute", "--month", MONTH],
    ["payroll", "run", "--month", MONTH],
    ["payroll", "finalise", "--month", MONTH],
    ["packages", "status"],
    ["packages", "alerts"],
    ["packages", "transfer", "--package", "{package}", "--to", "{customer}", "--reason", "gift"],
    ["packages", "extend", "--package", "{package}", "--until", "{today}", "--reason", "x"],
    ["invoice", "list"],
    ["invoice", "suppliers"],
    ["invoice", "pdf", "{invoice}", "--out", "{tmp}/x.pdf"],
    ["invoice", "void", "{invoice}", "--reason", "x"],
    ["invoice", "create", "--supplier", "{supplier}", "--date", "{today}", "--item", "Balls;1;10"],
    ["invoice", "supplier-add", "--name", "Sneaky Co"],
    ["reconcile", "--type", "restaurant", "--file", "{tmp}/saved.dump"],
    ["staff", "list"],
    ["staff", "deactivate", "{staff}", "--reason", "x"],
    ["schedule", "generate", "--from", "{today}", "--to", "{today}"],
    ["archive", "status"],
    ["archive", "time-entries", "--before", "2024-01"],
    ["jobs", "list"],
    ["jobs", "run", "invoices-monthly"],
    ["jobs", "run-due", "--dry-run"],
    ["db", "backup", "{tmp}/stolen.dump"],
    ["db", "backup", "--out", "{tmp}/stolen-too.dump"],
    ["db", "backups"],
    ["db", "restore", "{tmp}/saved.dump", "--force"],
    ["db", "maintain"],
    ["coaching", "earnings", "--from", "{month_start}", "--to", "{today}", "--coach", "BOSS"],
    # supplier tax, the tax calendar, the forecast and delivery
    ["invoice", "pay", "{invoice}", "--date", "{today}"],
    ["invoice", "supplier-set", "{supplier}", "--branch", "00001"],
    ["invoice", "supplier-email", "{supplier}", "thief@example.com"],
    ["invoice", "settings"],
    ["invoice", "settings", "--set", "company_branch_no=00002"],
    ["invoice", "filings", "--month", MONTH, "--out", "{tmp}/filings"],
    ["invoice", "certificates", "--month", MONTH, "--out", "{tmp}/certificates"],
    ["invoice", "certificates", "--month", MONTH, "--deliver", "--dry-run"],
    ["taxes", "calendar", "--month", MONTH],
    ["taxes", "filed", "--duty", "pnd3", "--month", MONTH, "--date", "{today}", "--receipt", "x"],
    ["payroll", "forecast", "--month", "{this_month}"],
    ["payroll", "forecast", "--month", "{this_month}", "--weeks"],
    ["payroll", "forecast", "--month", MONTH, "--accuracy"],
    ["payroll", "deliver", "--month", MONTH, "--dry-run"],
    ["payroll", "set-email", "--staff", "{staff}", "--email", "thief@example.com"],
    ["payroll", "certificates", "--year", "2025", "--deliver", "--dry-run"],
    ["outbox", "list"],
    ["outbox", "retry"],
    ["packages", "customer-line", "{customer_code}", "Uthief"],
]


@pytest.fixture(scope="module")
def known(demo_engine, demo_database_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access")
    url = demo_database_url.render_as_string(hide_password=False)
    backup.run_backup(tmp / "saved.dump", database.get_engine(url))
    with demo_engine.connect() as conn:
        one = conn.execute(sa.text(
            "SELECT (SELECT id FROM backoffice.packages ORDER BY purchase_date DESC, id LIMIT 1)"
            "   AS package,"
            " (SELECT customer_name FROM public.customers ORDER BY customer_name LIMIT 1)"
            "   AS customer,"
            " (SELECT customer_code FROM public.customers ORDER BY customer_code LIMIT 1)"
            "   AS customer_code,"
            " (SELECT invoice_number FROM backoffice.invoices ORDER BY invoice_number LIMIT 1)"
            "   AS invoice,"
            " (SELECT id FROM backoffice.invoice_suppliers ORDER BY name LIMIT 1) AS supplier,"
            " (SELECT staff_id FROM backoffice.staff WHERE is_active ORDER BY staff_id LIMIT 1)"
            "   AS staff")).one()
    values = {key: str(value) for key, value in one._mapping.items()}
    today = bangkok.today()
    values.update(today=today.isoformat(), month_start=today.replace(day=1).isoformat(),
                  this_month=today.strftime("%Y-%m"),
                  tmp=str(tmp))
    return values, url, tmp


def invoke(known, monkeypatch, args, user):
    values, url, tmp = known
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", url)
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp / "data"))
    if user:
        monkeypatch.setenv("BACKOFFICE_USER", user)
    else:
        monkeypatch.delenv("BACKOFFICE_USER", raising=False)
    database.database_url.cache_clear()
    database.get_engine.cache_clear()
    try:
        result = CliRunner().invoke(cli, [a.format(**values) for a in args], prog_name="backoffice")
    finally:
        monkeypatch.undo()
        database.database_url.cache_clear()
        database.get_engine.cache_clear()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: n for name, (n, _) in backup_queries.load_counts(conn).items()}


def refusals(engine, user: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text(
            "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
            " AND user_email = :u"), {"u": user})


@pytest.mark.parametrize("args", ADMIN_COMMANDS, ids=[" ".join(a[:2]) for a in ADMIN_COMMANDS])
def test_a_non_admin_is_refused_audited_and_nothing_else_written(known, demo_engine,
                                                                  monkeypatch, args):
    before, refused_before = counts(demo_engine), refusals(demo_engine, COACH)
    result = invoke(known, monkeypatch, args, COACH)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: access refused"), result.stderr
    assert result.stdout == ""
    assert refusals(demo_engine, COACH) == refused_before + 1
    after = counts(demo_engine)
    assert after.pop("backoffice.audit_logs") == before.pop("backoffice.audit_logs") + 1
    assert after == before


@pytest.mark.parametrize("user, reason", [(None, "pass --user EMAIL or set BACKOFFICE_USER"),
                                          (STRANGER, "not an allowed user")],
                         ids=["nobody", "stranger"])
@pytest.mark.parametrize("args", [["payroll", "compute", "--month", MONTH], ["packages", "alerts"],
                                  ["db", "backup", "{tmp}/x.dump"], ["jobs", "list"]],
                         ids=["payroll compute", "packages alerts", "db backup", "jobs list"])
def test_nobody_and_strangers_are_refused(known, monkeypatch, args, user, reason):
    result = invoke(known, monkeypatch, args, user)
    assert result.exit_code == 2 and reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_coach_sees_their_own_earnings(known, monkeypatch):
    result = invoke(known, monkeypatch, ["coaching", "earnings", "--from", "{month_start}",
                                         "--to", "{today}", "--coach", "MIN", "--format", "csv"],
                    COACH)
    assert result.exit_code == 0, result.stderr


def test_payroll_compute_by_an_admin_is_audited(known, demo_engine, monkeypatch):
    with demo_engine.connect() as conn:
        views = conn.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs WHERE action ="
                                    " 'VIEW' AND resource_type = 'payroll' AND resource_id = :m"),
                            {"m": MONTH})
    result = invoke(known, monkeypatch, ["payroll", "compute", "--month", MONTH], ADMIN)
    assert result.exit_code == 0, result.stderr
    with demo_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs WHERE action ="
                                   " 'VIEW' AND resource_type = 'payroll' AND resource_id = :m"),
                           {"m": MONTH}) == views + 1


# --- the library rules behind the commands -----------------------------------------------------


@pytest.mark.parametrize("pin", ["12345", "1234567", "", "๑๒๓๔๕๖", "12345a", "123456\n"])
def test_a_malformed_pin_is_refused_before_any_check_and_never_counted(demo_conn, pin):
    person = demo_conn.execute(sa.text(
        "SELECT id, staff_id, failed_attempts FROM backoffice.staff"
        " WHERE is_active AND locked_until IS NULL ORDER BY staff_id LIMIT 1")).one()
    result = timeclock.punch(demo_conn, ADMIN, person.staff_id, pin)
    assert result.status == timeclock.REFUSED and "6 digits" in result.message
    assert demo_conn.scalar(sa.text("SELECT failed_attempts FROM backoffice.staff WHERE id = :i"),
                            {"i": person.id}) == person.failed_attempts
    assert demo_conn.scalar(sa.text(
        "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'PIN_FAILED'"
        " AND resource_id = :i AND timestamp >= now()"), {"i": str(person.id)}) == 0


def test_a_transfer_to_an_unknown_customer_is_refused_and_the_package_kept(demo_conn, known):
    package_id = known[0]["package"]
    before = package_service.load_package(demo_conn, package_id)
    with pytest.raises(package_service.PackageRefused, match="no customer named"):
        package_service.transfer_package(demo_conn, ADMIN, package_id,
                                         to_customer_name="Nobody Such Person", reason="gift")
    after = package_service.load_package(demo_conn, package_id)
    assert (after["customer_name"], after["customer_id"]) == (
        before["customer_name"], before["customer_id"])


@pytest.fixture
def finalised_entry(demo_conn):
    """A recent time entry (under 7 days old) of a month whose payroll is finalised."""
    entry = demo_conn.execute(sa.text(
        "SELECT id, timestamp FROM backoffice.time_entries"
        " WHERE timestamp < now() - interval '1 day' AND timestamp > now() - interval '6 days'"
        " ORDER BY timestamp DESC LIMIT 1")).one()
    month = bangkok.month_key(bangkok.bangkok_date(entry.timestamp))
    demo_conn.execute(sa.text(
        "INSERT INTO backoffice.payroll_runs (month, status, checksum, finalised_by, finalised_at)"
        " SELECT :m, 'finalised', 'test', :e, now() WHERE NOT EXISTS (SELECT 1 FROM"
        " backoffice.payroll_runs WHERE month = :m AND status = 'finalised')"),
        {"m": month, "e": ADMIN})
    return entry.id, entry.timestamp, month


def test_a_finalised_month_is_refused_clearly_to_a_non_admin(demo_conn, finalised_entry):
    entry_id, _, month = finalised_entry
    with pytest.raises(access.AccessDenied, match=f"payroll for {month} is finalised"):
        timeclock.delete_entry(demo_conn, COACH, entry_id, "duplicate")


@pytest.mark.parametrize("correction", ["delete", "edit"])
def test_an_admins_correction_with_a_reason_goes_through_a_finalised_month(
        demo_conn, finalised_entry, correction):
    entry_id, moment, _ = finalised_entry
    if correction == "delete":
        timeclock.delete_entry(demo_conn, ADMIN, entry_id, "duplicate punch")
        assert demo_conn.scalar(sa.text("SELECT count(*) FROM backoffice.time_entries"
                                        " WHERE id = :i"), {"i": entry_id}) == 0
    else:
        timeclock.edit_entry_time(demo_conn, ADMIN, entry_id, moment + dt.timedelta(seconds=30),
                                  "clock was late")
    audit_row = demo_conn.execute(sa.text(
        "SELECT user_email, details FROM backoffice.audit_logs WHERE resource_type ="
        " 'time_entries' AND resource_id = :i AND action IN ('DELETE', 'UPDATE')"
        " ORDER BY timestamp DESC LIMIT 1"), {"i": str(entry_id)}).one()
    assert audit_row.user_email == ADMIN
    assert audit_row.details["reason"] in ("duplicate punch", "clock was late")


def test_jobs_yml_cannot_name_the_acting_user():
    from backoffice_lib.workbench import jobs

    document = {"jobs": [{"name": "invoices", "notebook": "invoices/invoices.ipynb",
                          "schedule": "monthly:2", "parameters": {"month": "", "user": ADMIN}}]}
    with pytest.raises(jobs.JobsFileError, match="'user' would name the acting user"):
        jobs.compute_jobs(document)
