"""The reconciliation review dashboard (Voilà, for finance; admins only).

Pick a session, see its match rate and variance, filter its items by kind (exact, fuzzy_name,
fuzzy_amount, quantity_variance, invoice_only, pos_only), confidence and status, then approve,
dispute or adjust the selected items with notes (audited by the library). A FileUpload widget
reconciles a new file (CSV or .xlsx, at most 10 MB) and opens its session. When a required column
of the file cannot be decided from its header, the dashboard shows the header row and a sample and
asks for the columns once; the mapping goes to the same ``reconcile_file(columns=...)`` as
``backoffice reconcile --columns`` and is remembered for the reconciliation type.

Widget callbacks live here; the notebook ends with ``reconciliation_dashboard(session_id)``.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import bangkok, database, settings, ui
from . import reading, service

AREA = "reconciliation"
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


# --- data access --------------------------------------------------------------------------------


def load_reconciliation_types(conn: Connection) -> list[str]:
    """restaurant, then coaching_<code> for each coach: codes of allowed_users and of the
    coaching bookings (the same ``Coaching (<Coach>)`` rule as the coach_earnings view)."""
    codes = conn.execute(sa.text(
        "SELECT upper(coach_code) FROM backoffice.allowed_users WHERE coach_code IS NOT NULL"
        " UNION SELECT DISTINCT upper(substring(booking_type FROM '^Coaching \\((.+)\\)$'))"
        " FROM public.bookings WHERE booking_type LIKE 'Coaching (%)' ORDER BY 1"
    )).scalars().all()
    return ["restaurant", *[f"coaching_{code}" for code in codes if code]]


# --- pure helpers -------------------------------------------------------------------------------


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


def compute_summary_html(session: dict) -> str:
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


def compute_table_html(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p style='color:#64748b;margin:4px 0'>{html.escape(empty)}</p>"
    shown = frame.astype(object).where(frame.notna(), "")
    return shown.to_html(index=False, escape=True, border=0, classes="backoffice-table")


def compute_type_hint(rec_type: str | None) -> str:
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


def compute_products_html(rows: list[tuple[str, str]]) -> str:
    """What the POS side of the restaurant's reconciliation counts, for a person."""
    if not rows:
        return ("<p class='rec-products'>No product list is kept: every POS line with a SKU counts "
                "(bays and the pro shop too). Keep the restaurant's categories or SKUs below.</p>")
    kept = ", ".join(f"{'SKU' if kind == 'sku' else 'category'} {html.escape(value)}"
                     for kind, value in rows)
    return (f"<p class='rec-products'>Only these POS lines count for the restaurant: {kept}. "
            "Bay, pro-shop and other lines are left out.</p>")


def compute_preview_html(preview: reading.FilePreview) -> str:
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


def compute_mapping_options(preview: reading.FilePreview) -> list[tuple[str, str]]:
    return [("— not in this file —", "")] + [
        (cell, cell) for cell in dict.fromkeys(c for c in preview.header_cells if c)]


def compute_mapping(choices: dict[str, str]) -> dict[str, str]:
    """The columns a person picked (column -> header text), the unpicked left out."""
    return {column: header for column, header in choices.items() if header}


def save_upload(name: str, content: bytes) -> str:
    """Keep an uploaded file under the data dir (uploads/<stamp>-<name>) and return its path."""
    safe = re.sub(r"[^\w.\-]+", "_", name)[-120:] or "upload"
    folder = settings.private_dir(settings.data_dir() / "uploads" / "reconciliation")
    path = folder / f"{bangkok.now():%Y%m%dT%H%M%S%f}-{safe}"
    settings.write_private_bytes(path, content)  # owner-only: partners' and coaches' files
    return str(path)


# --- the dashboard ------------------------------------------------------------------------------


