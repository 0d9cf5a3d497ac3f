"""Net pay, pure: social security, withholding tax, net pay (statutory-payroll.md §1–4).

No database here. ``compute_net_pay(lines, statutory, settings, month)`` takes the month's pay
lines (``rules.compute_payroll``), the dated rate rows and each person's statutory facts, and
returns one row per line with every figure behind the deductions (the wage counted for the fund,
the payments in the year, the annual income and deductions, the tax on regular and on irregular
income), so each amount can be explained.

Decisions (the spec leaves them open):

- A month is computed with the rate rows in force on its last day. For each key the row with the
  latest ``effective_from`` on or before that day applies. The income-tax brackets are rows of key
  ``pit_bracket`` (``threshold`` = the income above which ``value`` is the marginal rate); the
  brackets in force are all the ``pit_bracket`` rows of the latest ``effective_from`` on or before
  the day (a new schedule replaces the whole table).
- The year's maximum employee contribution (the cap of the social-security deduction) is the
  contribution at the ceiling × 12, with the rates of the month.
- Withholding on regular and on irregular income is each rounded half up to the satang;
  ``withholding_tax`` is their sum (a total is the sum of rounded parts, as for gross pay).
- Payments in the year ``P``: 12, or for someone who joined during the tax year the months from
  the joining month to December (joined in April: 9). The joining date is ``staff.joined_on``,
  else the person's first compensation row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ... import money

#: Columns ``backoffice payroll compute`` appends to the 13 pay columns, in this order.
NET_PAY_COLUMNS = ["sso_employee", "sso_employer", "withholding_tax", "net_pay"]
#: Every figure behind the deductions, per person (the explanation).
NET_DETAIL_COLUMNS = [
    "sso_insured", "sso_wage_base", "sso_wage_counted", "sso_employee_rate", "sso_employer_rate",
    "sso_employee", "sso_employer", "payments_in_year", "regular_income", "irregular_income",
    "annual_regular_income", "expense_deduction", "personal_allowance", "sso_deduction",
    "declared_allowances", "net_taxable_regular", "annual_tax_regular", "withholding_regular",
    "net_taxable_with_irregular", "annual_tax_with_irregular", "withholding_irregular",
    "withholding_tax", "net_pay", "employer_cost",
]
NET_MONEY_TOTALS = ["sso_employee", "sso_employer", "withholding_tax", "net_pay", "employer_cost"]

RATE_KEYS = (
    "sso_employee_rate", "sso_employer_rate", "sso_wage_floor", "sso_wage_ceiling",
    "pit_expense_rate", "pit_expense_cap", "pit_personal_allowance",
)
BRACKET_KEY = "pit_bracket"
KNOWN_RATE_KEYS = (*RATE_KEYS, BRACKET_KEY)

PAY_COMPONENTS = ("base_pay", "daily_allowance", "overtime_pay", "holiday_pay", "service_charge")
DEFAULT_SETTINGS = {
    "sso_wage_components": "base_pay",
    "pit_regular_components": "base_pay,daily_allowance",
    "pit_irregular_components": "overtime_pay,holiday_pay,service_charge",
    "sso_contribution_rounding": "baht",  # 'baht' (Section 46, half up) or 'satang'
    "sso_upload_wage": "capped",  # the wage the upload file reports: 'capped' or 'actual'
}
HUNDRED = Decimal(100)
NATIONAL_ID = re.compile(r"^[0-9]{13}$")


class MissingRate(ValueError):
    """No statutory rate row of a key is in force on the day a month is computed with."""


class BadStatutoryValue(ValueError):
    """A statutory value a person could fix (rate, national ID, allowance) is not acceptable."""


# --------------------------------------------------------------------------- national ID


def national_id_check_digit(first12: str) -> int:
    """The 13th digit: (11 − (Σ dᵢ·(14−i), i = 1..12) mod 11) mod 10."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def national_id_is_valid(value) -> bool:
    """13 ASCII digits whose last is the check digit of the first 12."""
    text = "" if value is None else str(value)
    return bool(NATIONAL_ID.match(text)) and national_id_check_digit(text[:12]) == int(text[12])


def make_national_id(first12: str) -> str:
    """The first 12 digits completed with their check digit (demo data, tests)."""
    if not re.fullmatch(r"[0-9]{12}", first12):
        raise ValueError(f"12 digits expected, not {first12!r}")
    return first12 + str(national_id_check_digit(first12))


# --------------------------------------------------------------------------- rates


