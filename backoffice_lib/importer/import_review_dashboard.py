"""The quarantine review of the live import (Voilà, admins).

Pending rows grouped by rule, each with its reason and the fix the workbench offers (and the last
import's counts per live table): add the
missing clock-out, close the overlapping pay-rate row, accept an over-use as an adjustment; any
row can be retried as it is (after a correction elsewhere) or dismissed. Every action needs a
reason and goes through the same service functions as the library (``importer.service``), in one
transaction, audited. Widgets only: every read and decision is a ``service`` call that checks the
admin role itself, so a click sent to a control that was never shown is refused and audited. The
notebook ends with ``import_review_dashboard()``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

from .. import bangkok, ui
from . import service
from .rules.mapping import compute_fix, strip_secrets
from .rules.review import compute_review_groups, compute_row_label

AREA = service.AREA
ALL_RULES = "(every rule)"
SHOWN = (("waiting for a decision", "pending"), ("fixed or imported", "resolved"),
         ("dismissed", "dismissed"))
EMPTY = {"pending": "Nothing waits in the quarantine: every live row is in.",
         "resolved": "No quarantined row has been fixed or imported yet.",
         "dismissed": "No quarantined row has been dismissed."}


# --- pure helpers ---------------------------------------------------------------------------------


def compute_row_options(rows: list[dict], rule: str) -> list[tuple[str, int]]:
    return [(compute_row_label(r), r["id"]) for r in rows
            if rule == ALL_RULES or r["rule"] == rule]


def render_detail(row: dict | None) -> str:
    """What a reviewer reads before deciding: the rule, the message, the fix, the row."""
    if row is None:  # the summary above already says the list is empty
        return ""
    fix = compute_fix(row["rule"])
    offered = fix[1] if fix else "retry after a correction, or dismiss"
    body = json.dumps(strip_secrets(row["row"]), indent=1, ensure_ascii=False, default=str)
    depends = (f"<p><b>Depends on</b> {html.escape(row['depends_on'])} (quarantined)</p>"
               if row.get("depends_on") else "")
    decided = (f"<p><b>{html.escape(row['status'].capitalize())}</b> by"
               f" {html.escape(row.get('resolved_by') or '')}:"
               f" {html.escape(row.get('resolution') or '')}</p>"
               if row.get("status") and row["status"] != "pending" else "")
    return (
        f"<div class='bo-card'><p><b>{html.escape(row['table_name'])}</b> live key"
        f" <code>{html.escape(row['live_key'])}</code> · import {row['import_id']}</p>"
        f"<p><b>Rule</b> {html.escape(row['rule'])}</p>"
        f"<p><b>Why</b> {html.escape(row['message'])}</p>{depends}"
        f"<p><b>Offered fix</b> {html.escape(offered)}</p>{decided}"
        f"<pre style='max-height:240px;overflow:auto;font-size:12px'>{html.escape(body)}</pre>"
        "</div>"
    )


def render_last_import(run: dict | None) -> str:
    """The last finished import: what it read, imported, updated, left unchanged and
    quarantined, per live table (the reconciliation sessions and items among them)."""
    if run is None:
        return ui.empty_html("No live import has finished yet.")
    report = run["report"] or {}
    when = compute_clock_out_text(run["finished_at"])
    head = (f"<p><b>Last import</b> {run['id']} of {html.escape(str(run['snapshot']))}, by"
            f" {html.escape(run['user_email'])}, finished {when} (Bangkok)</p>")
    rows = [*report.get("tables", []), {"table": "total", **report.get("totals", {})}]
    return head + ui.table_html(
        rows, {"table": "Live table", **{k: k.capitalize() for k in service.COUNT_KEYS}},
        number_columns=list(service.COUNT_KEYS))


def compute_clock_out_text(value: dt.datetime | None) -> str:
    return value.astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M") if value else ""


def parse_clock_out(text: str) -> dt.datetime | None:
    """'2026-01-07 17:00' (Bangkok) -> an aware timestamp; empty -> None (the default)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"the clock-out must look like 2026-01-07 17:00, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=bangkok.BANGKOK)


# --- the dashboard --------------------------------------------------------------------------------


def import_review_dashboard(rule: str = ""):
    """The review of the quarantine (admins); ``rule`` opens on one rule."""
    return ui.guarded_dashboard(AREA, lambda user: ImportReviewDashboard(user, rule).widget,
                                admin=True)


