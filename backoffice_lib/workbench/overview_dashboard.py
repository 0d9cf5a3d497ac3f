"""The owner's overview: a month's payroll cost, package sales and usage, reconciliation status.

Widgets only: the figures come from ``service.load_overview`` (payroll_runs, packages and their
usage, ``pos.sales``, reconciliation sessions and items, read by ``queries``), which checks the
person's access in each handler. A part whose table is not there yet (or is empty) says so
instead of failing: the dashboard degrades, it never goes blank. In the current month the chart
stops at today (the days to come are not drawn as zero).

``overview_dashboard(month)`` is the one call of ``notebooks/workbench/overview.ipynb``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets
import plotly.graph_objects as go
from plotly.graph_objects import FigureWidget  # noqa: F401 - ~3 s import, done while preheating

from .. import access, bangkok, ui
from . import service
from .rules import Kpi, compute_month_options

AREA = service.AREA


# --- what the widgets show ----------------------------------------------------------------------


def render_kpis(kpis: Sequence[Kpi]) -> str:
    cards = "".join(
        '<div class="overview-kpi" style="flex:1 1 200px;background:#fff;border:1px solid #e2e8f0;'
        'border-radius:8px;padding:12px 14px;line-height:1.35">'
        f'<div style="font-size:13px;color:#475569">{html.escape(k.label)}</div>'
        f'<div style="font-size:24px;font-weight:600;color:#14532d">{html.escape(k.value)}</div>'
        f'<div style="font-size:12px;color:#64748b">{html.escape(k.note)}</div></div>'
        for k in kpis
    )
    return f'<div style="display:flex;flex-wrap:wrap;gap:12px">{cards}</div>'


def render_backup_status(status) -> str:
    """The last verified backup's age: a quiet line, or an amber warning (admins see it)."""
    color, border = ("#92400e", "#f59e0b") if status.warn else ("#475569", "#e2e8f0")
    return (f'<div class="overview-backup{" warn" if status.warn else ""}" style="border:1px solid '
            f'{border};border-radius:8px;padding:6px 12px;color:{color}">'
            f'{"⚠ " if status.warn else ""}<b>{html.escape(status.text)}</b> · '
            f"{html.escape(status.note)}</div>")


def render_status(month: str) -> str:
    return (
        f'<span class="backoffice-status">Figures for {month}, read at '
        f"{bangkok.now():%H:%M:%S} Bangkok time</span>"
    )


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


# --- the dashboard ------------------------------------------------------------------------------


def overview_dashboard(month: str | None = None):
    """The owner's overview (admins only): one month, chosen from a dropdown."""
    return ui.guarded_dashboard(AREA, lambda user: OverviewDashboard(user, month).widget,
                                admin=True)


class OverviewDashboard:
    """The widgets and their handlers; ``widget`` is what the notebook shows."""

    def __init__(self, user, month: str | None = None):
        self.email = user.email
        self.require = (user.email, AREA, True)  # each handler's access check, audited
        self.build(self.load_default_month(month))
        self.on_month({"new": self.picker.value})
        self.on_backup_status()
        self.on_forecast()
        self.picker.observe(self.on_month, names="value")
        self.widget = self.layout()

    def _read(self, work):
        return ui.form_action(work, require=self.require)

    def load_default_month(self, month: str | None) -> str:
        """The month asked for, else the latest month with data (not an empty month on the 1st)."""
        if month:
            return month
        latest, refusal = self._read(lambda c: service.load_latest_data_month(c, self.email))
        if refusal:
            raise access.AccessDenied(refusal)
        return ui.compute_default_month([latest] if latest else [], bangkok.today())

    def build(self, chosen: str) -> None:
        options = compute_month_options(bangkok.today())
        if chosen not in options:
            bangkok.parse_month(chosen)  # a clear message for a malformed month
            options = [chosen, *options]
        self.picker = widgets.Dropdown(options=options, value=chosen, description="Month")
        self.kpi_box = widgets.HTML()
        self.backup_box = widgets.HTML()
        self.forecast_box = widgets.HTML()  # the month being worked: payroll's forecast
        self.status = widgets.HTML()
        self.fig = _figure()

    def layout(self):
        header = widgets.HTML(
            f"<h2 style='margin:0'>Studio overview</h2><p style='margin:2px 0 8px;"
            f"color:#475569'>For {html.escape(self.email)}: payroll cost, packages, sales and "
            "reconciliation of one month.</p>"
        )
        return widgets.VBox([ui.stylesheet(), header, self.backup_box, self.picker, self.kpi_box,
                             self.forecast_box, ui.sync_figure(self.fig), self.status])

    def load(self, month: str) -> tuple[dict | None, str | None]:
        """The month's figures, or the reason they cannot be shown."""
        try:
            return self._read(lambda c: service.load_overview(c, self.email, month))
        except Exception as exc:  # noqa: BLE001 - shown on screen, not swallowed
            return None, str(exc)

    def on_backup_status(self, _=None) -> None:
        """The age of the last verified backup, with a warning after 26 hours."""
        status, refusal = self._read(lambda c: service.load_backup_status(c, self.email))
        self.backup_box.value = (ui.compute_error_html("Could not read the backups", refusal)
                                 if refusal else render_backup_status(status))

    def on_forecast(self, _=None) -> None:
        """The payroll of the month being worked: so far, planned, forecast, last month."""
        from ..payroll.reports.forecast import render_forecast
        from ..payroll.rules.forecast import compute_months_to_keep
        from ..payroll.service.forecast import load_forecast_summary

        month = compute_months_to_keep(bangkok.today())[0]
        summary, refusal = self._read(lambda c: load_forecast_summary(c, month, self.email))
        self.forecast_box.value = (ui.compute_error_html("Could not forecast the payroll",
                                                         refusal)
                                   if refusal else render_forecast(summary, month))

    def on_month(self, change) -> None:
        data, refusal = self.load(change["new"])
        if refusal:
            self.status.value = ui.compute_error_html("Could not load this month", refusal)
            return
        self.kpi_box.value = render_kpis(data["kpis"])
        with self.fig.batch_update():
            self.fig.data[0].x = data["days"]
            self.fig.data[0].y = [float(v) for v in data["usage_hours"]]  # floats at the edge
            self.fig.data[1].x = data["days"]
            self.fig.data[1].y = [float(v) for v in data["pos_amounts"]]
            self.fig.layout.title.text = f"Daily package usage and POS sales, {data['month']}"
        ui.sync_figure(self.fig)
        self.status.value = render_status(data["month"])


__all__ = ["OverviewDashboard", "overview_dashboard"]
