"""The managers' payroll dashboard (Voilà): notebooks/payroll/payroll_dashboard.ipynb.

Pick a month; see the payroll cost by component, hours and overtime by person, overtime by week,
holiday work, the flags to fix before finalising; pick a person to see the sessions behind their
pay. The ``compute_*`` functions shape a ``PayrollResult`` into tables (pure, tested); the
widgets and their callbacks live in ``payroll_dashboard``. Nothing here writes to the database.
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

import pandas as pd

from .. import access, bangkok, database, session_user, ui
from .reports.outputs import COMPONENT_LABELS, compute_pay_basis, thb
from .rules import COMPONENTS, PayrollResult
from .rules.statutory import explain_net_pay
from .service import load_month_payroll

TREND_MONTHS = 3


# --------------------------------------------------------------------------- pure shaping


def compute_cost_by_component(result: PayrollResult) -> pd.DataFrame:
    return pd.DataFrame(
        [(COMPONENT_LABELS[c], result.totals[c]) for c in COMPONENTS],
        columns=["component", "thb"],
    )


def compute_remittances(result: PayrollResult) -> pd.DataFrame:
    """Net pay to transfer, social security and withholding tax to remit, employer cost."""
    if not result.has_net_pay:
        return pd.DataFrame(columns=["item", "thb"])
    t = result.totals
    return pd.DataFrame(
        [
            ("Gross pay", t["total_pay"]),
            ("Net pay to transfer", t["net_pay"]),
            ("Social security, employees' share", t["sso_employee"]),
            ("Social security, employer's share", t["sso_employer"]),
            ("Social security to remit (form SPS 1-10, by the 15th)",
             t["sso_employee"] + t["sso_employer"]),
            ("Withholding tax to remit (form PND 1, by the 7th)", t["withholding_tax"]),
            ("Employer cost (gross + employer's social security)", t["employer_cost"]),
        ],
        columns=["item", "thb"],
    )


def compute_hours_by_person(result: PayrollResult) -> pd.DataFrame:
    lines = result.lines
    return pd.DataFrame(
        {
            "staff": lines["staff"],
            "person": [f"{n} ({c})" for n, c in zip(lines["staff_name"], lines["staff_id"])],
            "hours": lines["total_hours"],
            "overtime_hours": lines["overtime_hours"],
            "holiday_hours": lines["holiday_hours"],
            "total_pay": lines["total_pay"],
        }
    )


def compute_ot_by_week(results: list[PayrollResult]) -> pd.DataFrame:
    """Overtime hours of every week paid in the given months, all staff together."""
    frames = [r.weeks.assign(month=r.month) for r in results if len(r.weeks)]
    if not frames:
        return pd.DataFrame(columns=["week_end", "overtime_hours", "people_with_ot"])
    weeks = pd.concat(frames, ignore_index=True)
    grouped = weeks.groupby("week_end", sort=True)
    return pd.DataFrame(
        {
            "week_end": list(grouped.groups),
            "overtime_hours": [sum(g["overtime_hours"], Decimal(0)) for _, g in grouped],
            "people_with_ot": [int((g["overtime_hours"] > 0).sum()) for _, g in grouped],
        }
    )


def _names(result: PayrollResult) -> dict[int, str]:
    return dict(zip(result.lines["staff"], result.lines["staff_name"]))


def compute_holiday_work(result: PayrollResult) -> pd.DataFrame:
    s = result.sessions
    s = s[s["in_month"] & s["holiday"] & (s["seconds"] > 0)]
    names = _names(result)
    rates = dict(zip(result.lines["staff"], result.lines["holiday_rate_per_hour"]))
    return pd.DataFrame(
        {
            "person": [names.get(x, str(x)) for x in s["staff"]],
            "date": list(s["work_date"]),
            "hours": list(s["hours"]),
            "holiday_rate": [rates.get(x) for x in s["staff"]],
        }
    )


def compute_flags_to_fix(result: PayrollResult) -> pd.DataFrame:
    blocking = pd.DataFrame(
        {
            "person": result.errors["staff_name"],
            "date": "",
            "flag": "BLOCKING: no compensation",
            "detail": result.errors["message"],
        }
    )
    flags = pd.DataFrame(
        {
            "person": result.flags["staff_name"],
            "date": result.flags["work_date"],
            "flag": result.flags["flag"],
            "detail": result.flags["detail"],
        }
    )
    return pd.concat([blocking, flags], ignore_index=True)


def compute_person_sessions(result: PayrollResult, staff: int) -> pd.DataFrame:
    """The sessions behind one person's pay (the month's, and earlier days of its first week)."""
    s = result.sessions[result.sessions["staff"] == staff]

    def clock(value) -> str:
        return "" if value is None or pd.isna(value) else f"{value:%Y-%m-%d %H:%M}"

    return pd.DataFrame(
        {
            "date": list(s["work_date"]),
            "clock_in": [clock(v) for v in s["clock_in"]],
            "clock_out": [clock(v) for v in s["clock_out"]],
            "hours": list(s["hours"]),
            "flag": [f or "" for f in s["flag"]],
            "holiday": ["holiday" if h else "" for h in s["holiday"]],
            "week_ending": list(s["week_end"]),
            "counts_for": ["pay" if m else "overtime week only" for m in s["in_month"]],
        }
    )


def compute_month_choices(today_month: str, count: int = 12) -> list[str]:
    months = [today_month]
    while len(months) < count:
        months.append(bangkok.previous_month(months[-1]))
    return months


# --------------------------------------------------------------------------- widgets


def _table(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p><i>{html.escape(empty)}</i></p>"
    return frame.to_html(index=False, escape=True, border=0, classes="payroll-table")


def _load(month: str, engine: Any = None) -> list[PayrollResult]:
    results = []
    with database.transaction(engine) as conn:
        key = month
        for _ in range(TREND_MONTHS):
            results.append(load_month_payroll(conn, key))
            key = bangkok.previous_month(key)
    return results


def _floats(values) -> list[float]:
    return [float(v) for v in values]  # plotting edge only


def payroll_dashboard(month: str = "", engine: Any = None):
    """Build and return the dashboard (the notebook's last cell displays it)."""
    import ipywidgets as widgets
    import plotly.graph_objects as go

    user = session_user.signed_in_user()
    try:
        access.require(user, "payroll", engine=engine)
    except access.AccessDenied as refused:
        return widgets.HTML(f"<h3>Payroll</h3><p>{html.escape(str(refused))}</p>")

    this_month = bangkok.month_key(bangkok.today())
    choices = compute_month_choices(this_month)
    chosen = month if month in choices else bangkok.previous_month(this_month)
    if month and month not in choices:
        choices.append(month)
        chosen = month
    picker = widgets.Dropdown(options=choices, value=chosen, description="Month")
    status = widgets.HTML()
    cost = widgets.VBox(layout={"width": "50%"})
    trend = widgets.VBox(layout={"width": "50%"})
    hours = widgets.VBox()
    holidays = widgets.HTML()
    remittances = widgets.HTML()
    flags = widgets.HTML()
    person = widgets.Dropdown(description="Person", options=[])
    person_detail = widgets.HTML()
    state: dict = {}

    def show_person(change=None) -> None:
        result: PayrollResult | None = state.get("result")
        staff = person.value
        if result is None or staff is None:
            person_detail.value = ""
            return
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
        person_detail.value = (
            f"<h4 class='person-title'>{html.escape(line['staff_name'])} "
            f"({html.escape(str(line['staff_id']))}) · total ฿{thb(line['total_pay'])}</h4>"
            f"<table class='payroll-table'><tr><th>Component</th><th>Basis</th><th>THB</th></tr>"
            f"{rows}</table><h4>Sessions</h4>"
            + _table(compute_person_sessions(result, staff), "No sessions.")
        )

    def show_month(change=None) -> None:
        status.value = f"<p class='payroll-status'>Loading {picker.value}…</p>"
        results = _load(picker.value, engine)
        result = results[0]
        state["result"] = result
        totals = result.totals
        status.value = (
            f"<p class='payroll-status'>Payroll {result.month}: {len(result.lines)} people · "
            f"total ฿{thb(totals['total_pay'])} · {len(result.errors)} blocking errors · "
            f"{len(result.flags)} review flags · service charge ฿{thb(result.service_charge['pool'])}"
            f" (undistributed ฿{thb(result.service_charge['undistributed'])})</p>"
        )
        if result.has_net_pay:
            status.value += (
                f"<p class='payroll-net'>Net pay ฿{thb(totals['net_pay'])} · employer social "
                f"security ฿{thb(totals['sso_employer'])} · tax to remit "
                f"฿{thb(totals['withholding_tax'])}</p>"
            )
        remittances.value = "<h4>Net pay and what to remit</h4>" + _table(
            compute_remittances(result).assign(
                thb=lambda f: [thb(v) for v in f["thb"]]), "Net pay not computed.")
        by_component = compute_cost_by_component(result)
        by_person = compute_hours_by_person(result)
        weeks = compute_ot_by_week(results)
        ui.show_figure(cost, go.Figure(
            go.Bar(x=list(by_component["component"]), y=_floats(by_component["thb"]),
                   name="THB"),
            layout={"title": {"text": "Payroll cost by component (THB)"}, "height": 320,
                    "margin": {"t": 50, "b": 40}, "xaxis": {"type": "category"}},
        ))
        ui.show_figure(hours, go.Figure(
            [go.Bar(x=list(by_person["person"]), y=_floats(by_person["hours"]), name="hours"),
             go.Bar(x=list(by_person["person"]), y=_floats(by_person["overtime_hours"]),
                    name="overtime hours")],
            layout={"title": {"text": "Hours and overtime by person"}, "height": 380,
                    "barmode": "group", "margin": {"t": 50, "b": 130},
                    "xaxis": {"type": "category"}},
        ))
        ui.show_figure(trend, go.Figure(
            go.Scatter(x=[str(d) for d in weeks["week_end"]],
                       y=_floats(weeks["overtime_hours"]), mode="lines+markers",
                       name="OT hours"),
            layout={"title": {"text": "Overtime hours by week (weeks end on Saturday)"},
                    "height": 320, "margin": {"t": 50, "b": 40},
                    "xaxis": {"type": "category"}},
        ))
        holidays.value = "<h4>Holiday work</h4>" + _table(
            compute_holiday_work(result), "No work on public holidays this month.")
        flags.value = "<h4>Flags to fix before finalising</h4>" + _table(
            compute_flags_to_fix(result), "Nothing to fix.")
        previous = person.value
        options = [(p, s) for p, s in zip(by_person["person"], by_person["staff"])]
        person.options = options
        staff_ids = [s for _, s in options]
        person.value = previous if previous in staff_ids else (staff_ids[0] if options else None)
        show_person()

    picker.observe(show_month, names="value")
    person.observe(show_person, names="value")
    show_month()
    style = widgets.HTML(
        "<style>.payroll-table{border-collapse:collapse;font-size:13px}"
        ".payroll-table td,.payroll-table th{padding:2px 8px;border-bottom:1px solid #ddd}"
        "</style>"
    )
    return widgets.VBox(
        [
            ui.stylesheet(),
            style,
            widgets.HTML("<h2>Payroll</h2>"),
            picker,
            status,
            remittances,
            widgets.HBox([cost, trend]),
            hours,
            holidays,
            flags,
            widgets.HTML("<h3>Drill down: the sessions behind a person's pay</h3>"),
            person,
            person_detail,
        ]
    )
