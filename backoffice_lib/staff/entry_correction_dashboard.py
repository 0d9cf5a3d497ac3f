"""The one time-entry correction form (widgets only), shared by the staff dashboard and the payroll
close page: pick a flagged entry, then add its missing clock-out, edit its time or delete it, with
a reason kept in the audit.

``on_apply`` calls ``service.timeclock.run_entry_correction`` (the check of the page's area, the
write and the audit, in one transaction); a refusal comes back as a message beside the button and
an access refusal is audited again in a transaction of its own (the first row was rolled back with
the refused work), so a click sent to a form the person was never shown is refused and kept.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from .. import access, audit, bangkok, database
from .service import timeclock

ACTIONS = [("Add missing clock-out", "add"), ("Edit time", "edit"), ("Delete", "delete")]


def _fmt(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M")


class EntryCorrectionForm:
    """``load(entries)`` offers the entries to correct: (label, entry id, suggested action
    add|edit|delete[, the entry's time[, a hint]]); ``on_entry`` suggests the action and time
    of the picked one (and says the hint); ``on_apply`` runs the correction and calls
    ``on_done`` after a success.

    ``area``/``admin``: the access the page that offers the form requires (checked on every
    click); ``css``: the class of the status line (the pages' tests find it by)."""

    def __init__(self, user: access.User, engine: Any = None,
                 on_done: Callable[[], Any] | None = None, *, area: str = timeclock.AREA,
                 admin: bool | None = False, css: str = "correction-message",
                 width: str = "620px"):
        self.user = user
        self.engine = engine
        self.on_done = on_done
        self.area = area
        self.admin = admin
        self.css = css
        self.corrections: list[tuple] = []
        self.build(width)

    def build(self, width: str) -> None:
        self.entry = widgets.Dropdown(description="Entry", options=[],
                                      layout=widgets.Layout(width=width))
        self.action = widgets.ToggleButtons(options=ACTIONS, value="add")
        self.when = widgets.Text(description="Time", placeholder="YYYY-MM-DD HH:MM (Bangkok)")
        self.reason = widgets.Text(description="Reason", placeholder="why (kept in the audit)")
        self.apply = widgets.Button(description="Apply correction", button_style="warning")
        self.message = widgets.HTML()
        self.entry.observe(lambda change: self.on_entry(change["new"]), names="value")
        self.apply.on_click(lambda _: self.on_apply())
        self.widget = widgets.VBox([self.entry, self.action, self.when, self.reason, self.apply,
                                    self.message])
        self.widget.add_class("entry-correction")

    def load(self, entries: Sequence[tuple]) -> None:
        self.corrections = [tuple(e) for e in entries]
        self.entry.options = [(c[0], int(c[1])) for c in self.corrections]

    @property
    def disabled(self) -> bool:
        return self.apply.disabled

    @disabled.setter
    def disabled(self, value: bool) -> None:
        self.apply.disabled = value

    def on_entry(self, entry_id) -> None:
        """An entry was picked: suggest the action and the time to correct from."""
        chosen = next((c for c in self.corrections if c[1] == entry_id), None)
        if chosen is None:
            self.message.value = ""
            return
        self.action.value = chosen[2]
        moment = chosen[3] if len(chosen) > 3 else None
        if moment is not None:
            self.when.value = _fmt(moment)
        if len(chosen) > 4 and chosen[4]:
            self.say(chosen[4], ok=True)

    def on_apply(self) -> str:
        """Run the chosen correction on the chosen entry; the outcome is shown and returned."""
        entry_id, action = self.entry.value, self.action.value
        try:
            moment = (timeclock.parse_correction_moment(self.when.value)
                      if action in ("add", "edit") and entry_id is not None else None)
            with database.transaction(self.engine) as conn:
                done = timeclock.run_entry_correction(
                    conn, self.user.email, action, entry_id, moment, self.reason.value,
                    area=self.area, admin=self.admin)
        except access.AccessDenied as exc:
            with database.transaction(self.engine) as conn:  # the refusal is kept
                audit.record(conn, self.user.email, "ACCESS_DENIED", "time_entries", entry_id,
                             details={"reason": str(exc)})
            return self.say(str(exc), ok=False)
        except ValueError as exc:
            return self.say(str(exc), ok=False)
        self.reason.value = ""
        if self.on_done is not None:
            self.on_done()
        return self.say(done[:1].upper() + done[1:], ok=True)

    def say(self, text: str, *, ok: bool) -> str:
        colour = "#065f46" if ok else "#7f1d1d"
        state = "ok" if ok else "refused"
        self.message.value = (f"<p class='{self.css}' data-state='{state}' "
                              f"style='color:{colour}'>{html.escape(text)}</p>")
        return text
