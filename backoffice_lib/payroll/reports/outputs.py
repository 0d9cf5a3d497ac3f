"""Files of a payroll run: the pay table (CLI), Excel workbook, PDF payslips and the manifest.

Same data, same bytes: the workbook's and the payslips' dates are fixed (the month's last day,
00:00 UTC) and the xlsx zip entries get that date too, so re-running on unchanged data writes
identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ... import bangkok, money, settings, spreadsheets
from ..rules import COMPONENTS, HOUR_COLUMNS, MONEY_COLUMNS, PAY_COLUMNS, PayrollResult
from ..rules.statutory import NET_PAY_COLUMNS, explain_net_pay
from ..rules.summary import COMPONENT_LABELS, compute_pay_basis, thb

MANIFEST_NAME = "manifest.json"
#: Deductions and employer cost in the workbook's Summary sheet (after total_pay).
NET_WORKBOOK_COLUMNS = ["sso_employee", "withholding_tax", "net_pay", "sso_employer",
                        "employer_cost"]
THAI = re.compile("[\u0e00-\u0e7f]")


# --------------------------------------------------------------------------- table


def _two(value) -> str:
    return f"{money.round_money(value if value is not None else 0):.2f}"


def table_columns(result: PayrollResult) -> list[str]:
    """The CLI contract: the 13 PAY_COLUMNS, then (with net pay) the 4 NET_PAY_COLUMNS."""
    return PAY_COLUMNS + (NET_PAY_COLUMNS if result.has_net_pay else [])


def compute_pay_table(result: PayrollResult) -> list[dict]:
    """The CLI rows: ``table_columns`` in order, hours and money as text with exactly 2
    decimals, sorted by staff_id."""
    rows = []
    columns = table_columns(result)
    for line in result.lines.sort_values("staff_id", kind="stable").to_dict("records"):
        row = {}
        for name in columns:
            value = line[name]
            if name in HOUR_COLUMNS or name in MONEY_COLUMNS or name in NET_PAY_COLUMNS:
                row[name] = _two(value)
            elif name == "working_days":
                row[name] = int(value)
            else:
                row[name] = "" if value is None else str(value)
        rows.append(row)
    return rows


def compose_pay_csv(rows: list[dict], columns: list[str]) -> str:
    """``payroll compute``'s CSV: the rows of ``compute_pay_table`` under ``columns``; a name
    that could run as a formula is written as text (money like -12.50 stays a number)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: spreadsheets.inert_value(v) for k, v in r.items()} for r in rows)
    return buffer.getvalue()


def fixed_timestamp(month: str) -> dt.datetime:
    """The date stamped into a run's files: the month's last day, 00:00 UTC."""
    _, last = bangkok.month_days(month)
    return dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- workbook


