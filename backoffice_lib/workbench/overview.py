"""The owner's overview: a month's payroll cost, package sales and usage, reconciliation status.

Reads what exists in the database directly (``payroll_runs`` written by the payroll work, packages
and their usage, ``pos.sales``, ``reconciliation_sessions``/``items``). A part whose table is not
there yet (or is empty) says so instead of failing: the dashboard degrades, it never goes blank.

``overview_dashboard(month)`` is the one call of ``notebooks/workbench/overview.ipynb``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go
import sqlalchemy as sa
from plotly.graph_objects import FigureWidget  # noqa: F401 - ~3 s import, done while preheating
from sqlalchemy.engine import Connection

from .. import bangkok, database, money, ui

AREA = "overview"
MONTHS_OFFERED = 12


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    note: str = ""


# --- pure ---------------------------------------------------------------------------------------


def compute_month_options(today: dt.date, count: int = MONTHS_OFFERED) -> list[str]:
    """This month and the ``count - 1`` before it, newest first."""
    months = [bangkok.month_key(today)]
    while len(months) < count:
        months.append(bangkok.previous_month(months[-1]))
    return months


def format_baht(value: Decimal | None) -> str:
    return "–" if value is None else f"฿{money.round_money(value):,.2f}"


def format_hours(value: Decimal | None) -> str:
    return "–" if value is None else f"{money.round_hours(value):,.2f} h"


def compute_payroll_kpi(month: str, run: Mapping[str, Any] | None, available: bool) -> Kpi:
    if not available:
        return Kpi("Payroll cost", "–", "payroll runs are not recorded in this database yet")
    if run is None:
        note = f"no payroll run for {month} yet (jobs run it on the 1st of the next month)"
        return Kpi("Payroll cost", "–", note)
    status = "finalised" if run["status"] == "finalised" else "draft, not final"
    return Kpi(
        "Payroll cost",
        format_baht(run["total_pay"]),
        f"{run['people']} people, run of {run['created_at']:%d %b %Y} ({status})",
    )


def compute_package_kpis(sales: Sequence[Mapping[str, Any]], usage_hours: Decimal) -> list[Kpi]:
    sold = sum(int(row["packages"]) for row in sales)
    hours = sum((row["hours"] or Decimal(0) for row in sales), Decimal(0))
    by_type = ", ".join(f"{row['packages']} {row['type_name']}" for row in sales[:3]) or "none"
    if len(sales) > 3:
        by_type += f", {len(sales) - 3} more types"
    return [
        Kpi("Packages sold", str(sold), f"{format_hours(hours)} sold: {by_type}"),
        Kpi("Package hours used", format_hours(usage_hours), "hours recorded against packages"),
    ]


def compute_reconciliation_kpi(
    sessions: Sequence[Mapping[str, Any]], unresolved: int, available: bool
) -> Kpi:
    if not available:
        return Kpi("Reconciliation", "–", "not recorded in this database yet")
    if not sessions:
        return Kpi("Reconciliation", "none", "no reconciliation covers this month yet")
    done = sum(1 for s in sessions if s["status"] == "completed")
    failed = sum(1 for s in sessions if s["status"] == "failed")
    rates = [s["match_rate"] for s in sessions if s["match_rate"] is not None]
    rate = f", best match rate {max(rates):.2f} %" if rates else ""
    note = f"{done} completed, {failed} failed{rate}; {unresolved} item(s) unresolved"
    value = "all clear" if unresolved == 0 and failed == 0 and done else f"{unresolved} open"
    return Kpi("Reconciliation", value, note)


def compute_kpi_html(kpis: Sequence[Kpi]) -> str:
    import html

    cards = "".join(
        '<div class="overview-kpi" style="flex:1 1 200px;background:#fff;border:1px solid #e2e8f0;'
        'border-radius:8px;padding:12px 14px;line-height:1.35">'
        f'<div style="font-size:13px;color:#475569">{html.escape(k.label)}</div>'
        f'<div style="font-size:24px;font-weight:600;color:#14532d">{html.escape(k.value)}</div>'
        f'<div style="font-size:12px;color:#64748b">{html.escape(k.note)}</div></div>'
        for k in kpis
    )
    return f'<div style="display:flex;flex-wrap:wrap;gap:12px">{cards}</div>'


def compute_daily_series(
    first: dt.date, last: dt.date, rows: Sequence[Mapping[str, Any]], key: str
) -> tuple[list[str], list[Decimal]]:
    """Every day of the month with its value (0 when none): x labels and Decimal values."""
    by_day = {row["day"]: row[key] for row in rows}
    days, values = [], []
    day = first
    while day <= last:
        days.append(day.isoformat())
        values.append(by_day.get(day) or Decimal(0))
        day += dt.timedelta(days=1)
    return days, values


# --- data access --------------------------------------------------------------------------------


def _table_exists(conn: Connection, schema: str, table: str) -> bool:
    return bool(
        conn.scalar(sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"{schema}.{table}"})
    )


def load_payroll_run(conn: Connection, month: str) -> tuple[dict | None, bool]:
    """The month's finalised payroll run, else its latest draft; and whether runs are recorded."""
    if not _table_exists(conn, "backoffice", "payroll_runs"):
        return None, False
    row = conn.execute(
        sa.text(
            "SELECT status, total_pay, people, created_at FROM backoffice.payroll_runs"
            " WHERE month = :month"
            " ORDER BY (status = 'finalised') DESC, created_at DESC LIMIT 1"
        ),
        {"month": month},
    ).first()
    return (dict(row._mapping) if row else None), True


