"""The SQL of the live import: staging tables, classification against the last import, set
inserts through the real constraints and triggers (a failing set is cut in halves down to the
groups it refuses, each in a SAVEPOINT), updates of changed rows, row versions and sequences.

Every function takes the caller's connection and never commits. Stage tables are temporary
(``ON COMMIT DROP``) and live in the import's own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.engine import Connection

from ..rules.mapping import SQLSTATE_RULES, RowRefused, TableSpec, compute_rule

EXTRA_COLUMNS = ("_key", "_seq", "_grp", "_hash", "_suspect", "_state", "_msg", "_dep")
EXTRA_TYPES = ("text", "integer", "integer", "text", "text", "text", "text", "text")
HIDDEN = "ARRAY[" + ", ".join(f"'{c}'" for c in EXTRA_COLUMNS) + "]"
QUARANTINE = "backoffice.import_quarantine"
GENERIC_RULES = frozenset(SQLSTATE_RULES.values()) | {"refused"}
VERSIONS = "backoffice.import_row_versions"
# people are active while their history loads (business-rules §1: no punch for inactive staff)
INSERT_OVERRIDES = {"staff": {"is_active": "true"}}
UPDATE_SKIPS = {"staff": {"is_active"}}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def target_sql(spec: TableSpec) -> str:
    schema, table = spec.target.split(".")
    return f"{_q(schema)}.{_q(table)}"


def stage_sql(spec: TableSpec) -> str:
    return f"pg_temp.{_q('import_stage_' + spec.name)}"


def _raw(conn: Connection):
    return conn.connection.driver_connection


# --- staging -----------------------------------------------------------------------------------


def create_stage(conn: Connection, spec: TableSpec) -> None:
    stage = stage_sql(spec)
    columns = ", ".join(_q(c) for c in spec.columns)
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {stage}"))
    conn.execute(sa.text(
        f"CREATE TEMP TABLE {_q('import_stage_' + spec.name)} ON COMMIT DROP AS"
        f" SELECT {columns} FROM {target_sql(spec)} WITH NO DATA"
    ))
    conn.execute(sa.text(f"ALTER TABLE {stage} " + ", ".join(
        f"ADD COLUMN {c} {t}" for c, t in zip(EXTRA_COLUMNS, EXTRA_TYPES))))


def compute_stage_rows(spec: TableSpec, live_rows: Iterable[dict], skip: dict[str, str],
                       skipped: list[int]) -> Iterator[tuple]:
    """Converted rows as stage tuples (columns, then the hidden columns). A live row whose
    fingerprint (``_live_hash``, computed by the live server) is the one in ``skip`` (imported,
    or decided in the quarantine) is only counted in ``skipped[0]``: unchanged. A row the
    conversion refuses is staged with the offending value empty and state 'refused'."""
    jsonb = [i for i, c in enumerate(spec.columns) if c in spec.jsonb]
    columns = spec.columns
    convert = spec.convert
    seq = 0
    for live_row in live_rows:
        key = str(live_row[spec.key])
        fingerprint = live_row.pop("_live_hash")
        if skip.get(key) == fingerprint:
            skipped[0] += 1
            continue
        state, rule, message = "new", None, None
        try:
            row = convert(live_row)
        except RowRefused as refused:
            state, rule, message = "refused", refused.rule, str(refused)
            row = convert({**live_row, **{c: None for c in refused.columns}})
        values = [row.get(c) for c in columns]
        for i in jsonb:
            if values[i] is not None:
                values[i] = Jsonb(values[i])
        yield (*values, key, seq, seq, fingerprint, rule, state, message, None)
        seq += 1


def load_fingerprints(conn: Connection, spec: TableSpec) -> dict[str, str]:
    """Live key -> fingerprint of what needs no work: imported as it is now, or resolved or
    dismissed in the quarantine as it is now."""
    with _raw(conn).cursor() as cursor:
        cursor.execute(
            f"SELECT live_key, row_hash FROM {VERSIONS} WHERE table_name = %(t)s"
            f" UNION ALL SELECT live_key, row_hash FROM {QUARANTINE}"
            "  WHERE table_name = %(t)s AND status <> 'pending'", {"t": spec.name})
        return dict(cursor.fetchall())


def copy_stage_rows(conn: Connection, spec: TableSpec, rows: Iterable[tuple]) -> int:
    names = ", ".join(_q(c) for c in (*spec.columns, *EXTRA_COLUMNS))
    count = 0
    with _raw(conn).cursor() as cursor, cursor.copy(
            f"COPY {stage_sql(spec)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    conn.execute(sa.text(f"CREATE INDEX ON {stage_sql(spec)} (_key)"))
    conn.execute(sa.text(f"ANALYZE {stage_sql(spec)}"))
    return count


def classify_stage(conn: Connection, spec: TableSpec) -> None:
    """new (never imported, or still pending in the quarantine), changed, or unchanged (same
    fingerprint as imported, or as a quarantined row a person resolved or dismissed)."""
    stage = stage_sql(spec)
    conn.execute(sa.text(
        f"UPDATE {stage} s SET _state = 'changed'"
        + ("" if spec.keep_ids else f", {_q(spec.pk)} = v.target_key::integer")
        + f" FROM {VERSIONS} v WHERE v.table_name = :t AND v.live_key = s._key"
        " AND s._state = 'new'"
    ), {"t": spec.name})



def adopt_voided_lines(conn: Connection, spec: TableSpec) -> None:
    """A sale voided after it was imported moves in the live system from lengolf_sales to its
    voided archive (same id): the archived line updates the imported one (now voided)."""
    conn.execute(sa.text(
        f"UPDATE {stage_sql(spec)} s SET _state = 'changed' FROM {target_sql(spec)} t"
        " WHERE t.id = s.id AND s._state = 'new'"))


def adopt_existing_users(conn: Connection) -> None:
    """The admin who runs the first import already has a workbench login: the live row with
    the same e-mail takes it over (the live id is kept; when nothing refers to the workbench's
    id yet) and is then updated like a changed row."""
    _try(conn, "UPDATE backoffice.allowed_users t SET id = s.id"
               "  FROM pg_temp.import_stage_allowed_users s"
               " WHERE lower(t.email) = lower(s.email) AND t.id <> s.id AND s._state = 'new'", {})
    conn.execute(sa.text(
        "UPDATE pg_temp.import_stage_allowed_users s SET _state = 'changed'"
        "  FROM backoffice.allowed_users t"
        " WHERE s._state = 'new' AND t.id = s.id AND lower(t.email) = lower(s.email)"))


# --- the quarantine ------------------------------------------------------------------------------


def save_quarantine(
    conn: Connection, spec: TableSpec, import_id: int, where: str, params: dict | None = None,
    *, rule_sql: str = ":rule", message_sql: str = ":message",
) -> int:
    """Move the stage rows matching ``where`` to the quarantine (one row per live key; a row
    quarantined before is brought up to date and pending again)."""
    stage = stage_sql(spec)
    params = {"import_id": import_id, "t": spec.name, **(params or {})}
    result = conn.execute(sa.text(
        f"INSERT INTO {QUARANTINE} AS q (import_id, table_name, live_key, rule, message, \"row\","
        " row_hash, group_key, depends_on, status)"
        f" SELECT :import_id, :t, s._key, {rule_sql}, {message_sql}, to_jsonb(s) - {HIDDEN},"
        f" s._hash, :t || ':' || :import_id || ':' || s._grp, s._dep, 'pending'"
        f" FROM {stage} s WHERE {where}"
        " ON CONFLICT (table_name, live_key) DO UPDATE SET import_id = EXCLUDED.import_id,"
        " rule = EXCLUDED.rule, message = EXCLUDED.message, \"row\" = EXCLUDED.\"row\","
        " row_hash = EXCLUDED.row_hash, group_key = EXCLUDED.group_key,"
        " depends_on = EXCLUDED.depends_on, status = 'pending', resolution = NULL,"
        " resolved_by = NULL, resolved_at = NULL"
    ), params)
    conn.execute(sa.text(f"UPDATE {stage} s SET _state = 'quarantined' WHERE {where}"), params)
    return result.rowcount


def quarantine_refused_conversions(conn: Connection, spec: TableSpec, import_id: int) -> int:
    return save_quarantine(conn, spec, import_id, "s._state = 'refused'",
                           rule_sql="s._suspect", message_sql="s._msg")


def quarantine_dependants(conn: Connection, spec: TableSpec, import_id: int) -> int:
    """New rows whose parent row (staff, package, booking, ...) is in the quarantine go there
    with it: never half-imported."""
    total = 0
    for column, parent in spec.parents:
        conn.execute(sa.text(
            f"UPDATE {stage_sql(spec)} s SET _dep = q.table_name || ':' || q.live_key,"
            " _msg = 'its ' || q.table_name || ' row ' || q.live_key || ' is quarantined ('"
            " || q.rule || ')', _suspect = 'depends_on_quarantined'"
            f" FROM {QUARANTINE} q WHERE q.status = 'pending' AND q.table_name = :parent"
            f" AND q.live_key = s.{_q(column)}::text AND s._state = 'new'"
        ), {"parent": parent})
        total += save_quarantine(
            conn, spec, import_id, "s._state = 'new' AND s._dep IS NOT NULL",
            rule_sql="'depends_on_quarantined'", message_sql="s._msg")
    return total


# --- planning context and plans ------------------------------------------------------------------


def load_new_rows(conn: Connection, spec: TableSpec, columns: Iterable[str]) -> list[dict]:
    names = ", ".join(["_seq", *(_q(c) for c in columns)])
    rows = conn.execute(sa.text(
        f"SELECT {names} FROM {stage_sql(spec)} WHERE _state = 'new' ORDER BY _seq"))
    return [dict(r) for r in rows.mappings()]


def save_plan(conn: Connection, spec: TableSpec, seqs: list[int], groups: list[int],
              suspects: list[str | None]) -> None:
    changed = [(s, g, r) for s, g, r in zip(seqs, groups, suspects) if g != s or r is not None]
    if not changed:
        return
    conn.execute(sa.text("CREATE TEMP TABLE IF NOT EXISTS import_plan"
                         " (_seq integer, _grp integer, _suspect text) ON COMMIT DROP"))
    conn.execute(sa.text("TRUNCATE import_plan"))
    with _raw(conn).cursor() as cursor, cursor.copy(
            "COPY import_plan (_seq, _grp, _suspect) FROM STDIN") as copy:
        for row in changed:
            copy.write_row(row)
    conn.execute(sa.text(
        f"UPDATE {stage_sql(spec)} s SET _grp = p._grp, _suspect = p._suspect"
        " FROM import_plan p WHERE s._seq = p._seq AND s._state = 'new'"))


def load_last_entries(conn: Connection) -> dict:
    rows = conn.execute(sa.text(
        "SELECT DISTINCT ON (staff_id) staff_id, action, timestamp FROM backoffice.time_entries"
        " WHERE staff_id IN (SELECT DISTINCT staff_id FROM pg_temp.import_stage_time_entries"
        "  WHERE _state = 'new') ORDER BY staff_id, timestamp DESC"))
    return {r.staff_id: (r.action, r.timestamp) for r in rows}


def load_compensation_ranges(conn: Connection) -> dict:
    ranges: dict = {}
    for r in conn.execute(sa.text(
            "SELECT staff_id, effective_from, effective_to FROM backoffice.staff_compensation")):
        ranges.setdefault(r.staff_id, []).append((r.effective_from, r.effective_to))
    return ranges


def load_package_balances(conn: Connection) -> dict:
    rows = conn.execute(sa.text(
        "SELECT p.id, pt.hours, p.purchase_date, p.expiration_date,"
        "       coalesce(u.used, 0) AS used"
        "  FROM backoffice.packages p JOIN backoffice.package_types pt ON pt.id = p.package_type_id"
        "  LEFT JOIN (SELECT package_id, sum(used_hours) AS used FROM backoffice.package_usage"
        "             GROUP BY package_id) u ON u.package_id = p.id"
        " WHERE p.id IN (SELECT package_id FROM pg_temp.import_stage_package_usage"
        "                 WHERE _state = 'new')"))
    return {r.id: dict(r._mapping) for r in rows}


def load_booking_ids(conn: Connection) -> tuple[set, set]:
    bookings = set(conn.execute(sa.text("SELECT id FROM public.bookings")).scalars())
    used = set(conn.execute(sa.text(
        "SELECT booking_id FROM backoffice.package_usage WHERE booking_id IS NOT NULL")).scalars())
    return bookings, used


# --- writing -------------------------------------------------------------------------------------


def _insert_sql(spec: TableSpec, where: str) -> str:
    overrides = INSERT_OVERRIDES.get(spec.name, {})
    columns = ", ".join(_q(c) for c in spec.columns)
    select = ", ".join(overrides.get(c, f"s.{_q(c)}") for c in spec.columns)
    return (f"INSERT INTO {target_sql(spec)} ({columns}) SELECT {select}"
            f" FROM {stage_sql(spec)} s WHERE {where} ORDER BY s._seq")


def _try(conn: Connection, sql: str, params: dict) -> sa.exc.DBAPIError | None:
    try:
        with conn.begin_nested():
            conn.execute(sa.text(sql), params)
    except sa.exc.DBAPIError as exc:
        return exc
    return None


def describe_refusal(exc: sa.exc.DBAPIError) -> tuple[str, str]:
    """(rule, message) of a database refusal."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    message = (getattr(diag, "message_primary", None) or str(orig)).strip()
    constraint = getattr(diag, "constraint_name", None)
    detail = getattr(diag, "message_detail", None)
    rule = compute_rule(getattr(orig, "sqlstate", None), message, constraint)
    if constraint and constraint not in message:
        message = f"{message} ({constraint})"
    if detail and not detail.startswith("Failing row contains"):  # the row is kept as JSON
        message = f"{message}: {detail}"
    return rule, message


