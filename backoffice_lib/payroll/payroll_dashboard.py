"""The managers' payroll dashboard (Voilà): notebooks/payroll/payroll_dashboard.ipynb.

Pick a month; see the payroll cost by component, hours and overtime by person, overtime by week,
holiday work, the flags to fix before finalising; pick a person to see the sessions behind their
pay. ``PayrollDashboard`` builds the widgets and handles the picks (``on_month``, ``on_person``)
through ``service.load_payroll_months``; the tables come from ``rules.summary`` (pure, tested).
Nothing here writes to the database.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from .. import access, bangkok, ui
from .reports.forecast import render_forecast
from .rules import COMPONENTS, PayrollResult
from .rules import summary as tables
from .rules.forecast import compute_months_to_keep
from .rules.statutory import explain_net_pay
from .rules.summary import COMPONENT_LABELS, compute_pay_basis, thb
from .service import load_payroll_months
from .service.forecast import load_forecast_summary

AREA = "payroll"
TREND_MONTHS = 3
STYLE = (
    "<style>.payroll-table{border-collapse:collapse;font-size:13px}"
    ".payroll-table td,.payroll-table th{padding:2px 8px;border-bottom:1px solid #ddd}"
    "</style>"
)


def render_table(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p><i>{html.escape(empty)}</i></p>"
    return frame.to_html(index=False, escape=True, border=0, classes="payroll-table")


def render_person(result: PayrollResult, staff: int) -> str:
    """One person's pay: each component with its basis, net pay, the sessions behind it."""
    line = result.lines[result.lines["staff"] == staff].iloc[0].to_dict()
    basis = compute_pay_basis(line, result)
    rows = "".join(
        f"<tr><td>{COMPONENT_LABELS[c]}</td><td>{html.escape(basis[c])}</td>"
        f"<td style='text-align:right'>{thb(line[c])}</td></tr>"
        for c in COMPONENTS
    )
    if result.has_net_pay:
        rows += "".join(
            f"<tr><td>{html.escape(label)}</td><td>{html.escape(why)}</td>"
            f"<td style='text-align:right'>{thb(amount)}</td></tr>"
            for label, why, amount in explain_net_pay(line)
        ) + (f"<tr class='net-pay'><td><b>Net pay</b></td><td>total pay − deductions</td>"
             f"<td style='text-align:right'><b>{thb(line['net_pay'])}</b></td></tr>")
    return (
        f"<h4 class='person-title'>{html.escape(line['staff_name'])} "
        f"({html.escape(str(line['staff_id']))}) · total ฿{thb(line['total_pay'])}</h4>"
        f"<table class='payroll-table'><tr><th>Component</th><th>Basis</th><th>THB</th></tr>"
        f"{rows}</table><h4>Sessions</h4>"
        + render_table(tables.compute_person_sessions(result, staff), "No sessions.")
    )


def render_status(result: PayrollResult) -> str:
    totals = result.totals
    text = (
        f"<p class='payroll-status'>Payroll {result.month}: {len(result.lines)} people · "
        f"total ฿{thb(totals['total_pay'])} · {len(result.errors)} blocking errors · "
        f"{len(result.flags)} review flags · service charge ฿{thb(result.service_charge['pool'])}"
        f" (undistributed ฿{thb(result.service_charge['undistributed'])})</p>"
    )
    if result.has_net_pay:
        text += (
            f"<p class='payroll-net'>Net pay ฿{thb(totals['net_pay'])} · employer social "
            f"security ฿{thb(totals['sso_employer'])} · tax to remit "
            f"฿{thb(totals['withholding_tax'])}</p>"
        )
    return text


def _floats(values) -> list[float]:
    return [float(v) for v in values]  # plotting edge only


