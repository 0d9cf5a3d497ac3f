"""The package monitor (Voilà, for managers): what needs attention and how packages are used.

Sections: active packages by category; expiring in the next 7 / 30 days; low balances; packages
never activated (30+ days); usage by week and by hour of day (hour of the linked booking's start,
else of the usage's entry time, Bangkok); a customer lookup with each package and its usage.

The first render runs three aggregated queries (``load_monitor``); the lookup queries on demand. Charts are
plotly FigureWidgets (offline; an Output widget with plotly's mime bundle hung nbclient).
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import bangkok, database, ui
from ..money import ZERO, round_hours
from . import alerts, service

AREA = "packages"
EXPIRY_HORIZONS = (7, 30)
USAGE_WEEKS = 26
LOOKUP_LIMIT = 50


# --- data access --------------------------------------------------------------------------------

CATEGORY_COUNTS_SQL = """
WITH usage_totals AS (
  SELECT package_id, sum(used_hours) AS used_hours FROM backoffice.package_usage GROUP BY package_id
)
SELECT pt.type::text AS package_category,
       backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours, u.used_hours,
                                 CAST(:as_of AS date)) AS package_status,
       count(*) AS packages,
       sum(CASE WHEN pt.hours IS NOT NULL
                THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END) AS remaining_hours
  FROM backoffice.packages p
  JOIN backoffice.package_types pt ON pt.id = p.package_type_id
  LEFT JOIN usage_totals u ON u.package_id = p.id
 GROUP BY 1, 2
 ORDER BY 1, 2
"""

USAGE_SERIES_SQL = """
WITH usage AS (
  SELECT u.used_date, u.used_hours,
         extract(hour FROM coalesce(b.start_time,
                                    (u.created_at AT TIME ZONE 'Asia/Bangkok')::time))::int AS hour
    FROM backoffice.package_usage u
    LEFT JOIN public.bookings b ON b.id = u.booking_id
   WHERE u.used_date > CAST(:since AS date) AND u.used_date <= CAST(:as_of AS date)
)
SELECT 'week' AS grain, date_trunc('week', used_date)::date AS week, NULL::int AS hour,
       sum(used_hours) AS hours, count(*) AS usages
  FROM usage GROUP BY date_trunc('week', used_date)
UNION ALL
SELECT 'hour', NULL, hour, sum(used_hours), count(*) FROM usage GROUP BY hour
ORDER BY 1, 2, 3
"""


LOOKUP_SQL = f"""
SELECT p.id AS package_id, p.customer_name, pt.name AS package_type_name,
       pt.type::text AS package_category, p.purchase_date, p.first_use_date, p.expiration_date,
       pt.hours AS total_hours, coalesce(u.used_hours, 0) AS used_hours,
       CASE WHEN pt.hours IS NOT NULL
            THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END AS remaining_hours,
       backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours, u.used_hours,
                                 CAST(:as_of AS date)) AS package_status
  FROM backoffice.packages p
  JOIN backoffice.package_types pt ON pt.id = p.package_type_id
  LEFT JOIN public.customers c ON c.id = p.customer_id
  LEFT JOIN LATERAL (
    SELECT sum(x.used_hours) AS used_hours FROM backoffice.package_usage x WHERE x.package_id = p.id
  ) u ON true
 WHERE p.customer_name ILIKE :q OR c.contact_number ILIKE :q OR c.email ILIKE :q
 ORDER BY p.customer_name, p.purchase_date DESC, p.id
 LIMIT {LOOKUP_LIMIT}
