"""Month close (Voilà, finance, admins only): notebooks/taxes/month_close.ipynb.

Pick the month being closed and see its tax calendar (``service.load_tax_calendar``): each
duty's paper and online due dates, its state (overdue in red), the files made with their
checksums, and the filing recorded. A file that a run of the workbench kept (the payroll run,
the monthly invoices job) links to the run files of ``backoffice serve``, which check the
person's access and audit every download; a file made on the command line into a folder of its
own is listed with its checksum only. **Record as filed** takes the date and the receipt number
of the Revenue Department or the fund and calls ``service.record_filed`` (the CLI's
``backoffice taxes filed``): checked, written and audited there; a refusal is a message here.

Widgets only: every read and write is a service call that checks the person's access itself.
Links follow ``backoffice serve``'s run-file route (``workbench.files.compute_file_url``, which
this package does not import: the workbench sits above it, and importing it costs a preheated
page 0.2 s; a test keeps the two the same).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .. import access, bangkok, ui, values
from . import rules, service

AREA = service.AREA
MONTHS_BACK = 13
STATE_COLOURS = {
    "nothing_to_file": "#64748b", "files_not_made": "#92400e", "files_made": "#1d4ed8",
    "filed": "#166534", "overdue": "#b91c1c",
}
CSS = """<style>
.mc-table{border-collapse:collapse;font-size:13px;margin:4px 0 10px;width:100%}
.mc-table td,.mc-table th{padding:4px 8px;border-bottom:1px solid #e2e8f0;text-align:left;
vertical-align:top}
.mc-table tr.mc-overdue td{background:#fef2f2}
.mc-state{font-weight:600}
.mc-table td.mc-date{white-space:nowrap}
.mc-files a{margin-right:8px;color:#1d4ed8;text-decoration:underline}
.mc-sha{font-family:ui-monospace,monospace;font-size:11px;color:#64748b}
</style>"""


# --- pure helpers -------------------------------------------------------------------------------


def compute_file_url(run_id: Any, name: str, base_url: str = "/") -> str:
    """The run file's URL under ``backoffice serve`` (as ``workbench.files.compute_file_url``)."""
    return f"{base_url}files/{run_id}/{quote(name)}"


def compute_month_options(today: dt.date, count: int = MONTHS_BACK) -> list[str]:
    """The months a person closes: last month first (the usual one), then this month, then the
    months before, newest first."""
    current = values.Month.of(today)
    months = [current.previous(), current]
    while len(months) < count:
        months.append(months[-1 if len(months) > 2 else 0].previous())
    return [str(m) for m in months]


def compute_duty_options(rows: list[rules.CalendarRow]) -> list[tuple[str, str]]:
    return [(f"{r.duty.label} — {r.duty.period}", f"{r.duty.duty}|{r.duty.period}")
            for r in rows]


def render_files_html(files: list[dict], file_url: Callable[[Any, str], str] | None) -> str:
    if not files:
        return ""
    parts = []
    for f in files:
        name = html.escape(str(f.get("name", "")))
        sha = html.escape(str(f.get("sha256") or "")[:12])
        if f.get("run_id") and file_url is not None:
            link = (f"<a class='mc-file' href='{html.escape(file_url(f['run_id'], f['path']))}'"
                    f" target='_blank'>{name}</a>")
        else:
            link = f"<span class='mc-file-unkept' title='made outside a run'>{name}</span>"
        parts.append(f"{link} <span class='mc-sha'>{sha}…</span>")
    return "<div class='mc-files'>" + "<br>".join(parts) + "</div>"


def render_calendar_html(rows: list[rules.CalendarRow], downloads: dict,
                         file_url: Callable[[Any, str], str] | None) -> str:
    """The calendar as a table: one row per duty; an overdue row in red."""
    head = ("duty", "period", "due on paper", "due online", "state", "files", "filed")
    body = []
    for r in rows:
        d = r.duty
        colour = STATE_COLOURS[r.state]
        state = (f"<span class='mc-state' style='color:{colour}'>"
                 f"{html.escape(rules.STATE_LABELS[r.state])}</span>")
        if r.note:
            state += f"<br><span class='bo-hint'>{html.escape(r.note)}</span>"
        files = render_files_html(downloads.get((d.duty, d.period), r.files), file_url)
        if r.files_made_at:
            files += (f"<span class='bo-hint'>made {r.files_made_at:%Y-%m-%d %H:%M} by "
                      f"{html.escape(r.files_made_by or '')}</span>")
        filed = (f"{r.filed_on} · receipt {html.escape(r.receipt_no or '')}"
                 if r.filed_on else "")
        css = " class='mc-overdue'" if r.state == "overdue" else ""
        cells = ((html.escape(d.label), ""), (d.period, "mc-date"),
                 (f"{d.paper_due:%a %d %b %Y}", "mc-date"),
                 (f"{d.online_due:%a %d %b %Y}", "mc-date"), (state, ""),
                 (files or "—", ""), (filed or "—", ""))
        body.append(f"<tr{css} data-duty='{d.duty}' data-state='{r.state}'>"
                    + "".join(f"<td class='{k}'>{c}</td>" if k else f"<td>{c}</td>"
                              for c, k in cells) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in head)
    return f"<table class='mc-table'><tr>{header}</tr>{''.join(body)}</table>"


# --- the page -----------------------------------------------------------------------------------


def month_close_dashboard(month: str = "", *,
                          file_url: Callable[[Any, str], str] | None = compute_file_url):
    """Finance's month close: the tax calendar of a month, its files and 'record as filed'."""
    return ui.guarded_dashboard(AREA, lambda user: MonthClose(user, month, file_url).widget,
                                admin=True)


class MonthClose:
    """The widgets and their handlers; ``widget`` is what the notebook shows."""

    def __init__(self, user: access.User, month: str = "",
                 file_url: Callable[[Any, str], str] | None = compute_file_url,
                 engine: Any = None):
        self.email = user.email
        self.file_url = file_url
        self.engine = engine
        self.require = (user.email, AREA, True)
        self.rows: list[rules.CalendarRow] = []
        self.build(month)
        self.load()
        self.picker.observe(lambda _: self.load(), names="value")
        self.record.on_click(lambda _: self.on_record())

    def build(self, month: str) -> None:
        import ipywidgets as widgets

        today = bangkok.today()
        options = compute_month_options(today)
        if month and month not in options:
            options.insert(0, str(values.parse_business_month(month)))
        self.picker = ui.field(widgets.Dropdown, "mc-month", options=options,
                               value=month or options[0], description="Month")
        self.calendar = widgets.HTML()
        self.calendar.add_class("mc-calendar")
        self.duty = ui.field(widgets.Dropdown, "mc-duty", width="420px", options=[],
                             description="Duty")
        self.filed_on = ui.field(widgets.Text, "mc-filed-on", description="Filed on",
                                 value=today.isoformat(), placeholder="YYYY-MM-DD")
        self.receipt = ui.field(widgets.Text, "mc-receipt", width="320px",
                                description="Receipt no.", placeholder="from the RD or the fund")
        self.reason = ui.field(widgets.Text, "mc-reason", width="420px", description="Reason",
                               placeholder="only to correct a filing already recorded")
        self.record = ui.button("Record as filed", "mc-record", "primary")
        self.messages = ui.FormMessages(["load", "record"], "mc-message")
        header = widgets.HTML(
            "<h2 class='bo-title'>Month close</h2><p class='bo-hint'>The month's tax duties: "
            "due dates (moved past weekends and the studio's holidays), state, files and the "
            "filings recorded. Overdue means past the online due date and not filed.</p>" + CSS)
        form = ui.card([widgets.HTML("<h3>Record as filed</h3>"), self.duty,
                        widgets.HBox([self.filed_on, self.receipt]), self.reason, self.record,
                        self.messages["record"]])
        calendar = ui.card([self.picker, self.messages["load"], self.calendar])
        self.widget = widgets.VBox([ui.stylesheet(), header, calendar, form])
        self.widget.add_class("bo-page")

    def load(self) -> None:
        """The chosen month's calendar and its files, then the duties offered to the form."""
        month = self.picker.value

        def read(conn):
            rows = service.load_tax_calendar(conn, self.email, month)
            return rows, service.load_downloads(conn, self.email, rows)

        loaded, refusal = ui.form_action(read, engine=self.engine)
        if refusal:
            self.calendar.value = ""
            self.messages.say("load", refusal, "refused")
            return
        self.rows, downloads = loaded
        self.calendar.value = render_calendar_html(self.rows, downloads, self.file_url)
        keep = self.duty.value
        ui.set_options(self.duty, compute_duty_options(self.rows), keep=keep)
        self.messages["load"].value = ""

    def on_record(self) -> str:
        """Record the chosen duty as filed; the calendar shows it at once."""
        if not self.duty.value:
            self.messages.say("record", "pick a duty first", "refused")
            return "refused"
        duty, period = self.duty.value.split("|", 1)
        try:
            filed_on = ui.parse_date(self.filed_on.value, "the filing date")
        except ValueError as exc:
            self.messages.say("record", str(exc), "refused")
            return "refused"
        done, refusal = ui.form_action(
            lambda conn: service.record_filed(conn, self.email, duty, period, filed_on,
                                              self.receipt.value, reason=self.reason.value),
            engine=self.engine, require=self.require)
        if refusal:
            self.messages.say("record", refusal, "refused")
            return "refused"
        self.load()
        self.receipt.value = self.reason.value = ""
        self.messages.say("record", f"{done['duty']} {done['period']} recorded as filed on "
                          f"{done['filed_on']}, receipt {done['receipt_no']}.")
        return "ok"
