"""Notebook helpers of the month's supplier invoices (notebooks/invoices/invoices.ipynb)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ... import access, bangkok
from ..queries import load_invoices
from ..rules import compute_month_totals, compute_withholding_by_supplier
from ..service import save_month_pdfs


@dataclass
class MonthReport:
    month: str
    user: str
    invoices: object  # DataFrame of load_invoices
    totals: dict


def load_month_report(month: str = "", user: str = "") -> MonthReport:
    """Entry point of notebooks/invoices/invoices.ipynb: the month's invoices and totals.

    ``month`` empty means last month (Bangkok); ``user`` empty means the signed-in user.
    """
    from ... import database, session_user

    email = user or session_user.signed_in_user()
    access.require(email, "invoices")
    month = month or bangkok.previous_month(bangkok.month_key(bangkok.today()))
    bangkok.parse_month(month)
    with database.transaction() as conn:
        frame = load_invoices(conn, month)
    return MonthReport(month, email, frame, compute_month_totals(frame))


def month_invoices_table(report: MonthReport):
    return report.invoices.drop(columns=["pdf_file_path"])


def month_totals_table(report: MonthReport):
    import pandas as pd

    labels = {
        "invoices": "invoices (not void)", "void_invoices": "void invoices",
        "subtotal": "subtotal (THB)", "withholding_tax_to_remit": "withholding tax to remit (THB)",
        "net_paid": "net paid to suppliers (THB)",
    }
    return pd.DataFrame(
        [(labels[k], v) for k, v in report.totals.items()], columns=[report.month, "value"]
    ).astype(object)


def month_withholding_table(report: MonthReport):
    return compute_withholding_by_supplier(report.invoices)


def write_month_pdfs(report: MonthReport, output_dir: str = ""):
    """Every invoice PDF of the month into ``output_dir`` (default: a run folder); a table."""
    import pandas as pd

    from ... import database, settings

    folder = output_dir or str(settings.data_dir() / "runs" / "invoices" / report.month)
    with database.transaction() as conn:
        paths = save_month_pdfs(conn, report.user, report.month, folder)
    return pd.DataFrame({"pdf": paths})


def _withholding_files(report: MonthReport, output_dir: str, folder_name: str, write) -> object:
    """Run ``write(conn, user, month, folder)`` in one transaction; a table of the files written,
    of the note that there were none, or of the supplier fields a form still misses (nothing
    written: the run goes on, the tax calendar shows the duty's files as not made)."""
    import pandas as pd

    from ... import database, settings
    from ..rules import InvoiceError
    from ..service import MissingFields

    base = output_dir or str(settings.data_dir() / "runs" / "invoices" / report.month)
    folder = str(Path(base) / folder_name)
    try:
        with database.transaction() as conn:
            paths = write(conn, report.user, report.month, folder)
    except MissingFields as missing:
        return pd.DataFrame(missing.missing, columns=["supplier", "missing field (nothing written)"])
    except InvoiceError as refused:
        return pd.DataFrame({"refused (nothing written)": [str(refused)]})
    if not paths:
        return pd.DataFrame({"": [f"no withholding paid in {report.month}: no files"]})
    return pd.DataFrame({"file": [f"{folder_name}/{Path(p).name}" for p in sorted(paths)]})


def write_month_filings(report: MonthReport, output_dir: str = ""):
    """ภ.ง.ด.3 and ภ.ง.ด.53 of the month (text file, workbook, PDF) into ``filings/`` of the
    output folder, recorded in the filing register (the tax calendar's "files made")."""
    from .withholding import write_withholding_filings

    return _withholding_files(report, output_dir, "filings", write_withholding_filings)


def write_month_certificates(report: MonthReport, output_dir: str = ""):
    """The supplier 50 ทวิ of the month's payments into ``certificates/`` of the output folder."""
    from .certificates import write_withholding_certificates

    return _withholding_files(report, output_dir, "certificates", write_withholding_certificates)