class PayrollDashboard:
    """The dashboard's widgets and handlers for one signed-in user."""

    def __init__(self, user: access.User, month: str = "", engine: Any = None):
        self.user = user
        self.engine = engine
        self.result: PayrollResult | None = None
        self.build(month)
        self.load()

    # ------------------------------------------------------------------ building
    def build(self, month: str) -> None:
        this_month = bangkok.month_key(bangkok.today())
        choices = tables.compute_month_choices(this_month)
        chosen = month if month in choices else bangkok.previous_month(this_month)
        if month and month not in choices:
            choices.append(month)
            chosen = month
        self.picker = widgets.Dropdown(options=choices, value=chosen, description="Month")
        self.status = widgets.HTML()
        self.forecast = widgets.HTML()
        self.cost = widgets.VBox(layout={"width": "50%"})
        self.trend = widgets.VBox(layout={"width": "50%"})
        self.hours = widgets.VBox()
        self.holidays = widgets.HTML()
        self.remittances = widgets.HTML()
        self.flags = widgets.HTML()
        self.person = widgets.Dropdown(description="Person", options=[])
        self.person_detail = widgets.HTML()
        self.picker.observe(self.on_month, names="value")
        self.person.observe(self.on_person, names="value")
        self.widget = widgets.VBox(
            [
                ui.stylesheet(),
                widgets.HTML(STYLE),
                widgets.HTML("<h2>Payroll</h2>"),
                self.picker,
                self.status,
                self.forecast,
                self.remittances,
                widgets.HBox([self.cost, self.trend]),
                self.hours,
                self.holidays,
                self.flags,
                widgets.HTML("<h3>Drill down: the sessions behind a person's pay</h3>"),
                self.person,
                self.person_detail,
            ]
        )

    # ------------------------------------------------------------------ reading
    def load(self) -> None:
        """The chosen month (and the months before it for the overtime trend), shown."""
        self.status.value = f"<p class='payroll-status'>Loading {self.picker.value}…</p>"
        results, refused = ui.form_action(  # access checked again: a refusal is audited
            lambda conn: load_payroll_months(conn, self.picker.value, self.user.email,
                                             TREND_MONTHS),
            engine=self.engine, require=(self.user.email, AREA, None))
        if refused:
            self.result = None
            self.status.value = ui.message_html(refused, "refused")
            return
        self.result = result = results[0]
        self.status.value = render_status(result)
        self.show_forecast()
        self.remittances.value = "<h4>Net pay and what to remit</h4>" + render_table(
            tables.compute_remittances(result).assign(
                thb=lambda f: [thb(v) for v in f["thb"]]), "Net pay not computed.")
        self.show_charts(results)
        self.holidays.value = "<h4>Holiday work</h4>" + render_table(
            tables.compute_holiday_work(result), "No work on public holidays this month.")
        self.flags.value = "<h4>Flags to fix before finalising</h4>" + render_table(
            tables.compute_flags_to_fix(result), "Nothing to fix.")
        by_person = tables.compute_hours_by_person(result)
        previous = self.person.value
        options = list(zip(by_person["person"], by_person["staff"]))
        staff_ids = [s for _, s in options]
        self.person.unobserve(self.on_person, names="value")
        self.person.options = options
        self.person.value = previous if previous in staff_ids else (
            staff_ids[0] if options else None)
        self.person.observe(self.on_person, names="value")
        self.on_person()

    def show_charts(self, results: list[PayrollResult]) -> None:
        result = results[0]
        by_component = tables.compute_cost_by_component(result)
        by_person = tables.compute_hours_by_person(result)
        weeks = tables.compute_ot_by_week(results)
        ui.show_figure(self.cost, go.Figure(
            go.Bar(x=list(by_component["component"]), y=_floats(by_component["thb"]),
                   name="THB"),
            layout={"title": {"text": "Payroll cost by component (THB)"}, "height": 320,
                    "margin": {"t": 50, "b": 40}, "xaxis": {"type": "category"}},
        ))
        ui.show_figure(self.hours, go.Figure(
            [go.Bar(x=list(by_person["person"]), y=_floats(by_person["hours"]), name="hours"),
             go.Bar(x=list(by_person["person"]), y=_floats(by_person["overtime_hours"]),
                    name="overtime hours")],
            layout={"title": {"text": "Hours and overtime by person"}, "height": 380,
                    "barmode": "group", "margin": {"t": 50, "b": 130},
                    "xaxis": {"type": "category"}},
        ))
        ui.show_figure(self.trend, go.Figure(
            go.Scatter(x=[str(d) for d in weeks["week_end"]],
                       y=_floats(weeks["overtime_hours"]), mode="lines+markers",
                       name="OT hours"),
            layout={"title": {"text": "Overtime hours by week (weeks end on Saturday)"},
                    "height": 320, "margin": {"t": 50, "b": 40},
                    "xaxis": {"type": "category"}},
        ))

    def show_forecast(self) -> None:
        """The month being worked (whichever month is picked): so far, the plan, the forecast
        and last month's actual."""
        month = compute_months_to_keep(bangkok.today())[0]
        summary, refused = ui.form_action(
            lambda conn: load_forecast_summary(conn, month, self.user.email),
            engine=self.engine)
        self.forecast.value = (ui.message_html(refused, "refused") if refused
                               else render_forecast(summary, month))

    # ------------------------------------------------------------------ handlers
    def on_month(self, change=None) -> None:
        self.load()

    def on_person(self, change=None) -> None:
        staff = self.person.value
        if self.result is None or staff is None:
            self.person_detail.value = ""
            return
        self.person_detail.value = render_person(self.result, staff)


def payroll_dashboard(month: str = "", engine: Any = None):
    """Build the dashboard (the notebook's last cell displays it); errors come back on screen."""
    return ui.guarded_dashboard(
        AREA, lambda user: PayrollDashboard(user, month, engine).widget)
