"""The reconciliation review dashboard (Voilà, for finance; admins only).

Pick a session, see its match rate and variance, filter its items by kind (exact, fuzzy_name,
fuzzy_amount, quantity_variance, invoice_only, pos_only), confidence and status, then approve,
dispute or adjust the selected items with notes (audited by the library). A FileUpload widget
reconciles a new file (CSV or .xlsx, at most 10 MB) and opens its session. When a required column
of the file cannot be decided from its header, the dashboard shows the header row and a sample and
asks for the columns once; the mapping goes to the same ``reconcile_file(columns=...)`` as
``backoffice reconcile --columns`` and is remembered for the reconciliation type.

Widgets only: every read and write is a ``service`` call that checks the person's access itself,
so a click sent to a control that was never shown is refused and audited. The notebook ends with
``reconciliation_dashboard(session_id)``.
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

import pandas as pd

from .. import bangkok, database, ui
from . import service
from .reports import partner_file
from .rules import parsing
from .rules.parsing import FilePreview

AREA = service.AREA
KINDS = ("exact", "fuzzy_name", "fuzzy_amount", "quantity_variance", "invoice_only", "pos_only")
STATUSES = ("unresolved", "approved", "disputed", "adjusted")
ROW_LIMIT = 300
TABLE_CSS = (
    "<style>.backoffice-table{border-collapse:collapse;font-size:13px}"
    ".backoffice-table th,.backoffice-table td{padding:3px 8px;border-bottom:1px solid #e2e8f0;"
    "text-align:left}.backoffice-table th{background:#f1f5f9}"
    ".rec-figure{display:inline-block;margin:0 18px 6px 0}.rec-figure b{font-size:20px}</style>"
)
TABLE_COLUMNS = ["kind", "confidence", "status", "date", "name", "file_qty", "pos_qty",
                 "file_amount", "pos_amount", "amount_variance", "notes"]


# --- pure helpers (what the widgets show) -------------------------------------------------------------------------------


def compute_session_label(session: dict) -> str:
    created = session.get("created_at")
    when = created.astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M") if created else ""
    rate = session.get("match_rate")
    figure = f"{rate}%" if rate is not None else session.get("status", "")
    return f"{when} · {session['reconciliation_type']} · {session['file_name']} · {figure}"


def compute_item_kinds(items: pd.DataFrame) -> pd.Series:
    """match_type for matched items, else the item type (invoice_only / pos_only)."""
    if items.empty:
        return pd.Series([], dtype=object)
    return pd.Series(
        [m if t == "matched" else t for t, m in zip(items["item_type"], items["match_type"])],
        index=items.index, dtype=object,
    )


def compute_filtered_items(items: pd.DataFrame, kinds, confidence_range, statuses) -> pd.DataFrame:
    """Items of the chosen kinds and statuses; matched items within the confidence range
    (unmatched items have no confidence and pass the range)."""
    if items.empty:
        return items
    low, high = (Decimal(str(v)) for v in confidence_range)
    kind = compute_item_kinds(items)
    in_range = [c is None or (isinstance(c, float) and c != c) or low <= Decimal(c) <= high  # noqa: PLR0124
                for c in items["confidence"]]
    mask = kind.isin(list(kinds)) & items["status"].isin(list(statuses)) & pd.Series(
        in_range, index=items.index)
    return items[mask]


def _get(row: dict, key: str):
    value = row.get(key)
    return None if value is None or (isinstance(value, float) and value != value) else value  # noqa: PLR0124


def compute_item_table(items: pd.DataFrame) -> pd.DataFrame:
    """One display row per item: what a reviewer compares."""
    rows = []
    for row in items.to_dict("records"):
        name = (_get(row, "invoice_customer") or _get(row, "pos_customer")
                or _get(row, "invoice_sku") or _get(row, "pos_sku")
                or _get(row, "invoice_product") or "")
        rows.append({
            "kind": row["match_type"] if row["item_type"] == "matched" else row["item_type"],
            "confidence": _get(row, "confidence") or "",
            "status": row["status"],
            "date": _get(row, "invoice_date") or _get(row, "pos_date") or "",
            "name": name,
            "file_qty": _get(row, "invoice_quantity") or "",
            "pos_qty": _get(row, "pos_quantity") or "",
            "file_amount": _get(row, "invoice_amount") or "",
            "pos_amount": _get(row, "pos_amount") or "",
            "amount_variance": _get(row, "amount_variance"),
            "notes": _get(row, "resolution_notes") or "",
        })
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def compute_item_options(items: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, item id) for the review selector, in the table's order."""
    if items.empty:
        return []
    table = compute_item_table(items)
    return [
        ((f"{r['date']} · {r['kind']} · {r['name']} · {r['file_amount'] or '-'} / "
         f"{r['pos_amount'] or '-'} · {r['status']}"), str(item_id))
        for r, item_id in zip(table.to_dict("records"), items["id"])
    ]


