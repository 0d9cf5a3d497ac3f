"""The quarantine review of the live import (Voilà, admins).

Pending rows grouped by rule, each with its reason and the fix the workbench offers: add the
missing clock-out, close the overlapping pay-rate row, accept an over-use as an adjustment; any
row can be retried as it is (after a correction elsewhere) or dismissed. Every action needs a
reason and goes through the same service functions as the library (``importer.service``), in one
transaction, audited. The notebook ends with ``import_review_dashboard()``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

from .. import bangkok, database, ui
from . import quarantine, service
from .mapping import compute_fix, strip_secrets

AREA = "import"
ALL_RULES = "(every rule)"
SHOWN = (("waiting for a decision", "pending"), ("fixed or imported", "resolved"),
         ("dismissed", "dismissed"))
EMPTY = {"pending": "Nothing waits in the quarantine: every live row is in.",
         "resolved": "No quarantined row has been fixed or imported yet.",
         "dismissed": "No quarantined row has been dismissed."}


# --- pure helpers ---------------------------------------------------------------------------------


def compute_row_options(rows: list[dict], rule: str) -> list[tuple[str, int]]:
    return [(quarantine.compute_row_label(r), r["id"]) for r in rows
            if rule == ALL_RULES or r["rule"] == rule]


def compute_detail_html(row: dict | None, status: str = "pending") -> str:
    """What a reviewer reads before deciding: the rule, the message, the fix, the row."""
    if row is None:
        return ui.empty_html(EMPTY.get(status, EMPTY["pending"]))
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
    return ui.guarded_dashboard(AREA, lambda user: _build(user, rule), admin=True)


def _build(user: Any, first_rule: str):
    import ipywidgets as widgets

    state: dict[str, Any] = {"rows": []}
    title = widgets.HTML("<h2>Live import: quarantine review</h2><p class='bo-hint'>Rows of the"
                         " live system that the workbench's rules refused. Fix, retry or"
                         " dismiss each with a reason; every decision is audited.</p>")
    summary = widgets.HTML()
    shown = widgets.Dropdown(description="Show", options=list(SHOWN), value="pending",
                             layout=widgets.Layout(width="420px"))
    rule_picker = widgets.Dropdown(description="Rule", layout=widgets.Layout(width="420px"))
    row_picker = widgets.Select(description="Row", rows=8, layout=widgets.Layout(width="640px"))
    detail = widgets.HTML()
    reason = widgets.Text(description="Reason", placeholder="why (required, audited)",
                          layout=widgets.Layout(width="640px"))
    clock_out = widgets.Text(description="Clock-out", placeholder="2026-01-07 17:00 (Bangkok)",
                             layout=widgets.Layout(width="420px"))
    fix_button = widgets.Button(description="Apply the fix", button_style="success",
                                layout=widgets.Layout(width="260px"))
    retry_button = widgets.Button(description="Retry as it is", layout=widgets.Layout(width="160px"))
    dismiss_button = widgets.Button(description="Dismiss", button_style="warning",
                                    layout=widgets.Layout(width="120px"))
    status = widgets.HTML()

    def selected() -> dict | None:
        return next((r for r in state["rows"] if r["id"] == row_picker.value), None)

    def refresh(keep_rule: str | None = None) -> None:
        with database.transaction() as conn:
            state["rows"] = quarantine.load_quarantine(conn, status=shown.value)
        groups = quarantine.compute_review_groups(state["rows"])
        summary.value = ui.table_html(
            groups, {"rule": "Rule", "rows": "Rows", "tables": "Tables", "fix": "Offered fix"},
            number_columns=["rows"], empty=EMPTY[shown.value])
        ui.set_options(rule_picker, [ALL_RULES, *[g["rule"] for g in groups]],
                       keep=keep_rule or rule_picker.value or first_rule or ALL_RULES)
        show_rows()

    def show_rows(*_: Any) -> None:
        options = compute_row_options(state["rows"], rule_picker.value or ALL_RULES)
        row_picker.options = options
        row_picker.value = options[0][1] if options else None
        show_detail()

    def show_detail(*_: Any) -> None:
        row = selected()
        detail.value = compute_detail_html(row, shown.value)
        if row is not None and row["status"] != "pending":
            row = None  # decided already: nothing to act on
        fix = compute_fix(row["rule"]) if row else None
        fix_button.description = f"Fix: {fix[1]}" if fix else "No fix for this rule"
        fix_button.disabled = fix is None
        for button in (retry_button, dismiss_button):
            button.disabled = row is None
        clock_out.layout.display = None if fix and fix[0] == "add_missing_clock_out" else "none"
        clock_out.value = ""
        if fix and fix[0] == "add_missing_clock_out":
            with database.transaction() as conn:
                open_in = service.load_open_clock_in(conn, row)
            if open_in is not None:
                clock_out.value = compute_clock_out_text(service.compute_default_clock_out(
                    open_in["timestamp"], open_in["next_entry"]))

    def act(kind: str) -> None:
        row = selected()
        if row is None or row["status"] != "pending":
            return

        def work(conn):
            if kind == "dismiss":
                return service.dismiss_quarantined(conn, user.email, row["id"], reason.value)
            if kind == "retry":
                return service.retry_quarantined(conn, user.email, row["id"], reason.value)
            fix = compute_fix(row["rule"])[0]
            if fix == "add_missing_clock_out":
                return service.fix_add_missing_clock_out(
                    conn, user.email, row["id"], reason.value, parse_clock_out(clock_out.value))
            return service.FIX_FUNCTIONS[fix](conn, user.email, row["id"], reason.value)

        result, refusal = ui.form_action(work)
        if refusal:
            status.value = ui.message_html(f"Not done: {refusal}", "refused")
            return
        done = result.get("resolution") or f"dismissed {len(result.get('dismissed', []))} row(s)"
        status.value = ui.message_html(f"Done: {done}.", "ok")
        reason.value = ""
        refresh(rule_picker.value)

    shown.observe(lambda _: refresh(), names="value")
    rule_picker.observe(show_rows, names="value")
    row_picker.observe(show_detail, names="value")
    fix_button.on_click(lambda _: act("fix"))
    retry_button.on_click(lambda _: act("retry"))
    dismiss_button.on_click(lambda _: act("dismiss"))
    refresh(first_rule or None)
    return widgets.VBox([
        ui.stylesheet(), title, shown, summary, rule_picker, row_picker, detail, reason, clock_out,
        widgets.HBox([fix_button, retry_button, dismiss_button]), status,
    ])