def assign_new_ids(conn: Connection, spec: TableSpec) -> None:
    """Tables whose live ids are not kept get the workbench's next ids."""
    if spec.keep_ids:
        return
    conn.execute(sa.text(
        f"UPDATE {stage_sql(spec)} SET {_q(spec.pk)} ="
        f" nextval(pg_get_serial_sequence(:t, :pk)) WHERE _state = 'new'"
    ), {"t": spec.target, "pk": spec.pk})


def insert_new_rows(conn: Connection, spec: TableSpec, import_id: int) -> None:
    """All new rows in one statement; when the set is refused, halves down to the refused
    groups (each refused group quarantined whole); then the suspect groups one by one."""
    base = "s._state = 'new' AND s._suspect IS NULL"
    error = _try(conn, _insert_sql(spec, base), {})
    if error is not None:
        groups = conn.execute(sa.text(
            f"SELECT _grp, min(_seq) AS lo, max(_seq) AS hi FROM {stage_sql(spec)} s"
            f" WHERE {base} GROUP BY _grp ORDER BY lo")).all()
        _insert_halves(conn, spec, import_id, base, groups)
    suspects = conn.execute(sa.text(
        f"SELECT _grp, min(_seq) AS lo, min(_suspect) AS predicted FROM {stage_sql(spec)} s"
        " WHERE s._state = 'new' AND s._suspect IS NOT NULL GROUP BY _grp ORDER BY lo")).all()
    for group, _, predicted in suspects:
        where = "s._state = 'new' AND s._grp = :g"
        error = _try(conn, _insert_sql(spec, where), {"g": group})
        if error is not None:
            rule, message = describe_refusal(error)
            if rule in GENERIC_RULES:  # the prediction names it better ("audit_row_incomplete")
                rule = predicted
            save_quarantine(conn, spec, import_id, where, {"g": group, "rule": rule,
                                                           "message": message})


