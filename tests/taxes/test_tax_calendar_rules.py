"""The tax calendar's pure rules (supplier-tax.md §5): due dates past weekends and holidays, the
online extension as a dated setting, the yearly duties, the states."""

from __future__ import annotations

import datetime as dt

import pytest

from backoffice_lib.taxes import rules
from backoffice_lib.values import Month

D = dt.date


def due(month: str, holidays=(), until=rules.DEFAULT_EXTENSION_UNTIL) -> dict:
    return {(d.duty, d.period): (d.paper_due, d.online_due)
            for d in rules.compute_duties(Month.parse(month), set(holidays), until)}


@pytest.mark.parametrize("month, duty, paper, online", [
    # May 2026: the 7th (Sun) and the 15th (Mon) of June
    ("2026-05", "pnd1", D(2026, 6, 8), D(2026, 6, 15)),
    ("2026-05", "sso", D(2026, 6, 15), D(2026, 6, 15)),
    # January 2026: 7 February is a Saturday, 15 February a Sunday: both move to Monday
    ("2026-01", "pnd3", D(2026, 2, 9), D(2026, 2, 16)),
    ("2026-01", "pnd53", D(2026, 2, 9), D(2026, 2, 16)),
    ("2026-01", "sso", D(2026, 2, 16), D(2026, 2, 16)),
    # June 2026: Tuesday 7 and Wednesday 15 July stay
    ("2026-06", "pnd1", D(2026, 7, 7), D(2026, 7, 15)),
])
def test_due_dates_move_past_saturdays_and_sundays(month, duty, paper, online):
    assert due(month)[(duty, month)] == (paper, online)


def test_due_dates_move_past_an_active_holiday_then_the_weekend():
    # 9 February 2026 (the Monday after Saturday the 7th) a holiday: Tuesday the 10th;
    # 16 and 17 February holidays: Wednesday the 18th
    dates = due("2026-01", holidays={D(2026, 2, 9), D(2026, 2, 16), D(2026, 2, 17)})
    assert dates[("pnd1", "2026-01")] == (D(2026, 2, 10), D(2026, 2, 18))
    assert dates[("sso", "2026-01")] == (D(2026, 2, 18), D(2026, 2, 18))


def test_a_holiday_on_a_friday_moves_the_due_date_over_the_weekend():
    # 15 January 2027 is a Friday: a holiday then moves it to Monday the 18th
    assert due("2026-12", holidays={D(2027, 1, 15)})[("pnd3", "2026-12")] == (
        D(2027, 1, 7), D(2027, 1, 18))


@pytest.mark.parametrize("month, until, online", [
    ("2026-12", D(2027, 1, 31), D(2027, 1, 15)),   # the last month the extension covers
    ("2027-01", D(2027, 1, 31), D(2027, 2, 8)),    # ended: online due with paper (7th, a Sunday)
    ("2027-01", D(2029, 1, 31), D(2027, 2, 15)),   # renewed: an admin moved the setting
    ("2026-12", D(2027, 1, 14), D(2027, 1, 7)),    # ended the day before the 15th
])
def test_the_online_extension_runs_to_its_dated_setting(month, until, online):
    assert due(month, until=until)[("pnd1", month)][1] == online
    assert due(month, until=until)[("sso", month)][1] == D(
        *Month.parse(month).next().first_day.timetuple()[:2], 15)


def test_the_extension_setting_defaults_to_2027_01_31_and_refuses_a_bad_date():
    assert rules.parse_extension_until(None) == D(2027, 1, 31)
    assert rules.parse_extension_until(" 2029-01-31 ") == D(2029, 1, 31)
    with pytest.raises(rules.BadFiling, match="not a date"):
        rules.parse_extension_until("31/01/2029")


@pytest.mark.parametrize("month, listed", [
    ("2026-12", False), ("2027-01", True), ("2027-02", True), ("2027-03", False)])
def test_the_yearly_duties_are_listed_in_january_and_february_of_the_next_year(month, listed):
    dates = due(month)
    assert (("pnd1a", "2026") in dates) is listed
    assert (("wht50_employees", "2026") in dates) is listed


def test_the_yearly_duties_are_due_at_the_end_of_february_moved_past_the_weekend():
    # 28 February 2027 is a Sunday; 2028 is a leap year (Tuesday 29 February)
    assert due("2027-01")[("pnd1a", "2026")] == (D(2027, 3, 1), D(2027, 3, 1))
    assert due("2028-02")[("wht50_employees", "2027")] == (D(2028, 2, 29), D(2028, 2, 29))