"""


def load_monitor(conn: Connection, as_of: dt.date) -> dict[str, Any]:
    """Everything the first render shows, in three aggregated queries."""
    counts = [dict(r) for r in conn.execute(sa.text(CATEGORY_COUNTS_SQL), {"as_of": as_of}).mappings()]
    flagged = alerts.load_flagged_packages(conn, as_of, max(EXPIRY_HORIZONS))
    since = as_of - dt.timedelta(weeks=USAGE_WEEKS)
    series = [dict(r) for r in conn.execute(
        sa.text(USAGE_SERIES_SQL), {"since": since, "as_of": as_of}).mappings()]
    return {"as_of": as_of, "counts": counts, "flagged": flagged, "series": series}


def load_customer_packages(conn: Connection, search: str, as_of: dt.date) -> dict[str, Any]:
    """Packages of the customers whose name, phone or e-mail contains ``search``, with usage."""
    pattern = f"%{search.strip()}%"
    rows = conn.execute(sa.text(LOOKUP_SQL), {"q": pattern, "as_of": as_of}).mappings()
    found = [service.format_status_row(r) for r in rows]
    usage = service.load_package_usage(conn, [r["package_id"] for r in found])
    return {"packages": found, "usage": usage}


# --- pure ---------------------------------------------------------------------------------------


def compute_category_table(counts: list[dict[str, Any]]) -> pd.DataFrame:
    """Packages per category (rows) and usable status (columns), with remaining hours."""
    categories = sorted({c["package_category"] for c in counts})
    table = []
    for category in categories:
        mine = [c for c in counts if c["package_category"] == category]
        row: dict[str, Any] = {"category": category}
        for status in service.USABLE_STATUSES:
            row[status] = sum(c["packages"] for c in mine if c["package_status"] == status)
        row["usable"] = sum(row[s] for s in service.USABLE_STATUSES)
        row["hours_left"] = round_hours(sum(
            (c["remaining_hours"] or ZERO for c in mine if c["package_status"] in service.USABLE_STATUSES),
            ZERO,
        ))
        row["expired_or_depleted"] = sum(
            c["packages"] for c in mine if c["package_status"] in ("expired", "depleted")
        )
        table.append(row)
    columns = ["category", *service.USABLE_STATUSES, "usable", "hours_left", "expired_or_depleted"]
    return pd.DataFrame(table, columns=columns)


WATCH_COLUMNS = ["customer_name", "contact_number", "package_type_name", "purchase_date",
                 "first_use_date", "expiration_date", "days_until_expiry", "total_hours",
                 "used_hours", "remaining_hours", "package_status"]


def compute_watch_lists(flagged: list[dict[str, Any]], as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Split the flagged packages into: expiring within 7 / 30 days, low balance, never activated."""
    def frame(rows):
        out = []
        for r in rows:
            row = {c: r.get(c) for c in WATCH_COLUMNS}
            for c in ("total_hours", "used_hours", "remaining_hours"):
                if row[c] is not None:
                    row[c] = round_hours(row[c])
            out.append(row)
        return pd.DataFrame(out, columns=WATCH_COLUMNS)

    usable = [r for r in flagged if r["package_status"] in ("active", "unlimited")]
    lists = {}
    for days in EXPIRY_HORIZONS:
        lists[f"expiring_{days}"] = frame(sorted(
            (r for r in usable if r["expiration_date"] is not None
             and 0 <= (r["expiration_date"] - as_of).days <= days),
            key=lambda r: (r["expiration_date"], r["customer_name"]),
        ))
    lists["low_balance"] = frame(sorted(
        (r for r in flagged if r["package_status"] == "active"
         and alerts.is_low_balance(r["total_hours"], r["remaining_hours"])),
        key=lambda r: (r["remaining_hours"], r["customer_name"]),
    ))
    lists["never_activated"] = frame(sorted(
        (r for r in flagged if r["package_status"] == "not_activated"
         and (as_of - r["purchase_date"]).days >= alerts.NOT_ACTIVATED_DAYS),
        key=lambda r: (r["purchase_date"], r["customer_name"]),
    ))
    return lists


