"""``backoffice db roles``: separate PostgreSQL roles for the dashboards, the scheduler and the kiosk.

The CLI's identity (``--user`` / ``BACKOFFICE_USER``) is worth what the database URL is worth:
whoever holds a URL of the schema's owner can act as anyone. These roles narrow what each piece
may do whatever e-mail it claims (docs/administrators/roles.md):

- ``<prefix>_dashboards`` and ``<prefix>_scheduler``: read and write the workbench's tables; the
  audit trail (``audit_logs``, ``staff_audit_log``) only read and appended to, never changed;
  ``allowed_users`` and the schema's bookkeeping only read; the booking system's and point of
  sale's tables only read. No DDL, no TRUNCATE. (Creating partitions, archiving into new
  partitions, migrations and demo data stay with the owner.)
- ``<prefix>_kiosk``: may only punch: read who may sign in, the staff list and the time-clock
  settings, count a wrong PIN on the person's row (``failed_attempts``, ``locked_until``), read
  and insert time entries (never update or delete them), append to the audit trail.
- ``<prefix>_analyst`` (issue 27, what ``backoffice lab``'s kernels connect as): SELECT only, on
  the workbench's tables and views under their own names, column by column, never on secrets or
  pay: no PIN hash, national ID, bank account, pay rate or payroll result (the pay tables are
  not granted at all), no customer phone or e-mail, no photo or device; the audit trail through
  the ``audit_changes`` view (``audit_logs.details`` itself is not granted). Member of no role
  (no SET ROLE to another), NOINHERIT, no CREATEROLE/CREATEDB/BYPASSRLS; every privilege it
  held before is revoked first, so a re-run also takes back what is no longer granted.

NOLOGIN group roles by default (grant them to your own login roles); ``login=True`` makes each a
LOGIN role with a new random password, sent to the server as a SCRAM-SHA-256 verifier (the clear
password never reaches the server or its logs) and returned once for the caller to print.
Idempotent: re-running grants again and creates nothing twice. Admin only; audited.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import os
import re
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import access, audit

AREA = "roles"
PIECES = ("dashboards", "scheduler", "kiosk", "analyst")
WORKBENCH_SCHEMAS = ("backoffice", "archive")
EXTERNAL_TABLES = ("public.customers", "public.bookings", "pos.sales")
READ_ONLY_TABLES = frozenset({"allowed_users", "alembic_version", "owned_external_tables"})
APPEND_ONLY_TABLES = frozenset({"audit_logs", "staff_audit_log"})
# What punching reads and writes (timeclock.punch, the kiosk dashboard and their triggers), down
# to the columns where a table holds more: never a salary, a payroll total, a phone or a photo
KIOSK_GRANTS = (
    ("SELECT (id, email, is_admin, is_coach, coach_code)", "backoffice.allowed_users"),
    ("SELECT", "backoffice.staff"),  # the PIN's hash is checked here, in the kiosk's process
    ("SELECT", "backoffice.staff_status"),  # the kiosk's list of names (a view)
    ("UPDATE (failed_attempts, locked_until)", "backoffice.staff"),
    ("SELECT", "backoffice.payroll_settings"),
    ("SELECT (month, status)", "backoffice.payroll_runs"),  # the finalised-month guard
    ('SELECT (id, staff_id, action, "timestamp"), INSERT', "backoffice.time_entries"),
    # the audit trail only through backoffice.write_audit() (migration 0018, FUNCTION_GRANTS);
    # log_staff_changes() after a wrong PIN runs as the owner
)
# Migration 0018 (issue 23.2): the audit trail is written only through these functions, which
# stamp the real role; the payroll month is finalised through one (never reopened but by the
# owner); lock_corrections is the owner's alone. A re-run takes back what older runs granted.
FUNCTION_GRANTS = {
    "dashboards": ("backoffice.write_audit(text, text, text, text, jsonb, text, text)",
                   "backoffice.finalise_payroll_run(integer, text)"),
    "scheduler": ("backoffice.write_audit(text, text, text, text, jsonb, text, text)",
                  "backoffice.finalise_payroll_run(integer, text)"),
    "kiosk": ("backoffice.write_audit(text, text, text, text, jsonb, text, text)",),
}
REVOKED = (
    ("INSERT, UPDATE, DELETE", "backoffice.audit_logs"),
    ("INSERT, UPDATE, DELETE", "backoffice.staff_audit_log"),
    ("UPDATE, DELETE", "backoffice.payroll_runs"),
    ("ALL", "backoffice.lock_corrections"),
)
NO_UPDATE_TABLES = frozenset({"payroll_runs"})  # drafts inserted; finalised by the function
OWNER_ONLY_TABLES = frozenset({"lock_corrections"})
# The analyst role (issue 27): tables never granted (pay, payroll results, raw rows of the live
# system), columns never granted wherever they are, and columns of one table
ANALYST_HIDDEN_TABLES = frozenset({
    "staff_compensation", "payroll_runs", "monthly_service_charge", "staff_tax_allowances",
    "coach_rates", "coach_earnings", "payroll_review_acknowledgements", "import_quarantine",
    "import_row_versions", "lock_corrections",
    "delivery_outbox",  # addresses and who got what (delivery, migration 0020)
    "payroll_forecasts",  # pay forecast per person (migration 0021)
})
ANALYST_HIDDEN_COLUMNS = frozenset({
    "pin_hash", "national_id", "bank_account", "bank_name", "coach_phone", "contact_number",
    "ip_address", "user_agent", "photo_url", "device_info",
})
ANALYST_HIDDEN_TABLE_COLUMNS = frozenset({
    ("audit_logs", "details"), ("customers", "email"),
    ("customers", "line_user_id"), ("staff", "email"), ("invoice_suppliers", "email"),
    # a freelance coach's tax ID is their national ID; names and addresses of payees (0019)
    *(("invoice_suppliers", column) for column in (
        "tax_id", "title", "first_name", "last_name", "address_line", "address_line1",
        "address_line2", "subdistrict", "district", "postal_code")),
})
_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class RolesError(ValueError):
    """The roles cannot be created as asked; the message says why, for a person."""


@dataclasses.dataclass(frozen=True)
class RoleResult:
    role: str
    piece: str
    created: bool
    login: bool
    grants: int
    password: str | None = dataclasses.field(default=None, repr=False)


def role_names(prefix: str) -> dict[str, str]:
    if not _PREFIX.match(prefix or ""):
        raise RolesError(
            f"--prefix must be lower-case letters, digits and _ (starting with a letter), not {prefix!r}"
        )
    return {piece: f"{prefix}_{piece}" for piece in PIECES}


def scram_sha256_verifier(password: str, *, salt: bytes | None = None, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802 / 7677)."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda data: base64.b64encode(data).decode("ascii")
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _literal(value: str) -> str:
    if "'" in value or "\\" in value:
        raise RolesError("unexpected quote in a generated value")
    return f"'{value}'"


def load_workbench_tables(conn: Connection) -> list[tuple[str, str, str]]:
    """(schema, name, relkind) of the workbench's tables and views (partitions excluded)."""
    rows = conn.execute(
        sa.text(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'p', 'v', 'm')"
            " AND NOT c.relispartition ORDER BY 1, 2"
        ),
        {"schemas": list(WORKBENCH_SCHEMAS)},
    ).all()
    return [tuple(r) for r in rows]


