"""Pay rates: a person's compensation history, raises, and the coaches' rates (business-rules §3.2, §5).

A person has at most one ``staff_compensation`` row in force on any day (the database's exclusion
constraint ``ex_staff_compensation_no_overlap`` is the last guard for every writer). A raise from a
date closes the open row on the day before and opens the new one, in the caller's transaction; a
row that starts on or after that date, or a closed row that reaches it, is a clash: refused with
the dates that clash. Salary rows carry a monthly ``base_salary`` (hourly_rate 0); hourly rows an
``hourly_rate`` (base_salary 0).

Service functions take the caller's connection, check access (an admin area), never commit, and
write one ``audit_logs`` row per change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from ... import access, audit
from ...models.core import CoachRate, PackageType, StaffCompensation
from ...money import round_money
from .people import resolve_staff

COMPENSATION = StaffCompensation.__table__
COACH_RATES = CoachRate.__table__
PACKAGE_TYPES = PackageType.__table__
AREA = "staff"
TYPES = ("salary", "hourly")
INDIVIDUAL_RATE_TYPES = ("Individual, 1 PAX", "Individual, 2 PAX")
#: A new person's first rate starts with these premiums (THB per hour, flat, on top of base pay:
#: business-rules §3.2), inside the studio's ranges (OT 70-150, holiday 80-200), never 0: a form
#: left as it opens must not pay overtime or holiday work nothing.
DEFAULT_OT_RATE_PER_HOUR = Decimal("100.00")
DEFAULT_HOLIDAY_RATE_PER_HOUR = Decimal("100.00")
DEFAULT_MIN_HOURS_FOR_ALLOWANCE = 6
#: The components a change may lower to 0 (only after a confirmation), as a person reads them.
COMPONENT_LABELS = {
    "base_salary": "monthly salary",
    "hourly_rate": "hourly rate",
    "ot_rate_per_hour": "overtime rate",
    "holiday_rate_per_hour": "holiday rate",
}
HISTORY_COLUMNS = ["created_at", "action_type", "changed_by_identifier", "changes_summary", "reason"]
COLUMNS = [
    "id",
    "staff_id",
    "compensation_type",
    "base_salary",
    "hourly_rate",
    "ot_rate_per_hour",
    "holiday_rate_per_hour",
    "is_service_charge_eligible",
    "min_hours_for_allowance",
    "effective_from",
    "effective_to",
]


class CompensationError(ValueError):
    """A pay-rate change a person can fix; the message says what clashes or is missing."""


@dataclasses.dataclass(frozen=True)
class Rates:
    """The values of one compensation row, parsed at the edge (Decimal money, int hours)."""

    compensation_type: str
    base_salary: Decimal = Decimal(0)
    hourly_rate: Decimal = Decimal(0)
    ot_rate_per_hour: Decimal = Decimal(0)
    holiday_rate_per_hour: Decimal = Decimal(0)
    is_service_charge_eligible: bool = False
    min_hours_for_allowance: int = 6


# --- pure rules ---------------------------------------------------------------------------------


def parse_amount(value: Any, label: str) -> Decimal:
    """A THB amount typed in a form ('12,500', '฿ 95.5', '') as Decimal (blank = 0)."""
    if isinstance(value, Decimal):
        return value
    text = str(value or "").replace(",", "").replace("฿", "").replace("THB", "").strip()
    if text == "":
        return Decimal(0)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise CompensationError(f"{label} must be an amount such as 12500 or 95.50, not {value!r}")
    if not amount.is_finite():
        raise CompensationError(f"{label} must be an amount such as 12500 or 95.50, not {value!r}")
    return amount


def compute_rates_refusal(rates: Rates) -> str | None:
    """Why these rates cannot be saved, or None (the table's check constraints, said plainly)."""
    if rates.compensation_type not in TYPES:
        return f"the pay type is salary or hourly, not {rates.compensation_type!r}"
    if rates.compensation_type == "salary" and rates.base_salary <= 0:
        return "a salary needs a monthly base salary above 0"
    if rates.compensation_type == "hourly" and rates.hourly_rate <= 0:
        return "hourly pay needs an hourly rate above 0"
    for label, amount in (
        ("the base salary", rates.base_salary),
        ("the hourly rate", rates.hourly_rate),
        ("the overtime rate", rates.ot_rate_per_hour),
        ("the holiday rate", rates.holiday_rate_per_hour),
    ):
        if amount < 0:
            return f"{label} cannot be negative"
    if rates.min_hours_for_allowance < 0:
        return "the minimum hours for the allowance cannot be negative"
    return None


def compute_row_values(rates: Rates) -> dict[str, Any]:
    """The columns of a row: only the field of the chosen type is kept (the other is 0)."""
    salary = rates.compensation_type == "salary"
    return {
        "compensation_type": rates.compensation_type,
        "base_salary": round_money(rates.base_salary) if salary else Decimal("0.00"),
        "hourly_rate": Decimal("0.00") if salary else round_money(rates.hourly_rate),
        "ot_rate_per_hour": round_money(rates.ot_rate_per_hour),
        "holiday_rate_per_hour": round_money(rates.holiday_rate_per_hour),
        "is_service_charge_eligible": bool(rates.is_service_charge_eligible),
        "min_hours_for_allowance": int(rates.min_hours_for_allowance),
    }


def compute_new_person_rates(compensation_type: str = "salary") -> Rates:
    """What a new person's first pay rate starts as: non-zero OT and holiday premiums."""
    return Rates(
        compensation_type=compensation_type,
        ot_rate_per_hour=DEFAULT_OT_RATE_PER_HOUR,
        holiday_rate_per_hour=DEFAULT_HOLIDAY_RATE_PER_HOUR,
        min_hours_for_allowance=DEFAULT_MIN_HOURS_FOR_ALLOWANCE,
    )


def compute_rates_of_row(row: dict) -> Rates:
    """A stored compensation row (or an audit snapshot of one) as Rates: every field copied."""
    hours = row.get("min_hours_for_allowance")
    return Rates(
        compensation_type=row.get("compensation_type") or "salary",
        base_salary=Decimal(str(row.get("base_salary") or 0)),
        hourly_rate=Decimal(str(row.get("hourly_rate") or 0)),
        ot_rate_per_hour=Decimal(str(row.get("ot_rate_per_hour") or 0)),
        holiday_rate_per_hour=Decimal(str(row.get("holiday_rate_per_hour") or 0)),
        is_service_charge_eligible=bool(row.get("is_service_charge_eligible")),
        min_hours_for_allowance=DEFAULT_MIN_HOURS_FOR_ALLOWANCE if hours is None else int(hours),
    )


def compute_row_in_force(existing: list[dict], day: dt.date) -> dict | None:
    """The row in force on ``day``; else the latest row that started before it (a leaver's last
    rate); else the earliest row to come (a rate that starts later); None without rows."""
    rows = sorted(existing, key=lambda r: r["effective_from"])
    for row in rows:
        end = row["effective_to"]
        if row["effective_from"] <= day and (end is None or end >= day):
            return row
    started = [r for r in rows if r["effective_from"] <= day]
    if started:
        return started[-1]
    return rows[0] if rows else None


def compute_default_start(existing: list[dict], today: dt.date) -> dt.date:
    """The first date, from ``today`` on, that a new rate may start from (``compute_raise_plan``
    accepts it): today, or the day after the latest start or closed end that reaches today."""
    start = today
    for row in existing:
        start = max(start, row["effective_from"] + dt.timedelta(days=1))
        if row["effective_to"] is not None:
            start = max(start, row["effective_to"] + dt.timedelta(days=1))
    return start


def _amount_text(value: Decimal) -> str:
    return "0" if value == 0 else f"{value:,.2f}"


def compute_pay_cuts(current: Rates | None, new: Rates) -> list[str]:
    """What a new rate lowers to 0 or drops, compared with the rate it replaces, as a person
    reads it ("overtime rate 150.00 -> 0", "service charge: eligible -> not eligible"); empty
    when nothing is cut (a first rate cuts nothing). Such a change is saved only once confirmed."""
    if current is None:
        return []
    before, after = compute_row_values(current), compute_row_values(new)
    cuts = [
        f"{label} {_amount_text(before[key])} -> 0"
        for key, label in COMPONENT_LABELS.items()
        if before[key] > 0 and after[key] == 0
    ]
    if before["is_service_charge_eligible"] and not after["is_service_charge_eligible"]:
        cuts.append("service charge: eligible -> not eligible")
    return cuts


def compute_change_summary(previous: dict | None, new: dict) -> str:
    """One line of a person's change history for a new pay rate: what changed from the rate it
    replaced (every field), or the first rate's values."""
    rates = compute_rates_of_row(new)
    values = compute_row_values(rates)
    start = new.get("effective_from")
    if previous is None or "compensation_type" not in previous:
        kind = rates.compensation_type
        amount = values["base_salary"] if kind == "salary" else values["hourly_rate"]
        parts = [
            f"pay rate from {start}: {kind} {_amount_text(amount)}",
            f"overtime rate {_amount_text(values['ot_rate_per_hour'])}",
            f"holiday rate {_amount_text(values['holiday_rate_per_hour'])}",
            "service charge: " + ("eligible" if values["is_service_charge_eligible"]
                                   else "not eligible"),
        ]
        return ", ".join(parts)
    old = compute_row_values(compute_rates_of_row(previous))
    changes = []
    if old["compensation_type"] != values["compensation_type"]:
        changes.append(f"pay type {old['compensation_type']} -> {values['compensation_type']}")
    for key, label in COMPONENT_LABELS.items():
        if old[key] != values[key]:
            changes.append(f"{label} {_amount_text(old[key])} -> {_amount_text(values[key])}")
    if old["is_service_charge_eligible"] != values["is_service_charge_eligible"]:
        changes.append(
            "service charge: "
            + ("eligible -> not eligible" if old["is_service_charge_eligible"]
               else "not eligible -> eligible")
        )
    if old["min_hours_for_allowance"] != values["min_hours_for_allowance"]:
        changes.append(f"allowance after {old['min_hours_for_allowance']} h ->"
                       f" {values['min_hours_for_allowance']} h")
    return f"new pay rate from {start}: " + (", ".join(changes) or "same rates")


def _period(row: dict) -> str:
    end = row["effective_to"]
    return f"{row['effective_from']} to {end}" if end is not None else f"{row['effective_from']} (open)"


def compute_raise_plan(existing: list[dict], effective_from: dt.date) -> tuple[list[dict], str | None]:
    """Which rows a new row from ``effective_from`` closes (the day before), or why it clashes.

    ``existing``: the person's rows (id, effective_from, effective_to). The open row that starts
    before the date is closed on the day before; a row starting on or after the date, or a closed
    row that reaches it, clashes.
    """
    closes: list[dict] = []
    clashes: list[str] = []
    for row in sorted(existing, key=lambda r: r["effective_from"]):
        start, end = row["effective_from"], row["effective_to"]
        if start >= effective_from:
            clashes.append(_period(row))
        elif end is None:
            closes.append({**row, "effective_to": effective_from - dt.timedelta(days=1)})
        elif end >= effective_from:
            clashes.append(_period(row))
    if clashes:
        return [], (
            f"a rate from {effective_from} overlaps the existing row"
            f"{'s' if len(clashes) > 1 else ''} {', '.join(clashes)}; pick a date after"
            f" {max(r['effective_to'] or r['effective_from'] for r in existing)}"
        )
    return closes, None


# --- data access --------------------------------------------------------------------------------


def load_compensation(conn: Connection, staff_pk: int, *, lock: bool = False) -> pd.DataFrame:
    """A person's compensation rows, newest first (Decimal money)."""
    query = (
        sa.select(*[COMPENSATION.c[c] for c in COLUMNS])
        .where(COMPENSATION.c.staff_id == staff_pk)
        .order_by(COMPENSATION.c.effective_from.desc())
    )
    rows = conn.execute(query.with_for_update() if lock else query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS, dtype=object)


def _database_reason(exc: sa.exc.DBAPIError) -> str:
    diag = getattr(getattr(exc, "orig", None), "diag", None)
    if getattr(diag, "constraint_name", None) == "ex_staff_compensation_no_overlap":
        return "the new row overlaps another row of this person (found by the database)"
    message = getattr(diag, "message_primary", None)
    return message or str(exc.orig or exc).splitlines()[0]


# --- services -----------------------------------------------------------------------------------


def add_compensation(
    conn: Connection,
    user_email: str,
    staff_ref: Any,
    rates: Rates,
    effective_from: dt.date,
    *,
    reason: str | None = None,
) -> dict[str, Any]:
    """A new compensation row from ``effective_from``: the first one, or a raise that closes the
    open row on the day before. Refused (CompensationError) on a clash, naming its dates."""
    access.check(conn, user_email, AREA)
    if not isinstance(effective_from, dt.date):
        raise CompensationError("the new rate needs a start date")
    refusal = compute_rates_refusal(rates)
    if refusal:
        raise CompensationError(refusal)
    person = resolve_staff(conn, staff_ref, lock=True)
    existing = load_compensation(conn, person["id"], lock=True).to_dict("records")
    closes, refusal = compute_raise_plan(existing, effective_from)
    if refusal:
        raise CompensationError(f"{person['staff_name']}: {refusal}")
    values = {
        "staff_id": person["id"],
        **compute_row_values(rates),
        "effective_from": effective_from,
        "effective_to": None,
    }
    # act_as: a finalised payroll month may be changed only by an admin with a reason (0003)
    audit.act_as(conn, user_email, reason or ("raise" if closes else "first pay rate"))
    try:
        with conn.begin_nested():
            for row in closes:
                conn.execute(
                    sa.update(COMPENSATION)
                    .where(COMPENSATION.c.id == row["id"])
                    .values(effective_to=row["effective_to"])
                )
            new_id = conn.execute(
                sa.insert(COMPENSATION).values(**values).returning(COMPENSATION.c.id)
            ).scalar_one()
    except sa.exc.DBAPIError as exc:
        raise CompensationError(f"{person['staff_name']}: {_database_reason(exc)}") from None
    before = {
        "closed": [
            {**{k: r[k] for k in COLUMNS if k not in ("staff_id", "effective_from")},
             "effective_from": r["effective_from"], "effective_to": None}
            for r in closes
        ]
    }
    after = {
        **values,
        "id": new_id,
        "closed": [{"id": r["id"], "effective_to": r["effective_to"]} for r in closes],
    }
    audit.record(
        conn,
        user_email,
        "RAISE" if closes else "CREATE",
        "staff_compensation",
        new_id,
        before=before if closes else None,
        after=after,
        details={"staff_name": person["staff_name"], **({"reason": reason} if reason else {})},
    )
    return {**values, "id": new_id, "closed": after["closed"]}


def load_pay_rate_history(conn: Connection, staff_pk: int, *, limit: int = 100) -> pd.DataFrame:
    """A person's pay-rate changes from the audit trail, as rows of the change history
    (created_at, action_type, changed_by_identifier, changes_summary, reason), newest first: the
    rates ``add_compensation`` saved and the rows the importer closed (``close_pay_rate``)."""
    rows = conn.execute(
        sa.text(
            'SELECT "timestamp", action, user_email, details FROM backoffice.audit_logs'
            " WHERE resource_type = 'staff_compensation'"
            "   AND (details->'after'->>'staff_id' = :staff"
            "        OR (details->>'fix' = 'close_pay_rate' AND resource_id IN"
            "            (SELECT id::text FROM backoffice.staff_compensation"
            "              WHERE staff_id = :pk)))"
            ' ORDER BY "timestamp" DESC LIMIT :limit'
        ),
        {"staff": str(int(staff_pk)), "pk": int(staff_pk), "limit": limit},
    ).all()
    history = []
    for created_at, action, email, details in rows:
        after = details.get("after") or {}
        closed = (details.get("before") or {}).get("closed") or []
        if "staff_id" in after:
            kind = "pay_rate_raised" if action == "RAISE" else "pay_rate_set"
            summary = compute_change_summary(closed[0] if closed else None, after)
        else:
            kind, summary = "pay_rate_closed", f"pay rate ends on {after.get('effective_to')}"
        history.append((created_at, kind, email, summary, details.get("reason")))
    return pd.DataFrame(history, columns=HISTORY_COLUMNS, dtype=object)


# --- coach rates --------------------------------------------------------------------------------


def load_coach_rates(conn: Connection) -> pd.DataFrame:
    """Every rate type a coaching booking can be paid at (the Coaching package types and the
    individual lessons) with its rate (None when missing: coach_earnings reports an error row)."""
    coaching = [
        r[0]
        for r in conn.execute(
            sa.select(PACKAGE_TYPES.c.name)
            .where(sa.cast(PACKAGE_TYPES.c.type, sa.Text) == "Coaching")
            .order_by(PACKAGE_TYPES.c.display_order, PACKAGE_TYPES.c.name)
        )
    ]
    rates = dict(conn.execute(sa.select(COACH_RATES.c.rate_type, COACH_RATES.c.rate)).all())
    names = [*INDIVIDUAL_RATE_TYPES, *coaching]
    names += sorted(set(rates) - set(names))
    return pd.DataFrame(
        {"rate_type": names, "rate": [rates.get(n) for n in names]}, dtype=object
    )


def save_coach_rate(
    conn: Connection, user_email: str, rate_type: str, rate: Decimal | str
) -> dict[str, Any]:
    """Set the THB per coaching hour paid for a rate type (an admin area; audited)."""
    access.check(conn, user_email, AREA)
    rate_type = (rate_type or "").strip()
    if not rate_type:
        raise CompensationError("pick the rate type (booking type) the rate is for")
    amount = round_money(parse_amount(rate, "the coach rate"))
    if amount < 0:
        raise CompensationError("a coach rate cannot be negative")
    before = conn.execute(
        sa.select(COACH_RATES.c.rate).where(COACH_RATES.c.rate_type == rate_type).with_for_update()
    ).scalar()
    statement = pg_insert(COACH_RATES).values(rate_type=rate_type, rate=amount)
    conn.execute(
        statement.on_conflict_do_update(index_elements=["rate_type"], set_={"rate": amount})
    )
    audit.record(
        conn,
        user_email,
        "UPDATE" if before is not None else "CREATE",
        "coach_rates",
        rate_type,
        before={"rate": before} if before is not None else None,
        after={"rate": amount},
    )
    return {"rate_type": rate_type, "rate": amount}
