"""Closing a payroll month, pure: the month a person may close, the pool they typed, the
checklist's steps, the flags with the entries behind them, the question before finalising.

``service.close`` loads the checklist and acts; the close dashboard renders these values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from ... import bangkok, money, values
from . import PayrollResult


class CloseRefused(ValueError):
    """A close action that cannot be done; the message is for a person."""


def compute_close_month(text: str, today: dt.date) -> str:
    """A month a person may close: YYYY-MM, not after the current Bangkok month."""
    value = (text or "").strip()
    try:
        values.parse_business_month(value)
    except bangkok.BadMonth as exc:
        raise CloseRefused(str(exc)) from None
    if value > bangkok.month_key(today):
        raise CloseRefused(f"{value} is in the future: payroll closes a month that has begun")
    return value


def compute_pool_amount(value) -> Decimal:
    """The service-charge pool typed by a person: '12,345.50', '฿ 800' or a Decimal.

    Refused (values.parse_money, the rule of every amount): empty, negative, not a plain ASCII
    number, more than 2 decimals, beyond numeric(12,2).
    """
    text = value.strip() if isinstance(value, str) else value
    try:
        amount = values.parse_money(text, "the month's service-charge pool")
    except values.BadNumber as exc:
        raise CloseRefused(str(exc)) from None
    return money.round_money(amount)


@dataclass
class CloseChecklist:
    """What the close dashboard shows for a month. ``result`` is None for a viewer who may not
    see names and pay."""

    month: str
    can_act: bool
    pool: Decimal | None
    pool_updated_at: dt.datetime | None
    holidays: list[tuple[dt.date, str]]
    finalised: dict | None
    latest_run: dict | None
    current_run: dict | None  # the latest run of the data as it is now (queries.load_current_run)
    blocking_errors: int
    review_flags: int
    people: int
    total_pay: Decimal | None
    result: PayrollResult | None = field(default=None, repr=False)
    review_groups: int = 0  # groups of flags (per person and kind) not acknowledged
    acknowledged_groups: int = 0
    flag_groups: pd.DataFrame | None = field(default=None, repr=False)  # admins only

    @property
    def locked(self) -> bool:
        return self.finalised is not None


def compute_checklist_steps(checklist: CloseChecklist) -> list[dict]:
    """The close steps in order, each with a state (done | todo | blocked | info) and a line."""
    c = checklist
    steps = []
    if c.pool is None:
        steps.append({"step": "Service-charge pool", "state": "todo",
                      "detail": "not entered: the run will share 0 THB"})
    else:
        steps.append({"step": "Service-charge pool", "state": "done",
                      "detail": f"฿{c.pool:,.2f}"})
    names = ", ".join(f"{d:%d %b} {n}" for d, n in c.holidays) or "none this month"
    steps.append({"step": "Public holidays", "state": "info", "detail": names})
    steps.append({
        "step": "Blocking errors",
        "state": "blocked" if c.blocking_errors else "done",
        "detail": (f"{c.blocking_errors} to fix before finalising" if c.blocking_errors
                   else "none"),
    })
    steps.append(compute_review_step(c))
    steps.append(compute_run_step(c))
    if c.finalised:
        steps.append({
            "step": "Finalise",
            "state": "done",
            "detail": f"locked: finalised by {c.finalised['finalised_by']} at "
                      f"{c.finalised['finalised_at'].astimezone(bangkok.BANGKOK):%Y-%m-%d %H:%M}",
        })
    else:
        steps.append({"step": "Finalise", "state": "blocked" if c.blocking_errors else "todo",
                      "detail": "not finalised"})
    return steps


def compute_review_step(c: CloseChecklist) -> dict:
    """The "Review flags" step: done when every group of flags (per person and kind) is
    acknowledged; it counts the groups still to review, not the flags."""
    if not c.review_flags:
        return {"step": "Review flags", "state": "done", "detail": "none"}
    groups = c.review_groups + c.acknowledged_groups
    if not c.review_groups:
        return {"step": "Review flags", "state": "done",
                "detail": f"all {groups} groups acknowledged ({c.review_flags} flags)"}
    done = f", {c.acknowledged_groups} acknowledged" if c.acknowledged_groups else ""
    return {"step": "Review flags", "state": "todo",
            "detail": f"{c.review_groups} of {groups} groups to review "
                      f"({c.review_flags} flags){done}"}


def compute_run_step(c: CloseChecklist) -> dict:
    """The "Run payroll" step: done only by a finished run of the month's data as it is now."""
    latest, current = c.latest_run, c.current_run
    if latest is None:
        return {"step": "Run payroll", "state": "todo", "detail": "no run of this month yet"}
    if c.finalised:
        current = c.finalised
    elif current is None:
        return {"step": "Run payroll", "state": "todo",
                "detail": f"the data changed since run #{latest['id']}: run payroll again"}
    elif current.get("job_status") == "running":
        return {"step": "Run payroll", "state": "todo",
                "detail": f"run #{current['id']} is still running"}
    elif current.get("job_status") == "failed":
        return {"step": "Run payroll", "state": "blocked",
                "detail": f"run #{current['id']} failed: run payroll again"}
    return {
        "step": "Run payroll",
        "state": "done",
        "detail": f"run #{current['id']} by {current['created_by']} at "
                  f"{current['created_at'].astimezone(bangkok.BANGKOK):%Y-%m-%d %H:%M}",
    }