def _clock(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).tz_convert(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M:%S")


def write_workbook(result: PayrollResult, path: Path, status: str = "draft") -> Path:
    """Summary sheet (one row per person, totals, service charge) and a Detail sheet (sessions)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    stamp = fixed_timestamp(result.month)
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    bold = Font(bold=True)
    summary.append([f"Payroll {result.month}"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["Status", status])
    summary.append(["Data checksum", result.checksum])
    summary.append(["People", len(result.lines)])
    summary.append(["Blocking errors", len(result.errors)])
    summary.append(["Review flags", len(result.flags)])
    summary.append([])
    net = NET_WORKBOOK_COLUMNS if result.has_net_pay else []
    summary.append(PAY_COLUMNS + net)
    for cell in summary[summary.max_row]:
        cell.font = bold
    number = summary.max_row  # counted here: max_row scans the sheet (quadratic on 1,000 rows)
    width = len(PAY_COLUMNS + net)
    for line in result.lines.to_dict("records"):
        summary.append(spreadsheets.workbook_row(
            line[c] if c not in ("working_days",) else int(line[c]) for c in PAY_COLUMNS + net))
        number += 1
        for column in range(5, width + 1):
            summary.cell(number, column).number_format = "#,##0.00"
    summary.append(["Total", "", "", "", "", "", ""]
                   + [result.totals[c] for c in COMPONENTS + ["total_pay"] + net])
    for cell in summary[summary.max_row]:
        cell.font = bold
        if isinstance(cell.value, Decimal):
            cell.number_format = "#,##0.00"
    summary.append([])
    sc = result.service_charge
    summary.append(["Service-charge pool", sc["pool"]])
    summary.append(["Eligible staff", sc["eligible"]])
    summary.append(["Share each (rounded down)", sc["share"]])
    summary.append(["Undistributed", sc["undistributed"]])
    for name, value in result.errors[["staff_id", "message"]].itertuples(index=False):
        summary.append(spreadsheets.workbook_row(["BLOCKING", name, value]))
    for column, width in zip("ABCDEFGHIJKLMNOPQ",
                             (14, 24, 18, 13, 12, 15, 14, 13, 15, 13, 12, 14, 13, 13, 13, 15, 13)):
        summary.column_dimensions[column].width = width

    detail = book.create_sheet("Detail")
    header = ["staff_id", "staff_name", "work_date", "clock_in", "clock_out", "hours", "flag",
              "holiday", "week_end", "paid_in_month"]
    detail.append(header)
    for cell in detail[1]:
        cell.font = bold
    names = dict(zip(result.lines["staff"], zip(result.lines["staff_id"],
                                                 result.lines["staff_name"])))
    row_number = 1  # the header; counted here (max_row scans the sheet)
    for s in result.sessions.to_dict("records"):
        if s["staff"] not in names:
            continue
        code, name = names[s["staff"]]
        detail.append(spreadsheets.workbook_row([
            code, name, s["work_date"],
            _clock(s["clock_in"]),
            _clock(s["clock_out"]),
            s["hours"], s["flag"] or "", "yes" if s["holiday"] else "", s["week_end"],
            "hours" if s["in_month"] else "overtime week only",
        ]))
        row_number += 1
        detail.cell(row_number, 3).number_format = "yyyy-mm-dd"
        detail.cell(row_number, 9).number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFGHIJ", (12, 24, 12, 20, 20, 8, 18, 8, 12, 18)):
        detail.column_dimensions[column].width = width

    naive = stamp.replace(tzinfo=None)
    book.properties.created = naive
    book.properties.modified = naive
    book.properties.creator = "backoffice workbench"
    spreadsheets.make_workbook_inert(book)  # names and flags are data, never formulas
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(spreadsheets.normalise_zip(buffer.getvalue(), stamp))
    return path


# --------------------------------------------------------------------------- payslips


def font_files() -> tuple[Path, Path]:
    import fontpkg_sarabun

    files = Path(fontpkg_sarabun.ROOT) / "files"
    return files / "Sarabun-Regular.ttf", files / "Sarabun-Bold.ttf"


def _grid(pdf, widths, header, rows, align: str, height: float, size: int) -> None:
    """A bordered table of single-line cells (fpdf2's table() wraps text and is far slower)."""
    pdf.set_font("Sarabun", "B", size)
    for width, title, where in zip(widths, header, align):
        pdf.cell(width, height, title, border=1, align=where)
    pdf.ln(height)
    pdf.set_font("Sarabun", "", size)
    for row in rows:
        if pdf.will_page_break(height):
            pdf.add_page()
        for width, value, where in zip(widths, row, align):
            pdf.cell(width, height, value, border=1, align=where)
        pdf.ln(height)


def write_payslip(result: PayrollResult, staff: int, path: Path, status: str = "draft") -> Path:
    """One person's payslip: every component with its basis, the weeks and days behind it."""
    path.write_bytes(bytes(compose_payslip(result, staff, status).output()))
    return path


def compose_payslip(result: PayrollResult, staff: int, status: str = "draft"):
    """The payslip as an fpdf2 document not yet written (delivery protects it first)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    from ..rules import explain_person

    detail = explain_person(result, staff)
    line = detail["line"]
    regular, boldface = font_files()
    pdf = FPDF(format="A4")
    pdf.set_creation_date(fixed_timestamp(result.month))
    pdf.set_title(f"Payslip {result.month} {line['staff_id']}")
    pdf.set_author("backoffice workbench")
    pdf.set_creator("backoffice workbench")
    pdf.add_font("Sarabun", "", str(regular))
    pdf.add_font("Sarabun", "B", str(boldface))
    if THAI.search(str(line["staff_name"])):
        pdf.set_text_shaping(True)  # Thai vowels and tone marks stack correctly (uharfbuzz)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()

    def text(value: str, size: int = 10, style: str = "", height: float = 6) -> None:
        pdf.set_font("Sarabun", style, size)
        pdf.cell(0, height, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    text(f"Payslip {result.month}", 16, "B", 9)
    text(f"{line['staff_name']}  ({line['staff_id']})", 12, "B", 7)
    comp = line["compensation_type"] or "none"
    text(f"Compensation: {comp}" + ("" if line["is_active"] else "  · no longer active"))
    text(f"Status: {status} · data checksum {result.checksum[:16]}", 8)
    pdf.ln(2)

    basis = compute_pay_basis(line, result)
    pdf.set_font("Sarabun", "", 10)
    rows = [(COMPONENT_LABELS[name], basis[name], thb(line[name])) for name in COMPONENTS]
    rows.append(("Total pay", "gross: the sum of the rounded components",
                 f"฿ {thb(line['total_pay'])}"))
    if result.has_net_pay:
        rows += [(label, basis, thb(amount)) for label, basis, amount in explain_net_pay(line)]
        rows.append(("Net pay", "total pay − social security − withholding tax",
                     f"฿ {thb(line['net_pay'])}"))
    _grid(pdf, (45, 105, 30), ("Component", "Basis", "THB"), rows, "LLR", 6.5, 9)
    if result.has_net_pay:
        text(f"Employer's social security contribution {thb(line['sso_employer'])} · employer "
             f"cost {thb(line['employer_cost'])} · payments in the year "
             f"{line['payments_in_year']}", 8)
    pdf.ln(3)
    text(
        f"Hours in the month {line['total_hours']:.2f} · working days {line['working_days']}"
        f" · overtime {line['overtime_hours']:.2f} h · holiday {line['holiday_hours']:.2f} h",
        10, "B",
    )
    weeks = detail["weeks"]
    if len(weeks):
        text("Weeks ending in the month (Sunday–Saturday, judged on all their days)", 10)
        pdf.set_font("Sarabun", "", 9)
        rows = [(f"{w['week_start']:%d %b} – {w['week_end']:%d %b %Y}", f"{w['hours']:.2f}",
                 f"{w['regular_hours']:.2f}", f"{w['overtime_hours']:.2f}")
                for w in weeks.to_dict("records")]
        _grid(pdf, (50, 30, 40, 30), ("Week", "Hours", "Non-holiday hours", "Overtime h"),
              rows, "RRRR", 5.5, 9)
        pdf.ln(2)
    days = detail["days"]
    days = days[days["in_month"]]
    if len(days):
        text("Days of the month", 10)
        pdf.set_font("Sarabun", "", 9)
        minimum = Decimal(str(line["min_hours_for_allowance"])) * 3600
        rows = [(f"{d['work_date']:%a %d %b}", str(d["sessions"]), f"{d['hours']:.2f}",
                 "holiday" if d["holiday"] else "",
                 "yes" if Decimal(int(d["seconds"])) >= minimum else "")
                for d in days.to_dict("records")]
        _grid(pdf, (35, 25, 25, 30, 35), ("Date", "Sessions", "Hours", "Holiday", "Working day"),
              rows, "RRRRR", 5.2, 9)
    flags = detail["flags"]
    if len(flags):
        pdf.ln(2)
        text("Review flags", 10, "B")
        for f in flags.to_dict("records"):
            text(f"{f['work_date']:%d %b}: {f['flag']} — {f['detail']}", 9, "", 5)
    return pdf


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "staff"


# --------------------------------------------------------------------------- run folder


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_run_outputs(
    result: PayrollResult, output_dir: Path | str, status: str = "draft"
) -> dict[str, Path]:
    """Workbook, one payslip per person, and the manifest, into ``output_dir``."""
    folder = settings.private_dir(output_dir, narrow_existing=False)  # pay and payslips
    files: dict[str, Path] = {}
    workbook = write_workbook(result, folder / f"payroll_{result.month}.xlsx", status)
    files[workbook.name] = workbook
    slips = folder / "payslips"
    slips.mkdir(exist_ok=True)
    for line in result.lines.to_dict("records"):
        path = slips / f"payslip_{result.month}_{_safe(str(line['staff_id']))}.pdf"
        write_payslip(result, line["staff"], path, status)
        files[f"payslips/{path.name}"] = path
    manifest = {
        "kind": "payroll_run",
        "parameters": {"month": result.month},
        "status": status,
        "data_checksum": result.checksum,
        "people": len(result.lines),
        "totals": {k: str(v) for k, v in result.totals.items()},
        "service_charge": {k: str(v) for k, v in result.service_charge.items()},
        "settings": result.settings,
        "blocking_errors": list(result.errors["message"]),
        "review_flags": len(result.flags),
        "files": {name: _sha256(path) for name, path in sorted(files.items())},
    }
    target = folder / MANIFEST_NAME
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    files[MANIFEST_NAME] = target
    return files