def test_the_holiday_window_covers_every_due_date():
    for month in ("2026-01", "2026-02", "2026-12", "2027-02"):
        first, last = rules.compute_holiday_window(Month.parse(month))
        for d in rules.compute_duties(Month.parse(month), set()):
            assert first <= d.paper_due <= d.online_due <= last


DUTY = rules.Duty("pnd3", "2026-05", D(2026, 6, 8), D(2026, 6, 15))
FILES = [{"name": "pnd3_2026-05.txt", "sha256": "ab" * 32, "bytes": 120}]


@pytest.mark.parametrize("something, files, filed_on, today, state", [
    (True, [], None, D(2026, 6, 1), "files_not_made"),
    (True, FILES, None, D(2026, 6, 1), "files_made"),
    (True, FILES, None, D(2026, 6, 15), "files_made"),       # the online due date itself
    (True, FILES, None, D(2026, 6, 16), "overdue"),           # past the online due date
    (True, [], None, D(2026, 6, 16), "overdue"),
    (True, [], D(2026, 6, 20), D(2026, 7, 1), "filed"),       # late but filed: filed
    (False, [], None, D(2026, 7, 1), "nothing_to_file"),     # never overdue
    (False, FILES, None, D(2026, 6, 1), "files_made"),        # files made all the same
    (False, [], D(2026, 6, 10), D(2026, 7, 1), "filed"),     # a nil return recorded
])
def test_the_state_of_a_duty(something, files, filed_on, today, state):
    assert rules.compute_state(DUTY, something_to_file=something, files=files,
                               filed_on=filed_on, today=today) == state


def test_the_calendar_joins_the_register_and_the_data():
    duties = rules.compute_duties(Month.parse("2026-05"), set())
    records = {("pnd3", "2026-05"): {"files": FILES, "filed_on": D(2026, 6, 12),
                                     "receipt_no": "R-1", "filed_by": "a@x"}}
    something = {"sso": (True, ""), "pnd1": (False, "no tax"), "pnd3": (True, ""),
                 "pnd53": (False, "none")}
    rows = {r.duty.duty: r for r in rules.compute_calendar(duties, records, something,
                                                           D(2026, 6, 16))}
    assert {k: r.state for k, r in rows.items()} == {
        "sso": "overdue", "pnd1": "nothing_to_file", "pnd3": "filed", "pnd53": "nothing_to_file"}
    assert rows["pnd3"].as_dict()["receipt_no"] == "R-1"
    assert rows["pnd3"].as_dict()["files"][0]["sha256"] == "ab" * 32


@pytest.mark.parametrize("finalised, something", [
    (None, True),
    ({"people": 3, "totals": {"withholding_tax": "0.00"}}, False),
    ({"people": 3, "totals": {"withholding_tax": "164.58"}}, True),
])
def test_a_payroll_duty_has_nothing_to_file_only_when_the_finalised_payroll_says_so(
        finalised, something):
    assert rules.compute_payroll_something(finalised, "withholding_tax", "tax")[0] is something


@pytest.mark.parametrize("payments, unknown, something", [(0, 0, False), (2, 0, True),
                                                          (0, 1, True)])
def test_a_supplier_form_has_something_to_file_with_a_paid_invoice_with_tax(
        payments, unknown, something):
    assert rules.compute_invoice_something(payments, unknown, "pnd3")[0] is something


@pytest.mark.parametrize("duty, period, error", [
    ("pnd2", "2026-05", "unknown duty"),
    ("pnd1a", "2026-05", "yearly"),
    ("sso", "2026", "monthly"),
    ("sso", "2026-13", "monthly"),
])
def test_a_filing_record_refuses_an_unknown_duty_or_a_period_of_the_wrong_shape(
        duty, period, error):
    with pytest.raises(rules.BadFiling, match=error):
        rules.parse_period(rules.parse_duty(duty), period)


@pytest.mark.parametrize("period, filed_on, error", [
    ("2026-05", D(2026, 6, 2), "in the future"),
    ("2026-05", D(2026, 5, 31), "not after the period"),
    ("2025", D(2025, 12, 31), "not after the period"),
])
def test_a_filing_date_is_not_in_the_future_nor_before_the_period_ended(period, filed_on, error):
    with pytest.raises(rules.BadFiling, match=error):
        rules.check_filed_on(period, filed_on, today=D(2026, 6, 1))


def test_a_filing_date_on_the_day_after_the_period_is_accepted():
    assert rules.check_filed_on("2026-05", D(2026, 6, 1), today=D(2026, 6, 1)) == D(2026, 6, 1)


@pytest.mark.parametrize("text", ["", "   ", "x" * 61, "R\n1"])
def test_a_receipt_number_is_printable_and_short(text):
    with pytest.raises(rules.BadFiling):
        rules.parse_receipt(text)