def reconciliation_dashboard(session_id: str = ""):
    """Finance's review of reconciliation sessions; opens ``session_id`` or the latest one."""
    import ipywidgets as widgets

    def build(user):
        state: dict[str, Any] = {"items": pd.DataFrame()}
        status = widgets.HTML()
        picker = widgets.Dropdown(description="Session", layout=widgets.Layout(width="720px"))
        summary = widgets.HTML()
        kinds = widgets.SelectMultiple(options=KINDS, value=KINDS, description="Kind", rows=6)
        statuses = widgets.SelectMultiple(options=STATUSES, value=STATUSES, description="Status",
                                          rows=4)
        confidence = widgets.FloatRangeSlider(value=(0.0, 1.0), min=0.0, max=1.0, step=0.05,
                                              description="Confidence", readout_format=".2f")
        table = widgets.HTML()
        selection = widgets.SelectMultiple(description="Items", rows=8,
                                           layout=widgets.Layout(width="720px"))
        notes = widgets.Text(placeholder="why (needed to dispute or adjust)", description="Notes",
                             layout=widgets.Layout(width="720px"))
        buttons = {action: widgets.Button(description=action.capitalize(), button_style=style)
                   for action, style in (("approve", "success"), ("dispute", "danger"),
                                         ("adjust", "warning"))}
        review_status = widgets.HTML()
        upload = widgets.FileUpload(accept=".csv,.xlsx", multiple=False, description="File")
        rec_type = widgets.Dropdown(description="Type")
        type_hint = widgets.HTML()
        window = widgets.BoundedIntText(value=0, min=0, max=31, description="± days")
        run_button = widgets.Button(description="Reconcile", icon="upload", button_style="primary")
        upload_status = widgets.HTML()
        mapping_preview = widgets.HTML()
        mapping_choices = {
            column: widgets.Dropdown(description=column, options=[("", "")],
                                     layout=widgets.Layout(width="420px"))
            for column in reading.COLUMN_ALIASES}
        mapping_button = widgets.Button(description="Remember and reconcile", icon="check",
                                        button_style="primary",
                                        layout=widgets.Layout(width="240px"))
        mapping_box = widgets.VBox([mapping_preview, *mapping_choices.values(), mapping_button],
                                   layout=widgets.Layout(display="none"))
        mapping_box.add_class("rec-mapping")
        for column, choice in mapping_choices.items():
            choice.add_class(f"rec-map-{column}")
        for widget, name in ((mapping_button, "rec-map-save"), (run_button, "rec-run"),
                             (rec_type, "rec-type"), (upload, "rec-upload"),
                             (upload_status, "rec-upload-status")):
            widget.add_class(name)

        def show_items(_=None) -> None:
            filtered = compute_filtered_items(state["items"], kinds.value, confidence.value,
                                              statuses.value)
            table.value = compute_table_html(
                compute_item_table(filtered.head(ROW_LIMIT)), "No item matches these filters.")
            if len(filtered) > ROW_LIMIT:
                table.value += (f"<p>Showing {ROW_LIMIT} of {len(filtered)} items; narrow the "
                                "filters or open the run's workbook.</p>")
            selection.options = compute_item_options(filtered.head(ROW_LIMIT))

        def open_session(_=None) -> None:
            if not picker.value:
                summary.value = "<p>No reconciliation yet: reconcile a file above.</p>"
                state["items"] = pd.DataFrame()
                show_items()
                return
            with database.transaction() as conn:
                session = service.load_session(conn, picker.value)
                state["items"] = service.load_items(conn, picker.value)
            summary.value = compute_summary_html(session)
            show_items()

        def load_sessions(select: str | None = None) -> None:
            with database.transaction() as conn:
                sessions = service.load_sessions(conn)
                types = load_reconciliation_types(conn)
            if list(rec_type.options) != types:
                chosen = rec_type.value
                rec_type.options = types
                rec_type.value = chosen if chosen in types else types[0]
            options = [(compute_session_label(s), str(s["id"]))
                       for s in sessions.to_dict("records")]
            picker.options = options
            ids = [v for _, v in options]
            picker.value = select if select in ids else (ids[0] if ids else None)
            status.value = (f"<span class='backoffice-status'>{len(options)} session(s). Read at "
                            f"{bangkok.now():%H:%M:%S} Bangkok time.</span>")
            open_session()

        def review(action: str) -> None:
            chosen = list(selection.value)
            if not chosen:
                review_status.value = "<p>Select one or more items first.</p>"
                return
            try:
                count = service.review_items(user.email, chosen, action, notes.value)
            except service.ReconciliationError as exc:
                review_status.value = ui.compute_error_html("Not saved", str(exc))
                return
            review_status.value = (f"<p style='color:#15803d'>{count} item(s) "
                                   f"{service.REVIEW_ACTIONS[action]}.</p>")
            notes.value = ""
            open_session()

        def run_file(path: str, name: str, kind: str, columns=None) -> None:
            try:
                result = service.reconcile_file(user.email, kind, path, date_window=window.value,
                                                file_name=name, columns=columns)
            except service.ReconciliationError as exc:
                upload_status.value = ui.compute_error_html("Not reconciled", str(exc))
                return
            mapping_box.layout.display = "none"
            state.pop("pending", None)
            if result["status"] == "completed":
                upload_status.value = (
                    f"<p style='color:#15803d'>{html.escape(name)}: "
                    f"{result['matched_items']} of {result['total_invoice_items']} rows matched "
                    f"({result['match_rate']}%).</p>")
            else:
                upload_status.value = ui.compute_error_html(
                    f"{name} was refused", result["error"] or "")
            upload.value = ()
            load_sessions(select=result["session_id"])

        def ask_for_columns(path: str, name: str, kind: str, preview) -> None:
            state["pending"] = (path, name, kind)
            mapping_preview.value = compute_preview_html(preview)
            options = compute_mapping_options(preview)
            for column, choice in mapping_choices.items():
                required = column in reading.required_columns(
                    "restaurant" if kind == "restaurant" else "coaching")
                choice.description = f"{column} *" if required else column
                ui.set_options(choice, options, keep=preview.columns.get(column, ""))
            mapping_box.layout.display = None
            upload_status.value = ""

        def reconcile_upload(_=None) -> None:
            if not upload.value:
                upload_status.value = "<p>Choose a CSV or .xlsx file first.</p>"
                return
            uploaded = upload.value[0]
            content = bytes(uploaded["content"])
            if len(content) > reading.MAX_FILE_BYTES:
                upload_status.value = ui.compute_error_html(
                    "File refused", f"{uploaded['name']} is larger than 10 MB.")
                return
            path = save_upload(uploaded["name"], content)
            try:
                with database.transaction() as conn:
                    preview = service.preview_file(conn, rec_type.value, path, uploaded["name"])
            except service.ReconciliationError as exc:
                upload_status.value = ui.compute_error_html("Not reconciled", str(exc))
                return
            except reading.FileRefused:
                preview = None  # the reconciliation stores the failed session and says why
            if preview is not None and (preview.missing or not preview.decided):
                ask_for_columns(path, uploaded["name"], rec_type.value, preview)
                return
            run_file(path, uploaded["name"], rec_type.value)

        def reconcile_mapped(_=None) -> None:
            if "pending" not in state:
                upload_status.value = "<p>Upload a file first.</p>"
                return
            path, name, kind = state["pending"]
            columns = compute_mapping({c: d.value for c, d in mapping_choices.items()})
            if not columns:
                upload_status.value = ui.compute_error_html("Not reconciled",
                                                            "pick at least the required columns")
                return
            run_file(path, name, kind, columns)

        def show_hint(_=None) -> None:
            type_hint.value = compute_type_hint(rec_type.value)

        products = widgets.HTML()
        product_kind = widgets.Dropdown(options=[("category", "category"), ("SKU", "sku")],
                                        value="category", description="Product",
                                        layout=widgets.Layout(width="220px"))
        product_value = widgets.Text(placeholder="e.g. Restaurant, or a SKU such as RST-001")
        product_keep = widgets.Button(description="Keep", icon="plus")
        product_drop = widgets.Button(description="Stop counting", icon="minus")
        product_status = widgets.HTML()

        def show_products() -> None:
            with database.transaction() as conn:
                rows = service.load_partner_product_rows(conn, "restaurant")
            products.value = compute_products_html(rows)

        def change_product(keep: bool) -> None:
            work = service.save_partner_product if keep else service.delete_partner_product
            _, refusal = ui.form_action(
                lambda conn: work(conn, user.email, "restaurant", product_kind.value,
                                  product_value.value),
                require=(user.email, AREA, None))
            if refusal:
                product_status.value = ui.compute_error_html("Not changed", refusal)
                return
            product_status.value = ""
            product_value.value = ""
            show_products()

        product_keep.on_click(lambda _b: change_product(True))
        product_drop.on_click(lambda _b: change_product(False))
        show_products()

        rec_type.observe(show_hint, names="value")
        picker.observe(open_session, names="value")
        for control in (kinds, statuses, confidence):
            control.observe(show_items, names="value")
        for action, button in buttons.items():
            button.on_click(lambda _b, a=action: review(a))
        run_button.on_click(reconcile_upload)
        mapping_button.on_click(reconcile_mapped)
        refresh = widgets.Button(description="Refresh", icon="refresh")
        refresh.on_click(lambda _b: load_sessions(select=picker.value))
        load_sessions(select=session_id or None)
        show_hint()

        header = widgets.HTML(
            TABLE_CSS + "<h2 style='margin:0'>Reconciliation review</h2><p style='margin:2px 0 8px;"
            f"color:#475569'>For {html.escape(user.email)}: partner and coach files against the "
            "point of sale.</p>")
        return widgets.VBox([
            ui.stylesheet(),
            header,
            widgets.HTML("<h3>Reconcile a new file</h3>"),
            widgets.HBox([rec_type, upload, window, run_button]), type_hint, upload_status,
            mapping_box,
            widgets.HTML("<h3>Sessions</h3>"),
            widgets.HBox([refresh, status]), picker, summary,
            widgets.HTML("<h3>Items</h3>"), widgets.HBox([kinds, statuses]), confidence, table,
            widgets.HTML("<h3>Review</h3>"), selection, notes,
            widgets.HBox(list(buttons.values())), review_status,
            widgets.HTML("<h3>The restaurant's products on the POS</h3>"), products,
            widgets.HBox([product_kind, product_value, product_keep, product_drop]),
            product_status,
        ])

    return ui.guarded_dashboard(AREA, build)
