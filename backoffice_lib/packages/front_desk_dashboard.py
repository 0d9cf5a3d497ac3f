"""The front desk (Voilà, staff on shift and managers): customers, package sales and usage (§4).

Find a customer (name, phone, e-mail or code) or add one; sell a package (type, date, discount);
record usage with the balance and expiry shown before saving (``service.preview_usage``: the same
rule ``record_usage`` applies, so an over-use or an expired package is refused with the reason
before and at saving); transfer and extend with a reason (admins); the customer's packages and
usage history. Widgets only: every read and write calls the service the CLI calls, in one
transaction, and each handler checks the person's access itself (a click sent to a button a
person may not use is refused and audited).

``front_desk_dashboard(recent_customers)`` is the one call of ``notebooks/packages/front_desk.ipynb``.
"""

from __future__ import annotations

import functools
import html
from typing import Any

import ipywidgets as widgets

from .. import access, bangkok, ui, values
from . import service
from .rules import USABLE_STATUSES, compute_staff_options
from .service import customers

AREA = service.AREA
RECENT_CUSTOMERS = customers.RECENT_CUSTOMERS
PACKAGE_COLUMNS = {
    "package_type_name": "Package",
    "package_status": "Status",
    "purchase_date": "Bought",
    "first_use_date": "First use",
    "expiration_date": "Expires",
    "total_hours": "Hours",
    "used_hours": "Used",
    "remaining_hours": "Left",
    "discount_amount": "Discount",
}
USAGE_COLUMNS = {
    "used_date": "Date",
    "package_type_name": "Package",
    "used_hours": "Hours",
    "employee_name": "By",
    "booking_id": "Booking",
}
MESSAGES = ("customer", "use", "sell", "new", "admin")


# --- what the widgets show ----------------------------------------------------------------------


def render_customer_label(row: dict) -> str:
    parts = [row["customer_name"], row.get("customer_code") or "", row.get("contact_number") or ""]
    return " · ".join(p for p in parts if p)


def render_package_label(package: dict) -> str:
    left = ("unlimited" if package["remaining_hours"] is None
            else f"{package['remaining_hours']} h left")
    return f"{package['package_type_name']} · bought {package['purchase_date']} · {left}"


def render_preview(preview: dict) -> str:
    """The balance and expiry before saving, or the refusal's reason."""
    package = preview["package"]
    left = preview["remaining_hours"]
    expiry = preview["expiration_date"]
    lines = [
        f"{html.escape(package['package_type_name'])}: "
        + ("unlimited hours" if left is None else f"{left:.2f} h left now")
    ]
    if preview["refusal"]:
        return ui.message_html(f"Cannot record this: {preview['refusal']}.", "refused").replace(
            "bo-message", "bo-message bo-use-preview-text", 1
        ) + f'<p class="bo-hint">{lines[0]}</p>'
    if left is not None:
        lines.append(f"{preview['remaining_after']:.2f} h left after this")
    if preview["activates"]:
        lines.append(
            "first use: activates the package"
            + (f", which then expires on {expiry}" if expiry else "")
        )
    elif expiry is not None:
        lines.append(f"usable through {expiry}")
    return ui.message_html("; ".join(lines) + ".", "info").replace(
        "bo-message", "bo-message bo-use-preview-text", 1
    )


# inputs wide enough for their values ("Nattaya Sirisombat", "2027-01-15")
_field = functools.partial(ui.field, width="280px", label_width="100px")
_button = ui.button
_card = ui.card


# --- the dashboard ------------------------------------------------------------------------------


def front_desk_dashboard(recent_customers: int = RECENT_CUSTOMERS, *, engine: Any = None):
    """The front desk for the signed-in user (any allowed user: staff on shift and managers)."""
    return ui.guarded_dashboard(
        AREA,
        lambda user: FrontDeskDashboard(user.email, engine=engine, recent=recent_customers).widget,
        admin=False,
    )