def load_package_sales(conn: Connection, first: dt.date, last: dt.date) -> list[dict]:
    rows = conn.execute(
        sa.text(
            "SELECT coalesce(t.display_name, t.name) AS type_name, count(*) AS packages,"
            " sum(t.hours) AS hours"
            " FROM backoffice.packages p JOIN backoffice.package_types t ON t.id = p.package_type_id"
            " WHERE p.purchase_date BETWEEN :first AND :last"
            " GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        {"first": first, "last": last},
    )
    return [dict(r._mapping) for r in rows]


def load_daily_usage(conn: Connection, first: dt.date, last: dt.date) -> list[dict]:
    rows = conn.execute(
        sa.text(
            "SELECT used_date AS day, sum(used_hours) AS hours FROM backoffice.package_usage"
            " WHERE used_date BETWEEN :first AND :last GROUP BY 1 ORDER BY 1"
        ),
        {"first": first, "last": last},
    )
    return [dict(r._mapping) for r in rows]


def load_daily_pos_sales(conn: Connection, first: dt.date, last: dt.date) -> list[dict]:
    if not _table_exists(conn, "pos", "sales"):
        return []
    rows = conn.execute(
        sa.text(
            "SELECT sale_date AS day, sum(item_price_incl_vat) AS amount FROM pos.sales"
            " WHERE sale_date BETWEEN :first AND :last AND NOT coalesce(is_voided, false)"
            " GROUP BY 1 ORDER BY 1"
        ),
        {"first": first, "last": last},
    )
    return [dict(r._mapping) for r in rows]


def load_reconciliation(conn: Connection, first: dt.date, last: dt.date) -> tuple[list, int, bool]:
    """Sessions whose date range overlaps the month, and their unresolved items."""
    if not _table_exists(conn, "backoffice", "reconciliation_sessions"):
        return [], 0, False
    sessions = [
        dict(r._mapping)
        for r in conn.execute(
            sa.text(
                "SELECT id, status, match_rate FROM backoffice.reconciliation_sessions"
                " WHERE date_range_start <= :last AND date_range_end >= :first"
            ),
            {"first": first, "last": last},
        )
    ]
    unresolved = 0
    if sessions:
        unresolved = conn.scalar(
            sa.text(
                "SELECT count(*) FROM backoffice.reconciliation_items"
                " WHERE status = 'unresolved' AND item_type <> 'matched'"
                " AND session_id = ANY(:ids)"
            ),
            {"ids": [s["id"] for s in sessions]},
        )
    return sessions, int(unresolved or 0), True


def load_latest_data_month(conn: Connection) -> str | None:
    """The latest month with package usage or POS sales up to today (None when there is none)."""
    latest = conn.scalar(
        sa.text(
            "SELECT greatest((SELECT max(used_date) FROM backoffice.package_usage"
            "                  WHERE used_date <= CAST(:today AS date)),"
            "                (SELECT max(sale_date) FROM pos.sales"
            "                  WHERE sale_date <= CAST(:today AS date)))"
        ),
        {"today": bangkok.today()},
    )
    return bangkok.month_key(latest) if latest else None


def load_overview(conn: Connection, month: str) -> dict[str, Any]:
    """Everything the overview shows for ``month`` (read-only)."""
    first, last = bangkok.month_days(month)
    run, payroll_available = load_payroll_run(conn, month)
    sales = load_package_sales(conn, first, last)
    usage = load_daily_usage(conn, first, last)
    pos = load_daily_pos_sales(conn, first, last)
    sessions, unresolved, recon_available = load_reconciliation(conn, first, last)
    usage_total = sum((row["hours"] for row in usage), Decimal(0))
    pos_total = sum((row["amount"] or Decimal(0) for row in pos), Decimal(0))
    kpis = [
        compute_payroll_kpi(month, run, payroll_available),
        *compute_package_kpis(sales, usage_total),
        Kpi("Studio sales (POS)", format_baht(pos_total), "incl. VAT, voided receipts excluded"),
        compute_reconciliation_kpi(sessions, unresolved, recon_available),
    ]
    days, usage_hours = compute_daily_series(first, last, usage, "hours")
    _, pos_amounts = compute_daily_series(first, last, pos, "amount")
    return {
        "month": month,
        "kpis": kpis,
        "days": days,
        "usage_hours": usage_hours,
        "pos_amounts": pos_amounts,
    }


# --- the dashboard ------------------------------------------------------------------------------


def _figure():
    fig = go.FigureWidget(
        data=[
            go.Bar(name="Package hours used", x=[], y=[], marker_color="#16a34a"),
            go.Scatter(
                name="POS sales (฿)", x=[], y=[], yaxis="y2", mode="lines", line_color="#0f766e"
            ),
        ]
    )
    fig.update_layout(
        height=360,
        margin={"l": 50, "r": 60, "t": 40, "b": 40},
        title={"text": "Daily package usage and POS sales"},
        yaxis={"title": {"text": "hours"}},
        yaxis2={"title": {"text": "฿"}, "overlaying": "y", "side": "right"},
        legend={"orientation": "h", "y": -0.15},
        template=ui.plotly_template(),
    )
    return fig


def _show(data: dict, kpi_box, fig, status) -> None:
    kpi_box.value = compute_kpi_html(data["kpis"])
    with fig.batch_update():
        fig.data[0].x = data["days"]
        fig.data[0].y = [float(v) for v in data["usage_hours"]]  # floats at the plotting edge
        fig.data[1].x = data["days"]
        fig.data[1].y = [float(v) for v in data["pos_amounts"]]
        fig.layout.title.text = f"Daily package usage and POS sales, {data['month']}"
    status.value = (
        f'<span class="backoffice-status">Figures for {data["month"]}, read at '
        f"{bangkok.now():%H:%M:%S} Bangkok time</span>"
    )


def overview_dashboard(month: str | None = None):
    """The owner's overview (admins only): one month, chosen from a dropdown."""
    def build(user):
        options = compute_month_options(bangkok.today())
        chosen = month
        if not chosen:  # the latest month with data, not an empty month on the 1st
            with database.transaction() as conn:
                latest = load_latest_data_month(conn)
            chosen = ui.compute_default_month([latest] if latest else [], bangkok.today())
        if chosen not in options:
            bangkok.parse_month(chosen)  # a clear message for a malformed month
            options = [chosen, *options]
        picker = widgets.Dropdown(options=options, value=chosen, description="Month")
        kpi_box = widgets.HTML()
        status = widgets.HTML()
        fig = _figure()

        def refresh(selected: str) -> None:
            with database.transaction() as conn:
                data = load_overview(conn, selected)
            _show(data, kpi_box, fig, status)

        def on_change(change) -> None:
            try:
                refresh(change["new"])
            except Exception as exc:  # noqa: BLE001 - shown on screen, not swallowed
                status.value = ui.compute_error_html("Could not load this month", str(exc))

        refresh(chosen)
        picker.observe(on_change, names="value")
        header = widgets.HTML(
            f"<h2 style='margin:0'>Studio overview</h2><p style='margin:2px 0 8px;"
            f"color:#475569'>For {user.email}: payroll cost, packages, sales and "
            "reconciliation of one month.</p>"
        )
        return widgets.VBox([ui.stylesheet(), header, picker, kpi_box, ui.sync_figure(fig),
                             status])

    return ui.guarded_dashboard(AREA, build, admin=True)
