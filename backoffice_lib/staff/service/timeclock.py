"""The time clock: punching with a PIN, photos, and admin corrections (business-rules §1, §8).

Punching: the person is picked first (one bcrypt check per punch, a wrong PIN is charged to that
person), the staff row is locked ``FOR UPDATE`` so that attempts and punches of one person are
serialised (the failed-attempt count is never lost, two punches at once cannot both pass), and a
wrong PIN is *returned*, not raised, so that the entry point commits the count (**fix**: failed
attempts were never counted). The action is derived, never chosen. The database trigger
``validate_time_entry()`` remains the last guard for every writer.

Service functions take the caller's connection and never commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from ... import access, audit, bangkok, settings
from ..queries import timeclock as queries
from ..queries.refusals import DatabaseRefused
from ..rules import pins
from .people import resolve_staff

AREA = "timeclock"
DEFAULTS = {"pin_max_failed_attempts": 10, "pin_lockout_minutes": 60, "max_session_hours": 16}
DOUBLE_TAP = dt.timedelta(minutes=2)
MIN_GAP = dt.timedelta(minutes=1)  # validate_time_entry() refuses entries closer than this
CORRECTION_AGE_FOR_ADMIN = dt.timedelta(days=7)
MAX_PHOTO_BYTES = 1024 * 1024

# Statuses of a punch attempt
PUNCHED = "punched"
WRONG_PIN = "wrong_pin"
LOCKED = "locked"
CONFIRM = "confirm"
REFUSED = "refused"


class TimeclockError(ValueError):
    """A time-clock action a person can fix; the message says how."""


@dataclasses.dataclass(frozen=True)
class PunchResult:
    status: str  # punched | wrong_pin | locked | confirm | refused
    message: str
    staff_pk: int | None = None
    staff_name: str | None = None
    action: str | None = None  # the action punched, or the one a confirmation would punch
    timestamp: dt.datetime | None = None
    entry_id: int | None = None
    remaining_attempts: int | None = None
    locked_until: dt.datetime | None = None
    warning: bool = False
    photo_captured: bool = False
    camera_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == PUNCHED


# --- settings ----------------------------------------------------------------------------------


def load_timeclock_settings(conn: Connection) -> dict[str, int]:
    """Time-clock settings from payroll_settings; a missing row is the default, ``0`` means 0."""
    rows = queries.load_setting_rows(conn, list(DEFAULTS))
    values = dict(DEFAULTS)
    for key, raw in rows:
        try:
            values[key] = int(str(raw).strip())
        except ValueError as exc:
            raise TimeclockError(
                f"payroll_settings {key} must be a whole number, not {raw!r}"
            ) from exc
        if values[key] < 0:
            raise TimeclockError(f"payroll_settings {key} must not be negative")
    return values


# --- photos ------------------------------------------------------------------------------------


def photo_kind(data: bytes) -> str | None:
    """'jpg', 'png' or 'webp' by magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_photo(data: bytes | None) -> tuple[str | None, str | None]:
    """(kind, None) for an acceptable photo, else (None, why not)."""
    if data is None or len(data) == 0:
        return None, "no photo data"
    if len(data) > MAX_PHOTO_BYTES:
        return None, f"photo too large ({len(data)} bytes; at most {MAX_PHOTO_BYTES})"
    kind = photo_kind(data)
    if kind is None:
        return None, "photo is not a JPEG, PNG or WebP image"
    return kind, None


def photo_store() -> Path:
    return settings.data_dir() / "photos"


def save_photo(data: bytes, kind: str, moment: dt.datetime) -> str:
    """Store a photo under the data dir, owner-only (0600 in 0700 folders, whatever the umask);
    returns its path relative to the data dir."""
    day = bangkok.bangkok_date(moment)
    folder = settings.private_dir(photo_store() / f"{day.year:04d}" / f"{day.month:02d}")
    target = folder / f"{uuid.uuid4().hex}.{kind}"
    settings.write_private_bytes(target, data)
    return str(target.relative_to(settings.data_dir()))


def photo_path(photo_url: str) -> Path:
    return settings.data_dir() / photo_url


# --- data access -------------------------------------------------------------------------------


def _entry(conn: Connection, entry_id: int, *, lock: bool = False) -> dict:
    row = queries.load_entry(conn, entry_id, lock=lock)
    if row is None:
        raise TimeclockError(f"no time entry {entry_id}")
    return row


def _insert_entry(conn: Connection, values: dict) -> int:
    """Insert in a savepoint so that a trigger refusal leaves the transaction usable."""
    try:
        return queries.save_new_entry(conn, values)
    except DatabaseRefused as exc:
        raise TimeclockError(str(exc)) from exc


def next_action(last_action: str | None) -> str:
    """After a clock_in the next punch is clock_out, otherwise clock_in."""
    return "clock_out" if last_action == "clock_in" else "clock_in"