@dataclass(frozen=True)
class RateRow:
    """One dated row of ``statutory_rates``."""

    rate_key: str
    value: Decimal
    effective_from: dt.date
    threshold: Decimal = Decimal(0)


@dataclass(frozen=True)
class Rates:
    """The statutory rates in force on one day (hashable: tax results are cached by it)."""

    day: dt.date
    sso_employee_rate: Decimal
    sso_employer_rate: Decimal
    sso_wage_floor: Decimal
    sso_wage_ceiling: Decimal
    pit_expense_rate: Decimal
    pit_expense_cap: Decimal
    pit_personal_allowance: Decimal
    brackets: tuple[tuple[Decimal, Decimal], ...]  # (threshold, marginal rate), ascending


def rates_in_force(rows: list[RateRow], day: dt.date) -> Rates:
    """The rows in force on ``day``: per key the latest ``effective_from`` ≤ day."""
    chosen: dict[str, RateRow] = {}
    bracket_rows: list[RateRow] = []
    for row in rows:
        if row.effective_from > day:
            continue
        if row.rate_key == BRACKET_KEY:
            bracket_rows.append(row)
        elif row.rate_key in RATE_KEYS:
            held = chosen.get(row.rate_key)
            if held is None or row.effective_from > held.effective_from:
                chosen[row.rate_key] = row
    missing = [key for key in RATE_KEYS if key not in chosen]
    if not bracket_rows:
        missing.append(BRACKET_KEY)
    if missing:
        raise MissingRate(
            f"no statutory rate in force on {day} for: {', '.join(missing)} "
            "(rows of backoffice.statutory_rates; migration 0009 seeds them)"
        )
    latest = max(r.effective_from for r in bracket_rows)
    brackets = tuple(sorted(
        (money.to_decimal(r.threshold), money.to_decimal(r.value))
        for r in bracket_rows if r.effective_from == latest
    ))
    return Rates(day=day, brackets=brackets,
                 **{key: money.to_decimal(chosen[key].value) for key in RATE_KEYS})


# --------------------------------------------------------------------------- people


@dataclass(slots=True)
class PersonStatutory:
    """What the deductions need to know of a person (never the national ID)."""

    sso_insured: bool = True
    joined_on: dt.date | None = None
    declared_allowances: Decimal = Decimal(0)


@dataclass
class StatutoryInputs:
    """Rate rows (all dates) and, per staff.id, the person's statutory facts for the tax year.

    A person missing from ``people`` is insured, joined before the year, declared nothing.
    """

    rate_rows: list[RateRow]
    people: dict[int, PersonStatutory] = field(default_factory=dict)


def payments_in_year(year: int, joined_on: dt.date | None) -> int:
    """``P``: 12, or the months from the joining month to December for a joiner of ``year``."""
    if joined_on is None or joined_on.year != year:
        return 12
    return 13 - joined_on.month


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class NetPaySettings:
    sso_wage_components: tuple[str, ...]
    pit_regular_components: tuple[str, ...]
    pit_irregular_components: tuple[str, ...]
    contribution_in_baht: bool
    upload_capped_wage: bool


def _components(settings: dict[str, str], key: str) -> tuple[str, ...]:
    raw = settings.get(key)
    if raw is None or not str(raw).strip():
        raw = DEFAULT_SETTINGS[key]
    names = tuple(part.strip() for part in str(raw).split(",") if part.strip())
    unknown = [n for n in names if n not in PAY_COMPONENTS]
    if unknown:
        raise BadStatutoryValue(
            f"payroll setting {key}: unknown pay component(s) {', '.join(unknown)}; "
            f"choose from {', '.join(PAY_COMPONENTS)}"
        )
    return names


def _choice(settings: dict[str, str], key: str, allowed: tuple[str, str]) -> bool:
    raw = str(settings.get(key) or DEFAULT_SETTINGS[key]).strip().lower()
    if raw not in allowed:
        raise BadStatutoryValue(f"payroll setting {key} must be {' or '.join(allowed)}, not {raw!r}")
    return raw == allowed[0]


def net_pay_settings(settings: dict[str, str]) -> NetPaySettings:
    """The statutory payroll settings (payroll_settings rows; missing rows take the defaults)."""
    return NetPaySettings(
        sso_wage_components=_components(settings, "sso_wage_components"),
        pit_regular_components=_components(settings, "pit_regular_components"),
        pit_irregular_components=_components(settings, "pit_irregular_components"),
        contribution_in_baht=_choice(settings, "sso_contribution_rounding", ("baht", "satang")),
        upload_capped_wage=_choice(settings, "sso_upload_wage", ("capped", "actual")),
    )