def compute_dashboard_grants(
    tables: list[tuple[str, str, str]], external: list[str]
) -> list[tuple[str, str]]:
    """(privileges, qualified table) for the dashboards and scheduler roles (pure)."""
    grants = []
    for schema, name, kind in tables:
        target = f"{schema}.{name}"
        if name in OWNER_ONLY_TABLES:
            continue
        if kind in ("v", "m") or name in READ_ONLY_TABLES or name in APPEND_ONLY_TABLES:
            grants.append(("SELECT", target))  # the audit trail: appended by write_audit()
        elif name in NO_UPDATE_TABLES:
            grants.append(("SELECT, INSERT", target))
        else:
            grants.append(("SELECT, INSERT, UPDATE, DELETE", target))
    grants += [("SELECT", name) for name in external]
    return grants


def load_columns(conn: Connection, targets: list[str]) -> list[tuple[str, str, str]]:
    """(schema, table, column) of the given tables and views, in column order."""
    if not targets:
        return []
    rows = conn.execute(
        sa.text(
            "SELECT n.nspname, c.relname, a.attname FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE a.attrelid = ANY(CAST(:targets AS regclass[])) AND a.attnum > 0"
            " AND NOT a.attisdropped ORDER BY n.nspname, c.relname, a.attnum"
        ),
        {"targets": targets},
    ).all()
    return [tuple(r) for r in rows]