def render_summary(session: dict) -> str:
    def fig(label: str, value: Any) -> str:
        shown = "–" if value is None else html.escape(str(value))
        return f"<span class='rec-figure'>{html.escape(label)}<br><b>{shown}</b></span>"

    status = session["status"]
    colour = {"completed": "#15803d", "failed": "#b91c1c"}.get(status, "#92400e")
    parts = [
        (f"<p><b style='color:{colour}'>{html.escape(status)}</b> · "
        f"{html.escape(session['reconciliation_type'])} · {html.escape(session['file_name'])} · "
        f"{session['date_range_start']} to {session['date_range_end']}</p>"),
        fig("match rate %", session.get("match_rate")),
        fig("variance (file − POS) THB", session.get("variance_amount")),
        fig("matched", session.get("matched_items")),
        fig("file rows", session.get("total_invoice_items")),
        fig("POS records", session.get("total_pos_records")),
        fig("file THB", session.get("total_invoice_amount")),
        fig("POS THB", session.get("total_pos_amount")),
    ]
    if session.get("pos_scope"):
        parts.append(f"<p class='rec-pos-scope' style='margin:2px 0;color:#475569'>POS side: "
                     f"{html.escape(session['pos_scope'])}</p>")
    if session.get("error_message"):
        parts.append(f"<p style='color:#b91c1c'>Error: {html.escape(session['error_message'])}</p>")
    errors = session.get("row_errors") or []
    if errors:
        shown = "".join(f"<li>{html.escape(e)}</li>" for e in errors[:20])
        more = f"<li>… {len(errors) - 20} more</li>" if len(errors) > 20 else ""
        parts.append(f"<details><summary>{len(errors)} row(s) not used</summary><ul>{shown}{more}"
                     "</ul></details>")
    return "".join(parts)


def render_table(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p style='color:#64748b;margin:4px 0'>{html.escape(empty)}</p>"
    shown = frame.astype(object).where(frame.notna(), "")
    return shown.to_html(index=False, escape=True, border=0, classes="backoffice-table")


def render_type_hint(rec_type: str | None) -> str:
    """What a file of this type needs, for the person about to upload one."""
    if not rec_type:
        return ""
    if rec_type == "restaurant":
        what = ("the partner restaurant's item sales: columns Date, SKU or Item, Qty, Amount "
                "(or วันที่, รหัสสินค้า / ชื่อสินค้า, จำนวน, จำนวนเงิน); matched per date and SKU "
                "against the POS; ambiguous dates read D/M")
    else:
        coach = rec_type.removeprefix("coaching_")
        what = (f"coach {coach}'s monthly invoice: columns Date, Student or Name, Amount or Fee, "
                "optional Lessons/Qty (default 1); matched against that coach's earnings by name, "
                "hours and amount; ambiguous dates read M/D")
    return (f"<p style='margin:2px 0;color:#475569'>{html.escape(rec_type)}: {html.escape(what)}. "
            "CSV or .xlsx, at most 10 MB.</p>")


def render_products(rows: list[tuple[str, str]]) -> str:
    """What the POS side of the restaurant's reconciliation counts, for a person."""
    if not rows:
        return ("<p class='rec-products'>No product list is kept: every POS line with a SKU counts "
                "(bays and the pro shop too). Keep the restaurant's categories or SKUs below.</p>")
    kept = ", ".join(f"{'SKU' if kind == 'sku' else 'category'} {html.escape(value)}"
                     for kind, value in rows)
    return (f"<p class='rec-products'>Only these POS lines count for the restaurant: {kept}. "
            "Bay, pro-shop and other lines are left out.</p>")


def render_preview(preview: FilePreview) -> str:
    """The file's header row and a few rows below it, as the person sees them in the file."""
    width = max([len(preview.header_cells)] + [len(r) for r in preview.sample])
    if not width:
        return "<p>The file has no rows.</p>"

    def cells(values, tag):
        padded = list(values) + [""] * (width - len(values))
        return "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in padded)

    missing = ", ".join(preview.missing) or "nothing"
    rows = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in preview.sample)
    return (f"<p class='rec-mapping-intro'>The columns of this file cannot all be told from its "
            f"header (line {preview.header_line}); still needed: <b>{html.escape(missing)}</b>. "
            "Pick which header is which column once: it is remembered for this reconciliation "
            "type.</p><table class='backoffice-table rec-preview'><thead><tr>"
            f"{cells(preview.header_cells, 'th')}</tr></thead><tbody>{rows}</tbody></table>")


