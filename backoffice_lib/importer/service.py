"""The live import as a service: ``run_import`` (one transaction: read, convert, load through the
rules, quarantine, audit) and the review's fixes (add the missing clock-out, close an overlapping
pay-rate row, accept an over-use as an adjustment, retry, dismiss).

The import's writes are audited as the import: ``audit.act_as`` names the actor
``live-import <id> by <user>`` (the staff trigger records it; it is not an allowed user, so it
never lifts the payroll lock), and every table's ``IMPORT`` audit row names the snapshot read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection, Engine

from .. import access, audit, database
from .queries import quarantine, staging
from .queries.quarantine import QuarantineError
from .queries.source import LiveSource, SourceUnreadable, open_source, sweep_leftovers
from .rules import mapping
from .rules.mapping import TABLES, TABLES_BY_NAME, TableSpec, strip_secrets
from .rules.review import compute_default_clock_out

AREA = "import"
COUNT_KEYS = ("read", "imported", "updated", "unchanged", "quarantined")


class FixRefused(QuarantineError):
    """A fix the rules refuse; nothing of it was kept."""


# --- the import ----------------------------------------------------------------------------------


def import_live(source: str, user_email: str | None, *, dry_run: bool = False,
                engine: Engine | None = None) -> dict[str, Any]:
    """The entry point's call: check the user, open the source, import in ONE transaction,
    committed, or rolled back for a dry run (the same work, the same report). A process killed
    half-way leaves the workbench as it was (the server rolls the transaction back); what it
    left outside (a dump's staging database, role and folder) the next import removes."""
    engine = engine or database.get_engine()
    access.require(user_email, AREA, admin=True, engine=engine)
    sweep_leftovers(engine)  # of imports killed half-way: nothing else of them outlives them
    with open_source(source, engine) as live, engine.connect() as conn:
        transaction = conn.begin()
        try:
            report = run_import(conn, user_email, live, dry_run=dry_run)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return report


def run_import(conn: Connection, user_email: str, live: LiveSource, *, dry_run: bool = False,
               now: dt.datetime | None = None) -> dict[str, Any]:
    access.check(conn, user_email, AREA, admin=True)
    staging.lock_import(conn)  # one import at a time
    import_id = staging.save_import_run(conn, live.description, live.snapshot, user_email, dry_run)
    actor = f"live-import {import_id} by {user_email}"
    audit.act_as(conn, actor, f"one-way import of {live.snapshot}")
    tables: list[dict[str, Any]] = []
    reactivated: list[int] = []
    staged: set[str] = set()
    for spec in TABLES:
        if not live.has_table(spec):
            continue
        counts, activated = _import_table(conn, spec, live, import_id, user_email, actor, now)
        reactivated += activated
        staged.add(spec.name)
        tables.append({"table": spec.name, **counts})
    staging.restore_staff_status(conn, reactivated, "staff" in staged)
    staging.save_sequences(conn, [s.target for s in TABLES
                               if s.name in staged and s.keep_ids and s.pk == "id"])
    totals = {key: sum(t[key] for t in tables) for key in COUNT_KEYS}
    report = {"import_id": import_id, "dry_run": dry_run, "source": live.description,
              "snapshot": live.snapshot, "tables": tables, "totals": totals}
    staging.finish_import_run(conn, import_id, report)
    audit.record(conn, user_email, "IMPORT", "import_runs", import_id,
                 details={"actor": actor, "snapshot": live.snapshot, "dry_run": dry_run,
                          "totals": totals})
    return report


def _import_table(conn: Connection, spec: TableSpec, live: LiveSource, import_id: int,
                  user_email: str, actor: str, now: dt.datetime | None):
    staging.create_stage(conn, spec)
    unchanged = [0]
    skip = staging.load_fingerprints(conn, spec)
    keys = None
    if skip:  # imported before: read the fingerprints first, then only the rows that changed
        fingerprints = list(live.iter_fingerprints(spec))
        wanted = [key for key, fingerprint in fingerprints if skip.get(key) != fingerprint]
        if len(wanted) * 2 < len(fingerprints):
            keys, unchanged[0], skip = wanted, len(fingerprints) - len(wanted), {}
    staging.copy_stage_rows(conn, spec, staging.compute_stage_rows(
        spec, live.iter_rows(spec, keys), skip, unchanged))
    staging.classify_stage(conn, spec)
    staging.quarantine_refused_conversions(conn, spec, import_id)
    staging.quarantine_dependants(conn, spec, import_id)
    if spec.name == "allowed_users":
        staging.adopt_existing_users(conn)
    elif spec.name == "lengolf_sales_voided_archive":
        staging.adopt_voided_lines(conn, spec)
    activated = staging.activate_staff_for_history(conn) if spec.name == "time_entries" else []
    _plan(conn, spec, now)
    staging.assign_new_ids(conn, spec)
    staging.insert_new_rows(conn, spec, import_id)
    for change in staging.update_changed_rows(conn, spec, import_id):
        audit.record(conn, user_email, "IMPORT_UPDATE", spec.target, change["key"],
                     before=strip_secrets(change["before"]), after=strip_secrets(change["after"]),
                     details={"import_id": import_id, "actor": actor, "snapshot": live.snapshot})
    staging.save_versions(conn, spec, import_id, user_email)
    counts = staging.count_states(conn, spec, unchanged[0])
    audit.record(conn, user_email, "IMPORT", spec.target, import_id,
                 details={"actor": actor, "snapshot": live.snapshot, "live_table": spec.source,
                          **counts})
    return counts, activated


PLAN_COLUMNS = {
    "time_entries": ("staff_id", "action", "timestamp"),
    "staff_compensation": ("staff_id", "effective_from", "effective_to"),
    "package_usage": ("package_id", "used_hours", "used_date", "booking_id"),
    "audit_logs": ("user_email", "action", "resource_type", "timestamp"),
}


def _plan(conn: Connection, spec: TableSpec, now: dt.datetime | None) -> None:
    """Predict the refusals so that the set insert rarely fails (the database still judges
    every row: a predicted refusal is tried on its own)."""
    if spec.name not in PLAN_COLUMNS:
        return
    rows = staging.load_new_rows(conn, spec, PLAN_COLUMNS[spec.name])
    if not rows:
        return
    if spec.name == "time_entries":
        plan = mapping.plan_time_entries(rows, staging.load_last_entries(conn), now)
    elif spec.name == "staff_compensation":
        plan = mapping.plan_compensation(rows, staging.load_compensation_ranges(conn))
    elif spec.name == "package_usage":
        bookings, used = staging.load_booking_ids(conn)
        plan = mapping.plan_package_usage(rows, staging.load_package_balances(conn), bookings, used)
    else:
        plan = mapping.plan_audit_rows(rows)
    first_seq: dict[int, int] = {}
    for index, group in enumerate(plan.groups):
        first_seq.setdefault(group, rows[index]["_seq"])
    seqs = [r["_seq"] for r in rows]
    staging.save_plan(conn, spec, seqs, [first_seq[g] for g in plan.groups], plan.suspects)


def format_report_text(report: dict[str, Any]) -> str:
    """The report as a table for a terminal."""
    header = f"{'table':<30}" + "".join(f"{k:>13}" for k in COUNT_KEYS)
    lines = [
        f"live import {report['import_id']} of {report['snapshot']}"
        + (" (dry run: nothing was kept)" if report["dry_run"] else ""),
        header,
    ]
    for table in report["tables"]:
        lines.append(f"{table['table']:<30}" + "".join(f"{table[k]:>13}" for k in COUNT_KEYS))
    lines.append(f"{'total':<30}" + "".join(f"{report['totals'][k]:>13}" for k in COUNT_KEYS))
    return "\n".join(lines)


# --- the review's fixes ----------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise QuarantineError("a review decision needs a reason")
    return reason.strip()


def _pending(conn: Connection, user_email: str, quarantine_id: int) -> dict:
    access.check(conn, user_email, AREA, admin=True)
    row = quarantine.load_quarantine_row(conn, quarantine_id, lock=True)
    if row["status"] != "pending":
        raise QuarantineError(f"quarantined row {quarantine_id} is already {row['status']}")
    return row


def _insert_quarantined(conn: Connection, rows: list[dict],
                        change: Callable[[dict], dict] | None = None) -> None:
    """Put quarantined rows in through the real constraints and triggers (ids kept)."""
    for row in rows:
        values = change(row["row"]) if change else row["row"]
        quarantine.insert_row(conn, TABLES_BY_NAME[row["table_name"]], values)


def _apply(conn: Connection, step: Callable[[], None]) -> None:
    """Run a fix in a SAVEPOINT: all of it is kept, or none of it and a FixRefused says why."""
    from ..staff.service.timeclock import TimeclockError

    try:
        with quarantine.savepoint(conn, FixRefused):
            step()
    except TimeclockError as exc:
        raise FixRefused(str(exc)) from None


def _resolve(conn: Connection, user_email: str, rows: list[dict], fix: str, resolution: str,
             reason: str, **details: Any) -> dict[str, Any]:
    quarantine.save_versions_of(conn, rows)
    quarantine.save_decision(conn, rows, "resolved", resolution, user_email)
    first = rows[0]
    audit.record(conn, user_email, "IMPORT_FIX", first["table_name"], first["live_key"],
                 details={"fix": fix, "reason": reason, "resolution": resolution,
                          "quarantine_ids": [r["id"] for r in rows], **details})
    retried = _retry_dependants(conn, user_email, rows)
    return {"resolved": [r["id"] for r in rows], "resolution": resolution,
            "dependants_imported": retried}


def _retry_dependants(conn: Connection, user_email: str, rows: list[dict]) -> list[int]:
    done = []
    for row in rows:
        for dependant in quarantine.load_dependants(conn, row):
            try:
                _apply(conn, lambda d=dependant: _insert_quarantined(conn, [d]))
            except FixRefused:
                continue
            quarantine.save_versions_of(conn, [dependant])
            quarantine.save_decision(conn, [dependant], "resolved",
                                     f"imported after {row['table_name']} {row['live_key']}"
                                     " was fixed", user_email)
            done.append(dependant["id"])
    return done


def load_open_clock_in(conn: Connection, row: dict) -> dict | None:
    """The open clock-in before a refused group of time entries, with the group's first time."""
    group = quarantine.load_group(conn, row)
    first = min(group, key=lambda r: r["row"]["timestamp"])
    first_at = dt.datetime.fromisoformat(first["row"]["timestamp"])
    previous = quarantine.load_entry_before(conn, first["row"]["staff_id"], first_at)
    if previous is None or previous["action"] != "clock_in":
        return None
    return {**dict(previous), "next_entry": first_at, "group": group}


def fix_add_missing_clock_out(conn: Connection, user_email: str, quarantine_id: int,
                              reason: str, clock_out_at: dt.datetime | None = None) -> dict:
    """The refused entries follow a clock-in that was never closed: add its clock-out (the time
    clock's own correction, audited with the reason), then import the refused entries."""
    from ..staff.service import timeclock

    reason = _reason(reason)
    row = _pending(conn, user_email, quarantine_id)
    if row["table_name"] != "time_entries":
        raise QuarantineError("adding a clock-out fixes refused time entries only")
    open_in = load_open_clock_in(conn, row)
    if open_in is None:
        raise FixRefused("the entry before these is not an open clock-in: there is nothing to"
                         " close (retry after another correction, or dismiss)")
    clock_out_at = clock_out_at or compute_default_clock_out(open_in["timestamp"],
                                                             open_in["next_entry"])
    group = open_in["group"]

    def step() -> None:
        reactivated = _activate_for_fix(conn, user_email, open_in["staff_id"], reason)
        timeclock.add_missing_clock_out(conn, user_email, open_in["id"], clock_out_at, reason)
        _insert_quarantined(conn, group)
        if reactivated:
            _deactivate_after_fix(conn, user_email, open_in["staff_id"], reason)

    _apply(conn, step)
    return _resolve(conn, user_email, group, "add_missing_clock_out",
                    f"added the clock-out at {clock_out_at.isoformat()} for clock-in"
                    f" {open_in['id']} and imported", reason, clock_in_id=open_in["id"],
                    clock_out_at=clock_out_at)


def _activate_for_fix(conn: Connection, user_email: str, staff_id: int, reason: str) -> bool:
    audit.act_as(conn, user_email, reason)
    return quarantine.save_staff_active(conn, staff_id, True)


def _deactivate_after_fix(conn: Connection, user_email: str, staff_id: int, reason: str) -> None:
    audit.act_as(conn, user_email, reason)
    quarantine.save_staff_active(conn, staff_id, False)


def fix_close_pay_rate(conn: Connection, user_email: str, quarantine_id: int,
                       reason: str) -> dict:
    """Two open pay-rate rows: end the earlier row the day before the refused one starts, then
    import the refused row."""
    reason = _reason(reason)
    row = _pending(conn, user_email, quarantine_id)
    if row["table_name"] != "staff_compensation":
        raise QuarantineError("closing a pay-rate row fixes refused compensation rows only")
    values = row["row"]
    starts = dt.date.fromisoformat(values["effective_from"])
    ends = dt.date.fromisoformat(values["effective_to"]) if values.get("effective_to") else None
    overlapping = quarantine.load_overlapping_pay_rates(conn, values["staff_id"], starts, ends)
    later = [o for o in overlapping if o["effective_from"] >= starts]
    if later:
        raise FixRefused(
            f"pay-rate row {later[0]['id']} starts on {later[0]['effective_from']}, not before"
            f" this one ({starts}): closing it cannot help; dismiss one of the two")

    def step() -> None:
        audit.act_as(conn, user_email, reason)
        for other in overlapping:
            quarantine.save_pay_rate_end(conn, other["id"], starts - dt.timedelta(days=1))
            audit.record(conn, user_email, "UPDATE", "staff_compensation", other["id"],
                         before={"effective_to": other["effective_to"]},
                         after={"effective_to": starts - dt.timedelta(days=1)},
                         details={"reason": reason, "fix": "close_pay_rate"})
        _insert_quarantined(conn, [row])

    _apply(conn, step)
    return _resolve(conn, user_email, [row], "close_pay_rate",
                    f"closed pay-rate row(s) {', '.join(str(o['id']) for o in overlapping)}"
                    f" on {starts - dt.timedelta(days=1)} and imported", reason)


def fix_accept_overuse(conn: Connection, user_email: str, quarantine_id: int,
                       reason: str) -> dict:
    """A usage beyond the balance: record what the balance still holds (if anything) and write
    the rest off as an adjustment, audited with the live hours and the reason."""
    reason = _reason(reason)
    row = _pending(conn, user_email, quarantine_id)
    if row["table_name"] != "package_usage":
        raise QuarantineError("accepting an over-use fixes refused package usage only")
    values = row["row"]
    balance = quarantine.load_package_balance(conn, values["package_id"])
    if balance is None:
        raise FixRefused(f"package {values['package_id']} is not in the workbench")
    live_hours = Decimal(str(values["used_hours"]))
    if balance["hours"] is None:
        raise FixRefused("the package is unlimited: this was not an over-use; retry instead")
    remaining = max(Decimal(0), balance["hours"] - balance["used"])
    accepted = min(live_hours, remaining)

    def step() -> None:
        if accepted > 0:
            _insert_quarantined(conn, [row], lambda r: {**r, "used_hours": str(accepted)})

    _apply(conn, step)
    written_off = live_hours - accepted
    audit.record(conn, user_email, "IMPORT_ADJUSTMENT", "package_usage", row["live_key"],
                 details={"package_id": values["package_id"], "live_used_hours": live_hours,
                          "accepted_hours": accepted, "over_use_hours": written_off,
                          "reason": reason})
    return _resolve(conn, user_email, [row], "accept_overuse",
                    f"accepted as an adjustment: {accepted} h recorded, {written_off} h over the"
                    " balance written off", reason)


def retry_quarantined(conn: Connection, user_email: str, quarantine_id: int,
                      reason: str) -> dict:
    """Import a quarantined row (with its group) as it is, after a correction elsewhere."""
    reason = _reason(reason)
    row = _pending(conn, user_email, quarantine_id)
    group = quarantine.load_group(conn, row)
    _apply(conn, lambda: _insert_quarantined(conn, group))
    return _resolve(conn, user_email, group, "retry", "imported on retry", reason)


def dismiss_quarantined(conn: Connection, user_email: str, quarantine_id: int,
                        reason: str) -> dict:
    """Leave the row (and its group) out of the workbench; later imports skip it while the live
    row stays the same."""
    reason = _reason(reason)
    row = _pending(conn, user_email, quarantine_id)
    group = quarantine.load_group(conn, row)
    quarantine.save_decision(conn, group, "dismissed", f"dismissed: {reason}", user_email)
    audit.record(conn, user_email, "IMPORT_DISMISS", row["table_name"], row["live_key"],
                 details={"reason": reason, "quarantine_ids": [r["id"] for r in group],
                          "rule": row["rule"]})
    return {"dismissed": [r["id"] for r in group]}


FIX_FUNCTIONS = {
    "add_missing_clock_out": fix_add_missing_clock_out,
    "close_pay_rate": fix_close_pay_rate,
    "accept_overuse": fix_accept_overuse,
}


__all__ = [
    "FixRefused",
    "QuarantineError",
    "SourceUnreadable",
    "dismiss_quarantined",
    "fix_accept_overuse",
    "fix_add_missing_clock_out",
    "fix_close_pay_rate",
    "format_report_text",
    "import_live",
    "retry_quarantined",
    "run_import",
]


# --------------------------------------------------------------------------- the review dashboard


def load_review(conn: Connection, user_email: str, status: str = "pending") -> list[dict]:
    """The quarantined rows of a status, for an admin (access checked)."""
    access.check(conn, user_email, AREA, admin=True)
    return quarantine.load_quarantine(conn, status=status)


def load_last_import(conn: Connection, user_email: str) -> dict | None:
    """The last finished import with its per-table counts, for an admin (access checked)."""
    access.check(conn, user_email, AREA, admin=True)
    return quarantine.load_last_import(conn)


def load_default_clock_out(conn: Connection, user_email: str, row: dict) -> dt.datetime | None:
    """The clock-out the review offers for a refused group of time entries (8 hours after the
    open clock-in, before the next entry), or None when no clock-in is open (access checked)."""
    access.check(conn, user_email, AREA, admin=True)
    open_in = load_open_clock_in(conn, row)
    if open_in is None:
        return None
    return compute_default_clock_out(open_in["timestamp"], open_in["next_entry"])
