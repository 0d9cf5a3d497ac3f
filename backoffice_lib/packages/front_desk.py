"""The front desk (Voilà, staff on shift and managers): customers, package sales and usage (§4).

Find a customer (name, phone, e-mail or code) or add one; sell a package (type, date, discount);
record usage with the balance and expiry shown before saving (``service.preview_usage``: the same
rule ``record_usage`` applies, so an over-use or an expired package is refused with the reason
before and at saving); transfer and extend with a reason (admins); the customer's packages and
usage history. Every write calls the service the CLI calls, in one transaction.
"""

from __future__ import annotations

import functools
import html
from typing import Any

import ipywidgets as widgets
import sqlalchemy as sa

from .. import bangkok, database, ui, values
from ..staff.service import people
from . import customers, service

AREA = service.AREA
RECENT_CUSTOMERS = 25
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

NO_STAFF_LABEL = "— pick who is credited —"
MESSAGES = ("customer", "use", "sell", "new", "admin")
#: Who the signed-in user is on the staff list. The schema has no allowed_users -> staff key: a
#: user is a staff member when exactly one active staff member bears their name (coach name or
#: coach display name, any case); else nobody is credited by default.
SIGNED_IN_STAFF_SQL = """
SELECT s.staff_name
  FROM backoffice.allowed_users u
  JOIN backoffice.staff s
    ON lower(btrim(s.staff_name)) IN (lower(btrim(u.coach_name)), lower(btrim(u.coach_display_name)))
 WHERE lower(u.email) = lower(:email) AND s.is_active IS NOT FALSE
"""

RECENT_SQL = """
SELECT c.id, c.customer_name, c.customer_code, c.contact_number
  FROM public.customers c
  JOIN (SELECT customer_id, max(purchase_date) AS latest FROM backoffice.packages
         WHERE customer_id IS NOT NULL GROUP BY customer_id) p ON p.customer_id = c.id
 ORDER BY p.latest DESC, c.customer_name
 LIMIT :limit
"""


def load_recent_customers(conn, limit: int = RECENT_CUSTOMERS) -> list[dict]:
    """The customers who bought most recently (the desk's first choices)."""
    return [dict(r) for r in conn.execute(sa.text(RECENT_SQL), {"limit": limit}).mappings()]


def load_signed_in_staff_name(conn, user_email: str) -> str | None:
    """The staff name of the signed-in user when they are on the staff list (exactly one active
    staff member bears their name), else None: the desk then credits nobody by default."""
    names = [r[0] for r in conn.execute(sa.text(SIGNED_IN_STAFF_SQL), {"email": user_email})]
    return names[0] if len(names) == 1 else None


def compute_staff_options(names: list[str], signed_in: str | None) -> tuple[list, str | None]:
    """The "Staff" choices and the default: the signed-in person when they are staff, else the
    placeholder (None), never a name nobody chose."""
    options = [(NO_STAFF_LABEL, None)] + [(n, n) for n in names]
    return options, signed_in if signed_in in names else None


def customer_label(row: dict) -> str:
    parts = [row["customer_name"], row.get("customer_code") or "", row.get("contact_number") or ""]
    return " · ".join(p for p in parts if p)


def compute_preview_html(preview: dict) -> str:
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