def _label(action: str) -> str:
    return "clock in" if action == "clock_in" else "clock out"


def _fmt(moment: dt.datetime) -> str:
    return moment.astimezone(bangkok.BANGKOK).strftime("%H:%M")


def _fmt_full(moment: dt.datetime) -> str:
    return moment.astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M")


# --- punching ----------------------------------------------------------------------------------


def punch(
    conn: Connection,
    user_email: str | None,
    staff_ref: Any,
    pin: str,
    *,
    confirm: bool = False,
    photo: bytes | None = None,
    camera_error: str | None = None,
    device_info: dict | None = None,
    now: dt.datetime | None = None,
) -> PunchResult:
    """One punch attempt at the clock for the person ``staff_ref`` (employee ID or id).

    Returns a PunchResult whose ``status`` says what happened; the caller commits in every case
    (a wrong PIN must be counted). ``now`` is for tests and imports; default: the current time.
    A PIN that is not six ASCII digits is refused before anything is checked and never counted.
    """
    if not isinstance(pin, str) or not pins.PIN_PATTERN.fullmatch(pin):
        return PunchResult(REFUSED, "a PIN is exactly 6 digits (0-9); try again")
    access.check(conn, user_email, AREA, admin=False)
    moment = now or bangkok.now()
    if moment.tzinfo is None:
        raise TimeclockError("the punch time must be timezone-aware")
    try:
        person = resolve_staff(conn, staff_ref, lock=True)
    except ValueError as exc:
        return PunchResult(REFUSED, str(exc))
    staff_pk, name = person["id"], person["staff_name"]
    if not person["is_active"]:
        return PunchResult(REFUSED, f"{name} is not active and cannot punch", staff_pk, name)
    limits = load_timeclock_settings(conn)
    locked_until = person["locked_until"]
    if locked_until is not None and locked_until > moment:
        return PunchResult(
            LOCKED,
            f"{name}: too many wrong PINs; locked until {_fmt_full(locked_until)}",
            staff_pk,
            name,
            locked_until=locked_until,
        )
    failed = person["failed_attempts"] or 0
    if locked_until is not None:  # an expired lock: a fresh count starts
        failed = 0
    pin_hash = queries.load_pin_hash(conn, staff_pk)
    if not pins.verify_pin(pin, pin_hash):
        return _wrong_pin(conn, user_email, person, failed, limits, moment)
    if person["failed_attempts"] or locked_until is not None:
        audit.act_as(conn, None, "right PIN at the time clock")
        queries.save_pin_state(conn, staff_pk, 0, None)
        audit.record(
            conn,
            user_email,
            "PIN_ACCEPTED",
            "staff",
            staff_pk,
            before={"failed_attempts": person["failed_attempts"], "locked_until": locked_until},
            after={"failed_attempts": 0, "locked_until": None},
        )

    last = queries.load_last_entry(conn, staff_pk)
    action = next_action(last["action"] if last else None)
    if last is not None and abs(moment - last["timestamp"]) < DOUBLE_TAP and not confirm:
        return PunchResult(
            CONFIRM,
            f"{name}: you already punched ({_label(last['action'])}) at {_fmt(last['timestamp'])}."
            f" Punch again to {_label(action)}? Confirm to continue.",
            staff_pk,
            name,
            action=action,
        )
    if last is not None and abs(moment - last["timestamp"]) < MIN_GAP:
        return PunchResult(
            REFUSED,
            f"{name}: the last punch was under a minute ago ({_fmt(last['timestamp'])});"
            " wait a minute before punching again",
            staff_pk,
            name,
            action=action,
        )

    stored_photo, photo_error = None, camera_error
    if photo is not None:
        kind, why = check_photo(photo)
        if kind is None:
            photo_error = why
        else:
            try:
                stored_photo = save_photo(photo, kind, moment)
                photo_error = None
            except OSError as exc:
                photo_error = f"photo could not be stored: {exc.strerror or exc}"
    elif photo_error is None:
        photo_error = "no photo taken"
    values = {
        "staff_id": staff_pk,
        "action": action,
        "timestamp": moment,
        "photo_url": stored_photo,
        "photo_captured": stored_photo is not None,
        "camera_error": photo_error,
        "device_info": device_info or {},
    }
    try:
        entry_id = _insert_entry(conn, values)
    except TimeclockError as exc:
        return PunchResult(REFUSED, f"{name}: {exc}", staff_pk, name, action=action)
    after = {k: v for k, v in values.items()}
    audit.record(
        conn,
        user_email,
        action.upper(),
        "time_entries",
        entry_id,
        after=after,
        details={"staff_name": name},
    )
    return PunchResult(
        PUNCHED,
        f"{name}: {_label(action)} at {_fmt(moment)}",
        staff_pk,
        name,
        action=action,
        timestamp=moment,
        entry_id=entry_id,
        photo_captured=stored_photo is not None,
        camera_error=photo_error,
    )