def compute_analyst_grants(columns: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(``SELECT (columns)``, qualified table) for the analyst role (pure): every table and view
    but the hidden ones, every column but the secrets."""
    readable: dict[str, list[str]] = {}
    for schema, table, column in columns:
        if table in ANALYST_HIDDEN_TABLES or column in ANALYST_HIDDEN_COLUMNS:
            continue
        if (table, column) in ANALYST_HIDDEN_TABLE_COLUMNS:
            continue
        readable.setdefault(f"{schema}.{table}", []).append(column)
    return [
        ("SELECT (" + ", ".join(f'"{c}"' for c in names) + ")", target)
        for target, names in readable.items()
    ]


def _existing(conn: Connection, names) -> list[str]:
    return [n for n in names if conn.scalar(sa.text("SELECT to_regclass(:n)"), {"n": n})]


def _sequences_of(conn: Connection, tables: list[str]) -> list[str]:
    """Sequences owned by (serial columns of) the given tables."""
    if not tables:
        return []
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT format('%I.%I', sn.nspname, s.relname) FROM pg_depend d"
            " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
            " JOIN pg_namespace sn ON sn.oid = s.relnamespace"
            " WHERE d.refobjid = ANY(CAST(:tables AS regclass[])) AND d.deptype IN ('a', 'i')"
        ),
        {"tables": tables},
    ).all()
    return sorted(r[0] for r in rows)


def _check_may_grant(conn: Connection) -> None:
    """Only the schema's owner with CREATEROLE (or a superuser) can do this; anyone else's GRANT
    would only warn "no privileges were granted": refuse before pretending."""
    row = conn.execute(
        sa.text(
            "SELECT current_user AS who, r.rolsuper, r.rolcreaterole,"
            " pg_has_role(current_user, c.relowner, 'MEMBER') AS owner"
            " FROM pg_roles r, pg_class c WHERE r.rolname = current_user"
            " AND c.oid = CAST('backoffice.time_entries' AS regclass)"
        )
    ).one()
    if not (row.rolsuper or (row.rolcreaterole and row.owner)):
        raise RolesError(
            f"the database user {row.who} may not create roles and grant on the workbench's"
            " tables: run it with the schema owner's URL (needs CREATEROLE)"
        )


def _ensure_role(conn: Connection, role: str) -> bool:
    exists = conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    if exists:
        return False
    conn.execute(sa.text(f"CREATE ROLE {_quote(conn, role)} NOLOGIN"))
    return True


def _isolate_analyst(conn: Connection, role: str) -> None:
    """Take back everything the analyst held (tables, columns, sequences, memberships) and its
    role attributes: it reads what ``compute_analyst_grants`` gives it and can become no one."""
    quoted = _quote(conn, role)
    conn.execute(sa.text(f"ALTER ROLE {quoted} NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
                         " NOREPLICATION NOBYPASSRLS"))
    schemas = conn.scalars(sa.text(
        "SELECT nspname FROM pg_namespace WHERE nspname = ANY(:s)"),
        {"s": [*WORKBENCH_SCHEMAS, "public", "pos"]}).all()
    for schema in schemas:
        conn.execute(sa.text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {_quote(conn, schema)}"
                             f" FROM {quoted}"))
        conn.execute(sa.text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {_quote(conn, schema)}"
                             f" FROM {quoted}"))
    granted = conn.scalars(sa.text(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
        " JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :r"), {"r": role}).all()
    for group in granted:
        conn.execute(sa.text(f"REVOKE {_quote(conn, group)} FROM {quoted}"))


def _lock_down(conn: Connection, role: str, functions: tuple[str, ...]) -> None:
    """Migration 0018's locks for ``role``: what it may no longer do directly, taken back (a
    re-run after ``db upgrade``), and EXECUTE on the functions it goes through instead."""
    quoted = _quote(conn, role)
    for privileges, target in REVOKED:
        if conn.scalar(sa.text("SELECT to_regclass(:n)"), {"n": target}):
            conn.execute(sa.text(f"REVOKE {privileges} ON {target} FROM {quoted}"))
    for function in functions:
        if conn.scalar(sa.text("SELECT to_regprocedure(:f)"), {"f": function}):
            conn.execute(sa.text(f"GRANT EXECUTE ON FUNCTION {function} TO {quoted}"))


def _grant(conn: Connection, role: str, grants: list[tuple[str, str]]) -> int:
    quoted = _quote(conn, role)
    schemas = sorted({target.split(".")[0] for _, target in grants})
    for schema in schemas:
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA {_quote(conn, schema)} TO {quoted}"))
    for privileges, target in grants:
        schema, name = target.split(".")
        conn.execute(
            sa.text(
                f"GRANT {privileges} ON {_quote(conn, schema)}.{_quote(conn, name)} TO {quoted}"
            )
        )
    inserting = [t for p, t in grants if "INSERT" in p]
    for sequence in _sequences_of(conn, inserting):
        conn.execute(sa.text(f"GRANT USAGE ON SEQUENCE {sequence} TO {quoted}"))
    return len(grants)


def run_create_roles(
    conn: Connection, user_email: str | None, *, prefix: str = "backoffice", login: bool = False
) -> list[RoleResult]:
    """Create (if missing) and grant the three roles; with ``login`` set new passwords.

    Runs on the caller's transaction (which must be allowed to create roles: CREATEROLE or
    superuser); audited. Returns one result per role, with the new password when ``login``.
    """
    access.check(conn, user_email, AREA, admin=True)
    names = role_names(prefix)
    tables = load_workbench_tables(conn)
    if not any(name == "time_entries" for _, name, _ in tables):
        raise RolesError("the workbench schema is missing: run `backoffice db upgrade` first")
    _check_may_grant(conn)
    external = _existing(conn, EXTERNAL_TABLES)
    plans = {
        "dashboards": compute_dashboard_grants(tables, external),
        "scheduler": compute_dashboard_grants(tables, external),
        "kiosk": list(KIOSK_GRANTS),
        "analyst": compute_analyst_grants(
            load_columns(conn, [f"{s}.{n}" for s, n, _ in tables] + external)),
    }
    results = []
    for piece in PIECES:
        role = names[piece]
        created = _ensure_role(conn, role)
        if piece == "analyst":
            _isolate_analyst(conn, role)
        count = _grant(conn, role, plans[piece])
        if piece in FUNCTION_GRANTS:
            _lock_down(conn, role, FUNCTION_GRANTS[piece])
        password = None
        if login:
            password = secrets.token_urlsafe(24)
            verifier = scram_sha256_verifier(password)
            # not sa.text: the verifier's ":" would read as bind parameters
            conn.exec_driver_sql(f"ALTER ROLE {_quote(conn, role)} LOGIN PASSWORD {_literal(verifier)}")
        results.append(RoleResult(role, piece, created, login, count, password))
    audit.record(
        conn,
        user_email,
        "DB_ROLES",
        "database_roles",
        prefix,
        details={
            "roles": {r.role: {"created": r.created, "grants": r.grants} for r in results},
            "login_passwords_set": login,
        },
    )
    return results


def run_analyst_login(
    conn: Connection, user_email: str, *, prefix: str = "backoffice"
) -> tuple[str, str]:
    """For ``backoffice lab`` (whose caller checked the user is an admin or an analyst): the
    analyst role, created or brought up to date with its grants, made a LOGIN role with a new
    random password (a SCRAM verifier on the server). Returns (role, password); audited, the
    password never in the audit row."""
    role = role_names(prefix)["analyst"]
    tables = load_workbench_tables(conn)
    if not any(name == "time_entries" for _, name, _ in tables):
        raise RolesError("the workbench schema is missing: run `backoffice db upgrade` first")
    _check_may_grant(conn)
    external = _existing(conn, EXTERNAL_TABLES)
    created = _ensure_role(conn, role)
    _isolate_analyst(conn, role)
    count = _grant(conn, role, compute_analyst_grants(
        load_columns(conn, [f"{s}.{n}" for s, n, _ in tables] + external)))
    password = secrets.token_urlsafe(24)
    conn.exec_driver_sql(f"ALTER ROLE {_quote(conn, role)} LOGIN PASSWORD"
                         f" {_literal(scram_sha256_verifier(password))}")
    audit.record(conn, user_email, "LAB_ANALYST_LOGIN", "database_roles", role,
                 details={"created": created, "grants": count})
    return role, password