class FrontDesk:
    """The front desk page; ``widget`` is what the notebook shows."""

    def __init__(self, user_email: str, *, engine: Any = None, recent: int = RECENT_CUSTOMERS):
        self.user_email = user_email
        self.engine = engine
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

        self.find_button.on_click(lambda _: self.search())
        self.find.on_submit(lambda _: self.search())
        self.new_button.on_click(lambda _: self.add_customer())
        self.sell_button.on_click(lambda _: self.sell())
        self.use_button.on_click(lambda _: self.record_usage())
        self.transfer_button.on_click(lambda _: self.transfer())
        self.extend_button.on_click(lambda _: self.extend())

        self.widget = widgets.VBox([
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
        self.widget.add_class("bo-page")
        with database.transaction(self.engine) as conn:
            recent = load_recent_customers(conn, recent)
            types = conn.execute(sa.text(
                "SELECT id, name FROM backoffice.package_types ORDER BY display_order, name"
            )).all()
            staff = people.load_staff(conn)
            signed_in = load_signed_in_staff_name(conn, user_email)
        self._set_customers(recent, keep=None)
        ui.set_options(self.sell_type, [(name, int(pk)) for pk, name in types])
        options, default = compute_staff_options(list(staff["staff_name"]), signed_in)
        ui.set_options(self.employee, options, default)
        for field in (self.use_package, self.use_hours, self.use_date):
            field.observe(lambda _: self.show_preview(), names="value")
        self.customer.observe(lambda _: self.show_customer(), names="value")
        self.show_customer()

    # --- state -------------------------------------------------------------------------------

    @property
    def message(self):
        """The message line written last (beside the button pressed last)."""
        return self.messages.last

    def say(self, text: str, kind: str = "ok", where: str = "customer") -> None:
        self.messages.say(where, text, kind)

    def _set_customers(self, rows: list[dict], keep: Any) -> None:
        options = [("— pick a customer —", None)] + [(customer_label(r), r["id"]) for r in rows]
        ui.set_options(self.customer, options, keep)
        ui.set_options(self.transfer_to, options)

    def search(self) -> list[dict]:
        with database.transaction(self.engine) as conn:
            found = customers.find_customers(conn, self.find.value)
        if not found:
            self.say(f"No customer matches {self.find.value!r}: check the spelling or add the"
                     " customer below.", "info")
            return found
        self._set_customers(found, keep=None)
        self.customer.value = found[0]["id"]
        self.say(f"{len(found)} customer(s) found.", "info")
        return found

    def show_customer(self) -> None:
        customer_id = self.customer.value
        if customer_id is None:
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
            return
        with database.transaction(self.engine) as conn:
            self.packages = customers.load_customer_packages(conn, customer_id)
            usage = service.load_package_usage(conn, [p["package_id"] for p in self.packages])
            bookings = customers.load_open_bookings(conn, customer_id)
        names = {p["package_id"]: p["package_type_name"] for p in self.packages}
        for row in usage:
            row["package_type_name"] = names.get(str(row["package_id"]), "")
        usage.sort(key=lambda r: (r["used_date"], r["created_at"]), reverse=True)
        self.packages_table.value = ui.table_html(
            self.packages, PACKAGE_COLUMNS,
            number_columns=("total_hours", "used_hours", "remaining_hours"),
            money_columns=("discount_amount",),
            muted=[p["package_status"] not in service.USABLE_STATUSES for p in self.packages],
            empty="No package yet: sell one below.",
        )
        self.usage_table.value = ui.table_html(
            usage, USAGE_COLUMNS, number_columns=("used_hours",),
            empty="No hours used yet.",
        )
        usable = [p for p in self.packages if p["package_status"] in service.USABLE_STATUSES]
        label = lambda p: (
            f"{p['package_type_name']} · bought {p['purchase_date']} · "
            + ("unlimited" if p["remaining_hours"] is None else f"{p['remaining_hours']} h left")
        )
        ui.set_options(self.use_package, [(label(p), p["package_id"]) for p in usable],
                       self.use_package.value)
        ui.set_options(self.admin_package, [
            (label(p) + f" · {p['package_status']}", p["package_id"]) for p in self.packages
        ], self.admin_package.value)
        self.use_booking.options = [("none", None)] + [
            (f"{b['date']} {b['start_time']:%H:%M} {b['booking_type']} ({b['duration']} h)", b["id"])
            for b in bookings
        ]
        self.show_preview()

    def show_preview(self) -> dict | None:
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
        with database.transaction(self.engine) as conn:
            preview = service.preview_usage(conn, package_id, hours=hours, used_date=day)
        self.use_preview.value = compute_preview_html(preview)
        return preview

    def _after_write(self, text: str, where: str) -> None:
        self.show_customer()
        self.say(text, where=where)

    # --- actions -----------------------------------------------------------------------------

    def add_customer(self):
        result, refusal = ui.form_action(
            lambda c: customers.create_customer(
                c, self.user_email, self.new_name.value, contact_number=self.new_phone.value,
                email=self.new_email.value,
            ),
            engine=self.engine,
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
        with database.transaction(self.engine) as conn:
            return customers.load_customer(conn, self.customer.value)

    def sell(self):
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
        result, refusal = ui.form_action(
            lambda c: service.sell_package(
                c, self.user_email, customer_name=customer["customer_name"],
                customer_id=customer["id"], package_type=int(self.sell_type.value),
                purchase_date=day, employee_name=self.employee.value,
                discount_amount=discount,
            ),
            engine=self.engine,
        )
        if refusal:
            self.say(refusal, "refused", "sell")
            return None
        self._after_write(f"Sold {self.sell_type.label} to {customer['customer_name']} on {day}.",
                          "sell")
        return result

    def record_usage(self):
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
        result, refusal = ui.form_action(
            lambda c: service.record_usage(
                c, self.user_email, package_id, hours=hours, used_date=day,
                employee_name=self.employee.value, booking_id=self.use_booking.value,
            ),
            engine=self.engine,
        )
        if refusal:
            self.say(f"Not recorded: {refusal}", "refused", "use")
            self.show_preview()
            return None
        left = result["package"]["remaining_hours"]
        self._after_write(
            f"Recorded {hours} h on {day}, credited to {self.employee.value}"
            + ("" if left is None else f"; {left:.2f} h left") + ".",
            "use",
        )
        return result

    def transfer(self):
        package_id, target = self.admin_package.value, self.transfer_to.value
        if package_id is None or target is None:
            self.say("Pick the package and the customer to transfer it to.", "refused",
                     "admin")
            return None
        result, refusal = ui.form_action(
            lambda c: service.transfer_package(
                c, self.user_email, package_id, to_customer_id=target,
                reason=self.admin_reason.value,
            ),
            engine=self.engine,
            require=(self.user_email, AREA, True),
        )
        if refusal:
            self.say(refusal, "refused", "admin")
            return None
        self._after_write(f"Transferred the package to {result['customer_name']}.", "admin")
        return result

    def extend(self):
        package_id = self.admin_package.value
        if package_id is None:
            self.say("Pick the package to extend.", "refused", "admin")
            return None
        try:
            day = values.parse_business_date(self.extend_date.value.strip(), "the new expiry")
        except ValueError as exc:
            self.say(str(exc), "refused", "admin")
            return None
        result, refusal = ui.form_action(
            lambda c: service.extend_package_expiry(
                c, self.user_email, package_id, new_expiration_date=day,
                reason=self.admin_reason.value,
            ),
            engine=self.engine,
            require=(self.user_email, AREA, True),
        )
        if refusal:
            self.say(refusal, "refused", "admin")
            return None
        self._after_write(f"The package now expires on {result['expiration_date']}.", "admin")
        return result


def front_desk_dashboard(recent_customers: int = RECENT_CUSTOMERS, *, engine: Any = None):
    """The front desk for the signed-in user (any allowed user: staff on shift and managers)."""
    return ui.guarded_dashboard(
        AREA,
        lambda user: FrontDesk(user.email, engine=engine, recent=recent_customers).widget,
        admin=False,
    )