# --------------------------------------------------------------------------- the rules


def round_contribution(value: Decimal, in_baht: bool) -> Decimal:
    """A contribution: half up to the whole baht (Section 46), or to the satang."""
    if not in_baht:
        return money.round_money(value)
    # Whole baht through money.py: hundreds of satang rounded half up at the 2nd decimal.
    return money.round_money(money.to_decimal(value) / HUNDRED) * HUNDRED


def compute_income_tax(net_taxable: Decimal, brackets: tuple[tuple[Decimal, Decimal], ...]
                       ) -> Decimal:
    """Annual tax on ``net_taxable`` by the progressive brackets (exact, not rounded)."""
    tax = Decimal(0)
    for index, (threshold, rate) in enumerate(brackets):
        if net_taxable <= threshold:
            break
        upper = brackets[index + 1][0] if index + 1 < len(brackets) else None
        top = net_taxable if upper is None else min(net_taxable, upper)
        tax += (top - threshold) * rate
    return tax


class _MonthRules:
    """The month's rates and settings with the values every person shares computed once, and a
    cache of annual taxes (many people share an income)."""

    def __init__(self, rates: Rates, settings: NetPaySettings):
        self.rates = rates
        self.settings = settings
        in_baht = settings.contribution_in_baht
        self.floor = rates.sso_wage_floor
        self.ceiling = rates.sso_wage_ceiling
        self.year_max_sso = round_contribution(rates.sso_employee_rate * rates.sso_wage_ceiling,
                                               in_baht) * 12
        self.personal_allowance = money.round_money(rates.pit_personal_allowance)
        self._taxes: dict[tuple, tuple[Decimal, Decimal, Decimal, Decimal]] = {}
        self._contributions: dict[tuple[Decimal, Decimal], Decimal] = {}

    def contribution(self, rate: Decimal, counted: Decimal) -> Decimal:
        key = (rate, counted)
        found = self._contributions.get(key)
        if found is None:
            found = self._contributions[key] = round_contribution(
                rate * counted, self.settings.contribution_in_baht)
        return found

    def annual_tax(self, income: Decimal, sso_deduction: Decimal, allowances: Decimal
                   ) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(expense deduction, net taxable, exact tax, tax) of an annual employment income;
        all but the exact tax rounded to the satang for reporting (the withholding divides the
        exact tax)."""
        key = (income, sso_deduction, allowances)
        found = self._taxes.get(key)
        if found is None:
            rates = self.rates
            expense = min(income * rates.pit_expense_rate, rates.pit_expense_cap)
            net = max(income - expense - rates.pit_personal_allowance - sso_deduction
                      - allowances, Decimal(0))
            tax = compute_income_tax(net, rates.brackets)
            found = (money.round_money(expense), money.round_money(net), tax,
                     money.round_money(tax))
            self._taxes[key] = found
        return found


def compute_person_net_pay(pay: dict, person: PersonStatutory, rates: Rates,
                           settings: NetPaySettings, payments: int,
                           rules: _MonthRules | None = None) -> dict:
    """One person's month: contributions, withholding, net pay, employer cost, with the figures
    behind them. ``pay`` holds the rounded components and ``total_pay`` of the pay line (sums of
    2-decimal amounts stay exact; only products and quotients are rounded)."""
    rules = rules or _MonthRules(rates, settings)
    zero = money.ZERO
    # The pay line's amounts are Decimal already (compute_payroll rounds them via money.py).
    total_pay = pay["total_pay"]
    wage_base = zero
    for name in settings.sso_wage_components:
        wage_base += pay[name]
    insured = bool(person.sso_insured)
    if insured and wage_base > 0:
        counted = money.round_money(min(max(wage_base, rules.floor), rules.ceiling))
        employee = rules.contribution(rates.sso_employee_rate, counted)
        employer = rules.contribution(rates.sso_employer_rate, counted)
    else:
        counted, employee, employer = zero, zero, zero
    regular = irregular = zero
    for name in settings.pit_regular_components:
        regular += pay[name]
    for name in settings.pit_irregular_components:
        irregular += pay[name]
    allowances = person.declared_allowances or zero
    sso_deduction = min(employee * payments, rules.year_max_sso)
    annual_regular = regular * payments
    if regular > 0 and payments > 0:
        expense, net_regular, tax_regular, tax_regular_r = rules.annual_tax(
            annual_regular, sso_deduction, allowances)
        withholding_regular = money.round_money(tax_regular / payments)
        personal = rules.personal_allowance
    else:
        expense = net_regular = tax_regular = tax_regular_r = personal = zero
        withholding_regular = zero
    if irregular > 0:
        _, net_all, tax_all, tax_all_r = rules.annual_tax(annual_regular + irregular,
                                                          sso_deduction, allowances)
        withholding_irregular = money.round_money(max(tax_all - tax_regular, zero))
    else:
        net_all, tax_all_r, withholding_irregular = net_regular, tax_regular_r, zero
    withholding = withholding_regular + withholding_irregular
    return {
        "sso_insured": insured,
        "sso_wage_base": wage_base,
        "sso_wage_counted": counted,
        "sso_employee_rate": rates.sso_employee_rate,
        "sso_employer_rate": rates.sso_employer_rate,
        "sso_employee": employee,
        "sso_employer": employer,
        "payments_in_year": payments,
        "regular_income": regular,
        "irregular_income": irregular,
        "annual_regular_income": annual_regular,
        "expense_deduction": expense,
        "personal_allowance": personal,
        "sso_deduction": sso_deduction,
        "declared_allowances": allowances,
        "net_taxable_regular": net_regular,
        "annual_tax_regular": tax_regular_r,
        "withholding_regular": withholding_regular,
        "net_taxable_with_irregular": net_all,
        "annual_tax_with_irregular": tax_all_r,
        "withholding_irregular": withholding_irregular,
        "withholding_tax": withholding,
        "net_pay": total_pay - employee - withholding,
        "employer_cost": total_pay + employer,
    }


def compute_net_pay(lines: list[dict], statutory: StatutoryInputs, settings: dict[str, str],
                    month_last_day: dt.date, first_compensation: dict[int, dt.date] | None = None
                    ) -> list[dict]:
    """The net-pay figures of every pay line, in the order of ``lines`` (people with the same
    figures share one dict: treat the rows as read-only).

    ``lines``: dicts with ``staff`` (staff.id), the pay components and ``total_pay``.
    """
    rates = rates_in_force(statutory.rate_rows, month_last_day)
    chosen = net_pay_settings(settings)
    rules = _MonthRules(rates, chosen)
    first_compensation = first_compensation or {}
    default = PersonStatutory()
    done: dict[tuple, dict] = {}
    out = []
    for line in lines:
        staff = int(line["staff"])
        person = statutory.people.get(staff, default)
        joined = person.joined_on or first_compensation.get(staff)
        payments = payments_in_year(month_last_day.year, joined)
        key = (line["base_pay"], line["daily_allowance"], line["overtime_pay"],
               line["holiday_pay"], line["service_charge"], person.sso_insured,
               person.declared_allowances, payments)
        row = done.get(key)
        if row is None:
            row = done[key] = compute_person_net_pay(line, person, rates, chosen, payments, rules)
        out.append(row)
    return out


def explain_net_pay(line: dict) -> list[tuple[str, str, Decimal]]:
    """The deductions of a pay line as (label, basis, amount) rows, for payslips and dashboards
    (amounts negative: they are taken off the pay)."""

    def thb(value) -> str:
        return f"{money.round_money(value):,.2f}"

    if not line.get("sso_insured"):
        sso_basis = "not insured by the social security fund"
    elif line["sso_wage_counted"] == 0:
        sso_basis = "no wage for the fund this month"
    else:
        rate = (money.to_decimal(line["sso_employee_rate"]) * HUNDRED).normalize()
        sso_basis = (f"{rate:f}% of {thb(line['sso_wage_counted'])} (wage "
                     f"{thb(line['sso_wage_base'])} within floor and ceiling)")
    payments = line["payments_in_year"]
    regular = (f"annual tax {thb(line['annual_tax_regular'])} (on {thb(line['regular_income'])}"
               f" × {payments}, after deductions) ÷ {payments}")
    irregular = (f"tax on {thb(line['irregular_income'])} OT, holiday, service charge: "
                 f"{thb(line['annual_tax_with_irregular'])} − {thb(line['annual_tax_regular'])}")
    return [
        ("Social security", sso_basis, money.ZERO - money.to_decimal(line["sso_employee"])),
        ("Withholding tax (regular)", regular, money.ZERO - money.to_decimal(line["withholding_regular"])),
        ("Withholding tax (irregular)", irregular,
         money.ZERO - money.to_decimal(line["withholding_irregular"])),
    ]
