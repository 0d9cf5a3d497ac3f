"""Net pay (statutory-payroll.md §1–4) as tables of cases with exact Decimal expectations. Pure.

The rate rows are the spec's seed rows (as migration 0009 seeds them); a case may add rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice_lib.payroll.rules import statutory
from backoffice_lib.payroll.rules.statutory import (
    PersonStatutory,
    RateRow,
    StatutoryInputs,
    compute_net_pay,
    national_id_is_valid,
)

SEED = [
    ("sso_employee_rate", "0.05", "1990-01-01", "0"),
    ("sso_employer_rate", "0.05", "1990-01-01", "0"),
    ("sso_wage_floor", "1650", "1990-01-01", "0"),
    ("sso_wage_ceiling", "15000", "1990-01-01", "0"),
    ("sso_wage_ceiling", "17500", "2026-01-01", "0"),
    ("sso_wage_ceiling", "20000", "2029-01-01", "0"),
    ("sso_wage_ceiling", "23000", "2032-01-01", "0"),
    ("pit_expense_rate", "0.50", "2017-01-01", "0"),
    ("pit_expense_cap", "100000", "2017-01-01", "0"),
    ("pit_personal_allowance", "60000", "2017-01-01", "0"),
    *[("pit_bracket", rate, "2017-01-01", threshold) for threshold, rate in (
        ("0", "0"), ("150000", "0.05"), ("300000", "0.10"), ("500000", "0.15"),
        ("750000", "0.20"), ("1000000", "0.25"), ("2000000", "0.30"), ("5000000", "0.35"))],
]


def rate_rows(*extra: tuple[str, str, str]) -> list[RateRow]:
    rows = [RateRow(k, D(v), dt.date.fromisoformat(f), D(t)) for k, v, f, t in SEED]
    return rows + [RateRow(k, D(v), dt.date.fromisoformat(f)) for k, v, f in extra]


def month_end(month: str) -> dt.date:
    year, number = map(int, month.split("-"))
    return (dt.date(year + number // 12, number % 12 + 1, 1) - dt.timedelta(days=1))


def net(month: str, base="0", allowance="0", ot="0", holiday="0", service="0",
        person: PersonStatutory | None = None, extra=(), setting=None) -> dict:
    line = {"staff": 1, "base_pay": D(base), "daily_allowance": D(allowance),
            "overtime_pay": D(ot), "holiday_pay": D(holiday), "service_charge": D(service)}
    line["total_pay"] = sum((line[c] for c in statutory.PAY_COMPONENTS), D("0.00"))
    inputs = StatutoryInputs(rate_rows(*extra), {1: person} if person else {})
    return compute_net_pay([line], inputs, setting or {}, month_end(month))[0]


def test_net_pay_worked_example_of_the_spec():
    # 2026, a salary of 30,000 a month, nothing else.
    got = net("2026-01", base="30000.00")
    assert got["sso_employee"] == D("875.00")
    assert got["annual_regular_income"] == D("360000.00")
    assert got["expense_deduction"] == D("100000.00")
    assert got["personal_allowance"] == D("60000.00")
    assert got["sso_deduction"] == D("10500.00")
    assert got["net_taxable_regular"] == D("189500.00")
    assert got["annual_tax_regular"] == D("1975.00")
    assert got["withholding_tax"] == D("164.58")
    assert got["net_pay"] == D("28960.42")
    assert got["employer_cost"] == D("30875.00")


CASES = {
    "sso_wage_floor_applies_to_a_small_wage": (
        {"month": "2026-01", "base": "1200.00"},
        {"sso_wage_counted": D("1650.00"), "sso_employee": D("83.00"),
         "sso_employer": D("83.00"), "withholding_tax": D("0.00"), "net_pay": D("1117.00")},
    ),
    "hourly_worker_with_little_pay_contribution_rounded_half_up_to_baht": (
        {"month": "2026-01", "base": "2345.50"},  # 5 % of 2,345.50 = 117.275 → 117
        {"sso_employee": D("117.00"), "withholding_tax": D("0.00"), "net_pay": D("2228.50"),
         "employer_cost": D("2462.50")},
    ),
    "sso_ceiling_15000_before_1_january_2026": (
        {"month": "2025-12", "base": "30000.00"},
        {"sso_wage_counted": D("15000.00"), "sso_employee": D("750.00"),
         "sso_deduction": D("9000.00"), "withholding_tax": D("170.83"),
         "net_pay": D("29079.17")},
    ),
    "sso_ceiling_17500_from_1_january_2026": (
        {"month": "2026-01", "base": "30000.00"},
        {"sso_wage_counted": D("17500.00"), "sso_employee": D("875.00"),
         "withholding_tax": D("164.58")},
    ),
    "person_not_insured_pays_no_contribution_and_deducts_none": (
        {"month": "2026-01", "base": "30000.00", "person": PersonStatutory(sso_insured=False)},
        {"sso_employee": D("0.00"), "sso_employer": D("0.00"), "sso_deduction": D("0.00"),
         "withholding_tax": D("208.33"), "net_pay": D("29791.67"),
         "employer_cost": D("30000.00")},
    ),
    "joiner_in_april_has_9_payments": (
        {"month": "2026-05", "base": "50000.00",
             "person": PersonStatutory(joined_on=dt.date(2026, 4, 20))},
        # 450,000 − 100,000 − 60,000 − 875×9 = 282,125 → 6,606.25 ÷ 9 = 734.03
        {"payments_in_year": 9, "sso_deduction": D("7875.00"),
         "net_taxable_regular": D("282125.00"), "withholding_tax": D("734.03"),
         "net_pay": D("48390.97")},
    ),
    "employed_from_january_has_12_payments": (
        {"month": "2026-05", "base": "50000.00",
             "person": PersonStatutory(joined_on=dt.date(2025, 4, 20))},
        {"payments_in_year": 12, "withholding_tax": D("1704.17")},
    ),
    "overtime_and_service_charge_withheld_as_irregular_income": (
        {"month": "2026-01", "base": "30000.00", "allowance": "2000.00", "ot": "3000.00",
             "service": "4000.00"},
        # regular 32,000 × 12 → 213,500 net → 3,175 ÷ 12 = 264.58; + 7,000 → 3,525: 350.00
        {"regular_income": D("32000.00"), "irregular_income": D("7000.00"),
         "sso_wage_base": D("30000.00"), "withholding_regular": D("264.58"),
         "withholding_irregular": D("350.00"), "withholding_tax": D("614.58"),
         "net_pay": D("37510.42")},
    ),
    "declared_allowances_reduce_net_taxable": (
        {"month": "2026-01", "base": "30000.00",
             "person": PersonStatutory(declared_allowances=D(20000))},
        {"net_taxable_regular": D("169500.00"), "withholding_tax": D("81.25"),
         "net_pay": D("29043.75")},
    ),
    "rate_row_changed_mid_year_applies_from_its_month": (
        {"month": "2026-04", "base": "30000.00",
             "extra": [("sso_employee_rate", "0.03", "2026-04-01")]},
        {"sso_employee": D("525.00"), "sso_employer": D("875.00"),
         "sso_deduction": D("6300.00"), "withholding_tax": D("182.08"),
         "net_pay": D("29292.92")},
    ),
    "rate_row_changed_mid_year_leaves_earlier_months": (
        {"month": "2026-03", "base": "30000.00",
             "extra": [("sso_employee_rate", "0.03", "2026-04-01")]},
        {"sso_employee": D("875.00"), "withholding_tax": D("164.58")},
    ),
    "high_salary_through_the_brackets": (
        {"month": "2026-01", "base": "150000.00"},
        # 1,629,500 net taxable: 7,500 + 20,000 + 37,500 + 50,000 + 157,375 = 272,375 ÷ 12
        {"annual_tax_regular": D("272375.00"), "withholding_tax": D("22697.92"),
         "net_pay": D("126427.08")},
    ),
    "contribution_half_up_to_the_baht": (
        {"month": "2026-01", "base": "12350.00"},  # 617.50 → 618
        {"sso_employee": D("618.00")},
    ),
    "contribution_in_satang_when_set": (
        {"month": "2026-01", "base": "12345.00",
             "setting": {"sso_contribution_rounding": "satang"}},
        {"sso_employee": D("617.25"), "net_pay": D("11727.75")},
    ),
    "daily_allowance_is_not_a_wage_for_the_fund_by_default": (
        {"month": "2026-01", "base": "1000.00", "allowance": "2000.00"},
        {"sso_wage_base": D("1000.00"), "sso_wage_counted": D("1650.00"),
         "sso_employee": D("83.00")},
    ),
    "no_pay_no_contribution_no_tax": (
        {"month": "2026-01"},
        {"sso_employee": D("0.00"), "withholding_tax": D("0.00"), "net_pay": D("0.00")},
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_net_pay_rule(case):
    given_, expected = CASES[case]
    got = net(**given_)
    for key, value in expected.items():
        assert got[key] == value, f"{case}: {key} = {got[key]!r}, expected {value!r}"
    assert got["withholding_tax"] == got["withholding_regular"] + got["withholding_irregular"]


def test_net_pay_missing_rate_is_an_error_that_names_it():
    with pytest.raises(statutory.MissingRate, match="sso_wage_ceiling"):
        statutory.rates_in_force([r for r in rate_rows() if r.rate_key != "sso_wage_ceiling"],
                                 dt.date(2026, 1, 31))


def test_net_pay_new_bracket_schedule_replaces_the_old_one():
    rows = rate_rows() + [RateRow("pit_bracket", D(0), dt.date(2027, 1, 1), D(0)),
                          RateRow("pit_bracket", D("0.10"), dt.date(2027, 1, 1), D(200000))]
    assert statutory.rates_in_force(rows, dt.date(2027, 1, 31)).brackets == (
        (D(0), D(0)), (D(200000), D("0.10")))
    assert len(statutory.rates_in_force(rows, dt.date(2026, 12, 31)).brackets) == 8


NATIONAL_IDS = {
    "1101700230708": True,  # check digit of 110170023070 is 8
    "1101700230705": False,  # wrong check digit
    "110170023070": False,  # 12 digits
    "11017002307080": False,  # 14 digits
    "1-1017-00230-70-8": False,  # dashes are not stored
    "๑๑๐๑๗๐๐๒๓๐๗๐๘": False,  # Thai digits are not ASCII digits
    "": False,
}


@pytest.mark.parametrize("value", list(NATIONAL_IDS))
def test_net_pay_national_id_check_digit(value):
    assert national_id_is_valid(value) is NATIONAL_IDS[value]


def test_net_pay_payments_in_year():
    assert statutory.payments_in_year(2026, None) == 12
    assert statutory.payments_in_year(2026, dt.date(2025, 11, 1)) == 12
    assert statutory.payments_in_year(2026, dt.date(2026, 1, 15)) == 12
    assert statutory.payments_in_year(2026, dt.date(2026, 4, 1)) == 9
    assert statutory.payments_in_year(2026, dt.date(2026, 12, 20)) == 1


money = st.decimals(min_value=0, max_value=400000, places=2, allow_nan=False,
                    allow_infinity=False)


@given(base=money, allowance=money, ot=money, service=money,
       insured=st.booleans(), joined=st.integers(min_value=1, max_value=12),
       declared=st.decimals(min_value=0, max_value=500000, places=2),
       month=st.sampled_from(["2025-06", "2026-01", "2026-12", "2030-03"]))
@settings(max_examples=150, deadline=None)
def test_net_pay_properties(base, allowance, ot, service, insured, joined, declared, month):
    year = int(month[:4])
    person = PersonStatutory(sso_insured=insured, joined_on=dt.date(year, joined, 1),
                             declared_allowances=declared)
    got = net(month, base=base, allowance=allowance, ot=ot, service=service, person=person)
    gross = base + allowance + ot + service
    rates = statutory.rates_in_force(rate_rows(), month_end(month))
    assert got["withholding_tax"] >= 0
    assert got["withholding_irregular"] >= 0
    assert got["net_pay"] <= gross
    assert got["net_pay"] == gross - got["sso_employee"] - got["withholding_tax"]
    ceiling = rates.sso_wage_ceiling
    assert got["sso_employee"] <= rates.sso_employee_rate * ceiling
    assert got["sso_employer"] <= rates.sso_employer_rate * ceiling
    assert got["employer_cost"] == gross + got["sso_employer"]