def _insert_halves(conn, spec, import_id, base, groups) -> None:
    pending = [groups]
    while pending:
        chunk = pending.pop(0)
        where = f"{base} AND s._seq BETWEEN :lo AND :hi"
        params = {"lo": chunk[0].lo, "hi": chunk[-1].hi}
        error = _try(conn, _insert_sql(spec, where), params)
        if error is None:
            continue
        if len(chunk) == 1:
            rule, message = describe_refusal(error)
            save_quarantine(conn, spec, import_id, f"{base} AND s._grp = :g",
                            {"g": chunk[0]._grp, "rule": rule, "message": message})
            continue
        middle = len(chunk) // 2
        pending[0:0] = [chunk[:middle], chunk[middle:]]


def update_changed_rows(conn: Connection, spec: TableSpec, import_id: int) -> list[dict]:
    """Changed rows, one by one (few): updated through the triggers, or quarantined. Returns
    [{key, before, after}] for the audit."""
    skips = UPDATE_SKIPS.get(spec.name, set()) | {spec.pk}
    assignments = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in spec.columns if c not in skips)
    target, stage, pk = target_sql(spec), stage_sql(spec), _q(spec.pk)
    keys = conn.execute(sa.text(
        f"SELECT _key FROM {stage} WHERE _state = 'changed' ORDER BY _seq")).scalars().all()
    changes = []
    for key in keys:
        before = conn.scalar(sa.text(
            f"SELECT to_jsonb(t) FROM {target} t JOIN {stage} s ON s.{pk} = t.{pk}"
            " WHERE s._key = :k"), {"k": key})
        error = _try(conn, f"UPDATE {target} t SET {assignments} FROM {stage} s"
                           f" WHERE s._key = :k AND t.{pk} = s.{pk}", {"k": key})
        if error is not None:
            rule, message = describe_refusal(error)
            save_quarantine(conn, spec, import_id, "s._key = :k",
                            {"k": key, "rule": rule, "message": message})
            continue
        after = conn.scalar(sa.text(
            f"SELECT to_jsonb(t) FROM {target} t JOIN {stage} s ON s.{pk} = t.{pk}"
            " WHERE s._key = :k"), {"k": key})
        changes.append({"key": key, "before": before, "after": after})
    return changes