def compute_mapping_options(preview: FilePreview) -> list[tuple[str, str]]:
    return [("— not in this file —", "")] + [
        (cell, cell) for cell in dict.fromkeys(c for c in preview.header_cells if c)]


def compute_mapping(choices: dict[str, str]) -> dict[str, str]:
    """The columns a person picked (column -> header text), the unpicked left out."""
    return {column: header for column, header in choices.items() if header}


# --- the dashboard ------------------------------------------------------------------------------


def reconciliation_dashboard(session_id: str = ""):
    """Finance's review of reconciliation sessions; opens ``session_id`` or the latest one."""
    return ui.guarded_dashboard(AREA, lambda user: ReconciliationDashboard(user, session_id).widget)


class ReconciliationDashboard:
    """The widgets and their handlers; ``widget`` is what the notebook shows."""

    def __init__(self, user, session_id: str = ""):
        self.email = user.email
        self.require = (user.email, AREA, None)  # each handler's access check, audited
        self.items = pd.DataFrame()
        self.pending: tuple[str, str, str] | None = None  # a file waiting for its columns
        self.build()
        self.wire()
        self.on_products_changed()
        self.load(select=session_id or None)
        self.on_type()
        self.widget = self.layout()

    # --- widgets --------------------------------------------------------------------------------

    def build(self) -> None:
        import ipywidgets as widgets

        self.w = widgets
        self.status = widgets.HTML()
        self.picker = widgets.Dropdown(description="Session", layout=widgets.Layout(width="720px"))
        self.summary = widgets.HTML()
        self.kinds = widgets.SelectMultiple(options=KINDS, value=KINDS, description="Kind", rows=6)
        self.statuses = widgets.SelectMultiple(options=STATUSES, value=STATUSES,
                                               description="Status", rows=4)
        self.confidence = widgets.FloatRangeSlider(value=(0.0, 1.0), min=0.0, max=1.0, step=0.05,
                                                   description="Confidence", readout_format=".2f")
        self.table = widgets.HTML()
        self.selection = widgets.SelectMultiple(description="Items", rows=8,
                                                layout=widgets.Layout(width="720px"))
        self.notes = widgets.Text(placeholder="why (needed to dispute or adjust)",
                                  description="Notes", layout=widgets.Layout(width="720px"))
        self.buttons = {action: widgets.Button(description=action.capitalize(), button_style=style)
                        for action, style in (("approve", "success"), ("dispute", "danger"),
                                              ("adjust", "warning"))}
        self.review_status = widgets.HTML()
        self.upload = widgets.FileUpload(accept=".csv,.xlsx", multiple=False, description="File")
        self.rec_type = widgets.Dropdown(description="Type")
        self.type_hint = widgets.HTML()
        self.window = widgets.BoundedIntText(value=0, min=0, max=31, description="± days")
        self.run_button = widgets.Button(description="Reconcile", icon="upload",
                                         button_style="primary")
        self.upload_status = widgets.HTML()
        self.mapping_preview = widgets.HTML()
        self.mapping_choices = {
            column: widgets.Dropdown(description=column, options=[("", "")],
                                     layout=widgets.Layout(width="420px"))
            for column in parsing.COLUMN_ALIASES}
        self.mapping_button = widgets.Button(description="Remember and reconcile", icon="check",
                                             button_style="primary",
                                             layout=widgets.Layout(width="240px"))
        self.mapping_box = widgets.VBox(
            [self.mapping_preview, *self.mapping_choices.values(), self.mapping_button],
            layout=widgets.Layout(display="none"))
        self.mapping_box.add_class("rec-mapping")
        for column, choice in self.mapping_choices.items():
            choice.add_class(f"rec-map-{column}")
        for widget, name in ((self.mapping_button, "rec-map-save"), (self.run_button, "rec-run"),
                             (self.rec_type, "rec-type"), (self.upload, "rec-upload"),
                             (self.upload_status, "rec-upload-status")):
            widget.add_class(name)
        self.products = widgets.HTML()
        self.product_kind = widgets.Dropdown(options=[("category", "category"), ("SKU", "sku")],
                                             value="category", description="Product",
                                             layout=widgets.Layout(width="220px"))
        self.product_value = widgets.Text(
            placeholder="e.g. Restaurant, or a SKU such as RST-001")
        self.product_keep = widgets.Button(description="Keep", icon="plus")
        self.product_drop = widgets.Button(description="Stop counting", icon="minus")
        self.product_status = widgets.HTML()
        self.refresh = widgets.Button(description="Refresh", icon="refresh")

    def wire(self) -> None:
        self.rec_type.observe(self.on_type, names="value")
        self.picker.observe(self.on_open_session, names="value")
        for control in (self.kinds, self.statuses, self.confidence):
            control.observe(self.on_filter, names="value")
        for action, button in self.buttons.items():
            button.on_click(lambda _b, a=action: self.on_review(a))
        self.run_button.on_click(self.on_reconcile_upload)
        self.mapping_button.on_click(self.on_reconcile_mapped)
        self.product_keep.on_click(lambda _b: self.on_product(keep=True))
        self.product_drop.on_click(lambda _b: self.on_product(keep=False))
        self.refresh.on_click(lambda _b: self.load(select=self.picker.value))

    def layout(self):
        w = self.w
        header = w.HTML(
            TABLE_CSS + "<h2 style='margin:0'>Reconciliation review</h2><p style='margin:2px 0 8px;"
            f"color:#475569'>For {html.escape(self.email)}: partner and coach files against the "
            "point of sale.</p>")
        return w.VBox([
            ui.stylesheet(),
            header,
            w.HTML("<h3>Reconcile a new file</h3>"),
            w.HBox([self.rec_type, self.upload, self.window, self.run_button]), self.type_hint,
            self.upload_status, self.mapping_box,
            w.HTML("<h3>Sessions</h3>"),
            w.HBox([self.refresh, self.status]), self.picker, self.summary,
            w.HTML("<h3>Items</h3>"), w.HBox([self.kinds, self.statuses]), self.confidence,
            self.table,
            w.HTML("<h3>Review</h3>"), self.selection, self.notes,
            w.HBox(list(self.buttons.values())), self.review_status,
            w.HTML("<h3>The restaurant's products on the POS</h3>"), self.products,
            w.HBox([self.product_kind, self.product_value, self.product_keep, self.product_drop]),
            self.product_status,
        ])

    # --- reading ----------------------------------------------------------------------------

    def load(self, select: str | None = None) -> None:
        """The sessions and the reconciliation types; opens ``select`` or the newest session."""
        loaded, refusal = ui.form_action(
            lambda conn: service.load_review_sessions(conn, self.email), require=self.require)
        if refusal:
            self.status.value = ui.compute_error_html("Not shown", refusal)
            return
        sessions, types = loaded
        if list(self.rec_type.options) != types:
            chosen = self.rec_type.value
            self.rec_type.options = types
            self.rec_type.value = chosen if chosen in types else types[0]
        options = [(compute_session_label(s), str(s["id"])) for s in sessions.to_dict("records")]
        self.picker.options = options
        ids = [v for _, v in options]
        self.picker.value = select if select in ids else (ids[0] if ids else None)
        self.status.value = (f"<span class='backoffice-status'>{len(options)} session(s). Read at "
                             f"{bangkok.now():%H:%M:%S} Bangkok time.</span>")
        self.on_open_session()

    def on_open_session(self, _=None) -> None:
        if not self.picker.value:
            self.summary.value = "<p>No reconciliation yet: reconcile a file above.</p>"
            self.items = pd.DataFrame()
            self.on_filter()
            return
        loaded, refusal = ui.form_action(
            lambda conn: service.load_review_session(conn, self.email, self.picker.value),
            require=self.require)
        if refusal:
            self.summary.value = ui.compute_error_html("Not shown", refusal)
            self.items = pd.DataFrame()
        else:
            session, self.items = loaded
            self.summary.value = render_summary(session)
        self.on_filter()

    def on_filter(self, _=None) -> None:
        filtered = compute_filtered_items(self.items, self.kinds.value, self.confidence.value,
                                          self.statuses.value)
        self.table.value = render_table(
            compute_item_table(filtered.head(ROW_LIMIT)), "No item matches these filters.")
        if len(filtered) > ROW_LIMIT:
            self.table.value += (f"<p>Showing {ROW_LIMIT} of {len(filtered)} items; narrow the "
                                 "filters or open the run's workbook.</p>")
        self.selection.options = compute_item_options(filtered.head(ROW_LIMIT))

    def on_type(self, _=None) -> None:
        self.type_hint.value = render_type_hint(self.rec_type.value)

    # --- reviewing --------------------------------------------------------------------------

    def on_review(self, action: str) -> None:
        chosen = list(self.selection.value)
        if not chosen:
            self.review_status.value = "<p>Select one or more items first.</p>"
            return
        reviewed, refusal = ui.form_action(
            lambda conn: service.review_items(conn, self.email, chosen, action, self.notes.value),
            require=self.require)
        if refusal:
            self.review_status.value = ui.compute_error_html("Not saved", refusal)
            return
        self.review_status.value = (f"<p style='color:#15803d'>{reviewed} item(s) "
                                    f"{service.REVIEW_ACTIONS[action]}.</p>")
        self.notes.value = ""
        self.on_open_session()

    # --- reconciling a file -----------------------------------------------------------------

    def run_file(self, path: str, name: str, kind: str, columns=None) -> None:
        result, refusal = ui.form_action(
            lambda conn: service.run_reconciliation(conn, self.email, kind, path,
                                                    date_window=self.window.value,
                                                    file_name=name, columns=columns),
            require=self.require)
        if refusal:
            self.upload_status.value = ui.compute_error_html("Not reconciled", refusal)
            return
        self.mapping_box.layout.display = "none"
        self.pending = None
        if result["status"] == "completed":
            self.upload_status.value = (
                f"<p style='color:#15803d'>{html.escape(name)}: "
                f"{result['matched_items']} of {result['total_invoice_items']} rows matched "
                f"({result['match_rate']}%).</p>")
        else:
            self.upload_status.value = ui.compute_error_html(
                f"{name} was refused", result["error"] or "")
        self.upload.value = ()
        self.load(select=result["session_id"])

    def ask_for_columns(self, path: str, name: str, kind: str, preview: FilePreview) -> None:
        self.pending = (path, name, kind)
        self.mapping_preview.value = render_preview(preview)
        options = compute_mapping_options(preview)
        required = parsing.required_columns("restaurant" if kind == "restaurant" else "coaching")
        for column, choice in self.mapping_choices.items():
            choice.description = f"{column} *" if column in required else column
            ui.set_options(choice, options, keep=preview.columns.get(column, ""))
        self.mapping_box.layout.display = None
        self.upload_status.value = ""

    def on_reconcile_upload(self, _=None) -> None:
        if not self.upload.value:
            self.upload_status.value = "<p>Choose a CSV or .xlsx file first.</p>"
            return
        uploaded = self.upload.value[0]
        content = bytes(uploaded["content"])
        if len(content) > parsing.MAX_FILE_BYTES:
            self.upload_status.value = ui.compute_error_html(
                "File refused", f"{uploaded['name']} is larger than 10 MB.")
            return
        kind, name = self.rec_type.value, uploaded["name"]
        _, refusal = ui.form_action(lambda conn: None, require=self.require)
        if refusal:  # nothing of a refused person's file is kept
            self.upload_status.value = ui.compute_error_html("Not reconciled", refusal)
            return
        path = partner_file.save_upload(name, content)
        try:
            with database.transaction() as conn:
                preview = service.preview_file(conn, kind, path, name, email=self.email)
        except parsing.FileRefused:
            preview = None  # the reconciliation stores the failed session and says why
        except ValueError as exc:  # an unknown type or coach
            self.upload_status.value = ui.compute_error_html("Not reconciled", str(exc))
            return
        if preview is not None and (preview.missing or not preview.decided):
            self.ask_for_columns(path, name, kind, preview)
            return
        self.run_file(path, name, kind)

    def on_reconcile_mapped(self, _=None) -> None:
        if self.pending is None:
            self.upload_status.value = "<p>Upload a file first.</p>"
            return
        path, name, kind = self.pending
        columns = compute_mapping({c: d.value for c, d in self.mapping_choices.items()})
        if not columns:
            self.upload_status.value = ui.compute_error_html("Not reconciled",
                                                             "pick at least the required columns")
            return
        self.run_file(path, name, kind, columns)

    # --- the restaurant's products ----------------------------------------------------------

    def on_products_changed(self) -> None:
        rows, refusal = ui.form_action(
            lambda conn: service.load_partner_products_kept(conn, self.email, "restaurant"),
            require=self.require)
        self.products.value = (ui.compute_error_html("Not shown", refusal) if refusal
                               else render_products(rows))

    def on_product(self, keep: bool) -> None:
        work = service.save_partner_product if keep else service.delete_partner_product
        _, refusal = ui.form_action(
            lambda conn: work(conn, self.email, "restaurant", self.product_kind.value,
                              self.product_value.value),
            require=self.require)
        if refusal:
            self.product_status.value = ui.compute_error_html("Not changed", refusal)
            return
        self.product_status.value = ""
        self.product_value.value = ""
        self.on_products_changed()