def compute_usage_series(series: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """Hours per week (weeks start on Monday) and per hour of day (all 24 hours present)."""
    weeks = pd.DataFrame(
        [{"week": r["week"], "hours": round_hours(r["hours"]), "usages": r["usages"]}
         for r in series if r["grain"] == "week"],
        columns=["week", "hours", "usages"],
    )
    by_hour = {r["hour"]: r for r in series if r["grain"] == "hour"}
    hours = pd.DataFrame(
        [{"hour": h, "hours": round_hours(by_hour[h]["hours"]) if h in by_hour else Decimal("0.00"),
          "usages": by_hour[h]["usages"] if h in by_hour else 0} for h in range(24)],
        columns=["hour", "hours", "usages"],
    )
    return {"weeks": weeks, "hours": hours}


def compute_table_html(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p style='color:#64748b;margin:4px 0'>{html.escape(empty)}</p>"
    shown = frame.astype(object).where(frame.notna(), "")
    return shown.to_html(index=False, escape=True, border=0, classes="backoffice-table")


# --- widgets ------------------------------------------------------------------------------------

TABLE_CSS = (
    "<style>.backoffice-table{border-collapse:collapse;font-size:13px}"
    ".backoffice-table th,.backoffice-table td{padding:3px 8px;border-bottom:1px solid #e2e8f0;"
    "text-align:left}.backoffice-table th{background:#f1f5f9}</style>"
)


def _bar(title: str, x_title: str):
    """An empty bar chart widget (plotly FigureWidget, drawn offline through anywidget)."""
    import plotly.graph_objects as go

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
    import ipywidgets as widgets

    return widgets.VBox([widgets.HTML(f"<h3 style='margin:14px 0 4px'>{html.escape(title)}</h3>"),
                         *children])


def package_monitor_dashboard(as_of: str | None = None):
    """The managers' package monitor (admins: it shows customer contacts); ``as_of``
    (YYYY-MM-DD) defaults to today in Bangkok."""
    import ipywidgets as widgets

    def build(user):
        day = dt.date.fromisoformat(as_of) if as_of else bangkok.today()
        status = widgets.HTML()
        categories = widgets.HTML()
        horizon = widgets.ToggleButtons(options=[(f"{d} days", d) for d in EXPIRY_HORIZONS],
                                        value=EXPIRY_HORIZONS[0], description="Expiring in")
        expiring = widgets.HTML()
        low = widgets.HTML()
        never = widgets.HTML()
        week_fig = _bar("Package hours used per week", "week starting (Monday)")
        hour_fig = _bar("Package hours by hour of day (Bangkok)", "hour of day")
        refresh_button = widgets.Button(description="Refresh", icon="refresh")
        state: dict[str, Any] = {}

        def show_expiring(_=None) -> None:
            lists = state["lists"]
            expiring.value = compute_table_html(
                lists[f"expiring_{horizon.value}"],
                f"No package expires in the next {horizon.value} days.",
            )

        def refresh(_=None) -> None:
            try:
                with database.transaction() as conn:
                    data = load_monitor(conn, day)
            except Exception as exc:  # noqa: BLE001 - shown on screen
                status.value = ui.compute_error_html("Could not load packages", str(exc))
                return
            state["lists"] = compute_watch_lists(data["flagged"], day)
            series = compute_usage_series(data["series"])
            categories.value = compute_table_html(
                compute_category_table(data["counts"]), "No packages sold yet.")
            show_expiring()
            low.value = compute_table_html(state["lists"]["low_balance"], "No low balances.")
            never.value = compute_table_html(
                state["lists"]["never_activated"], "Every package bought 30+ days ago was used.")
            _draw(week_fig, [w.isoformat() for w in series["weeks"]["week"]],
                  [float(h) for h in series["weeks"]["hours"]])  # floats at the plotting edge
            _draw(hour_fig, [int(h) for h in series["hours"]["hour"]],
                  [float(h) for h in series["hours"]["hours"]])
            lists = state["lists"]
            status.value = (
                f"<span class='backoffice-status'>As of {day}: "
                f"{len(lists['expiring_7'])} expiring within 7 days, "
                f"{len(lists['expiring_30'])} within 30, {len(lists['low_balance'])} low balances, "
                f"{len(lists['never_activated'])} never activated. Read at "
                f"{bangkok.now():%H:%M:%S} Bangkok time.</span>"
            )

        refresh()
        horizon.observe(show_expiring, names="value")
        refresh_button.on_click(refresh)
        header = widgets.HTML(
            TABLE_CSS + "<h2 style='margin:0'>Package monitor</h2><p style='margin:2px 0 8px;"
            f"color:#475569'>For {html.escape(user.email)}: balances, expiry and usage of"
            " customer packages.</p>"
        )
        return widgets.VBox([
            ui.stylesheet(), header, widgets.HBox([refresh_button, status]),
            _section("Usable packages by category", categories),
            _section("Expiring soon", horizon, expiring),
            _section("Low balances (≤ 1 h or ≤ 10 % left)", low),
            _section("Never activated (bought 30+ days ago)", never),
            _section("Usage", week_fig, hour_fig),
            _section("Customer lookup", customer_lookup(day)),
        ])

    return ui.guarded_dashboard(AREA, build, admin=True)  # customer contacts: managers only


def customer_lookup(as_of: dt.date):
    """A search box: each package of the matching customers, then its usage history."""
    import ipywidgets as widgets

    search = widgets.Text(placeholder="name, phone or e-mail", description="Customer")
    button = widgets.Button(description="Look up", icon="search")
    result = widgets.HTML()

    def look_up(_=None) -> None:
        text = search.value.strip()
        if len(text) < 2:
            result.value = "<p>Type at least 2 characters.</p>"
            return
        try:
            with database.transaction() as conn:
                found = load_customer_packages(conn, text, as_of)
        except Exception as exc:  # noqa: BLE001 - shown on screen
            result.value = ui.compute_error_html("Lookup failed", str(exc))
            return
        result.value = compute_lookup_html(found, text)

    button.on_click(look_up)
    search.continuous_update = False  # look up on Enter or leaving the box, not per keystroke
    search.observe(look_up, names="value")
    return widgets.VBox([widgets.HBox([search, button]), result])


def compute_lookup_html(found: dict[str, Any], text: str) -> str:
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
            parts.append(compute_table_html(shown, ""))
    return "".join(parts)