def _wrong_pin(
    conn: Connection,
    user_email: str | None,
    person: dict,
    failed: int,
    limits: dict,
    moment: dt.datetime,
) -> PunchResult:
    staff_pk, name = person["id"], person["staff_name"]
    failed += 1
    maximum = limits["pin_max_failed_attempts"]
    locked_until = None
    if failed >= maximum:
        locked_until = moment + dt.timedelta(minutes=limits["pin_lockout_minutes"])
    audit.act_as(conn, None, "wrong PIN at the time clock")
    queries.save_pin_state(conn, staff_pk, failed, locked_until)
    audit.record(
        conn,
        user_email or "(kiosk)",
        "PIN_FAILED",
        "staff",
        staff_pk,
        details={"failed_attempts": failed, "locked_until": locked_until, "staff_name": name},
    )
    if locked_until is not None:
        return PunchResult(
            LOCKED,
            f"{name}: wrong PIN. Too many wrong PINs; locked until {_fmt_full(locked_until)}",
            staff_pk,
            name,
            remaining_attempts=0,
            locked_until=locked_until,
        )
    remaining = maximum - failed
    warning = remaining == 1
    message = f"{name}: wrong PIN, {remaining} attempt{'s' if remaining != 1 else ''} left"
    if warning:
        message += f"; one more wrong PIN locks the account for {limits['pin_lockout_minutes']} min"
    return PunchResult(
        WRONG_PIN, message, staff_pk, name, remaining_attempts=remaining, warning=warning
    )


# --- admin corrections -------------------------------------------------------------------------


def _require_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise TimeclockError("a correction needs a reason")
    return reason.strip()


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise TimeclockError("correction times must be timezone-aware (Bangkok time)")
    return moment


def add_missing_clock_out(
    conn: Connection, user_email: str, clock_in_id: int, clock_out_at: dt.datetime, reason: str
) -> int:
    """Add the clock-out a person forgot, after the given clock-in and before their next entry."""
    user = access.check(conn, user_email, AREA, admin=False)
    reason = _require_reason(reason)
    clock_out_at = _aware(clock_out_at)
    clock_in = _entry(conn, clock_in_id, lock=True)
    _act_for_correction(conn, user, reason, clock_in_id, [clock_out_at])
    if clock_in["action"] != "clock_in":
        raise TimeclockError(f"time entry {clock_in_id} is a {clock_in['action']}, not a clock_in")
    if clock_out_at <= clock_in["timestamp"]:
        raise TimeclockError("the clock-out must be after the clock-in")
    _, following = queries.load_neighbours(conn, clock_in["staff_id"], clock_in["timestamp"], clock_in_id)
    if following is not None and following["action"] == "clock_out":
        raise TimeclockError(
            f"the clock-in already has a clock-out at {_fmt_full(following['timestamp'])}"
        )
    if following is not None and clock_out_at >= following["timestamp"]:
        raise TimeclockError(
            f"the clock-out must be before the next entry at {_fmt_full(following['timestamp'])}"
        )
    values = {
        "staff_id": clock_in["staff_id"],
        "action": "clock_out",
        "timestamp": clock_out_at,
        "photo_captured": False,
        "camera_error": "added by a correction",
        "device_info": {"source": "correction", "by": user_email},
    }
    entry_id = _insert_entry(conn, values)
    audit.record(
        conn,
        user_email,
        "CREATE",
        "time_entries",
        entry_id,
        after=values,
        details={
            "correction": "add_missing_clock_out",
            "reason": reason,
            "clock_in_id": clock_in_id,
        },
    )
    return entry_id


