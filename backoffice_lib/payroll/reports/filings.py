"""The month's statutory filings as files (statutory-payroll.md §3–4): the social security
return สปส.1-10 as an Excel workbook and the fixed-width upload file (``rules.sso_file``), the
PND 1 (ภ.ง.ด.1) attachment as Excel and CSV. ``service.filings.prepare_filings`` computes and
audits what these write. Same data, same bytes: workbooks get the month's fixed date like the
payroll workbook.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from ... import bangkok, database, settings, spreadsheets
from ..rules import sso_file
from ..rules.filings import Filings
from ..service.filings import record_files_made
from .outputs import fixed_timestamp

PND1_COLUMNS = ["seq", "staff_id", "national_id", "title", "first_name", "last_name",
                "income_paid", "tax_withheld"]


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
    path.write_bytes(spreadsheets.normalise_zip(buffer.getvalue(), stamp))
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
        sheet.append(spreadsheets.workbook_row(row))
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
        part1.append(spreadsheets.workbook_row(row))
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
    sheet.append(spreadsheets.workbook_row([f"ภ.ง.ด.1 attachment {filings.month}",
                                            filings.employer["name"], filings.employer["tax_id"]]))
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


# The duty of the filing register each file belongs to (supplier-tax.md §5), by name prefix.
FILING_DUTIES = {"sso": "sso_", "pnd1": "pnd1_"}


def describe_files(paths: Iterable[Path]) -> list[dict]:
    """Name, sha256 and size of each file, by name: what the filing register keeps."""
    return [{"name": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
             "bytes": path.stat().st_size}
            for path in sorted(paths, key=lambda p: p.name)]


def record_duties_made(user: str | None, period: str, files: dict[str, Path],
                       duties: dict[str, str]) -> list[str]:
    """The files written, per duty (``duties``: duty -> file name prefix), recorded as made in
    one transaction; the notes of duties already filed (their files are kept as filed)."""
    notes = []
    with database.transaction() as conn:
        for duty, prefix in duties.items():
            paths = [path for name, path in files.items() if name.startswith(prefix)]
            if paths and not record_files_made(conn, user, duty, period, describe_files(paths)):
                notes.append(f"{duty} {period} is recorded as filed: the filing register keeps "
                             "the files it was filed with")
    return notes


def record_filings_made(user: str | None, month: str, files: dict[str, Path]) -> list[str]:
    """The month's social security and ภ.ง.ด.1 files recorded as made (the tax calendar)."""
    return record_duties_made(user, month, files, FILING_DUTIES)