def save_versions(conn: Connection, spec: TableSpec, import_id: int, user_email: str) -> None:
    """Remember what was imported; pending quarantine rows that went in now are resolved."""
    stage = stage_sql(spec)
    params = {"t": spec.name, "import_id": import_id, "user": user_email}
    conn.execute(sa.text(
        f"INSERT INTO {VERSIONS} (table_name, live_key, target_key, row_hash, import_id)"
        f" SELECT :t, s._key, s.{_q(spec.pk)}::text, s._hash, :import_id FROM {stage} s"
        " WHERE _state IN ('new', 'changed')"
        " ON CONFLICT (table_name, live_key) DO UPDATE SET target_key = EXCLUDED.target_key,"
        " row_hash = EXCLUDED.row_hash, import_id = EXCLUDED.import_id"), params)
    conn.execute(sa.text(
        f"UPDATE {QUARANTINE} q SET status = 'resolved', resolved_by = :user,"
        " resolved_at = now(), resolution = 'imported by import ' || :import_id"
        f" FROM {stage} s WHERE q.table_name = :t AND q.live_key = s._key"
        " AND q.status = 'pending' AND s._state IN ('new', 'changed')"), params)


def count_states(conn: Connection, spec: TableSpec, unchanged: int) -> dict[str, int]:
    rows = conn.execute(sa.text(
        f"SELECT _state, count(*) FROM {stage_sql(spec)} GROUP BY _state")).all()
    states = dict(rows)
    return {
        "read": sum(states.values()) + unchanged,
        "imported": states.get("new", 0),
        "updated": states.get("changed", 0),
        "unchanged": unchanged,
        "quarantined": states.get("quarantined", 0),
    }


