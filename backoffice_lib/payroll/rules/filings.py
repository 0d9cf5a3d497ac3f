"""The month's statutory filings and the year's withholding certificates, pure
(statutory-payroll.md §3–4): who is on the social security return (สปส.1-10) and the PND 1
(ภ.ง.ด.1) attachment with their totals, who blocks them (an insured person without a valid
national ID), and each person's income, tax and contributions of a tax year (50 ทวิ).

``service.filings`` loads and audits; ``reports.filings`` and ``reports.certificates`` write the
files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ... import bangkok, money
from . import PayrollResult
from .statutory import national_id_is_valid, net_pay_settings


class FilingsBlocked(ValueError):
    """Insured people without a valid national ID: the filings cannot be made."""

    def __init__(self, month: str, people: list[str]):
        self.people = people
        super().__init__(
            f"filings {month} blocked: insured without a valid national ID: " + ", ".join(people)
        )


@dataclass
class Filings:
    month: str
    employer: dict  # queries.load_employer: name, tax_id, address, sso_account, sso_branch
    employee_rate: Decimal
    sso_lines: list[dict]
    sso_totals: dict
    pnd1_lines: list[dict]
    pnd1_totals: dict
    blocking: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _names(identity: dict, line: dict) -> tuple[str, str]:
    first, last = identity.get("first_name"), identity.get("last_name")
    if first or last:
        return first or "", last or ""
    parts = str(line["staff_name"]).split(" ", 1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def compute_filings(result: PayrollResult, identities: dict[int, dict], employer: dict,
                    settings: dict[str, str]) -> Filings:
    """The return's and the attachment's lines and totals; who blocks them. Pure."""
    capped = net_pay_settings(settings).upload_capped_wage
    sso_lines, pnd1_lines, blocking, warnings = [], [], [], []
    rate = Decimal(0)
    for line in result.lines.sort_values("staff_id", kind="stable").to_dict("records"):
        identity = identities.get(int(line["staff"]), {})
        first, last = _names(identity, line)
        national_id = identity.get("national_id") or ""
        valid = national_id_is_valid(national_id)
        common = {"staff_id": line["staff_id"], "national_id": national_id,
                  "title": identity.get("title") or "", "first_name": first, "last_name": last}
        if line.get("sso_insured") and line["sso_wage_counted"] > 0:
            rate = line["sso_employee_rate"]
            if not valid:
                blocking.append(f"{line['staff_name']} ({line['staff_id']})")
            sso_lines.append({
                **common, "seq": len(sso_lines) + 1,
                "wage": line["sso_wage_counted"] if capped else line["sso_wage_base"],
                "contribution": line["sso_employee"],
                "employer_contribution": line["sso_employer"],
            })
        if line["total_pay"] > 0:
            if not valid:
                warnings.append(f"{line['staff_name']} ({line['staff_id']}) has no valid national"
                                " ID: PND 1 line without a tax ID")
            pnd1_lines.append({**common, "seq": len(pnd1_lines) + 1,
                               "income_paid": line["total_pay"],
                               "tax_withheld": line["withholding_tax"]})
    if not employer["sso_account"].strip("0"):
        warnings.append("payroll setting sso_employer_account is not set: zeros in the upload file")
    zero = money.ZERO
    sso_totals = {
        "employees": len(sso_lines),
        "wages": sum((x["wage"] for x in sso_lines), zero),
        "employee_contributions": sum((x["contribution"] for x in sso_lines), zero),
        "employer_contributions": sum((x["employer_contribution"] for x in sso_lines), zero),
    }
    sso_totals["contributions"] = (sso_totals["employee_contributions"]
                                   + sso_totals["employer_contributions"])
    pnd1_totals = {
        "people": len(pnd1_lines),
        "income_paid": sum((x["income_paid"] for x in pnd1_lines), zero),
        "tax_withheld": sum((x["tax_withheld"] for x in pnd1_lines), zero),
    }
    return Filings(month=result.month, employer=employer, employee_rate=rate,
                   sso_lines=sso_lines, sso_totals=sso_totals, pnd1_lines=pnd1_lines,
                   pnd1_totals=pnd1_totals, blocking=blocking, warnings=warnings)


class NoMonthEnded(ValueError):
    """No month of the year has ended yet: nothing to certify."""


@dataclass
class Certificate:
    year: int
    staff: int
    staff_id: str
    staff_name: str
    national_id: str
    title: str
    first_name: str
    last_name: str
    income: Decimal = money.ZERO
    tax: Decimal = money.ZERO
    sso: Decimal = money.ZERO
    months: list[str] = field(default_factory=list)


def months_of_year(year: int, today: dt.date) -> list[str]:
    """The months of ``year`` that have ended by ``today`` (Bangkok)."""
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)
            if bangkok.month_days(f"{year:04d}-{m:02d}")[1] < today]


def compute_certificates(year: int, monthly_lines: list[list[dict]], identities: dict[int, dict]
                         ) -> list[Certificate]:
    """Add up each person's months (pure). ``monthly_lines``: the pay lines of each month."""
    found: dict[int, Certificate] = {}
    for lines in monthly_lines:
        for line in lines:
            if line["total_pay"] <= 0:
                continue
            staff = int(line["staff"])
            if staff not in found:
                who = identities.get(staff, {})
                parts = str(line["staff_name"]).split(" ", 1)
                found[staff] = Certificate(
                    year=year, staff=staff, staff_id=str(line["staff_id"]),
                    staff_name=str(line["staff_name"]), national_id=who.get("national_id") or "",
                    title=who.get("title") or "",
                    first_name=who.get("first_name") or parts[0],
                    last_name=who.get("last_name") or (parts[1] if len(parts) > 1 else ""),
                )
            cert = found[staff]
            cert.income += line["total_pay"]
            cert.tax += line["withholding_tax"]
            cert.sso += line["sso_employee"]
            cert.months.append(line["month"])
    return sorted(found.values(), key=lambda c: c.staff_id)
