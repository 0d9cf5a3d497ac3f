"""Notebook helpers of the month's supplier invoices (notebooks/invoices/invoices.ipynb)."""

from __future__ import annotations

from dataclasses import dataclass

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
