"""The month's statutory filings (statutory-payroll.md §3–4).

- Social security return สปส.1-10: part 1 totals and part 2 one line per insured person, as an
  Excel workbook, and the fixed-width upload file (``sso_file``).
- The PND 1 (ภ.ง.ด.1) attachment: one line per person paid in the month, with totals, as Excel
  and CSV.

``compute_filings`` is pure; ``prepare_filings`` (admin only, audited) loads, computes and
validates in the caller's transaction; ``write_filings`` writes the files. An insured person in
the return without a valid national ID blocks the filings (``FilingsBlocked`` names them).
Same data, same bytes: workbooks get the month's fixed date like the payroll workbook.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Connection

from .. import access, audit, bangkok, money, settings, spreadsheets, values
from . import load, sso_file
from .compute import PayrollResult
from .outputs import _normalise_zip, fixed_timestamp
from .statutory import national_id_is_valid, net_pay_settings

SSO_LINE_COLUMNS = ["seq", "staff_id", "national_id", "title", "first_name", "last_name",
                    "wage", "contribution", "employer_contribution"]
PND1_COLUMNS = ["seq", "staff_id", "national_id", "title", "first_name", "last_name",
                "income_paid", "tax_withheld"]


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
    employer: dict  # load.load_employer: name, tax_id, address, sso_account, sso_branch
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


def prepare_filings(conn: Connection, month: values.Month | str, user: str | None,
                    result: PayrollResult | None = None) -> Filings:
    """Admin only: compute the month (or take ``result``), check the people, audit; raises
    ``FilingsBlocked`` when an insured person has no valid national ID."""
    from .run import compute_month

    month = values.month_key(month)
    who = access.check(conn, user, "payroll", admin=True)
    result = result if result is not None else compute_month(conn, month)
    identities = load.load_staff_identities(conn)
    filings = compute_filings(result, identities, load.load_employer(conn),
                              load.load_settings(conn))
    if filings.blocking:
        raise FilingsBlocked(month, filings.blocking)
    audit.record(conn, who.email, "PAYROLL_FILINGS", "payroll_month", month,
                 after={"sso": filings.sso_totals, "pnd1": filings.pnd1_totals,
                        "checksum": result.checksum})
    return filings


# --------------------------------------------------------------------------- files


def compose_upload(filings: Filings) -> bytes:
    first, last = bangkok.month_days(filings.month)
    totals = filings.sso_totals
    header = sso_file.UploadHeader(
        employer_account=filings.employer["sso_account"], branch=filings.employer["sso_branch"],
        pay_date=last, period=first, company_name=filings.employer["name"],
        employee_rate=filings.employee_rate, employee_count=totals["employees"],
        total_wages=totals["wages"], employee_share=totals["employee_contributions"],
        employer_share=totals["employer_contributions"],
    )
    lines = [sso_file.UploadLine(x["national_id"], x["title"], x["first_name"], x["last_name"],
                                 x["wage"], x["contribution"]) for x in filings.sso_lines]
    return sso_file.compose_upload_file(header, lines)


def _save_book(book, path: Path, month: str) -> Path:
    stamp = fixed_timestamp(month)
    naive = stamp.replace(tzinfo=None)
    book.properties.created = naive
    book.properties.modified = naive
    book.properties.creator = "backoffice workbench"
    spreadsheets.make_workbook_inert(book)  # names are data, never formulas
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_normalise_zip(buffer.getvalue(), stamp))
    return path


def _table(sheet, header: list[str], rows: list[list], money_from: int) -> None:
    """Header (bold) and rows; Decimal cells from column ``money_from`` (0-based) as THB. The
    row number is counted here (``sheet.max_row`` scans the sheet: quadratic on 1,000 rows)."""
    from openpyxl.styles import Font

    sheet.append(header)
    number = sheet.max_row
    for column in range(1, len(header) + 1):
        sheet.cell(number, column).font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        number += 1
        for column, value in enumerate(row[money_from:], start=money_from + 1):
            if isinstance(value, Decimal):
                sheet.cell(number, column).number_format = "#,##0.00"


def write_sso_workbook(filings: Filings, path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    part1 = book.active
    part1.title = "Part 1 totals"
    e, t = filings.employer, filings.sso_totals
    rows = [
        ["Form", "สปส.1-10 (social security contributions)"],
        ["Period", filings.month],
        ["Employer", e["name"]],
        ["Employer account", e["sso_account"]],
        ["Branch", e["sso_branch"]],
        ["Contribution rate (each side)", filings.employee_rate],
        ["Insured employees", t["employees"]],
        ["Total wages", t["wages"]],
        ["Employee contributions", t["employee_contributions"]],
        ["Employer contributions", t["employer_contributions"]],
        ["Total contributions", t["contributions"]],
    ]
    for row in rows:
        part1.append(row)
        if isinstance(row[1], Decimal):
            part1.cell(part1.max_row, 2).number_format = "#,##0.00"
    part1.column_dimensions["A"].width = 30
    part1.column_dimensions["B"].width = 40
    part2 = book.create_sheet("Part 2 insured")
    _table(part2, ["No.", "Staff", "National ID", "Title", "First name", "Last name",
                   "Wage", "Contribution"],
           [[x["seq"], x["staff_id"], x["national_id"], x["title"], x["first_name"],
             x["last_name"], x["wage"], x["contribution"]] for x in filings.sso_lines]
           + [["Total", "", "", "", "", "", t["wages"], t["employee_contributions"]]], 6)
    for column, width in zip("ABCDEFGH", (6, 10, 16, 8, 18, 22, 14, 14)):
        part2.column_dimensions[column].width = width
    return _save_book(book, path, filings.month)


def write_pnd1_workbook(filings: Filings, path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "PND1"
    sheet.append([f"ภ.ง.ด.1 attachment {filings.month}", filings.employer["name"],
                  filings.employer["tax_id"]])
    t = filings.pnd1_totals
    _table(sheet, ["No.", "Staff", "Tax ID", "Title", "First name", "Last name", "Income paid",
                   "Tax withheld"],
           [[x["seq"], x["staff_id"], x["national_id"], x["title"], x["first_name"],
             x["last_name"], x["income_paid"], x["tax_withheld"]] for x in filings.pnd1_lines]
           + [["Total", "", "", "", "", "", t["income_paid"], t["tax_withheld"]]], 6)
    for column, width in zip("ABCDEFGH", (6, 10, 16, 8, 18, 22, 14, 14)):
        sheet.column_dimensions[column].width = width
    return _save_book(book, path, filings.month)


def compose_pnd1_csv(filings: Filings) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PND1_COLUMNS)
    for x in filings.pnd1_lines:
        writer.writerow(spreadsheets.inert_row([
            x["seq"], x["staff_id"], x["national_id"], x["title"], x["first_name"],
            x["last_name"], f"{x['income_paid']:.2f}", f"{x['tax_withheld']:.2f}"]))
    t = filings.pnd1_totals
    writer.writerow(["TOTAL", "", "", "", "", "", f"{t['income_paid']:.2f}",
                     f"{t['tax_withheld']:.2f}"])
    return buffer.getvalue()


def write_filings(filings: Filings, folder: Path | str) -> dict[str, Path]:
    """The four files into ``folder``: SSO workbook and upload file, PND 1 workbook and CSV."""
    # national IDs and pay: owner-only whatever the umask (a folder a person named is kept as is)
    folder = settings.private_dir(folder, narrow_existing=False)
    month = filings.month
    with settings.private_umask():
        files = {
            f"sso_{month}.xlsx": write_sso_workbook(filings, folder / f"sso_{month}.xlsx"),
            f"pnd1_{month}.xlsx": write_pnd1_workbook(filings, folder / f"pnd1_{month}.xlsx"),
        }
    for path in files.values():
        path.chmod(settings.PRIVATE_FILE_MODE)
    upload = settings.write_private_bytes(folder / f"sso_{month}.txt", compose_upload(filings))
    files[upload.name] = upload
    pnd1 = settings.write_private_bytes(folder / f"pnd1_{month}.csv",
                                        compose_pnd1_csv(filings).encode("utf-8-sig"))
    files[pnd1.name] = pnd1
    return files
