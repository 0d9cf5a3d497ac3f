"""The time-clock kiosk (Voilà): pick your name, type your PIN on the pad, punch.

The person never chooses the action (it is derived); messages say what happened in plain words:
the action and time, a wrong PIN with the attempts left (and a warning before the lock), the time
a lock ends, or a question when a second punch comes within 2 minutes. The PIN lives only in this
kernel's memory until the punch is tried, is shown as dots, and is never logged.

The signed-in user of the kiosk (the device's account) must be an allowed user.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from .. import database, ui
from .service import people, timeclock

PIN_LENGTH = 6
NOBODY = 0  # the placeholder's value (no staff id is 0; None would mean "no selection")
STYLES = {
    timeclock.PUNCHED: ("#065f46", "#ecfdf5"),
    timeclock.WRONG_PIN: ("#92400e", "#fffbeb"),
    timeclock.LOCKED: ("#7f1d1d", "#fef2f2"),
    timeclock.CONFIRM: ("#1e3a8a", "#eff6ff"),
    timeclock.REFUSED: ("#7f1d1d", "#fef2f2"),
    "info": ("#374151", "#f9fafb"),
}


def render_message_html(text: str, kind: str = "info") -> str:
    colour, background = STYLES.get(kind, STYLES["info"])
    return (
        f'<div class="kiosk-message kiosk-{kind}" role="status" style="font-size:20px;'
        f"padding:12px 16px;border-radius:8px;color:{colour};background:{background};"
        f'min-height:28px">{html.escape(text)}</div>'
    )


def render_pin_dots(count: int) -> str:
    dots = "●" * count + "○" * (PIN_LENGTH - count)
    return f'<div class="kiosk-pin" style="font-size:34px;letter-spacing:10px">{dots}</div>'


class TimeClockKiosk:
    """The kiosk's widgets and callbacks; ``widget`` is what the notebook shows."""

    def __init__(self, user_email: str, *, device: str = "kiosk", engine: Any = None):
        self.user_email = user_email
        self.device = device
        self.engine = engine
        self._pin = ""
        self._pending_confirm = False
        self.build()
        self.load()
        self.person.observe(self.on_person, names="value")

    def build(self) -> None:
        """The page's widgets and their callbacks."""
        self.person = widgets.Dropdown(
            description="Your name",
            options=[],
            layout=widgets.Layout(width="100%"),
            style={"description_width": "90px"},
        )
        self.pin_display = widgets.HTML(render_pin_dots(0))
        self.message = widgets.HTML(render_message_html("Pick your name, then type your PIN."))
        self.photo = widgets.FileUpload(
            accept="image/jpeg,image/png,image/webp", multiple=False, description="Photo (optional)"
        )
        buttons = []
        for label in ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "⌫"]:
            button = widgets.Button(
                description=label, layout=widgets.Layout(height="88px", width="auto")
            )
            button.on_click(self.on_key)
            buttons.append(button)
        self.pad = widgets.GridBox(
            buttons,
            layout=widgets.Layout(
                grid_template_columns="repeat(3, minmax(0, 1fr))", grid_gap="10px", width="100%"
            ),
        )
        self.pad.add_class("kiosk-pad")
        self.punch_button = widgets.Button(
            description="Punch",
            button_style="primary",
            layout=widgets.Layout(width="100%", height="72px"),
        )
        self.punch_button.add_class("kiosk-punch")
        self.punch_button.on_click(lambda _: self.on_punch())
        self.confirm_button = widgets.Button(
            description="Yes, punch again",
            button_style="warning",
            layout=widgets.Layout(display="none"),
        )
        self.confirm_button.on_click(lambda _: self.on_punch(confirm=True))
        self.cancel_button = widgets.Button(
            description="Cancel", layout=widgets.Layout(display="none")
        )
        self.cancel_button.on_click(lambda _: self.on_cancel())
        self.widget = widgets.VBox(
            [
                ui.stylesheet(kiosk=True),
                widgets.HTML("<h2>Time clock</h2>"),
                self.person,
                self.pin_display,
                self.pad,
                self.punch_button,
                widgets.HBox([self.confirm_button, self.cancel_button]),
                self.photo,
                self.message,
            ],
            layout=widgets.Layout(padding="12px", width="100%", max_width="640px"),
        )
        self.widget.add_class("kiosk")  # tablet in portrait: full width, big keys (ui.KIOSK_CSS)

    def on_person(self, change: dict) -> None:
        """A name was picked: forget any PIN typed so far and greet the person."""
        self._pin = ""
        self.pin_display.value = render_pin_dots(0)
        self._show_confirm(False)
        if not change["new"]:
            return
        label = next((name for name, value in self.person.options if value == change["new"]), "")
        self.message.value = render_message_html(
            f"Hello {label.split(' (')[0]}: type your PIN, then Punch."
        )

    # --- state ---------------------------------------------------------------------------------

    def load(self) -> None:
        with database.transaction(self.engine) as conn:
            roster = people.load_staff(conn)
        options = [("— pick your name —", NOBODY)]
        options += [
            (f"{row.staff_name} ({row.staff_id})" if row.staff_id else row.staff_name, int(row.id))
            for row in roster.itertuples(index=False)
        ]
        self.person.options = options
        self.person.value = NOBODY

    def on_press(self, key: str) -> None:
        if key == "Clear":
            self._pin = ""
        elif key == "⌫":
            self._pin = self._pin[:-1]
        elif key.isdigit() and len(self._pin) < PIN_LENGTH:
            self._pin += key
        self.pin_display.value = render_pin_dots(len(self._pin))

    def on_key(self, button: widgets.Button) -> None:
        self.on_press(button.description)

    def _show_confirm(self, visible: bool) -> None:
        display = None if visible else "none"
        self.confirm_button.layout.display = display
        self.cancel_button.layout.display = display
        self.punch_button.disabled = visible
        self._pending_confirm = visible

    def _photo_bytes(self) -> bytes | None:
        value = self.photo.value
        if not value:
            return None
        item = value[0] if isinstance(value, (list, tuple)) else next(iter(value.values()))
        content = item["content"] if isinstance(item, dict) else item.content
        return bytes(content)

    def on_cancel(self) -> None:
        self._pin = ""
        self.pin_display.value = render_pin_dots(0)
        self._show_confirm(False)
        self.message.value = render_message_html("Cancelled. Pick your name, then type your PIN.")

    # --- the punch -----------------------------------------------------------------------------

    def on_punch(self, *, confirm: bool = False) -> timeclock.PunchResult | None:
        if not self.person.value:
            self.message.value = render_message_html("Pick your name first.", timeclock.REFUSED)
            return None
        if len(self._pin) != PIN_LENGTH:
            self.message.value = render_message_html("Type your 6-digit PIN.", timeclock.REFUSED)
            return None
        pin, self._pin = self._pin, ""
        result, refusal = ui.form_action(
            lambda conn: timeclock.punch(
                conn,
                self.user_email,
                int(self.person.value),
                pin,
                confirm=confirm,
                photo=self._photo_bytes(),
                device_info={"device": self.device, "source": "kiosk"},
            ),
            engine=self.engine,
            require=(self.user_email, timeclock.AREA, False),  # checked on every punch
        )
        if refusal:
            self.pin_display.value = render_pin_dots(0)
            self.message.value = render_message_html(f"The punch failed: {refusal}",
                                                     timeclock.REFUSED)
            return None
        if result.status == timeclock.CONFIRM:
            self._pin = pin  # kept until the person confirms or cancels
        self.show_result(result)
        return result

    def show_result(self, result: timeclock.PunchResult) -> None:
        text = result.message
        if result.ok and not result.photo_captured and self.photo.value:
            text += f" (photo not kept: {result.camera_error})"
        self.message.value = render_message_html(text, result.status)
        if result.status == timeclock.CONFIRM:
            self._show_confirm(True)  # keep the PIN until the person confirms or cancels
            return
        self._show_confirm(False)
        self._pin = ""
        self.pin_display.value = render_pin_dots(0)
        if result.ok:
            self.person.value = NOBODY
            self.photo.value = ()


def time_clock_kiosk(device: str = "kiosk", *, engine: Any = None):
    """The kiosk dashboard for the signed-in (device) user; errors come back on screen."""
    return ui.guarded_dashboard(
        timeclock.AREA,
        lambda user: TimeClockKiosk(user.email, device=device, engine=engine).widget,
        admin=False,
    )
