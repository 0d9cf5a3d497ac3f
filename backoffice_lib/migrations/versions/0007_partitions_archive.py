"""partitions and archive: monthly partitions of time_entries and audit_logs, archive schema

``time_entries`` and ``audit_logs`` become tables partitioned BY RANGE ("timestamp"), one partition
per Bangkok month plus a DEFAULT partition, primary keys (id, "timestamp"). The conversion keeps
every row, every id and the time_entries id sequence, and carries over whatever the earlier
migrations put on the tables (columns, defaults, checks, foreign keys, indexes, triggers such as
validate_time_entry() and the payroll lock, views such as staff_status): it reads them from the
catalogue instead of repeating them here. The downgrade converts back, taking archived rows home.

The ``archive`` schema holds archived time entries (whole monthly partitions, detached from the
live table and attached to ``archive.time_entries``), archived expired packages with their usage
(and alerts, as JSON), and the views ``archive.*_all`` = live ∪ archived.

Revision ID: 0007
Revises: 0006
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BANGKOK = ZoneInfo("Asia/Bangkok")
PARTITIONED = ("time_entries", "audit_logs")
MONTHS_AHEAD = 3
PACKAGE_COLUMNS = (
    "id, customer_name, package_type_id, purchase_date, first_use_date, expiration_date,"
    " employee_name, stable_hash_id, customer_id, created_at, discount_amount"
)
USAGE_COLUMNS = (
    "id, package_id, employee_name, used_hours, used_date, customer_signature_path, created_at,"
    " updated_at, booking_id"
)


def _rows(sql: str, **params):
    return op.get_bind().execute(sa.text(sql), params).all()


def _scalar(sql: str, **params):
    return op.get_bind().execute(sa.text(sql), params).scalar()


def _exec(sql: str) -> None:
    # psycopg reads % as a placeholder even without parameters (views may hold LIKE patterns)
    op.get_bind().exec_driver_sql(sql.replace("%", "%%"))


# --- what hangs on a table, read from the catalogue -------------------------------------------


def _dependent_views(qualified: str) -> list:
    """Views and materialized views that depend (transitively) on the table, creation order."""
    return _rows(
        """
        WITH RECURSIVE deps(oid, depth) AS (
          SELECT r.ev_class, 1
            FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
           WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = CAST(:t AS regclass)
             AND r.ev_class <> CAST(:t AS regclass)
          UNION
          SELECT r.ev_class, deps.depth + 1
            FROM deps JOIN pg_depend d ON d.refobjid = deps.oid
            JOIN pg_rewrite r ON r.oid = d.objid
           WHERE d.classid = 'pg_rewrite'::regclass AND r.ev_class <> deps.oid
        )
        SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind,
               pg_get_viewdef(c.oid) AS definition, c.reloptions,
               obj_description(c.oid, 'pg_class') AS comment, max(deps.depth) AS depth
          FROM deps JOIN pg_class c ON c.oid = deps.oid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.reloptions
         ORDER BY max(deps.depth), c.oid
        """,
        t=qualified,
    )


def _drop_views(views) -> None:
    for view in reversed(views):
        kind = "MATERIALIZED VIEW" if view.relkind == "m" else "VIEW"
        _exec(f"DROP {kind} IF EXISTS {view.name} CASCADE")


def _create_views(views) -> None:
    for view in views:
        options = f" WITH ({', '.join(view.reloptions)})" if view.reloptions else ""
        if view.relkind == "m":
            _exec(f"CREATE MATERIALIZED VIEW {view.name}{options} AS {view.definition}")
        else:
            _exec(f"CREATE VIEW {view.name}{options} AS {view.definition}")
        if view.comment:
            kind = "MATERIALIZED VIEW" if view.relkind == "m" else "VIEW"
            op.get_bind().execute(
                sa.text(f"COMMENT ON {kind} {view.name} IS " + ":c").bindparams(c=view.comment)
            )


def _triggers(qualified: str) -> list[str]:
    return [
        r.definition
        for r in _rows(
            "SELECT pg_get_triggerdef(t.oid) AS definition FROM pg_trigger t"
            " WHERE t.tgrelid = CAST(:t AS regclass) AND NOT t.tgisinternal AND t.tgparentid = 0"
            " ORDER BY t.tgname",
            t=qualified,
        )
    ]


def _indexes(qualified: str) -> list:
    """Indexes that are not the primary key: name, definition, and whether a constraint owns it."""
    return _rows(
        """
        SELECT format('%I.%I', n.nspname, ic.relname) AS name, pg_get_indexdef(i.indexrelid) AS definition,
               con.contype
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_namespace n ON n.oid = ic.relnamespace
          LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
         WHERE i.indrelid = CAST(:t AS regclass) AND NOT i.indisprimary
         ORDER BY ic.relname
        """,
        t=qualified,
    )


def _foreign_keys(qualified: str) -> list:
    return _rows(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
        " WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' AND conparentid = 0"
        " ORDER BY conname",
        t=qualified,
    )


def _refuse_incoming_foreign_keys(qualified: str) -> None:
    incoming = _rows(
        "SELECT conrelid::regclass::text AS source, conname FROM pg_constraint"
        " WHERE confrelid = CAST(:t AS regclass) AND contype = 'f' AND conparentid = 0",
        t=qualified,
    )
    if incoming:
        names = ", ".join(f"{r.source}.{r.conname}" for r in incoming)
        raise RuntimeError(
            f"{qualified} cannot be partitioned while foreign keys point at it ({names}): a key"
            " into a partitioned table must include the partition column \"timestamp\""
        )


def _pk_columns(qualified: str) -> list[str]:
    return [
        r.attname
        for r in _rows(
            "SELECT a.attname FROM pg_index i"
            " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
            " WHERE i.indrelid = CAST(:t AS regclass) AND i.indisprimary ORDER BY k.ord",
            t=qualified,
        )
    ]


# --- months and partitions ---------------------------------------------------------------------


def _month_start(year: int, month: int) -> str:
    return f"'{year:04d}-{month:02d}-01 00:00:00+07'"


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _months_to_create(qualified: str) -> list[tuple[int, int]]:
    """The months that hold rows, plus last month, this month and MONTHS_AHEAD more."""
    held = _rows(
        "SELECT DISTINCT extract(year FROM timestamp AT TIME ZONE 'Asia/Bangkok')::int AS y,"
        " extract(month FROM timestamp AT TIME ZONE 'Asia/Bangkok')::int AS m"
        f" FROM {qualified}"
    )
    months = {(r.y, r.m) for r in held}
    today = dt.datetime.now(BANGKOK).date()
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    for _ in range(MONTHS_AHEAD + 2):
        months.add((year, month))
        year, month = _next(year, month)
    return sorted(months)


def _create_partitions(table: str, months: list[tuple[int, int]]) -> None:
    for year, month in months:
        _exec(
            f"CREATE TABLE backoffice.{table}_{year:04d}_{month:02d} PARTITION OF backoffice.{table}"
            f" FOR VALUES FROM ({_month_start(year, month)}) TO ({_month_start(*_next(year, month))})"
        )
    _exec(f"CREATE TABLE backoffice.{table}_default PARTITION OF backoffice.{table} DEFAULT")


# --- the conversion, both ways -----------------------------------------------------------------


def _convert(table: str, *, partitioned: bool, extra_rows_from: str | None = None) -> None:
    """Rebuild backoffice.<table> as partitioned (or plain) with the same rows, ids and rules."""
    qualified = f"backoffice.{table}"
    old = f"{table}__old"
    _refuse_incoming_foreign_keys(qualified)
    views = _dependent_views(qualified)
    triggers = _triggers(qualified)
    indexes = _indexes(qualified)
    foreign_keys = _foreign_keys(qualified)
    if any(ix.contype in ("u", "x") for ix in indexes):
        raise RuntimeError(f"{qualified} has unique or exclusion constraints; convert them first")
    sequence = _scalar("SELECT pg_get_serial_sequence(:t, 'id')", t=qualified)
    pk = [c for c in _pk_columns(qualified) if c != "timestamp"] or ["id"]

    _drop_views(views)
    _exec(f"ALTER TABLE {qualified} RENAME TO {old}")
    _exec(f"ALTER TABLE backoffice.{old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    for ix in indexes:
        _exec(f"DROP INDEX {ix.name}")

    like = (
        f"(LIKE backoffice.{old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS"
        " INCLUDING GENERATED)"
    )
    if partitioned:
        _exec(f'CREATE TABLE {qualified} {like} PARTITION BY RANGE ("timestamp")')
        _create_partitions(table, _months_to_create(f"backoffice.{old}"))
    else:
        _exec(f"CREATE TABLE {qualified} {like}")
    if sequence:
        _exec(f"ALTER SEQUENCE {sequence} OWNED BY {qualified}.id")

    source = f"SELECT * FROM backoffice.{old}"
    if extra_rows_from:
        source += f" UNION ALL SELECT * FROM {extra_rows_from}"
    _exec(f"INSERT INTO {qualified} {source}")
    if sequence:  # the same sequence goes on; move it only if a row is ahead of it
        _exec(
            f"SELECT setval('{sequence}', top) FROM (SELECT max(id) AS top FROM {qualified}) t"
            f" WHERE top > (SELECT last_value FROM {sequence})"
        )

    key = pk + ['"timestamp"'] if partitioned else pk
    _exec(f"ALTER TABLE {qualified} ADD CONSTRAINT pk_{table} PRIMARY KEY ({', '.join(key)})")
    for ix in indexes:
        _exec(ix.definition.replace(" ON ONLY ", " ON "))
    for fk in foreign_keys:
        _exec(f"ALTER TABLE {qualified} ADD CONSTRAINT {fk.conname} {fk.definition}")
    for trigger in triggers:
        _exec(trigger)
    _exec(f"DROP TABLE backoffice.{old} CASCADE")
    _create_views(views)
    _exec(f"ANALYZE {qualified}")


# --- the archive schema --------------------------------------------------------------------------

ARCHIVE_SQL = [
    "CREATE SCHEMA archive",
    # Archived months are whole partitions, detached from backoffice.time_entries and attached
    # here, so archiving and restoring a month moves no row one by one.
    """
    CREATE TABLE archive.time_entries (
      LIKE backoffice.time_entries INCLUDING CONSTRAINTS
    ) PARTITION BY RANGE ("timestamp")
    """,
    'ALTER TABLE archive.time_entries ADD CONSTRAINT pk_time_entries PRIMARY KEY (id, "timestamp")',
    'CREATE INDEX ix_time_entries_staff_id_timestamp ON archive.time_entries (staff_id, "timestamp")',
    """
    ALTER TABLE archive.time_entries ADD CONSTRAINT fk_time_entries_staff_id_staff
      FOREIGN KEY (staff_id) REFERENCES backoffice.staff (id)
    """,
    """
    CREATE TABLE archive.packages (
      LIKE backoffice.packages INCLUDING CONSTRAINTS,
      alerts jsonb NOT NULL DEFAULT '[]'::jsonb,
      archived_at timestamptz NOT NULL DEFAULT now(),
      archived_by text NOT NULL,
      CONSTRAINT pk_packages PRIMARY KEY (id)
    )
    """,
    "CREATE INDEX ix_packages_expiration_date ON archive.packages (expiration_date)",
    """
    CREATE TABLE archive.package_usage (
      LIKE backoffice.package_usage INCLUDING CONSTRAINTS,
      CONSTRAINT pk_package_usage PRIMARY KEY (id),
      CONSTRAINT fk_package_usage_package_id_packages FOREIGN KEY (package_id)
        REFERENCES archive.packages (id) ON DELETE CASCADE
    )
    """,
    "CREATE INDEX ix_package_usage_package_id_used_date ON archive.package_usage (package_id, used_date)",
    "CREATE INDEX ix_package_usage_booking_id ON archive.package_usage (booking_id)",
    # live ∪ archived: payroll and package figures of an archived period, unchanged.
    """
    CREATE VIEW archive.time_entries_all AS
    SELECT * FROM backoffice.time_entries UNION ALL SELECT * FROM archive.time_entries
    """,
    f"""
    CREATE VIEW archive.packages_all AS
    SELECT {PACKAGE_COLUMNS}, false AS archived FROM backoffice.packages
    UNION ALL SELECT {PACKAGE_COLUMNS}, true AS archived FROM archive.packages
    """,
    f"""
    CREATE VIEW archive.package_usage_all AS
    SELECT {USAGE_COLUMNS}, false AS archived FROM backoffice.package_usage
    UNION ALL SELECT {USAGE_COLUMNS}, true AS archived FROM archive.package_usage
    """,
]


# coach_earnings finds a booking's package through its usage: it reads live ∪ archived, so the
# earnings of a booking whose (expired) package was archived stay the same.
LIVE_TO_ALL = (
    (r"\bbackoffice\.package_usage\b", "archive.package_usage_all"),
    (r"\bbackoffice\.packages\b", "archive.packages_all"),
)
ALL_TO_LIVE = (
    (r"\barchive\.package_usage_all\b", "backoffice.package_usage"),
    (r"\barchive\.packages_all\b", "backoffice.packages"),
)


def _repoint_view(view: str, replacements) -> None:
    if _scalar("SELECT to_regclass(:v)", v=view) is None:
        return
    definition = _scalar("SELECT pg_get_viewdef(CAST(:v AS regclass))", v=view)
    for pattern, replacement in replacements:
        definition = re.sub(pattern, replacement, definition)
    _exec(f"CREATE OR REPLACE VIEW {view} AS {definition}")


def upgrade() -> None:
    for table in PARTITIONED:
        _convert(table, partitioned=True)
    for statement in ARCHIVE_SQL:
        _exec(statement)
    _repoint_view("backoffice.coach_earnings", LIVE_TO_ALL)


def _restore_archived_packages() -> None:
    _exec(
        f"INSERT INTO backoffice.packages ({PACKAGE_COLUMNS}) SELECT {PACKAGE_COLUMNS}"
        " FROM archive.packages ORDER BY purchase_date"
    )
    _exec(
        f"INSERT INTO backoffice.package_usage ({USAGE_COLUMNS}) SELECT {USAGE_COLUMNS}"
        " FROM archive.package_usage ORDER BY used_date, created_at"
    )
    if _scalar("SELECT to_regclass('backoffice.package_alerts')") is not None:
        _exec(
            "INSERT INTO backoffice.package_alerts SELECT alert.* FROM archive.packages p,"
            " jsonb_populate_recordset(NULL::backoffice.package_alerts, p.alerts) alert"
        )


def downgrade() -> None:
    _restore_archived_packages()
    _repoint_view("backoffice.coach_earnings", ALL_TO_LIVE)
    for view in ("time_entries_all", "packages_all", "package_usage_all"):
        _exec(f"DROP VIEW IF EXISTS archive.{view}")
    _convert("time_entries", partitioned=False, extra_rows_from="archive.time_entries")
    _convert("audit_logs", partitioned=False)
    _exec("DROP SCHEMA archive CASCADE")