def _span(row) -> str:
    start = "?" if row.clock_in is None or pd.isna(row.clock_in) else f"{row.clock_in:%H:%M}"
    end = "?" if row.clock_out is None or pd.isna(row.clock_out) else f"{row.clock_out:%H:%M}"
    return f"{start}–{end} ({row.hours} h)"


def compute_flags_with_entries(result: PayrollResult, review: bool = True) -> pd.DataFrame:
    """Each blocking error and (with ``review``) review flag with the person and the entries
    behind it."""
    sessions = result.sessions[result.sessions["in_month"]]
    by_day: dict[tuple[int, dt.date], list[str]] = {}
    by_person: dict[int, int] = {}
    for row in sessions.itertuples(index=False):
        by_day.setdefault((int(row.staff), row.work_date), []).append(_span(row))
        by_person[int(row.staff)] = by_person.get(int(row.staff), 0) + 1
    rows = [
        {
            "kind": "blocking",
            "person": f"{e['staff_name']} ({e['staff_id']})",
            "date": "",
            "flag": e["error"],
            "detail": e["message"],
            "entries": f"{by_person.get(int(e['staff']), 0)} sessions this month",
        }
        for e in result.errors.to_dict("records")
    ]
    rows += [
        {
            "kind": "review",
            "person": f"{f['staff_name']} ({f['staff_id']})",
            "date": f["work_date"].isoformat(),
            "flag": f["flag"].replace("_", " "),
            "detail": f["detail"],
            "entries": "; ".join(by_day.get((int(f["staff"]), f["work_date"]), [])),
        }
        for f in (result.flags.to_dict("records") if review else [])
    ]
    return pd.DataFrame(rows, columns=["kind", "person", "date", "flag", "detail", "entries"])


def compute_correctable_entries(result: PayrollResult) -> list[tuple[str, int, str]]:
    """Flagged entries a person can correct: (label, entry id, suggested action add|delete)."""
    names = dict(zip(result.lines["staff"], result.lines["staff_name"]))
    found = []
    sessions = result.sessions[result.sessions["in_month"]]
    for row in sessions.itertuples(index=False):
        if row.flag == "missing_clock_out" and row.clock_in_id is not None:
            found.append(((f"{names.get(row.staff, row.staff)}: missing clock-out after "
                          f"{row.clock_in:%Y-%m-%d %H:%M} (#{row.clock_in_id})"),
                          int(row.clock_in_id), "add"))
        elif row.flag == "orphan_clock_out" and row.clock_out_id is not None:
            found.append(((f"{names.get(row.staff, row.staff)}: clock-out without clock-in at "
                          f"{row.clock_out:%Y-%m-%d %H:%M} (#{row.clock_out_id})"),
                          int(row.clock_out_id), "delete"))
    return found


def compute_finalise_question(result: PayrollResult) -> str:
    """The confirmation a person reads before finalising: total and head count."""
    return (
        f"Finalise payroll {result.month}: {len(result.lines)} people, total "
        f"฿{result.totals['total_pay']:,.2f}? The month's time entries and pay rates are then "
        "locked; only an admin with a reason can reopen it."
    )


FLAG_GROUP_COLUMNS = ["staff", "staff_id", "staff_name", "flag", "flags", "first_date",
                      "last_date", "acknowledged", "reason", "acknowledged_by"]


def compute_flag_groups(flags: pd.DataFrame,
                        acknowledged: dict[tuple[int, str], dict]) -> pd.DataFrame:
    """The month's review flags grouped per person (staff.id) and kind: how many, from which
    date to which, and the acknowledgement of the group when there is one (``acknowledged``:
    (staff, flag) → reason and acknowledged_by). Sorted by employee ID and kind."""
    rows = []
    if len(flags):
        grouped = flags.groupby(["staff", "flag"], sort=False)
        for (staff, flag), group in grouped:
            given = acknowledged.get((int(staff), str(flag)))
            rows.append({
                "staff": int(staff),
                "staff_id": group["staff_id"].iloc[0],
                "staff_name": group["staff_name"].iloc[0],
                "flag": str(flag),
                "flags": len(group),
                "first_date": min(group["work_date"]),
                "last_date": max(group["work_date"]),
                "acknowledged": given is not None,
                "reason": given["reason"] if given else "",
                "acknowledged_by": given["acknowledged_by"] if given else "",
            })
    frame = pd.DataFrame(rows, columns=FLAG_GROUP_COLUMNS)
    return frame.sort_values(["staff_id", "flag"], kind="stable").reset_index(drop=True)


def compute_flag_group_label(group: dict) -> str:
    """How a group reads in the list to acknowledge: who, which flag, how many, when."""
    span = (f"{group['first_date']:%d %b}" if group["first_date"] == group["last_date"]
            else f"{group['first_date']:%d %b}–{group['last_date']:%d %b}")
    return (f"{group['staff_name']} ({group['staff_id']}): {group['flag'].replace('_', ' ')} "
            f"× {group['flags']} ({span})")


def compute_acknowledge_reason(text: str | None) -> str:
    """The reason typed for an acknowledgement, spaces collapsed; refused when empty."""
    reason = " ".join((text or "").split())
    if not reason:
        raise CloseRefused("acknowledging review flags needs a reason (kept in the audit)")
    return reason
