"""The managers' payroll dashboard's tables from a computed month, pure: cost by component, net
pay and what to remit, hours and overtime by person, overtime by week, holiday work, the flags to
fix, one person's sessions, the months to pick from.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ... import bangkok, money
from . import COMPONENTS, PayrollResult

COMPONENT_LABELS = {
    "base_pay": "Base pay",
    "daily_allowance": "Daily allowance",
    "overtime_pay": "Overtime premium",
    "holiday_pay": "Holiday premium",
    "service_charge": "Service charge",
}



def compute_cost_by_component(result: PayrollResult) -> pd.DataFrame:
    return pd.DataFrame(
        [(COMPONENT_LABELS[c], result.totals[c]) for c in COMPONENTS],
        columns=["component", "thb"],
    )


def compute_remittances(result: PayrollResult) -> pd.DataFrame:
    """Net pay to transfer, social security and withholding tax to remit, employer cost."""
    if not result.has_net_pay:
        return pd.DataFrame(columns=["item", "thb"])
    t = result.totals
    return pd.DataFrame(
        [
            ("Gross pay", t["total_pay"]),
            ("Net pay to transfer", t["net_pay"]),
            ("Social security, employees' share", t["sso_employee"]),
            ("Social security, employer's share", t["sso_employer"]),
            ("Social security to remit (form SPS 1-10, by the 15th)",
             t["sso_employee"] + t["sso_employer"]),
            ("Withholding tax to remit (form PND 1, by the 7th)", t["withholding_tax"]),
            ("Employer cost (gross + employer's social security)", t["employer_cost"]),
        ],
        columns=["item", "thb"],
    )


def compute_hours_by_person(result: PayrollResult) -> pd.DataFrame:
    lines = result.lines
    return pd.DataFrame(
        {
            "staff": lines["staff"],
            "person": [f"{n} ({c})" for n, c in zip(lines["staff_name"], lines["staff_id"])],
            "hours": lines["total_hours"],
            "overtime_hours": lines["overtime_hours"],
            "holiday_hours": lines["holiday_hours"],
            "total_pay": lines["total_pay"],
        }
    )


def compute_ot_by_week(results: list[PayrollResult]) -> pd.DataFrame:
    """Overtime hours of every week paid in the given months, all staff together."""
    frames = [r.weeks.assign(month=r.month) for r in results if len(r.weeks)]
    if not frames:
        return pd.DataFrame(columns=["week_end", "overtime_hours", "people_with_ot"])
    weeks = pd.concat(frames, ignore_index=True)
    grouped = weeks.groupby("week_end", sort=True)
    return pd.DataFrame(
        {
            "week_end": list(grouped.groups),
            "overtime_hours": [sum(g["overtime_hours"], Decimal(0)) for _, g in grouped],
            "people_with_ot": [int((g["overtime_hours"] > 0).sum()) for _, g in grouped],
        }
    )


def _names(result: PayrollResult) -> dict[int, str]:
    return dict(zip(result.lines["staff"], result.lines["staff_name"]))


def compute_holiday_work(result: PayrollResult) -> pd.DataFrame:
    s = result.sessions
    s = s[s["in_month"] & s["holiday"] & (s["seconds"] > 0)]
    names = _names(result)
    rates = dict(zip(result.lines["staff"], result.lines["holiday_rate_per_hour"]))
    return pd.DataFrame(
        {
            "person": [names.get(x, str(x)) for x in s["staff"]],
            "date": list(s["work_date"]),
            "hours": list(s["hours"]),
            "holiday_rate": [rates.get(x) for x in s["staff"]],
        }
    )


def compute_flags_to_fix(result: PayrollResult) -> pd.DataFrame:
    blocking = pd.DataFrame(
        {
            "person": result.errors["staff_name"],
            "date": "",
            "flag": "BLOCKING: no compensation",
            "detail": result.errors["message"],
        }
    )
    flags = pd.DataFrame(
        {
            "person": result.flags["staff_name"],
            "date": result.flags["work_date"],
            "flag": result.flags["flag"],
            "detail": result.flags["detail"],
        }
    )
    return pd.concat([blocking, flags], ignore_index=True)


def compute_person_sessions(result: PayrollResult, staff: int) -> pd.DataFrame:
    """The sessions behind one person's pay (the month's, and earlier days of its first week)."""
    s = result.sessions[result.sessions["staff"] == staff]

    def clock(value) -> str:
        return "" if value is None or pd.isna(value) else f"{value:%Y-%m-%d %H:%M}"

    return pd.DataFrame(
        {
            "date": list(s["work_date"]),
            "clock_in": [clock(v) for v in s["clock_in"]],
            "clock_out": [clock(v) for v in s["clock_out"]],
            "hours": list(s["hours"]),
            "flag": [f or "" for f in s["flag"]],
            "holiday": ["holiday" if h else "" for h in s["holiday"]],
            "week_ending": list(s["week_end"]),
            "counts_for": ["pay" if m else "overtime week only" for m in s["in_month"]],
        }
    )


def compute_month_choices(today_month: str, count: int = 12) -> list[str]:
    months = [today_month]
    while len(months) < count:
        months.append(bangkok.previous_month(months[-1]))
    return months


def thb(value) -> str:
    """1234.5 → '1,234.50' (THB)."""
    return f"{money.round_money(value):,.2f}"


def compute_pay_basis(line: dict, result: PayrollResult) -> dict[str, str]:
    """The words behind each component of a person's pay."""
    sc = result.service_charge
    if line["blocking"]:
        return {c: "no compensation in force: not computed" for c in COMPONENTS}
    if line["compensation_type"] == "salary":
        if line["prorate_days"] is not None and not pd.isna(line["prorate_days"]):
            why = ("joined in the month" if line.get("prorate_reason") == "joined"
                   else "left in the month")
            base = (f"salary {thb(line['base_salary'])} × {line['prorate_days']}/"
                    f"{line['days_in_month']} days ({why})")
        else:
            base = f"monthly salary {thb(line['base_salary'])}"
        allowance = (f"{line['working_days']} working days (≥ {line['min_hours_for_allowance']} h)"
                     f" × {thb(result.settings['daily_allowance_thb'])}")
    else:
        base = f"{line['total_hours']:.2f} h × {thb(line['hourly_rate'])} per hour"
        allowance = "hourly staff: no daily allowance"
    if line["is_service_charge_eligible"]:
        service = (f"pool {thb(sc['pool'])} ÷ {sc['eligible']} eligible, rounded down "
                   "to the satang")
    else:
        service = "not eligible under the compensation in force"
    return {
        "base_pay": base,
        "daily_allowance": allowance,
        "overtime_pay": f"{line['overtime_hours']:.2f} h overtime × {thb(line['ot_rate_per_hour'])}",
        "holiday_pay": f"{line['holiday_hours']:.2f} h on public holidays × "
                       f"{thb(line['holiday_rate_per_hour'])}",
        "service_charge": service,
    }