# --- people active while their history loads; sequences after the kept ids -----------------------


def activate_staff_for_history(conn: Connection) -> list[int]:
    """Make inactive people with new time entries active for the load (their real status is
    set back by ``restore_staff_status``)."""
    return list(conn.execute(sa.text(
        "UPDATE backoffice.staff SET is_active = true WHERE is_active IS NOT TRUE AND id IN"
        " (SELECT DISTINCT staff_id FROM pg_temp.import_stage_time_entries WHERE _state = 'new')"
        " RETURNING id")).scalars())


def restore_staff_status(conn: Connection, reactivated: list[int], staff_staged: bool) -> None:
    if staff_staged:
        conn.execute(sa.text(
            "UPDATE backoffice.staff t SET is_active = s.is_active"
            "  FROM pg_temp.import_stage_staff s"
            " WHERE t.id = s.id AND s._state IN ('new', 'changed')"
            "   AND t.is_active IS DISTINCT FROM s.is_active"))
    if reactivated:
        skip = ("SELECT id FROM pg_temp.import_stage_staff WHERE _state IN ('new', 'changed')"
                if staff_staged else "SELECT NULL::integer WHERE false")
        conn.execute(sa.text(
            "UPDATE backoffice.staff SET is_active = false WHERE id = ANY(:ids)"
            f" AND id NOT IN ({skip})"), {"ids": reactivated})


def save_sequences(conn: Connection, targets: Iterable[str]) -> None:
    """Each serial id's sequence continues after the highest id (never moved back)."""
    for target in sorted(set(targets)):
        sequence = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": target})
        if not sequence:
            continue
        conn.execute(sa.text(
            f"SELECT setval(:s, greatest((SELECT coalesce(max(id), 1) FROM {target}),"
            f" (SELECT last_value FROM {sequence})))"), {"s": sequence})


# --- the import run and its audit ----------------------------------------------------------------


def save_import_run(conn: Connection, source: str, snapshot: str, user_email: str,
                    dry_run: bool) -> int:
    return conn.scalar(sa.text(
        "INSERT INTO backoffice.import_runs (source, snapshot, user_email, dry_run)"
        " VALUES (:source, :snapshot, :user, :dry) RETURNING id"),
        {"source": source, "snapshot": snapshot, "user": user_email, "dry": dry_run})


def finish_import_run(conn: Connection, import_id: int, report: dict[str, Any]) -> None:
    from sqlalchemy.dialects.postgresql import JSONB

    conn.execute(
        sa.text("UPDATE backoffice.import_runs SET status = 'finished', finished_at = :at,"
                " report = :report WHERE id = :id").bindparams(sa.bindparam("report", type_=JSONB)),
        {"id": import_id, "report": report, "at": dt.datetime.now(dt.UTC)})


def lock_import(conn: Connection) -> None:
    """One import at a time: a transaction-level advisory lock."""
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(7316)"))