class FrontDeskDashboard:
    """The front desk page; ``widget`` is what the notebook shows."""

    def __init__(self, user_email: str, *, engine: Any = None, recent: int = RECENT_CUSTOMERS):
        self.user_email = user_email
        self.engine = engine
        self.packages: list[dict] = []
        self.build()
        self.widget = self.layout()
        opening = self.load(recent)
        self._set_customers(opening["recent"], keep=None)
        ui.set_options(self.sell_type, [(name, pk) for pk, name in opening["types"]])
        options, default = compute_staff_options(opening["staff"], opening["signed_in"])
        ui.set_options(self.employee, options, default)
        self.wire()
        self.on_customer()

    def build(self) -> None:
        today = bangkok.today().isoformat()
        # each form's messages beside its buttons (bo-desk-message-customer, -use, -sell, ...)
        self.messages = ui.FormMessages(MESSAGES, "bo-desk-message")
        self.customer = _field(widgets.Dropdown, "bo-customer", width="460px",
                               description="Customer", options=[])
        self.find = _field(widgets.Text, "bo-find", width="360px", description="Find",
                           placeholder="name, phone, e-mail or code")
        self.find_button = _button("Find", "bo-find-go")
        self.new_name = _field(widgets.Text, "bo-new-customer-name", description="Name")
        self.new_phone = _field(widgets.Text, "bo-new-customer-phone", description="Phone")
        self.new_email = _field(widgets.Text, "bo-new-customer-email", description="E-mail")
        self.new_button = _button("Add customer", "bo-new-customer-save")
        self.packages_table = widgets.HTML()
        self.usage_table = widgets.HTML()
        # sell
        self.sell_type = _field(widgets.Dropdown, "bo-sell-type", width="320px",
                                description="Package", options=[])
        self.sell_date = _field(widgets.Text, "bo-sell-date", description="Date", value=today)
        self.sell_discount = _field(widgets.Text, "bo-sell-discount", description="Discount ฿",
                                    value="0")
        self.employee = _field(widgets.Dropdown, "bo-employee", width="360px",
                               description="Staff", options=[])
        self.sell_button = _button("Sell package", "bo-sell-save", "primary")
        # usage
        self.use_package = _field(widgets.Dropdown, "bo-use-package", width="460px",
                                  description="Package", options=[])
        self.use_hours = _field(widgets.Text, "bo-use-hours", description="Hours", value="1")
        self.use_date = _field(widgets.Text, "bo-use-date", description="Date", value=today)
        self.use_booking = _field(widgets.Dropdown, "bo-use-booking", width="460px",
                                  description="Booking", options=[("none", None)])
        self.use_preview = widgets.HTML()
        self.use_preview.add_class("bo-use-preview")
        self.use_button = _button("Record usage", "bo-use-save", "primary")
        # transfer and extend (admins)
        self.admin_package = _field(widgets.Dropdown, "bo-admin-package", width="460px",
                                    description="Package", options=[])
        self.transfer_to = _field(widgets.Dropdown, "bo-transfer-to", width="460px",
                                  description="To customer", options=[])
        self.extend_date = _field(widgets.Text, "bo-extend-date", description="New expiry")
        self.admin_reason = _field(widgets.Text, "bo-admin-reason", width="460px",
                                   description="Reason", placeholder="why (kept in the audit trail)")
        self.transfer_button = _button("Transfer", "bo-transfer-save", "warning")
        self.extend_button = _button("Extend expiry", "bo-extend-save", "warning")

    def layout(self):
        page = widgets.VBox([
            ui.stylesheet(),
            widgets.HTML('<h2 class="bo-title">Front desk</h2><p class="bo-hint">Find or add the'
                         " customer, then sell a package or record the hours used.</p>"),
            _card([self.customer, widgets.HBox([self.find, self.find_button]),
                   self.messages["customer"]]),
            widgets.HTML("<h3>Packages</h3>"),
            self.packages_table,
            widgets.HTML("<h3>Record usage</h3>"),
            _card([
                self.use_package,
                widgets.HBox([self.use_hours, self.use_date]),
                widgets.HBox([self.employee]),
                self.use_booking,
                self.use_preview,
                self.use_button,
                self.messages["use"],
            ]),
            widgets.HTML("<h3>Sell a package</h3>"),
            _card([self.sell_type, widgets.HBox([self.sell_date, self.sell_discount]),
                   widgets.HTML('<p class="bo-hint">Sold by the Staff chosen under Record usage'
                                " (none if nobody is chosen).</p>"),
                   self.sell_button, self.messages["sell"]]),
            widgets.HTML("<h3>Usage history</h3>"),
            self.usage_table,
            widgets.HTML("<h3>Add a customer</h3>"),
            _card([widgets.HBox([self.new_name, self.new_phone, self.new_email]),
                   self.new_button, self.messages["new"]]),
            widgets.HTML("<h3>Transfer or extend (admins)</h3>"),
            _card([self.admin_package, self.admin_reason,
                   widgets.HBox([self.transfer_to, self.transfer_button]),
                   widgets.HBox([self.extend_date, self.extend_button]),
                   self.messages["admin"]]),
        ])
        page.add_class("bo-page")
        return page

    def wire(self) -> None:
        self.find_button.on_click(lambda _: self.on_find())
        self.find.on_submit(lambda _: self.on_find())
        self.new_button.on_click(lambda _: self.on_add_customer())
        self.sell_button.on_click(lambda _: self.on_sell())
        self.use_button.on_click(lambda _: self.on_use())
        self.transfer_button.on_click(lambda _: self.on_transfer())
        self.extend_button.on_click(lambda _: self.on_extend())
        for field in (self.use_package, self.use_hours, self.use_date):
            field.observe(lambda _: self.on_preview(), names="value")
        self.customer.observe(lambda _: self.on_customer(), names="value")

    # --- state -------------------------------------------------------------------------------

    @property
    def message(self):
        """The message line written last (beside the button pressed last)."""
        return self.messages.last

    def say(self, text: str, kind: str = "ok", where: str = "customer") -> None:
        self.messages.say(where, text, kind)

    def _run(self, work, *, admin: bool = False):
        """``work(conn)`` through the service, the person's access checked first (a refusal is
        audited): (result, None) or (None, the reason)."""
        return ui.form_action(work, engine=self.engine,
                              require=(self.user_email, AREA, admin))

    def load(self, recent: int = RECENT_CUSTOMERS) -> dict:
        """What the desk opens with (recent customers, package types, staff, who is signed in)."""
        opening, refusal = self._run(
            lambda c: customers.load_front_desk(c, self.user_email, recent))
        if refusal:
            raise access.AccessDenied(refusal)
        return opening

    def _set_customers(self, rows: list[dict], keep: Any) -> None:
        options = [("— pick a customer —", None)] + [(render_customer_label(r), r["id"])
                                                      for r in rows]
        ui.set_options(self.customer, options, keep)
        ui.set_options(self.transfer_to, options)

    def _clear_customer(self) -> None:
        self.packages = []
        self.packages_table.value = ui.empty_html(
            "Pick a recent customer above, find one by name, phone or code, or add a new one"
            " at the bottom of the page."
        )
        self.usage_table.value = ""
        self.use_package.options = []
        self.admin_package.options = []
        self.use_booking.options = [("none", None)]
        self.use_preview.value = ""

    # --- reading -----------------------------------------------------------------------------

    def on_find(self) -> list[dict]:
        typed = self.find.value
        found, refusal = self._run(lambda c: customers.find_customers(c, self.user_email, typed))
        if refusal:
            self.say(refusal, "refused")
            return []
        if not found:
            self.say(f"No customer matches {typed!r}: check the spelling or add the"
                     " customer below.", "info")
            return found
        self._set_customers(found, keep=None)
        self.customer.value = found[0]["id"]
        self.say(f"{len(found)} customer(s) found.", "info")
        return found

    def on_customer(self) -> None:
        customer_id = self.customer.value
        if customer_id is None:
            self._clear_customer()
            return
        page, refusal = self._run(
            lambda c: customers.load_customer_page(c, self.user_email, customer_id))
        if refusal:
            self._clear_customer()
            self.say(refusal, "refused")
            return
        self.packages = page["packages"]
        self.packages_table.value = ui.table_html(
            self.packages, PACKAGE_COLUMNS,
            number_columns=("total_hours", "used_hours", "remaining_hours"),
            money_columns=("discount_amount",),
            muted=[p["package_status"] not in USABLE_STATUSES for p in self.packages],
            empty="No package yet: sell one below.",
        )
        self.usage_table.value = ui.table_html(
            page["usage"], USAGE_COLUMNS, number_columns=("used_hours",),
            empty="No hours used yet.",
        )
        usable = [p for p in self.packages if p["package_status"] in USABLE_STATUSES]
        ui.set_options(self.use_package,
                       [(render_package_label(p), p["package_id"]) for p in usable],
                       self.use_package.value)
        ui.set_options(self.admin_package, [
            (render_package_label(p) + f" · {p['package_status']}", p["package_id"])
            for p in self.packages
        ], self.admin_package.value)
        self.use_booking.options = [("none", None)] + [
            (f"{b['date']} {b['start_time']:%H:%M} {b['booking_type']} ({b['duration']} h)", b["id"])
            for b in page["bookings"]
        ]
        self.on_preview()

    def on_preview(self) -> dict | None:
        package_id = self.use_package.value
        if package_id is None:
            self.use_preview.value = ui.empty_html(
                "This customer has no usable package: sell one below."
            ) if self.customer.value is not None else ""
            return None
        try:
            hours = values.parse_hours(self.use_hours.value.strip())
            day = values.parse_business_date(self.use_date.value.strip())
        except ValueError as exc:
            self.use_preview.value = ui.message_html(str(exc), "refused")
            return None
        preview, refusal = self._run(lambda c: service.preview_usage(
            c, self.user_email, package_id, hours=hours, used_date=day))
        if refusal:
            self.use_preview.value = ui.message_html(refusal, "refused")
            return None
        self.use_preview.value = render_preview(preview)
        return preview

    def _after_write(self, text: str, where: str) -> None:
        self.on_customer()
        self.say(text, where=where)

    # --- actions -----------------------------------------------------------------------------

    def on_add_customer(self):
        result, refusal = self._run(
            lambda c: customers.create_customer(
                c, self.user_email, self.new_name.value, contact_number=self.new_phone.value,
                email=self.new_email.value,
            ),
        )
        if refusal:
            self.say(refusal, "refused", "new")
            return None
        for field in (self.new_name, self.new_phone, self.new_email):
            field.value = ""
        self._set_customers([result], keep=None)
        self.customer.value = result["id"]
        self.say(f"Added {result['customer_name']} ({result['customer_code']}): picked above.",
                 where="new")
        return result

    def _customer_row(self, where: str) -> dict | None:
        if self.customer.value is None:
            self.say("Pick or find the customer first.", "refused", where)
            return None
        customer_id = self.customer.value
        found, refusal = self._run(
            lambda c: customers.load_customer(c, self.user_email, customer_id))
        if refusal:
            self.say(refusal, "refused", where)
        return found

    def on_sell(self):
        customer = self._customer_row("sell")
        if customer is None:
            return None
        try:
            day = values.parse_business_date(self.sell_date.value.strip())
            typed = self.sell_discount.value.strip()
            discount = values.parse_money(typed, "the discount") if typed else None
        except ValueError as exc:
            self.say(str(exc), "refused", "sell")
            return None
        result, refusal = self._run(
            lambda c: service.sell_package(
                c, self.user_email, customer_name=customer["customer_name"],
                customer_id=customer["id"], package_type=int(self.sell_type.value),
                purchase_date=day, employee_name=self.employee.value,
                discount_amount=discount,
            ),
        )
        if refusal:
            self.say(refusal, "refused", "sell")
            return None
        self._after_write(f"Sold {self.sell_type.label} to {customer['customer_name']} on {day}.",
                          "sell")
        return result

    def on_use(self):
        package_id = self.use_package.value
        if package_id is None:
            self.say("Pick one of the customer's usable packages first.", "refused", "use")
            return None
        if self.employee.value is None:
            self.say("Not recorded: pick the Staff member credited with this usage first.",
                     "refused", "use")
            return None
        try:
            hours = values.parse_hours(self.use_hours.value.strip())
            day = values.parse_business_date(self.use_date.value.strip())
        except ValueError as exc:
            self.say(str(exc), "refused", "use")
            return None
        result, refusal = self._run(
            lambda c: service.record_usage(
                c, self.user_email, package_id, hours=hours, used_date=day,
                employee_name=self.employee.value, booking_id=self.use_booking.value,
            ),
        )
        if refusal:
            self.say(f"Not recorded: {refusal}", "refused", "use")
            self.on_preview()
            return None
        left = result["package"]["remaining_hours"]
        self._after_write(
            f"Recorded {hours} h on {day}, credited to {self.employee.value}"
            + ("" if left is None else f"; {left:.2f} h left") + ".",
            "use",
        )
        return result

    def on_transfer(self):
        package_id, target = self.admin_package.value, self.transfer_to.value
        if package_id is None or target is None:
            self.say("Pick the package and the customer to transfer it to.", "refused",
                     "admin")
            return None
        result, refusal = self._run(
            lambda c: service.transfer_package(
                c, self.user_email, package_id, to_customer_id=target,
                reason=self.admin_reason.value,
            ),
            admin=True,
        )
        if refusal:
            self.say(refusal, "refused", "admin")
            return None
        self._after_write(f"Transferred the package to {result['customer_name']}.", "admin")
        return result

    def on_extend(self):
        package_id = self.admin_package.value
        if package_id is None:
            self.say("Pick the package to extend.", "refused", "admin")
            return None
        try:
            day = values.parse_business_date(self.extend_date.value.strip(), "the new expiry")
        except ValueError as exc:
            self.say(str(exc), "refused", "admin")
            return None
        result, refusal = self._run(
            lambda c: service.extend_package_expiry(
                c, self.user_email, package_id, new_expiration_date=day,
                reason=self.admin_reason.value,
            ),
            admin=True,
        )
        if refusal:
            self.say(refusal, "refused", "admin")
            return None
        self._after_write(f"The package now expires on {result['expiration_date']}.", "admin")
        return result


__all__ = ["FrontDeskDashboard", "front_desk_dashboard"]
