"""Net pay in the run's files and the dashboard's tables: payslip deductions, workbook columns,
what to remit. Pure inputs with the spec's seed rates."""

from __future__ import annotations

from decimal import Decimal as D

from openpyxl import load_workbook
from test_net_pay_rules import rate_rows
from test_payroll_rules import ALICE, BOB, hourly, inputs, salary, shifts

from backoffice_lib.payroll.reports.outputs import compute_pay_table, write_run_outputs
from backoffice_lib.payroll.rules import compute_payroll, summary
from backoffice_lib.payroll.rules.statutory import PersonStatutory, StatutoryInputs


def month_result():
    given = inputs(
        month="2026-01",
        entries=shifts(BOB, ("2026-01-06 09:00", "2026-01-06 17:00")),
        comp=[salary(ALICE, base="30000"), hourly(BOB, rate="100")],
    )
    given.statutory = StatutoryInputs(rate_rows(), {BOB: PersonStatutory(sso_insured=False)})
    return compute_payroll(given)


def test_net_pay_outputs_pay_table_appends_net_columns():
    rows = {r["staff_id"]: r for r in compute_pay_table(month_result())}
    assert list(rows["S001"])[-4:] == ["sso_employee", "sso_employer", "withholding_tax",
                                       "net_pay"]
    assert (rows["S001"]["sso_employee"], rows["S001"]["net_pay"]) == ("875.00", "28960.42")
    assert (rows["S002"]["sso_employee"], rows["S002"]["net_pay"]) == ("0.00", "800.00")


def test_net_pay_outputs_totals_and_what_to_remit():
    result = month_result()
    assert result.totals["net_pay"] == D("29760.42")
    assert result.totals["employer_cost"] == D("31675.00")
    remit = dict(zip(*summary.compute_remittances(result).to_dict("list").values()))
    assert remit["Social security to remit (form SPS 1-10, by the 15th)"] == D("1750.00")
    assert remit["Withholding tax to remit (form PND 1, by the 7th)"] == D("164.58")
    assert remit["Net pay to transfer"] == D("29760.42")


def test_net_pay_outputs_workbook_and_payslip(tmp_path):
    result = month_result()
    files = write_run_outputs(result, tmp_path)
    sheet = load_workbook(files["payroll_2026-01.xlsx"])["Summary"]
    rows = list(sheet.values)
    header = next(r for r in rows if r and r[0] == "staff_id")
    assert list(header[13:18]) == ["sso_employee", "withholding_tax", "net_pay", "sso_employer",
                                   "employer_cost"]
    total = next(r for r in rows if r and r[0] == "Total")
    assert D(str(total[15])) == D("29760.42") and D(str(total[17])) == D(31675)
    slip = files["payslips/payslip_2026-01_S001.pdf"].read_bytes()
    assert slip.startswith(b"%PDF") and len(slip) > 2000


def test_net_pay_outputs_a_month_without_anyone_has_zero_totals():
    given = inputs(month="2026-01")
    given.statutory = StatutoryInputs(rate_rows())
    result = compute_payroll(given)
    assert result.has_net_pay and len(result.lines) == 0
    assert result.totals["net_pay"] == result.totals["sso_employer"] == D("0.00")
    assert compute_pay_table(result) == []
