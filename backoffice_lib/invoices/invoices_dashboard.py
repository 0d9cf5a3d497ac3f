"""Supplier invoices in the browser (issue 13; Voilà, finance, admins only).

- **New invoice**: pick a supplier or add one (its tax ID checked as you type: 13 digits and the
  check digit), add items, and see each line, the subtotal, the withholding tax and the net total
  update as you type; pick the invoice date; **Save invoice** assigns the number and offers the
  PDF at once.
- **Invoices of a month**: the list with totals and the withholding tax to remit per supplier;
  pick an invoice to download its PDF, void it with a reason, or mark it paid on a date (the
  month of its withholding filing, supplier-tax.md §1; a paid date changed later needs a reason).
- **Supplier tax data**: a supplier's payee data for ภ.ง.ด.3 / ภ.ง.ด.53 and the 50 ทวิ (payee
  kind, tax ID with its check digit checked as you type, branch, title / first / last name or
  registered name, structured address, income type), with the fields a form still misses shown
  for the chosen supplier and for every supplier.

Every action calls the same service functions as ``backoffice invoice ...``
(``invoices.service``: ``create_supplier``, ``create_invoice``, ``void_invoice``,
``load_invoice_pdf``, ``mark_invoice_paid``, ``set_supplier_tax_data``, ``missing_supplier_data``): the checks, the write and the audit live there, once. Refusals are shown
as a message. The PDF link is an ``<a download>`` with the file inside (base64), so it works
offline and needs no file server. Widgets only: every read and write is a ``service`` call that
checks the person's access itself (a click sent to a control that was never shown is refused and
audited). The notebook ends with ``invoices_dashboard(month)``.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import access, bangkok, money, ui
from . import rules, service
from .rules import withholding

AREA = service.AREA
NEW_SUPPLIER = "__new__"
MONTHS_BACK = 12
LIST_COLUMNS = {
    "invoice_number": "number", "invoice_date": "date", "supplier_name": "supplier",
    "subtotal": "subtotal", "tax_amount": "withholding tax", "total_amount": "net total",
    "status": "status", "paid_on": "paid on",
}
WHT_COLUMNS = {
    "supplier_name": "supplier", "supplier_tax_id": "tax ID", "invoices": "invoices",
    "subtotal": "subtotal", "tax_amount": "withholding tax to remit", "total_amount": "net paid",
}
MONEY = ("subtotal", "tax_amount", "total_amount")
# The supplier tax form: field -> label (withholding.TAX_FIELDS and the registered name)
TAX_TEXT_FIELDS = {
    "tax_id": "Tax ID", "branch_no": "Branch", "first_name": "First name",
    "last_name": "Last name", "name": "Registered name", "address_line": "Address",
    "subdistrict": "Subdistrict", "district": "District", "province": "Province",
    "postal_code": "Postal code", "income_type_code": "Income type", "income_type_label": "Label",
}


# --- pure helpers -------------------------------------------------------------------------------


@dataclass
class Draft:
    """What the form holds right now: the items that read, a line per row, and the amounts."""

    items: list[rules.ItemInput] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # per row: its line total, an error or ""
    errors: list[str] = field(default_factory=list)
    amounts: dict | None = None
    rate: Decimal | None = None
    rate_error: str = ""


def compute_draft(rows: list[tuple[str, str, str]], tax_rate: str) -> Draft:
    """Read the form's item rows (description, quantity, unit price) and the withholding rate
    with the service's own rules (``make_item``, ``compute_invoice_amounts``). Wholly blank rows
    are not items."""
    draft = Draft()
    for description, quantity, unit_price in rows:
        if not any((value or "").strip() for value in (description, quantity, unit_price)):
            draft.lines.append("")
            continue
        try:
            item = rules.make_item(description, quantity, unit_price)
        except rules.InvoiceError as exc:
            draft.lines.append(str(exc))
            draft.errors.append(str(exc))
            continue
        draft.items.append(item)
        draft.lines.append(ui.format_money(money.round_money(item.quantity * item.unit_price)))
    try:
        draft.rate = rules.validate_tax_rate(tax_rate)
    except rules.InvoiceError as exc:
        draft.rate_error = str(exc)
    if draft.items and not draft.rate_error:
        draft.amounts = rules.compute_invoice_amounts(draft.items, tax_rate)
    return draft


def render_totals(draft: Draft) -> str:
    amounts = draft.amounts or {}
    rate = draft.rate
    shown_rate = f"{rate.normalize():f}%" if rate is not None else "?%"

    def row(label: str, value, strong: bool = False) -> str:
        text = ui.format_money(value) if value is not None else "–"
        weight = "font-weight:700;border-top:1px solid #cbd5e1" if strong else ""
        return (f'<tr><td style="padding:3px 24px 3px 0;{weight}">{html.escape(label)}</td>'
                f'<td class="num" style="text-align:right;min-width:120px;{weight}">'
                f"{html.escape(text)}</td></tr>")

    tax = amounts.get("tax_amount")
    body = (row("Subtotal", amounts.get("subtotal"))
            + row(f"Withholding tax {shown_rate}", -tax if tax else tax)
            + row("Net total to pay", amounts.get("total_amount"), strong=True))
    notes = ""
    if draft.rate_error:
        notes += ui.message_html(draft.rate_error, "refused")
    if draft.errors:
        notes += ui.message_html(f"{len(draft.errors)} item row(s) need fixing: "
                                 f"{draft.errors[0]}", "refused")
    return (f'<table class="invoice-totals" style="font-size:15px;border-collapse:collapse;'
            f'margin:6px 0">{body}</table>{notes}')


def render_line(line: str) -> str:
    if not line:
        return '<span class="bo-hint">–</span>'
    if line.startswith(("฿", "-฿")):
        return f'<span class="line-total" style="font-variant-numeric:tabular-nums">{html.escape(line)}</span>'
    return f'<span style="color:#b91c1c;font-size:12px">{html.escape(line)}</span>'


def compute_supplier_options(suppliers: list[dict]) -> list[tuple[str, str]]:
    options = [("— pick a supplier —", "")]
    for row in suppliers:
        tax = f" · {row['tax_id']}" if row.get("tax_id") else ""
        options.append((f"{row['name']}{tax}", str(row["id"])))
    options.append(("+ Add a new supplier…", NEW_SUPPLIER))
    return options


def render_tax_id(value: str) -> str:
    """What the tax ID field says while typing (the service's own check)."""
    if not (value or "").strip():
        return '<span class="bo-hint">13 digits; the last one is a check digit</span>'
    try:
        digits = rules.validate_tax_id(value)
    except rules.InvoiceError as exc:
        return f'<span class="tax-id-check" style="color:#b91c1c">{html.escape(str(exc))}</span>'
    return f'<span class="tax-id-check" style="color:#15803d">✓ valid tax ID {digits}</span>'


def render_supplier(supplier: dict | None) -> str:
    if not supplier:
        return '<p class="bo-hint">Pick the supplier who issued the invoice, or add a new one.</p>'
    parts = [html.escape(x) for x in (supplier.get("address_line1"), supplier.get("address_line2"))
             if x]
    tax_id = supplier.get("tax_id")
    if tax_id:
        try:
            rules.validate_tax_id(tax_id)
            parts.append(f"tax ID {html.escape(tax_id)}")
        except rules.InvoiceError as exc:
            parts.append(f'<span style="color:#b45309">⚠ {html.escape(str(exc))}</span>')
    else:
        parts.append('<span style="color:#b45309">⚠ no tax ID on file</span>')
    bank = " ".join(x for x in (supplier.get("bank_name"), supplier.get("bank_account")) if x)
    if bank:
        parts.append(f"pay to {html.escape(bank)}")
    if supplier.get("default_description"):
        parts.append(f"usually: {html.escape(supplier['default_description'])}")
    return f'<p class="bo-hint supplier-details">{" · ".join(parts)}</p>'


def render_missing(missing: list[tuple[str, str]], supplier: str = "") -> str:
    """The fields a withholding form still misses (per supplier), or that none is missing."""
    if not missing:
        return ('<span class="tax-missing" style="color:#15803d">✓ nothing missing for the '
                f'withholding forms{" for " + html.escape(supplier) if supplier else ""}</span>')
    by_supplier: dict[str, list[str]] = {}
    for who, field_name in missing:
        by_supplier.setdefault(who, []).append(field_name.replace("_", " "))
    rows = "".join(f"<li><b>{html.escape(who)}</b>: {html.escape(', '.join(fields))}</li>"
                   for who, fields in by_supplier.items())
    return (f'<div class="tax-missing" style="color:#b45309">⚠ still missing for the '
            f'withholding forms:<ul>{rows}</ul></div>')


def render_pdf_link(file_name: str, content: bytes) -> str:
    """A download link holding the PDF itself: works offline, no file server needed."""
    data = base64.b64encode(content).decode("ascii")
    size = f"{len(content) / 1024:.0f} KB"
    return (f'<a class="invoice-pdf" download="{html.escape(file_name)}" '
            f'href="data:application/pdf;base64,{data}" style="font-weight:600;color:#14532d">'
            f"⬇ {html.escape(file_name)}</a> <span class='bo-hint'>({size})</span>")


def compute_month_options(months_with_invoices: list[str], today: dt.date) -> list[str]:
    """The current month, the twelve before it, and any older month with invoices; newest first."""
    current = bangkok.month_key(today)
    months = {current}
    month = current
    for _ in range(MONTHS_BACK):
        month = bangkok.previous_month(month)
        months.add(month)
    months |= {m for m in months_with_invoices if m and m <= current}
    return sorted(months, reverse=True)


def compute_invoice_options(invoices) -> list[tuple[str, str]]:
    """(label, number) of a month's invoices, for the PDF / void picker."""
    options = []
    for row in invoices.to_dict("records"):
        void = " · VOID" if row["status"] == "void" else ""
        label = (f"{row['invoice_number']} · {row['supplier_name']} · "
                 f"{ui.format_money(row['total_amount'])}{void}")
        options.append((label, row["invoice_number"]))
    return options


def render_month_totals(month: str, totals: dict) -> str:
    def figure(label: str, value: str) -> str:
        return (f'<span style="display:inline-block;margin:0 22px 6px 0">{html.escape(label)}'
                f'<br><b style="font-size:20px">{html.escape(value)}</b></span>')

    return (f'<div class="month-totals" data-month="{html.escape(month)}">'
            + figure("invoices", str(totals["invoices"]))
            + figure("subtotal", ui.format_money(totals["subtotal"]))
            + figure("withholding tax to remit", ui.format_money(totals["withholding_tax_to_remit"]))
            + figure("net paid to suppliers", ui.format_money(totals["net_paid"]))
            + (figure("void", str(totals["void_invoices"])) if totals["void_invoices"] else "")
            + "</div>")


def render_saved(invoice: dict) -> str:
    return ui.message_html(
        f"Invoice {invoice['invoice_number']} saved for {invoice['supplier']['name']}: subtotal "
        f"{ui.format_money(invoice['subtotal'])}, withholding tax "
        f"{ui.format_money(invoice['tax_amount'])}, net total "
        f"{ui.format_money(invoice['total_amount'])}.", "ok")


# --- the dashboard ------------------------------------------------------------------------------


def invoices_dashboard(month: str = ""):
    """Finance's supplier invoices: create (with a new supplier if needed), PDF, void, the month."""
    return ui.guarded_dashboard(AREA, lambda user: InvoicesDashboard(user, month).widget)


class InvoicesDashboard:
    """The widgets and their callbacks; ``widget`` is what the notebook shows."""

    def __init__(self, user, month: str = ""):
        self.email = user.email
        # each action checks access in a transaction of its own first: a refusal stays audited
        self.require = (user.email, AREA, None)
        if month:
            bangkok.parse_month(month)
        self.load()
        self.build(month)
        self.wire()
        self.on_suppliers_changed()
        self.on_add_item()
        self.on_totals()
        self.on_month()
        self.widget = self.layout()

    def load(self) -> None:
        """The suppliers, the default withholding rate and the months with invoices."""
        loaded, refusal = ui.form_action(
            lambda conn: service.load_form_choices(conn, self.email), require=self.require)
        if refusal:
            raise access.AccessDenied(refusal)
        suppliers, rate, self.months = loaded
        self.suppliers = {str(s["id"]): s for s in suppliers}
        self.default_rate = str(rate)

    def build(self, month: str = "") -> None:
        import ipywidgets as widgets

        self.w = widgets
        today = bangkok.today()
        # the supplier
        self.supplier = widgets.Dropdown(description="Supplier", options=[("", "")],
                                         layout=widgets.Layout(width="560px"))
        self.supplier_details = widgets.HTML(render_supplier(None))
        self.new_name = widgets.Text(description="Name", layout=widgets.Layout(width="560px"))
        self.new_tax_id = widgets.Text(description="Tax ID", placeholder="13 digits",
                                       layout=widgets.Layout(width="300px"))
        self.tax_id_check = widgets.HTML(render_tax_id(""))
        self.new_address1 = widgets.Text(description="Address", layout=widgets.Layout(width="560px"))
        self.new_address2 = widgets.Text(description="", layout=widgets.Layout(width="560px"))
        self.new_bank = widgets.Text(description="Bank")
        self.new_account = widgets.Text(description="Account")
        self.add_supplier = widgets.Button(description="Add supplier", icon="plus")
        self.supplier_status = widgets.HTML()
        self.new_supplier_box = widgets.VBox(
            [self.new_name, widgets.HBox([self.new_tax_id, self.tax_id_check]), self.new_address1,
             self.new_address2, widgets.HBox([self.new_bank, self.new_account]), self.add_supplier,
             self.supplier_status],
            layout=widgets.Layout(display="none"))
        self.new_supplier_box.add_class("bo-card")

        # the invoice
        self.invoice_date = widgets.DatePicker(description="Invoice date", value=today)
        self.tax_rate = widgets.Text(description="WHT %", value=self.default_rate,
                                     layout=widgets.Layout(width="160px"))
        self.rows: list[dict[str, Any]] = []
        self.rows_box = widgets.VBox()
        self.add_item = widgets.Button(description="Add item", icon="plus")
        self.totals = widgets.HTML()
        self.save = widgets.Button(description="Save invoice", button_style="primary", icon="save")
        self.save_status = widgets.HTML()
        self.save_pdf = widgets.HTML()

        # the month
        self.month = widgets.Dropdown(description="Month",
                                      options=compute_month_options(self.months, today),
                                      value=month or ui.compute_default_month(self.months,
                                                                              today))
        self.month_totals = widgets.HTML()
        self.month_table = widgets.HTML()
        self.wht_table = widgets.HTML()
        self.picked = widgets.Dropdown(description="Invoice", options=[("", "")],
                                       layout=widgets.Layout(width="560px"))
        self.pdf = widgets.Button(description="PDF", icon="download")
        self.pdf_link = widgets.HTML()
        self.reason = widgets.Text(description="Reason", placeholder="why this invoice is void",
                                   layout=widgets.Layout(width="560px"))
        self.void = widgets.Button(description="Void invoice", button_style="danger", icon="ban")
        self.paid_on = widgets.DatePicker(description="Paid on", value=today)
        self.paid_reason = widgets.Text(
            description="Reason", placeholder="only to change a paid date already recorded",
            layout=widgets.Layout(width="420px"))
        self.mark_paid = widgets.Button(description="Mark paid", icon="check")
        self.action_status = widgets.HTML()

        # the supplier tax data
        self.tax_supplier = widgets.Dropdown(description="Supplier", options=[("", "")],
                                             layout=widgets.Layout(width="560px"))
        self.tax_kind = widgets.Dropdown(
            description="Payee kind", options=[("", ""), ("individual (ภ.ง.ด.3)", "individual"),
                                               ("juristic (ภ.ง.ด.53)", "juristic")])
        self.tax_title = widgets.Dropdown(description="Title",
                                          options=[""] + list(withholding.TITLES))
        self.tax_text = {key: widgets.Text(description=label, layout=widgets.Layout(
            width="560px" if key in ("name", "address_line", "income_type_label") else "300px"))
            for key, label in TAX_TEXT_FIELDS.items()}
        self.tax_text["tax_id"].placeholder = "13 digits"
        self.tax_text["branch_no"].placeholder = "00000 (head office)"
        self.tax_id_typed = widgets.HTML(render_tax_id(""))
        self.save_tax = widgets.Button(description="Save tax data", button_style="primary",
                                       icon="save")
        self.tax_status = widgets.HTML()
        self.tax_missing = widgets.HTML()
        self.missing_all = widgets.HTML()

        # stable hooks for the browser tests and the page's own look
        for name in ("supplier", "supplier_details", "new_name", "new_tax_id", "tax_id_check",
                     "add_supplier", "supplier_status", "invoice_date", "tax_rate", "add_item",
                     "totals", "save", "save_status", "save_pdf", "month", "month_totals",
                     "month_table", "wht_table", "picked", "pdf", "pdf_link", "reason", "void",
                     "action_status", "paid_on", "paid_reason", "mark_paid", "tax_supplier",
                     "tax_kind", "tax_title", "tax_id_typed", "save_tax", "tax_status",
                     "tax_missing", "missing_all"):
            getattr(self, name).add_class("inv-" + name.replace("_", "-"))


    # --- layout ---------------------------------------------------------------------------------

    def layout(self):
        w = self.w
        header = w.HTML(
            '<h2 class="bo-title">Supplier invoices</h2><p class="bo-hint">For '
            f"{html.escape(self.email)}: invoices that freelancers and suppliers issue to the "
            "studio; the studio withholds the tax and remits it.</p>")
        item_head = w.HTML('<span class="bo-hint">Items: description · quantity · unit price (THB)'
                           " · line total</span>")
        form = w.VBox([
            w.HTML("<h3>New invoice</h3>"), self.supplier, self.supplier_details,
            self.new_supplier_box, w.HBox([self.invoice_date, self.tax_rate]), item_head,
            self.rows_box, self.add_item, self.totals, self.save, self.save_status, self.save_pdf,
        ])
        form.add_class("bo-card")
        month = w.VBox([
            w.HTML("<h3>Invoices of a month</h3>"), self.month, self.month_totals,
            self.month_table, w.HTML("<h3>Withholding tax to remit per supplier</h3>"),
            self.wht_table, w.HTML("<h3>PDF or void</h3>"), w.HBox([self.picked, self.pdf]),
            self.pdf_link, w.HBox([self.reason, self.void]),
            w.HBox([self.paid_on, self.paid_reason, self.mark_paid]), self.action_status,
        ])
        month.add_class("bo-card")
        t = self.tax_text
        tax = w.VBox([
            w.HTML("<h3>Supplier tax data</h3><p class='bo-hint'>What ภ.ง.ด.3 / ภ.ง.ด.53 and the "
                   "50 ทวิ need of each payee: an individual by title, first and last name, a "
                   "company by its registered name.</p>"),
            self.tax_supplier, self.tax_missing, self.tax_kind,
            w.HBox([t["tax_id"], self.tax_id_typed]), t["branch_no"],
            w.HBox([self.tax_title, t["first_name"], t["last_name"]]), t["name"],
            t["address_line"], w.HBox([t["subdistrict"], t["district"]]),
            w.HBox([t["province"], t["postal_code"]]),
            w.HBox([t["income_type_code"], t["income_type_label"]]), self.save_tax,
            self.tax_status, w.HTML("<h4>Every supplier</h4>"), self.missing_all,
        ])
        tax.add_class("bo-card")
        page = w.VBox([ui.stylesheet(), header, form, month, tax])
        page.add_class("bo-page")
        return page

    def wire(self) -> None:
        self.supplier.observe(self.on_supplier, names="value")
        self.new_tax_id.observe(self.on_tax_id, names="value")
        self.add_supplier.on_click(self.on_add_supplier)
        self.tax_rate.observe(self.on_totals, names="value")
        self.add_item.on_click(self.on_add_item)
        self.save.on_click(self.on_save)
        self.month.observe(self.on_month, names="value")
        self.picked.observe(lambda _: setattr(self.pdf_link, "value", ""), names="value")
        self.pdf.on_click(self.on_pdf)
        self.void.on_click(self.on_void)
        self.mark_paid.on_click(self.on_mark_paid)
        self.tax_supplier.observe(self.on_tax_supplier, names="value")
        self.tax_text["tax_id"].observe(
            lambda change: setattr(self.tax_id_typed, "value", render_tax_id(change["new"])),
            names="value")
        self.save_tax.on_click(self.on_save_tax)

    # --- suppliers ------------------------------------------------------------------------------

    def on_suppliers_changed(self, select: str = "") -> None:
        ui.set_options(self.supplier, compute_supplier_options(list(self.suppliers.values())),
                       keep=select)
        self.tax_supplier.unobserve(self.on_tax_supplier, names="value")
        ui.set_options(self.tax_supplier,
                       compute_supplier_options(list(self.suppliers.values()))[:-1],
                       keep=self.tax_supplier.value)
        self.tax_supplier.observe(self.on_tax_supplier, names="value")
        self.on_tax_supplier()

    def on_tax_id(self, change) -> None:
        self.tax_id_check.value = render_tax_id(change["new"])

    def on_supplier(self, _=None) -> None:
        chosen = self.supplier.value
        self.new_supplier_box.layout.display = None if chosen == NEW_SUPPLIER else "none"
        self.supplier_details.value = (
            "" if chosen == NEW_SUPPLIER else render_supplier(self.suppliers.get(chosen)))

    def on_add_supplier(self, _=None) -> None:
        fields = {"name": self.new_name.value, "tax_id": self.new_tax_id.value,
                  "address_line1": self.new_address1.value,
                  "address_line2": self.new_address2.value, "bank_name": self.new_bank.value,
                  "bank_account": self.new_account.value}
        row, refusal = ui.form_action(
            lambda conn: service.create_supplier(conn, self.email, **fields), require=self.require)
        if refusal:
            self.supplier_status.value = ui.message_html(f"Not added: {refusal}", "refused")
            return
        self.suppliers[str(row["id"])] = row
        for text in (self.new_name, self.new_tax_id, self.new_address1, self.new_address2,
                     self.new_bank, self.new_account):
            text.value = ""
        self.supplier_status.value = ""
        self.on_suppliers_changed(select=str(row["id"]))
        self.supplier_details.value = (ui.message_html(f"Supplier {row['name']} added.", "ok")
                                       + render_supplier(row))

    # --- items and totals -----------------------------------------------------------------------

    def on_add_item(self, _=None) -> None:
        w = self.w
        row = {
            "description": w.Text(placeholder="description", layout=w.Layout(width="340px")),
            "quantity": w.Text(placeholder="qty", layout=w.Layout(width="90px")),
            "unit_price": w.Text(placeholder="unit price", layout=w.Layout(width="130px")),
            "line": w.HTML(render_line("")),
            "remove": w.Button(description="✕", tooltip="remove this item",
                               layout=w.Layout(width="40px")),
        }
        for key in ("description", "quantity", "unit_price"):
            row[key].observe(self.on_totals, names="value")
        row["remove"].on_click(lambda _b, r=row: self.on_remove_item(r))
        row["box"] = w.HBox([row["description"], row["quantity"], row["unit_price"], row["line"],
                             row["remove"]])
        row["box"].add_class("invoice-item")
        self.rows.append(row)
        self.rows_box.children = [r["box"] for r in self.rows]

    def on_remove_item(self, row: dict) -> None:
        self.rows = [r for r in self.rows if r is not row]
        self.rows_box.children = [r["box"] for r in self.rows]
        self.on_totals()

    def draft(self) -> Draft:
        return compute_draft(
            [(r["description"].value, r["quantity"].value, r["unit_price"].value)
             for r in self.rows], self.tax_rate.value)

    def on_totals(self, _=None) -> Draft:
        draft = self.draft()
        for row, line in zip(self.rows, draft.lines):
            row["line"].value = render_line(line)
        self.totals.value = render_totals(draft)
        return draft

    def clear_form(self) -> None:
        self.rows = []
        self.on_add_item()
        self.on_totals()

    # --- save -----------------------------------------------------------------------------------

    def on_save(self, _=None) -> None:
        self.save_pdf.value = ""
        draft = self.on_totals()
        chosen = self.supplier.value
        if not chosen or chosen == NEW_SUPPLIER:
            self.save_status.value = ui.message_html(
                "Not saved: pick the supplier first (or add one and pick it).", "refused")
            return
        if self.invoice_date.value is None:
            self.save_status.value = ui.message_html("Not saved: pick the invoice date.", "refused")
            return
        if draft.errors:
            self.save_status.value = ui.message_html(f"Not saved: {draft.errors[0]}", "refused")
            return
        created, refusal = ui.form_action(lambda conn: service.create_invoice(
            conn, self.email, supplier_id=chosen, invoice_date=self.invoice_date.value,
            items=draft.items, tax_rate=self.tax_rate.value), require=self.require)
        if refusal:
            self.save_status.value = ui.message_html(f"Not saved: {refusal}", "refused")
            return
        self.save_status.value = render_saved(created)
        self.clear_form()
        self.on_month(select_month=bangkok.month_key(created["invoice_date"]),
                        select=created["invoice_number"])
        self.save_pdf.value = self._pdf_html(created["invoice_number"])

    # --- the month ------------------------------------------------------------------------------

    def on_month(self, _=None, select_month: str | None = None, select: str | None = None):
        if select_month and select_month != self.month.value:
            if select_month not in self.month.options:
                self.month.options = sorted({*self.month.options, select_month}, reverse=True)
            self.month.unobserve(self.on_month, names="value")
            self.month.value = select_month
            self.month.observe(self.on_month, names="value")
        month = self.month.value
        invoices, refusal = ui.form_action(
            lambda conn: service.load_month_invoices(conn, self.email, month), require=self.require)
        if refusal:
            self.month_totals.value = ui.message_html(f"Not shown: {refusal}", "refused")
            return
        totals = rules.compute_month_totals(invoices)
        self.month_totals.value = render_month_totals(month, totals)
        self.month_table.value = ui.table_html(
            invoices, LIST_COLUMNS, money_columns=MONEY,
            muted=[s == "void" for s in invoices["status"]],
            empty=f"No invoice dated in {month} yet.", css_class="invoice-list")
        self.wht_table.value = ui.table_html(
            rules.compute_withholding_by_supplier(invoices), WHT_COLUMNS, money_columns=MONEY,
            number_columns=("invoices",), empty="No withholding tax to remit for this month.",
            css_class="wht-per-supplier")
        ui.set_options(self.picked, compute_invoice_options(invoices) or [("", "")],
                       keep=select or self.picked.value)
        self.pdf_link.value = ""

    def _pdf_html(self, number: str) -> str:
        result, refusal = ui.form_action(
            lambda conn: service.load_invoice_pdf(conn, self.email, number), require=self.require)
        if refusal:
            return ui.message_html(f"No PDF: {refusal}", "refused")
        return render_pdf_link(*result)

    def on_pdf(self, _=None) -> None:
        if not self.picked.value:
            self.pdf_link.value = ui.message_html("Pick an invoice first.", "refused")
            return
        self.pdf_link.value = self._pdf_html(self.picked.value)

    def on_void(self, _=None) -> None:
        number = self.picked.value
        if not number:
            self.action_status.value = ui.message_html("Pick an invoice first.", "refused")
            return
        voided, refusal = ui.form_action(
            lambda conn: service.void_invoice(conn, self.email, number, self.reason.value),
            require=self.require)
        if refusal:
            self.action_status.value = ui.message_html(f"Not voided: {refusal}", "refused")
            return
        self.action_status.value = ui.message_html(
            f"Invoice {voided['invoice_number']} is void; its number stays taken.", "ok")
        self.reason.value = ""
        self.on_month(select=number)

    # --- payment ----------------------------------------------------------------------------

    def on_mark_paid(self, _=None) -> None:
        number = self.picked.value
        if not number:
            self.action_status.value = ui.message_html("Pick an invoice first.", "refused")
            return
        if self.paid_on.value is None:
            self.action_status.value = ui.message_html("Pick the date it was paid.", "refused")
            return
        _, refusal = ui.form_action(
            lambda conn: service.mark_invoice_paid(conn, self.email, number, self.paid_on.value,
                                                   self.paid_reason.value.strip() or None),
            require=self.require)
        if refusal:
            self.action_status.value = ui.message_html(f"Not marked paid: {refusal}", "refused")
            return
        self.action_status.value = ui.message_html(
            f"Invoice {number} paid on {self.paid_on.value}: on the withholding filing of "
            f"{bangkok.month_key(self.paid_on.value)}.", "ok")
        self.paid_reason.value = ""
        self.on_month(select=number)

    # --- supplier tax data ------------------------------------------------------------------

    def on_tax_supplier(self, _=None) -> None:
        """Fill the form with the chosen supplier's payee data and show what it misses."""
        supplier = self.suppliers.get(self.tax_supplier.value)
        self.tax_status.value = ""
        self.tax_kind.value = (supplier or {}).get("payee_kind") or ""
        title = (supplier or {}).get("title") or ""
        self.tax_title.value = title if title in self.tax_title.options else ""
        for key, text in self.tax_text.items():
            value = (supplier or {}).get(key)
            text.value = "" if value is None else str(value)
        self.show_missing()

    def show_missing(self) -> None:
        """The fields each supplier (and the chosen one) still misses for the forms."""
        chosen = self.tax_supplier.value
        ids = list(self.suppliers)
        found, refusal = ui.form_action(
            lambda conn: {sid: service.missing_supplier_data(conn, sid) for sid in ids},
            require=self.require)
        if refusal:
            self.missing_all.value = ui.message_html(f"Not shown: {refusal}", "refused")
            return
        every = [item for sid in ids for item in found[sid]]
        self.missing_all.value = render_missing(every)
        supplier = self.suppliers.get(chosen)
        self.tax_missing.value = (render_missing(found[chosen], supplier["name"])
                                  if supplier else "")

    def on_save_tax(self, _=None) -> None:
        chosen = self.tax_supplier.value
        if chosen not in self.suppliers:
            self.tax_status.value = ui.message_html("Pick a supplier first.", "refused")
            return
        fields = {key: text.value for key, text in self.tax_text.items()}
        fields.update(payee_kind=self.tax_kind.value, title=self.tax_title.value)
        if not fields["name"].strip():
            fields.pop("name")  # the registered name is required: never blanked from here
        row, refusal = ui.form_action(
            lambda conn: service.set_supplier_tax_data(conn, self.email, chosen, **fields),
            require=self.require)
        if refusal:
            self.tax_status.value = ui.message_html(f"Not saved: {refusal}", "refused")
            return
        self.suppliers[chosen] = row
        self.on_suppliers_changed(select=self.supplier.value)
        self.tax_status.value = ui.message_html(f"Tax data of {row['name']} saved.", "ok")