class ImportReviewDashboard:
    """The widgets and their handlers; ``widget`` is what the notebook shows."""

    def __init__(self, user: Any, rule: str = ""):
        self.email = user.email
        self.require = (user.email, AREA, True)  # each handler's access check, audited
        self.first_rule = rule
        self.rows: list[dict] = []
        self.build()
        self.wire()
        self.load(rule or None)
        self.widget = self.layout()

    def build(self) -> None:
        import ipywidgets as widgets

        self.w = widgets
        self.title = widgets.HTML(
            "<h2>Live import: quarantine review</h2><p class='bo-hint'>Rows of the live system"
            " that the workbench's rules refused. Fix, retry or dismiss each with a reason; every"
            " decision is audited.</p>")
        self.summary = widgets.HTML()
        self.last_import = widgets.HTML()
        self.shown = widgets.Dropdown(description="Show", options=list(SHOWN), value="pending",
                                      layout=widgets.Layout(width="420px"))
        self.rule_picker = widgets.Dropdown(description="Rule",
                                            layout=widgets.Layout(width="420px"))
        self.row_picker = widgets.Select(description="Row", rows=8,
                                         layout=widgets.Layout(width="640px"))
        self.detail = widgets.HTML()
        self.reason = widgets.Text(description="Reason", placeholder="why (required, audited)",
                                   layout=widgets.Layout(width="640px"))
        self.clock_out = widgets.Text(description="Clock-out",
                                      placeholder="2026-01-07 17:00 (Bangkok)",
                                      layout=widgets.Layout(width="420px"))
        self.fix_button = widgets.Button(description="Apply the fix", button_style="success",
                                         layout=widgets.Layout(width="260px"))
        self.retry_button = widgets.Button(description="Retry as it is",
                                           layout=widgets.Layout(width="160px"))
        self.dismiss_button = widgets.Button(description="Dismiss", button_style="warning",
                                             layout=widgets.Layout(width="120px"))
        self.status = widgets.HTML()

    def wire(self) -> None:
        self.shown.observe(lambda _: self.load(), names="value")
        self.rule_picker.observe(self.on_rule, names="value")
        self.row_picker.observe(self.on_row, names="value")
        self.fix_button.on_click(lambda _: self.on_decide("fix"))
        self.retry_button.on_click(lambda _: self.on_decide("retry"))
        self.dismiss_button.on_click(lambda _: self.on_decide("dismiss"))

    def layout(self):
        w = self.w
        return w.VBox([
            ui.stylesheet(), self.title,
            w.Accordion(children=[self.last_import],
                        titles=("The last import: counts per live table",)),
            self.shown, self.summary, self.rule_picker,
            self.row_picker, self.detail, self.reason, self.clock_out,
            w.HBox([self.fix_button, self.retry_button, self.dismiss_button]), self.status,
        ])

    def selected(self) -> dict | None:
        return next((r for r in self.rows if r["id"] == self.row_picker.value), None)

    # --- reading ----------------------------------------------------------------------------

    def load(self, keep_rule: str | None = None) -> None:
        """The quarantined rows of the chosen status, grouped by rule."""
        status = self.shown.value
        rows, refusal = ui.form_action(
            lambda conn: service.load_review(conn, self.email, status), require=self.require)
        if refusal:
            self.status.value = ui.message_html(f"Not shown: {refusal}", "refused")
            rows = []
        self.rows = rows
        groups = compute_review_groups(self.rows)
        self.summary.value = ui.table_html(
            groups, {"rule": "Rule", "rows": "Rows", "tables": "Tables", "fix": "Offered fix"},
            number_columns=["rows"], empty=EMPTY[status])
        ui.set_options(self.rule_picker, [ALL_RULES, *[g["rule"] for g in groups]],
                       keep=keep_rule or self.rule_picker.value or self.first_rule or ALL_RULES)
        last, refusal = ui.form_action(
            lambda conn: service.load_last_import(conn, self.email), require=self.require)
        self.last_import.value = (ui.message_html(f"Not shown: {refusal}", "refused") if refusal
                                  else render_last_import(last))
        self.on_rule()

    def on_rule(self, *_: Any) -> None:
        options = compute_row_options(self.rows, self.rule_picker.value or ALL_RULES)
        self.row_picker.options = options
        self.row_picker.value = options[0][1] if options else None
        self.on_row()

    def on_row(self, *_: Any) -> None:
        row = self.selected()
        self.detail.value = render_detail(row)
        if row is not None and row["status"] != "pending":
            row = None  # decided already: nothing to act on
        fix = compute_fix(row["rule"]) if row else None
        self.fix_button.description = f"Fix: {fix[1]}" if fix else "No fix for this rule"
        self.fix_button.disabled = fix is None
        for button in (self.retry_button, self.dismiss_button):
            button.disabled = row is None
        adds_clock_out = bool(fix and fix[0] == "add_missing_clock_out")
        self.clock_out.layout.display = None if adds_clock_out else "none"
        self.clock_out.value = ""
        if adds_clock_out:
            default, refusal = ui.form_action(
                lambda conn: service.load_default_clock_out(conn, self.email, row),
                require=self.require)
            if refusal:
                self.status.value = ui.message_html(f"Not shown: {refusal}", "refused")
            self.clock_out.value = compute_clock_out_text(default)

    # --- deciding ---------------------------------------------------------------------------

    def on_decide(self, kind: str) -> None:
        """Fix, retry or dismiss the chosen row (the service checks the admin role itself)."""
        row = self.selected()
        if row is None or row["status"] != "pending":
            return
        reason, typed_clock_out = self.reason.value, self.clock_out.value

        def work(conn):
            if kind == "dismiss":
                return service.dismiss_quarantined(conn, self.email, row["id"], reason)
            if kind == "retry":
                return service.retry_quarantined(conn, self.email, row["id"], reason)
            fix = compute_fix(row["rule"])[0]
            if fix == "add_missing_clock_out":
                return service.fix_add_missing_clock_out(
                    conn, self.email, row["id"], reason, parse_clock_out(typed_clock_out))
            return service.FIX_FUNCTIONS[fix](conn, self.email, row["id"], reason)

        result, refusal = ui.form_action(work, require=self.require)
        if refusal:
            self.status.value = ui.message_html(f"Not done: {refusal}", "refused")
            return
        done = result.get("resolution") or f"dismissed {len(result.get('dismissed', []))} row(s)"
        self.status.value = ui.message_html(f"Done: {done}.", "ok")
        self.reason.value = ""
        self.load(self.rule_picker.value)
