"""The frame every dashboard shares: the access guard, on-screen errors and figure sync.

Dashboards wrap their body in ``guarded_dashboard(area, build)``: access is checked with the
``allowed_users`` roles and any failure becomes a readable message on screen, never a blank page.
Part of the shared base: it imports no domain, and importing it imports no widget library.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import logging
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from . import bangkok, money, session_user, settings, values

ERROR_CLASS = "backoffice-error"


def compute_error_html(title: str, message: str) -> str:
    return (
        f'<div class="{ERROR_CLASS}" role="alert" style="border:1px solid #dc2626;'
        'background:#fef2f2;color:#7f1d1d;border-radius:8px;padding:14px 18px;max-width:760px;'
        'font-family:system-ui,sans-serif">'
        f'<strong style="font-size:16px">{html.escape(title)}</strong>'
        f'<p style="margin:6px 0 0">{html.escape(message)}</p></div>'
    )


def error_panel(message: str, *, title: str = "This dashboard cannot be shown"):
    """A widget that tells a person what went wrong (instead of a blank page)."""
    import ipywidgets as widgets

    return widgets.HTML(compute_error_html(title, message))


def sync_figure(fig):
    """Copy a ``go.FigureWidget``'s current figure into its synced widget state; returns it.

    Plotly re-syncs that state only when the figure itself is displayed. A figure shown inside
    a container (VBox, Tab...) and changed before display would otherwise reach the browser
    empty, as it was built. Call it on each figure before returning the dashboard's widget.
    """
    fig._widget_layout = copy.deepcopy(fig._layout_obj._props)
    fig._widget_data = copy.deepcopy(fig._data)
    return fig


def show_figure(box, figure) -> None:
    """(Re)draw a plotly ``figure`` inside ``box`` (an ipywidgets VBox: the figure takes its width)
    as a FigureWidget.

    A FigureWidget is drawn by plotly's widget bundle, which the page imports once and the
    browser caches (kernel_warmup); plotly's mime renderer instead loaded plotly.js into every
    page again, about a second of each first render."""
    import plotly.graph_objects as go

    previous = box.children
    box.children = [sync_figure(go.FigureWidget(figure))]
    for widget in previous:  # a redraw (another month) leaves no orphan widget in the kernel
        widget.close()


def _log_dashboard_failure(area: str, exc: BaseException) -> None:
    """Keep the traceback in the data dir's log (never on the page, where stderr would show)."""
    target = settings.data_dir() / "logs"
    try:
        settings.private_dir(target)
        with settings.private_umask():  # tracebacks may hold data: the log is owner-only
            handler = logging.FileHandler(target / "dashboards.log", encoding="utf-8")
    except OSError:
        return
    logger = logging.getLogger("backoffice.dashboards")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.error("dashboard %s failed", area, exc_info=exc)
    finally:
        logger.removeHandler(handler)
        handler.close()


def guarded_dashboard(area: str, build: Callable[[Any], Any], *, admin: bool | None = None):
    """Check the signed-in user's access to ``area``, then ``build(user)``; errors on screen.

    ``build`` receives the ``access.User`` and returns the dashboard's widget. Access refusals,
    an unreachable database and unexpected errors each come back as an ``error_panel``.
    """
    from . import database
    from .access import AccessDenied

    try:
        user = session_user.dashboard_user(area, admin=admin)
        return build(user)
    except AccessDenied as exc:
        return error_panel(str(exc).capitalize(), title="Access refused")
    except database.DatabaseUnavailable as exc:
        return error_panel(settings.mask_secrets(str(exc)), title="The database cannot be reached")
    except Exception as exc:  # noqa: BLE001 - shown to the person, traceback kept in the log
        if database.is_disconnect(exc):
            return error_panel("The database restarted (or cannot be reached) while this page"
                               " was being read: reload the page.",
                               title="The database restarted")
        _log_dashboard_failure(area, exc)
        reason = settings.mask_secrets(str(exc).strip().splitlines()[0]) if str(exc).strip() else ""
        message = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
        return error_panel(
            f"{message}. The details are in {settings.data_dir() / 'logs' / 'dashboards.log'}."
        )

# --- one look: the stylesheet, the plotly template, tables, messages, form actions ------------

