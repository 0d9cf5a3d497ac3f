"""Files of a payroll run: same data gives the same bytes; the workbook and payslips hold what
finance needs."""

from __future__ import annotations

import json
import time

from openpyxl import load_workbook
from test_payroll_rules import ALICE, BOB, CARA, at, hourly, inputs, salary, shifts, week_of_days

from backoffice_lib.payroll.reports.outputs import write_run_outputs
from backoffice_lib.payroll.rules import compute_payroll


def month_result():
    return compute_payroll(inputs(
        entries=week_of_days(ALICE, "2025-01-05", 6, 9)
        + shifts(BOB, ("2025-01-06 09:00", "2025-01-06 17:20"))
        + [(BOB, "clock_in", at("2025-01-09 09:00"))]
        + shifts(CARA, ("2025-01-07 09:00", "2025-01-07 12:00")),
        comp=[salary(ALICE, is_service_charge_eligible=True),
              hourly(BOB, rate="133.33", is_service_charge_eligible=True)],
        pool="1000.01", holidays=["2025-01-06"],
    ))


def test_payroll_outputs_are_byte_identical_on_rerun(tmp_path):
    result = month_result()
    first = write_run_outputs(result, tmp_path / "a")
    time.sleep(1.1)  # a later second: zip and PDF dates must not follow the clock
    second = write_run_outputs(result, tmp_path / "b")
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_payroll_outputs_workbook_payslips_manifest(tmp_path):
    result = month_result()
    files = write_run_outputs(result, tmp_path)
    assert sorted(n for n in files if n.startswith("payslips/")) == [
        "payslips/payslip_2025-01_S001.pdf", "payslips/payslip_2025-01_S002.pdf",
        "payslips/payslip_2025-01_S003.pdf",
    ]
    book = load_workbook(files["payroll_2025-01.xlsx"])
    assert book.sheetnames == ["Summary", "Detail"]
    detail = list(book["Detail"].values)
    assert detail[0][:3] == ("staff_id", "staff_name", "work_date")
    assert any(row[6] == "missing_clock_out" for row in detail[1:])
    manifest = json.loads(files["manifest.json"].read_text())
    assert manifest["parameters"] == {"month": "2025-01"}
    assert manifest["data_checksum"] == result.checksum
    assert manifest["totals"]["total_pay"] == str(result.totals["total_pay"])
    assert manifest["blocking_errors"] and "Cara" in manifest["blocking_errors"][0]
    assert set(manifest["files"]) == {n for n in files if n != "manifest.json"}
    assert files["payslips/payslip_2025-01_S001.pdf"].read_bytes().startswith(b"%PDF")
