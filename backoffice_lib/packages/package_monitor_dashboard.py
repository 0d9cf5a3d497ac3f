"""The package monitor (Voilà, for managers): what needs attention and how packages are used.

Sections: active packages by category; expiring in the next 7 / 30 days; low balances; packages
never activated (30+ days); usage by week and by hour of day (hour of the linked booking's start,
else of the usage's entry time, Bangkok); a customer lookup with each package and its usage.

Widgets only: every read goes through ``service.monitor``, which checks the person's access in
each handler (a click sent to a control a person may no longer use is refused and audited).
Charts are plotly FigureWidgets (offline; an Output widget with plotly's mime bundle hung nbclient).

``package_monitor_dashboard(as_of)`` is the one call of ``notebooks/packages/package_monitor.ipynb``.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from .. import bangkok, ui
from ..money import round_hours
from .rules import (
    EXPIRY_HORIZONS,
    compute_category_table,
    compute_usage_series,
    compute_watch_lists,
)
from .service import monitor as service

AREA = service.AREA

TABLE_CSS = (
    "<style>.backoffice-table{border-collapse:collapse;font-size:13px}"
    ".backoffice-table th,.backoffice-table td{padding:3px 8px;border-bottom:1px solid #e2e8f0;"
    "text-align:left}.backoffice-table th{background:#f1f5f9}</style>"
)


# --- what the widgets show ----------------------------------------------------------------------


def render_table(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p style='color:#64748b;margin:4px 0'>{html.escape(empty)}</p>"
    shown = frame.astype(object).where(frame.notna(), "")
    # headers a person reads ("days until expiry", not days_until_expiry); a wide list scrolls
    # sideways inside its box instead of running off the page
    shown.columns = [str(c).replace("_", " ") for c in shown.columns]
    table = shown.to_html(index=False, escape=True, border=0, classes="backoffice-table")
    return f"<div style='overflow-x:auto;max-width:100%'>{table}</div>"


def render_lookup(found: dict[str, Any], text: str) -> str:
    """Each found package (status and balance) followed by its usage history."""
    if not found["packages"]:
        return f"<p>No package for a customer matching “{html.escape(text)}”.</p>"
    usage = pd.DataFrame(found["usage"])
    parts = []
    for p in found["packages"]:
        hours = "unlimited" if p["total_hours"] is None else (
            f"{p['remaining_hours']} of {p['total_hours']} h left")
        parts.append(
            f"<h4 style='margin:10px 0 2px'>{html.escape(p['customer_name'])} — "
            f"{html.escape(p['package_type_name'])} ({html.escape(p['package_status'])})</h4>"
            f"<p style='margin:0 0 4px;color:#475569'>bought {p['purchase_date']}, first used "
            f"{p['first_use_date'] or '—'}, expires {p['expiration_date'] or '—'}; {hours}</p>"
        )
        mine = usage[usage["package_id"].astype(str) == p["package_id"]] if not usage.empty else usage
        if mine.empty:
            parts.append("<p style='color:#64748b;margin:0'>No usage yet.</p>")
        else:
            shown = mine[["used_date", "used_hours", "employee_name", "booking_id",
                          "booking_start_time"]].copy()
            shown["used_hours"] = [round_hours(h) for h in shown["used_hours"]]
            parts.append(render_table(shown, ""))
    return "".join(parts)


def render_status(day: dt.date, lists: dict[str, pd.DataFrame]) -> str:
    return (
        f"<span class='backoffice-status'>As of {day}: "
        f"{len(lists['expiring_7'])} expiring within 7 days, "
        f"{len(lists['expiring_30'])} within 30, {len(lists['low_balance'])} low balances, "
        f"{len(lists['never_activated'])} never activated. Read at "
        f"{bangkok.now():%H:%M:%S} Bangkok time.</span>"
    )


def _bar(title: str, x_title: str):
    """An empty bar chart widget (plotly FigureWidget, drawn offline through anywidget)."""
    fig = go.FigureWidget(data=[go.Bar(x=[], y=[], marker_color="#2563eb")])
    fig.update_layout(
        title={"text": title}, height=300, margin={"l": 50, "r": 20, "t": 40, "b": 40},
        xaxis={"title": {"text": x_title}}, yaxis={"title": {"text": "hours"}},
        template=ui.plotly_template(),
    )
    return fig


def _draw(fig, x: list, y: list[float]) -> None:
    with fig.batch_update():
        fig.data[0].x = x
        fig.data[0].y = y
    ui.sync_figure(fig)  # reaches the browser even when changed before the page shows it


def _section(title: str, *children):
    return widgets.VBox([widgets.HTML(f"<h3 style='margin:14px 0 4px'>{html.escape(title)}</h3>"),
                         *children])


# --- the dashboard ------------------------------------------------------------------------------


def package_monitor_dashboard(as_of: str | None = None):
    """The managers' package monitor (admins: it shows customer contacts); ``as_of``
    (YYYY-MM-DD) defaults to today in Bangkok."""
    return ui.guarded_dashboard(
        AREA, lambda user: PackageMonitorDashboard(user, as_of).widget,
        admin=True,  # customer contacts: managers only
    )


class PackageMonitorDashboard:
    """The widgets and their handlers; ``widget`` is what the notebook shows."""

    def __init__(self, user, as_of: str | dt.date | None = None):
        self.email = user.email
        self.require = (user.email, AREA, True)  # each handler's access check, audited
        self.day = (dt.date.fromisoformat(as_of) if isinstance(as_of, str) and as_of
                    else as_of if isinstance(as_of, dt.date) else bangkok.today())
        self.lists: dict[str, pd.DataFrame] = {}
        self.build()
        self.on_refresh()
        self.wire()
        self.widget = self.layout()

    def build(self) -> None:
        self.status = widgets.HTML()
        self.categories = widgets.HTML()
        self.horizon = widgets.ToggleButtons(options=[(f"{d} days", d) for d in EXPIRY_HORIZONS],
                                             value=EXPIRY_HORIZONS[0], description="Expiring in")
        self.expiring = widgets.HTML()
        self.low = widgets.HTML()
        self.never = widgets.HTML()
        self.week_fig = _bar("Package hours used per week", "week starting (Monday)")
        self.hour_fig = _bar("Package hours by hour of day (Bangkok)", "hour of day")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.search = widgets.Text(placeholder="name, phone or e-mail", description="Customer")
        self.search.continuous_update = False  # look up on Enter or leaving the box
        self.look_up_button = widgets.Button(description="Look up", icon="search")
        self.lookup = widgets.HTML()

    def wire(self) -> None:
        self.horizon.observe(self.on_horizon, names="value")
        self.refresh_button.on_click(lambda _b: self.on_refresh())
        self.look_up_button.on_click(lambda _b: self.on_lookup())
        self.search.observe(lambda _c: self.on_lookup(), names="value")

    def layout(self):
        header = widgets.HTML(
            TABLE_CSS + "<h2 style='margin:0'>Package monitor</h2><p style='margin:2px 0 8px;"
            f"color:#475569'>For {html.escape(self.email)}: balances, expiry and usage of"
            " customer packages.</p>"
        )
        return widgets.VBox([
            ui.stylesheet(), header, widgets.HBox([self.refresh_button, self.status]),
            _section("Usable packages by category", self.categories),
            _section("Expiring soon", self.horizon, self.expiring),
            _section("Low balances (≤ 1 h or ≤ 10 % left)", self.low),
            _section("Never activated (bought 30+ days ago)", self.never),
            _section("Usage", self.week_fig, self.hour_fig),
            _section("Customer lookup", widgets.VBox([
                widgets.HBox([self.search, self.look_up_button]), self.lookup])),
        ])

    # --- reading ----------------------------------------------------------------------------

    def load(self) -> tuple[dict | None, str | None]:
        """The monitor's figures, or the reason they cannot be shown."""
        try:
            return ui.form_action(
                lambda conn: service.load_monitor(conn, self.email, self.day),
                require=self.require)
        except Exception as exc:  # noqa: BLE001 - shown on screen
            return None, str(exc)

    def on_refresh(self) -> None:
        data, refusal = self.load()
        if refusal:
            self.status.value = ui.compute_error_html("Could not load packages", refusal)
            return
        self.lists = compute_watch_lists(data["flagged"], self.day)
        series = compute_usage_series(data["series"])
        self.categories.value = render_table(
            compute_category_table(data["counts"]), "No packages sold yet.")
        self.on_horizon()
        self.low.value = render_table(self.lists["low_balance"], "No low balances.")
        self.never.value = render_table(
            self.lists["never_activated"], "Every package bought 30+ days ago was used.")
        _draw(self.week_fig, [w.isoformat() for w in series["weeks"]["week"]],
              [float(h) for h in series["weeks"]["hours"]])  # floats at the plotting edge
        _draw(self.hour_fig, [int(h) for h in series["hours"]["hour"]],
              [float(h) for h in series["hours"]["hours"]])
        self.status.value = render_status(self.day, self.lists)

    def on_horizon(self, _change=None) -> None:
        if not self.lists:
            return
        self.expiring.value = render_table(
            self.lists[f"expiring_{self.horizon.value}"],
            f"No package expires in the next {self.horizon.value} days.",
        )

    def on_lookup(self) -> None:
        text = self.search.value.strip()
        if len(text) < service.LOOKUP_MIN_CHARS:
            self.lookup.value = "<p>Type at least 2 characters.</p>"
            return
        try:
            found, refusal = ui.form_action(
                lambda conn: service.load_customer_lookup(conn, self.email, text, self.day),
                require=self.require)
        except Exception as exc:  # noqa: BLE001 - shown on screen
            found, refusal = None, str(exc)
        if refusal:
            self.lookup.value = ui.compute_error_html("Lookup failed", refusal)
            return
        self.lookup.value = render_lookup(found, text)


__all__ = ["PackageMonitorDashboard", "package_monitor_dashboard"]