def edit_entry_time(
    conn: Connection,
    user_email: str,
    entry_id: int,
    new_timestamp: dt.datetime,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> dict:
    """Move an entry to another time; the sequence must still alternate."""
    user = access.check(conn, user_email, AREA, admin=False)
    reason = _require_reason(reason)
    new_timestamp = _aware(new_timestamp)
    before = _entry(conn, entry_id, lock=True)
    _require_admin_for_old(conn, user, before, now, "edited")
    _act_for_correction(conn, user, reason, entry_id, [before["timestamp"], new_timestamp])
    previous, following = queries.load_neighbours(conn, before["staff_id"], before["timestamp"], entry_id)
    if (previous is not None and new_timestamp <= previous["timestamp"]) or (
        following is not None and new_timestamp >= following["timestamp"]
    ):
        raise TimeclockError(
            "an edit cannot move an entry past the person's previous or next entry"
            " (that would break the clock_in / clock_out alternation); delete and add instead"
        )
    try:
        queries.save_entry_time(conn, entry_id, new_timestamp)
    except DatabaseRefused as exc:
        raise TimeclockError(str(exc)) from exc
    after = dict(before, timestamp=new_timestamp)
    audit.record(
        conn,
        user_email,
        "UPDATE",
        "time_entries",
        entry_id,
        before=_audit_entry(before),
        after=_audit_entry(after),
        details={"correction": "edit_time", "reason": reason},
    )
    return after


def delete_entry(
    conn: Connection, user_email: str, entry_id: int, reason: str, *, now: dt.datetime | None = None
) -> dict:
    """Delete an entry with a reason; one older than 7 days only by an admin."""
    user = access.check(conn, user_email, AREA, admin=False)
    reason = _require_reason(reason)
    before = _entry(conn, entry_id, lock=True)
    _require_admin_for_old(conn, user, before, now, "deleted")
    _act_for_correction(conn, user, reason, entry_id, [before["timestamp"]])
    try:
        queries.delete_entry(conn, entry_id)
    except DatabaseRefused as exc:
        raise TimeclockError(str(exc)) from exc
    audit.record(
        conn,
        user_email,
        "DELETE",
        "time_entries",
        entry_id,
        before=_audit_entry(before),
        details={"correction": "delete", "reason": reason},
    )
    return before


def _require_admin_for_old(
    conn: Connection, user: access.User, entry: dict, now: dt.datetime | None, verb: str
) -> None:
    age = (now or bangkok.now()) - entry["timestamp"]
    if age > CORRECTION_AGE_FOR_ADMIN and not user.is_admin:
        reason = f"an entry older than 7 days is {verb} only by an admin"
        audit.record(
            conn,
            user.email,
            "ACCESS_DENIED",
            "time_entries",
            entry["id"],
            details={"reason": reason},
        )
        raise access.AccessDenied(f"access refused: {reason}; {user.email} is not an admin")


def _act_for_correction(
    conn: Connection, user: access.User, reason: str, entry_id: int, moments: list[dt.datetime]
) -> None:
    """A finalised payroll month's entries change only by an admin with a reason (§3.3).

    An admin acts with the reason (audit.act_as), so the database's lock lets the correction
    through and the correction is audited as usual; anyone else touching a finalised month gets
    a clear, audited refusal instead of the database's raw error.
    """
    if user.is_admin:
        audit.act_as(conn, user.email, reason)
        return
    finalised = sorted({
        month for moment in moments
        if queries.load_date_is_finalised(conn, bangkok.bangkok_date(moment))
        for month in [bangkok.month_key(bangkok.bangkok_date(moment))]
    })
    if finalised:
        why = (f"payroll for {', '.join(finalised)} is finalised: only an admin with a reason may"
               " change its time entries")
        audit.record(conn, user.email, "ACCESS_DENIED", "time_entries", entry_id,
                     details={"reason": why})
        raise access.AccessDenied(f"access refused: {why}; {user.email} is not an admin")


def _audit_entry(entry: dict) -> dict:
    return {k: entry[k] for k in ("id", "staff_id", "action", "timestamp") if k in entry}


# --- the entry-correction form's one call ------------------------------------------------------

CORRECTIONS = ("add", "edit", "delete")


def parse_correction_moment(text: str) -> dt.datetime:
    """A correction's time as typed (``2025-01-31 17:30``, Bangkok) as an aware datetime."""
    try:
        moment = dt.datetime.strptime(str(text).strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise TimeclockError("the time must look like 2025-01-31 17:30") from None
    return moment.replace(tzinfo=bangkok.BANGKOK)


def run_entry_correction(
    conn: Connection,
    user_email: str,
    action: str,
    entry_id: int | None,
    moment: dt.datetime | None,
    reason: str,
    *,
    area: str = AREA,
    admin: bool | None = False,
) -> str:
    """One correction of a flagged entry (``add`` a missing clock-out at ``moment``, ``edit`` its
    time to ``moment``, ``delete`` it), after checking ``area`` for the page that offers it (the
    payroll close page: admins only); returns what was done, in words."""
    access.check(conn, user_email, area, admin=admin)
    if entry_id is None:
        raise TimeclockError("pick a flagged entry first")
    if action not in CORRECTIONS:
        raise TimeclockError(f"unknown correction {action!r}")
    if action in ("add", "edit") and moment is None:
        raise TimeclockError("the time must look like 2025-01-31 17:30")
    if action == "add":
        add_missing_clock_out(conn, user_email, entry_id, moment, reason)
        return f"added a clock-out at {_fmt_full(moment)}"
    if action == "edit":
        edit_entry_time(conn, user_email, entry_id, moment, reason)
        return f"moved entry #{entry_id} to {_fmt_full(moment)}"
    delete_entry(conn, user_email, entry_id, reason)
    return f"deleted entry #{entry_id}"