BRAND = "#14532d"
PALETTE = ["#14532d", "#2563eb", "#d97706", "#7c3aed", "#dc2626", "#0891b2", "#65a30d", "#db2777"]
PLOTLY_TEMPLATE = "backoffice"
PAGE_SIZE = 25

#: The landing page's stylesheet (``workbench/catalog.py`` serves it at ``/``).
LANDING_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"BO Thai",sans-serif;margin:0;
background:#f5f6f8;color:#1d2433}
header{background:#14532d;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;font-size:14px;opacity:.85}
main{max-width:980px;margin:24px auto;padding:0 24px}
section{margin-bottom:28px}
h2{font-size:16px;text-transform:uppercase;letter-spacing:.06em;color:#475569;margin:0 0 10px}
ul{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,
minmax(280px,1fr));gap:12px}
li{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:14px 16px}
li a{font-weight:600;color:#14532d;text-decoration:none;font-size:16px}
li a:hover{text-decoration:underline}
li p{margin:6px 0 0;font-size:14px;color:#475569}
.notice{background:#fff7ed;border:1px solid #fdba74;border-radius:8px;padding:12px 16px}
.reports li{background:#fafafa}
.reports h2 a{color:#14532d;text-transform:none;letter-spacing:0}
form.run-report{margin:8px 0 0;display:flex;flex-wrap:wrap;gap:6px;align-items:center;font-size:13px}
form.run-report input{font:inherit;padding:3px 6px;border:1px solid #cbd5e1;border-radius:4px}
form.run-report button{font:inherit;padding:4px 10px;border:0;border-radius:4px;background:#14532d;
color:#fff;cursor:pointer}
code{font-size:13px}
"""

#: The same look inside every dashboard (scoped to the rendered cells, so Voilà's own chrome stays).
DASHBOARD_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"BO Thai",sans-serif;color:#1d2433;
background:#f5f6f8}
:root,body{--jp-ui-font-family:system-ui,-apple-system,"Segoe UI",Roboto,"BO Thai",sans-serif;
--jp-widgets-font-family:system-ui,-apple-system,"Segoe UI",Roboto,"BO Thai",sans-serif;
--jp-content-font-family:system-ui,-apple-system,"Segoe UI",Roboto,"BO Thai",sans-serif}
select,input,textarea{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"BO Thai",sans-serif}
.bo-page{max-width:1180px;margin:0 auto;padding:4px 8px 24px;box-sizing:border-box}
.bo-page h2,.bo-title{color:#14532d;font-size:22px;font-weight:600;margin:8px 0 4px}
.bo-page h3{font-size:15px;text-transform:uppercase;letter-spacing:.05em;color:#475569;
margin:18px 0 8px}
.bo-card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 16px;
margin:8px 0;box-sizing:border-box}
.bo-hint{color:#475569;font-size:13px;margin:2px 0 6px}
.bo-message{border-radius:8px;padding:10px 14px;font-size:14px;margin:6px 0}
.bo-ok{background:#ecfdf5;color:#065f46;border:1px solid #a7f3d0}
.bo-refused{background:#fef2f2;color:#7f1d1d;border:1px solid #fecaca}
.bo-info{background:#f8fafc;color:#334155;border:1px solid #e2e8f0}
.bo-secret{font-size:28px;letter-spacing:8px;font-weight:700;color:#14532d}
.bo-empty{background:#fff7ed;border:1px dashed #fdba74;border-radius:8px;padding:12px 16px;
color:#7c2d12}
.bo-scroll{max-height:420px;overflow:auto;border:1px solid #e2e8f0;border-radius:8px;
background:#fff}
table.bo-table{border-collapse:collapse;width:100%;font-size:14px;background:#fff}
table.backoffice-table,table.payroll-table,table.staff-table,table.attendance-rows,
table.audit-events{border-collapse:collapse;font-size:14px;background:#fff}
table.backoffice-table th,table.payroll-table th,table.staff-table th,table.attendance-rows th,
table.audit-events th{position:sticky;top:0;background:#f1f5f9;color:#334155;text-align:left;
font-weight:600;padding:6px 10px;border-bottom:1px solid #cbd5e1}
table.backoffice-table td,table.payroll-table td,table.staff-table td,table.attendance-rows td,
table.audit-events td{padding:5px 10px;border-bottom:1px solid #eef2f6}
table.bo-table th{position:sticky;top:0;z-index:1;background:#f1f5f9;color:#334155;
text-align:left;font-weight:600;padding:6px 10px;border-bottom:1px solid #cbd5e1;
white-space:nowrap}
table.bo-table td{padding:5px 10px;border-bottom:1px solid #eef2f6;vertical-align:top}
table.bo-table td.num,table.bo-table th.num{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}
table.bo-table tr.bo-muted td{color:#94a3b8}
table.bo-table tr:hover td{background:#f8fafc}
.widget-button.mod-primary,.jupyter-button.mod-primary{background:#14532d}
"""

#: The kiosk on a tablet in portrait (768×1024): full-width, big keys, no sideways scroll.
KIOSK_CSS = """
.kiosk{width:100%;max-width:640px;margin:0 auto;box-sizing:border-box}
.kiosk .widget-dropdown,.kiosk .widget-dropdown select{width:100%!important;max-width:100%}
.kiosk .widget-dropdown{height:auto!important;margin-bottom:10px}
.kiosk .widget-dropdown select{font-size:22px;height:56px!important}
.kiosk .widget-dropdown label{font-size:16px;height:auto!important;line-height:1.4!important;
align-self:center;overflow:visible}
.kiosk-pin{margin:4px 0 8px}
.kiosk-pad{width:100%!important;grid-template-columns:repeat(3,minmax(0,1fr))!important}
.kiosk-pad button{height:88px!important;font-size:32px!important;width:auto!important}
.kiosk-punch{width:100%!important;height:72px!important;font-size:24px!important}
body{overflow-x:hidden}
"""


#: Where ``backoffice serve`` serves the Sarabun font (the one the PDFs embed), under its base URL.
THAI_FONT_ROUTE = "backoffice/static/fonts/{file}"
THAI_FONT_FILES = {400: "Sarabun-Regular.ttf", 700: "Sarabun-Bold.ttf"}


def thai_font_css(base_url: str = "") -> str:
    """@font-face rules for Thai text, from the server itself: a browser without a Thai font
    (a minimal Linux, a kiosk) shows Thai names and form titles instead of boxes, offline. The
    unicode range keeps Latin text in the system font and fetches the font only for a page with
    Thai on it. ``base_url`` "" gives a path relative to a page at the server's top level."""
    prefix = base_url.rstrip("/") + "/" if base_url else ""
    return "".join(
        f'@font-face{{font-family:"BO Thai";font-weight:{weight};font-display:swap;'
        f'src:url("{prefix}{THAI_FONT_ROUTE.format(file=file)}") format("truetype");'
        "unicode-range:U+0E00-0E7F}"
        for weight, file in THAI_FONT_FILES.items())


def stylesheet(*, kiosk: bool = False):
    """The look as a widget to put first in a dashboard (one stylesheet for every page)."""
    import os

    import ipywidgets as widgets

    css = (thai_font_css(os.environ.get("VOILA_BASE_URL") or "/") + DASHBOARD_CSS
           + (KIOSK_CSS if kiosk else ""))
    return widgets.HTML(f"<style>{css}</style>", layout=widgets.Layout(display="none"))


def plotly_template():
    """The workbench's one plotly template (registered as ``backoffice``): pass it as a figure's
    ``template`` so every chart shares the colours, font and margins."""
    import plotly.io as pio

    use_plotly_template()
    return pio.templates[PLOTLY_TEMPLATE]


def use_plotly_template() -> str:
    """Register the workbench's plotly template and make it the default; returns its name."""
    import plotly.graph_objects as go
    import plotly.io as pio

    if PLOTLY_TEMPLATE not in pio.templates:
        base = pio.templates["plotly_white"]
        template = go.layout.Template(base)
        template.layout.colorway = PALETTE
        template.layout.font = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
                                "color": "#1d2433", "size": 13}
        template.layout.title = {"font": {"size": 16, "color": BRAND}, "x": 0.01}
        template.layout.margin = {"l": 56, "r": 16, "t": 48, "b": 40}
        template.layout.hoverlabel = {"font": {"family": "system-ui, sans-serif"}}
        pio.templates[PLOTLY_TEMPLATE] = template
    pio.templates.default = PLOTLY_TEMPLATE
    return PLOTLY_TEMPLATE


def format_money(value: Any) -> str:
    """฿1,234.50 (Decimal in, text out; '' for a missing amount)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    amount = money.round_money(value if not isinstance(value, float) else str(value))
    sign = "-" if amount < 0 else ""
    return f"{sign}฿{abs(amount):,.2f}"


def format_number(value: Any, places: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return f"{value:,}" if isinstance(value, int) else f"{value:,.{places}f}"
    return str(value)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, dt.datetime):
        return value.astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def table_html(
    rows: Any,
    columns: Sequence[str] | dict[str, str] | None = None,
    *,
    money_columns: Sequence[str] = (),
    number_columns: Sequence[str] = (),
    muted: Sequence[bool] | None = None,
    empty: str = "Nothing to show yet.",
    css_class: str = "",
) -> str:
    """Rows (a DataFrame or a list of dicts) as the workbench's table: sticky header, numbers
    right-aligned, money as ฿1,234.50; ``columns`` maps keys to headers (default: all keys);
    ``muted`` greys rows out (inactive people...); an empty table says ``empty`` instead."""
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    if not records:
        return empty_html(empty)
    if columns is None:
        columns = list(records[0])
    headers = dict(columns) if isinstance(columns, dict) else {c: c for c in columns}
    right = set(money_columns) | set(number_columns)
    head = "".join(
        f'<th class="num">{html.escape(h)}</th>' if k in right else f"<th>{html.escape(h)}</th>"
        for k, h in headers.items()
    )
    body = []
    for index, record in enumerate(records):
        cells = []
        for key in headers:
            value = record.get(key)
            if key in money_columns:
                cells.append(f'<td class="num">{html.escape(format_money(value))}</td>')
            elif key in number_columns:
                cells.append(f'<td class="num">{html.escape(format_number(value))}</td>')
            else:
                cells.append(f"<td>{html.escape(_cell(value))}</td>")
        css = ' class="bo-muted"' if muted is not None and muted[index] else ""
        body.append(f"<tr{css}>{''.join(cells)}</tr>")
    return (
        f'<div class="bo-scroll {html.escape(css_class)}"><table class="bo-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def empty_html(text: str) -> str:
    """An empty state that says what to do next."""
    return f'<div class="bo-empty" role="note">{html.escape(text)}</div>'


def message_html(text: str, kind: str = "info") -> str:
    """A status line: kind ok | refused | info."""
    return f'<div class="bo-message bo-{kind}" role="status">{html.escape(text)}</div>'


class FormMessages:
    """Status lines that sit beside the buttons that cause them (one per form of a page, each
    placed under its form's buttons): ``say(where, text, kind)`` writes one and clears the others,
    so no earlier message stays beside another form. Each line has the CSS classes ``css`` and
    ``css-<where>``; ``last`` is the line written last (or the first)."""

    def __init__(self, names: Sequence[str], css: str):
        import ipywidgets as widgets

        self.boxes = {}
        for name in names:
            box = widgets.HTML()
            box.add_class(css)
            box.add_class(f"{css}-{name}")
            self.boxes[name] = box
        self.last = self.boxes[names[0]]

    def __getitem__(self, name: str):
        return self.boxes[name]

    def say(self, where: str, text: str, kind: str = "ok") -> None:
        for name, box in self.boxes.items():
            if name != where:
                box.value = ""
        self.last = self.boxes[where]
        self.last.value = message_html(text, kind)


class PagedTable:
    """A long table page by page (``page_size`` rows, sticky header, previous/next)."""

    def __init__(self, page_size: int = PAGE_SIZE, css_class: str = "", **table_options: Any):
        import ipywidgets as widgets

        self.page_size = page_size
        self.options = table_options
        self.records: list[dict] = []
        self.page = 0
        self.html = widgets.HTML()
        self.status = widgets.HTML()
        self.previous = widgets.Button(description="‹ Previous", layout=widgets.Layout(width="110px"))
        self.next = widgets.Button(description="Next ›", layout=widgets.Layout(width="110px"))
        self.previous.on_click(lambda _: self.show(self.page - 1))
        self.next.on_click(lambda _: self.show(self.page + 1))
        self.pager = widgets.HBox([self.previous, self.status, self.next])
        self.widget = widgets.VBox([self.html, self.pager])
        if css_class:
            self.widget.add_class(css_class)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.records) // self.page_size))

    def set_rows(self, rows: Any, muted: Sequence[bool] | None = None) -> None:
        self.records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
        self.muted = list(muted) if muted is not None else None
        self.show(0)

    def show(self, page: int) -> None:
        self.page = min(max(page, 0), self.pages - 1)
        start = self.page * self.page_size
        chunk = self.records[start:start + self.page_size]
        muted = self.muted[start:start + self.page_size] if self.muted else None
        self.html.value = table_html(chunk, muted=muted, **self.options)
        self.status.value = (
            f'<span class="bo-hint" style="padding:0 10px">page {self.page + 1} of {self.pages}'
            f" · {len(self.records)} rows</span>"
        )
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1
        self.pager.layout.display = None if self.pages > 1 else "none"


def compute_default_month(months_with_data: Sequence[str], today: dt.date) -> str:
    """The month a dashboard opens on: the current month if it has data, else the latest month
    that has data (not an empty month on the 1st), else the current month."""
    current = bangkok.month_key(today)
    known = sorted({m for m in months_with_data if m and m <= current})
    if not known or current in known:
        return current
    return known[-1]


def form_action(work: Callable[[Any], Any], *, engine: Any = None, require: tuple | None = None):
    """Run ``work(conn)`` in one transaction for a form; returns (result, None) or (None, the
    refusal as a message for the person). ``require`` = (email, area, admin): an access check in
    its own transaction first, so that a refusal stays audited while the work is not done."""
    import sqlalchemy as sa

    from . import access, database

    try:
        if require is not None:
            email, area, admin = require
            access.require(email, area, admin=admin, engine=engine)
        return database.run_transaction(work, engine), None
    except (ValueError, ArithmeticError, PermissionError) as exc:  # refusals, AccessDenied
        return None, str(exc)
    except database.ConnectionLost as exc:  # the database restarted: retried once already
        return None, str(exc)
    except sa.exc.DBAPIError as exc:
        if database.is_disconnect(exc):  # the access check's own transaction
            return None, str(database.ConnectionLost(at_commit=False))
        diag = getattr(getattr(exc, "orig", None), "diag", None)
        reason = getattr(diag, "message_primary", None) or str(exc.orig or exc).splitlines()[0]
        return None, f"the database refused the change: {reason}"


def parse_date(text: str, label: str = "the date") -> dt.date:
    """A date typed in a form: values.parse_business_date (the rule of the CLI's dates) of the
    text without the spaces around it; refusals are ValueErrors with the reason."""
    return values.parse_business_date(str(text).strip(), label)


def parse_time(text: str, label: str = "the time") -> dt.time:
    value = str(text).strip()
    try:
        return dt.time.fromisoformat(value if len(value) != 4 else "0" + value)
    except ValueError:
        raise ValueError(f"{label} must look like 09:30, not {text!r}") from None


def field(kind, css: str, *, width: str = "220px", label_width: str = "110px", **options):
    """A form widget of ``kind`` (``widgets.Text``, ``Dropdown``...) with the shared label width
    and a CSS class the browser tests find it by."""
    import ipywidgets as widgets

    widget = kind(
        layout=widgets.Layout(width=width), style={"description_width": label_width}, **options
    )
    widget.add_class(css)
    return widget


def button(description: str, css: str, style: str = ""):
    import ipywidgets as widgets

    widget = widgets.Button(description=description, button_style=style)
    widget.add_class(css)
    return widget


def card(children: list):
    """A bordered group of a form's widgets (the stylesheet's ``bo-card``)."""
    import ipywidgets as widgets

    box = widgets.VBox(children)
    box.add_class("bo-card")
    return box


def set_options(dropdown: Any, options: Sequence, keep: Any = None) -> None:
    """Give a Dropdown new options and select ``keep`` if offered, else the first option (a
    Dropdown created empty otherwise stays on None)."""
    options = list(options)
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    dropdown.options = options
    if values:  # by index: a placeholder whose value is None is selected too
        dropdown.index = values.index(keep) if keep in values else 0
