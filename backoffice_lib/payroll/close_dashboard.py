"""The payroll close dashboard (Voilà): notebooks/payroll/payroll_close.ipynb.

Pick a month and follow the checklist in order: the service-charge pool (enter or correct it until
the month is finalised), the public holidays, blocking errors and review flags (each with the
person and the entries behind it, and the staff domain's entry-correction form), **Run payroll**
(the finance notebook through the run machinery of ``backoffice jobs``, in its own process, with
its progress, then the totals, the diffs and the run's files), **Finalise** (after a confirmation
showing the total and head count) and, for a finalised month, **Reopen** with a reason; then
**Send payslips** (who will get one and who is skipped and why, from a dry run; the month's outbox:
who got it when, who failed and why; **Retry failed**), through ``service.delivery``.

Admins act; any other allowed user sees the checklist read-only, without names or pay. Every
button calls a service of ``service.close`` / ``service`` / ``staff.service.timeclock`` (the CLI's
functions); a refusal comes back as a message, never a traceback. The run machinery lives in the workbench,
above this package: the notebook passes a ``runner`` (``workbench.runs_page.notebook_runner``).
"""

from __future__ import annotations

import html
import threading
import time
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from .. import access, audit, bangkok, database, money, ui
from ..delivery.service import load_outbox, retry_outbox
from ..staff.entry_correction_dashboard import EntryCorrectionForm
from .rules import close as close_rules
from .rules.summary import compute_month_choices
from .service import close, finalise_payroll, load_month_payroll
from .service.delivery import deliver_payslips

POLL_SECONDS = 0.5
RUN_TIMEOUT_SECONDS = 600
STATE_COLOURS = {"done": "#166534", "todo": "#92400e", "blocked": "#b91c1c", "info": "#334155"}
CSS = """<style>
.close-table{border-collapse:collapse;font-size:13px;margin:4px 0 10px}
.close-table td,.close-table th{padding:3px 8px;border-bottom:1px solid #e2e8f0;text-align:left;
vertical-align:top}
.close-locked{background:#eff6ff;border:1px solid #93c5fd;border-radius:8px;padding:8px 12px}
.close-files a{margin-right:10px}
.close-scroll{max-height:340px;overflow:auto;border:1px solid #e2e8f0;border-radius:6px}
.close-scroll th{position:sticky;top:0;background:#f8fafc}
.close-question{background:#fff7ed;border:1px solid #fdba74;border-radius:8px;padding:8px 12px}
</style>"""


def _table(rows: list[dict], columns: list[str], empty: str, css: str = "close-table") -> str:
    if not rows:
        return f"<p><i>{html.escape(empty)}</i></p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table class='{css}'><tr>{head}</tr>{body}</table>"


def render_steps_html(steps: list[dict]) -> str:
    rows = "".join(
        f"<tr class='step' data-state='{s['state']}'><td>{i}. {html.escape(s['step'])}</td>"
        f"<td style='color:{STATE_COLOURS[s['state']]};font-weight:600'>{s['state']}</td>"
        f"<td>{html.escape(s['detail'])}</td></tr>"
        for i, s in enumerate(steps, start=1)
    )
    return f"<table class='close-table close-steps'>{rows}</table>"


def render_flags_html(blocking, groups) -> str:
    """The blocking errors with the entries behind them, then the review flags grouped per
    person and kind with their count and acknowledgement."""
    rows = [
        {"person": f"{g['staff_name']} ({g['staff_id']})", "flag": g["flag"].replace("_", " "),
         "flags": g["flags"],
         "dates": (f"{g['first_date']:%d %b}" if g["first_date"] == g["last_date"]
                   else f"{g['first_date']:%d %b} – {g['last_date']:%d %b}"),
         "acknowledged": (f"{g['reason']} ({g['acknowledged_by']})" if g["acknowledged"]
                          else "to review")}
        for g in groups.to_dict("records")
    ]
    return (
        "<h4>Blocking errors</h4>"
        + _table(blocking.to_dict("records"), list(blocking.columns), "No blocking errors.")
        + "<h4>Review flags per person and kind</h4><div class='close-scroll'>"
        + _table(rows, ["person", "flag", "flags", "dates", "acknowledged"], "No review flags.",
                 "close-table close-flag-groups")
        + "</div>"
    )


def render_files_html(files: list[dict]) -> str:
    links = "".join(
        f"<a class='close-file' href='{html.escape(f['url'])}' target='_blank'>"
        f"{html.escape(f['name'])}</a>"
        for f in files
    )
    return f"<div class='close-files'><b>Files:</b> {links}</div>" if links else ""


class PayrollClose:
    """The dashboard's widgets and handlers for one signed-in user: ``build`` the widgets,
    ``load`` the month's checklist, one ``on_<action>`` per button (each calls a service and
    says its result or refusal on the page)."""

    def __init__(self, user: access.User, month: str, runner: Any, engine: Any = None):
        self.user = user
        self.runner = runner
        self.engine = engine
        self.checklist: close_rules.CloseChecklist | None = None
        self.build(month)
        self.load()

    # ------------------------------------------------------------------ building
    def build(self, month: str) -> None:
        choices = compute_month_choices(bangkok.month_key(bangkok.today()), 13)
        chosen = month if month in choices else choices[1]
        self.picker = widgets.Dropdown(options=choices, value=chosen, description="Month")
        self.status = widgets.HTML()
        self.steps = widgets.HTML()
        self.locked = widgets.HTML()
        # 1. service charge
        self.pool = widgets.Text(description="Pool (THB)", placeholder="e.g. 45,000.00")
        self.save_pool = widgets.Button(description="Save service charge", button_style="primary")
        self.pool_message = widgets.HTML()
        # 2-3. holidays, errors and flags
        self.holidays = widgets.HTML()
        self.flags = widgets.HTML()
        self.flag_groups = widgets.SelectMultiple(
            description="Groups", options=[], rows=8, layout=widgets.Layout(width="620px"))
        self.select_all = widgets.Button(description="Select all")
        self.acknowledge_reason = widgets.Text(
            description="Reason", placeholder="why these flags are fine (kept in the audit)",
            layout=widgets.Layout(width="620px"))
        self.acknowledge = widgets.Button(description="Acknowledge selected",
                                          button_style="info",
                                          layout=widgets.Layout(width="180px"))
        self.acknowledge_message = widgets.HTML()
        # the staff domain's one entry-correction form; on this page for admins only
        self.correction = EntryCorrectionForm(self.user, self.engine, self.load, area=close.AREA,
                                              admin=True, css="close-message")
        # 4. run
        self.run_button = widgets.Button(description="Run payroll", button_style="success")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Cells")
        self.progress_text = widgets.HTML()
        self.run_result = widgets.HTML()
        # 5. finalise / reopen
        self.finalise_button = widgets.Button(description="Finalise…", button_style="danger")
        self.question = widgets.HTML()
        self.confirm = widgets.Button(description="Yes, finalise", button_style="danger",
                                      layout=widgets.Layout(display="none"))
        self.cancel = widgets.Button(description="Cancel", layout=widgets.Layout(display="none"))
        self.reopen_reason = widgets.Text(description="Reason", placeholder="why reopen")
        self.reopen_button = widgets.Button(description="Reopen month", button_style="warning")
        self.finalise_message = widgets.HTML()
        self._confirm_checksum: str | None = None
        self._thread: threading.Thread | None = None
        # 6. send payslips (after finalise): who gets one, who is skipped; the month's outbox
        self.send_preview = widgets.HTML()
        self.send_button = widgets.Button(description="Send payslips", button_style="primary")
        self.send_message = widgets.HTML()
        self.outbox = widgets.HTML()
        self.retry_button = widgets.Button(description="Retry failed", button_style="warning")

        self.picker.observe(lambda _: self.load(), names="value")
        self.save_pool.on_click(lambda _: self.on_save_pool())
        self.select_all.on_click(lambda _: self.on_select_all())
        self.acknowledge.on_click(lambda _: self.on_acknowledge())
        self.run_button.on_click(lambda _: self.on_run())
        self.finalise_button.on_click(lambda _: self.on_ask_finalise())
        self.confirm.on_click(lambda _: self.on_finalise())
        self.cancel.on_click(lambda _: self._hide_question())
        self.reopen_button.on_click(lambda _: self.on_reopen())
        self.send_button.on_click(lambda _: self.on_send())
        self.retry_button.on_click(lambda _: self.on_retry())

        def section(title: str, *children) -> widgets.VBox:
            return widgets.VBox([widgets.HTML(f"<h3 style='margin:14px 0 4px'>{title}</h3>"),
                                 *children])

        acting = [
            section("1. Service-charge pool", widgets.HBox([self.pool, self.save_pool]),
                    self.pool_message),
            section("2. Public holidays", self.holidays),
            section("3. Blocking errors and review flags", self.flags, self.review_form(),
                    self.correction.widget),
            section("4. Run payroll", self.run_button, widgets.HBox([self.progress,
                                                                     self.progress_text]),
                    self.run_result),
            section("5. Finalise", self.locked, self.finalise_button, self.question,
                    widgets.HBox([self.confirm, self.cancel]),
                    widgets.HBox([self.reopen_reason, self.reopen_button]),
                    self.finalise_message),
            section("6. Send payslips", self.send_preview, self.send_button, self.send_message,
                    self.outbox, self.retry_button),
        ]
        looking = [section("Public holidays", self.holidays), self.locked]
        self.widget = widgets.VBox(
            [widgets.HTML(CSS), self.picker, self.status,
             self.steps, *(acting if self.user.is_admin else looking)],
            layout=widgets.Layout(padding="8px"),
        )

    def review_form(self) -> widgets.VBox:
        """Review flags grouped per person and kind, acknowledged in bulk with a reason."""
        return widgets.VBox([
            widgets.HTML("<b>Acknowledge review flags</b> (per person and kind; the checklist "
                         "counts the groups still to review)"),
            self.flag_groups, self.select_all, self.acknowledge_reason, self.acknowledge,
            self.acknowledge_message])

    # ------------------------------------------------------------------ reading
    def load(self) -> None:
        month = self.picker.value
        with database.transaction(self.engine) as conn:
            self.checklist = c = close.load_close_checklist(conn, month, self.user.email)
        self.steps.value = render_steps_html(close_rules.compute_checklist_steps(c))
        pay = f" · total ฿{c.total_pay:,.2f}" if c.total_pay is not None else ""
        self.status.value = (
            f"<p class='close-status' data-month='{month}' data-locked='{str(c.locked).lower()}'>"
            f"Payroll {month}: {c.people} people{pay} · {c.blocking_errors} blocking errors · "
            f"{c.review_flags} review flags ({c.review_groups} groups to review) · "
            f"{'LOCKED (finalised)' if c.locked else 'open'}</p>"
        )
        self.holidays.value = _table(
            [{"date": f"{d:%a %d %b %Y}", "holiday": n} for d, n in c.holidays],
            ["date", "holiday"], "No public holiday this month.")
        self.locked.value = (
            f"<p class='close-locked'>Locked: finalised by {html.escape(c.finalised['finalised_by'])}"
            f" at {c.finalised['finalised_at'].astimezone(bangkok.BANGKOK):%Y-%m-%d %H:%M}. "
            "Reopening needs an admin and a reason.</p>" if c.locked else ""
        )
        if not self.user.is_admin:
            return
        self.pool.value = "" if c.pool is None else f"{c.pool:.2f}"
        for button in (self.save_pool, self.finalise_button, self.run_button,
                       self.acknowledge, self.select_all):
            button.disabled = c.locked
        self.correction.disabled = c.locked
        self.pool.disabled = c.locked
        self.acknowledge_reason.disabled = c.locked
        self.reopen_button.disabled = not c.locked
        self.reopen_reason.disabled = not c.locked
        self.flags.value = render_flags_html(
            close_rules.compute_flags_with_entries(c.result, review=False), c.flag_groups)
        pending = c.flag_groups[~c.flag_groups["acknowledged"].astype(bool)].to_dict("records")
        self.flag_groups.options = [(close_rules.compute_flag_group_label(g),
                                     (g["staff"], g["flag"])) for g in pending]
        self.correction.load(close_rules.compute_correctable_entries(c.result))
        self.load_delivery()

    # ------------------------------------------------------------------ 6. send payslips
    def load_delivery(self) -> None:
        """After finalise: a dry run (who will get one, who is skipped and why) and the
        month's outbox; before: why nothing can be sent yet."""
        c = self.checklist
        self.send_button.disabled = self.retry_button.disabled = not c.locked
        if not c.locked:
            self.send_preview.value = ("<p class='close-send-preview'><i>Payslips are sent once "
                                       "the month is finalised.</i></p>")
            self.outbox.value = ""
            return
        try:
            preview = deliver_payslips(c.month, self.user.email, dry_run=True,
                                       engine=self.engine)
        except ValueError as exc:
            self.send_preview.value = f"<p class='close-send-preview'>{html.escape(str(exc))}</p>"
            return
        with database.transaction(self.engine) as conn:
            rows = load_outbox(conn, self.user.email, kind="payslip", period=c.month)
        self.send_preview.value = render_send_preview_html(preview)
        self.outbox.value = render_outbox_html(rows)
        self.retry_button.disabled = not any(r["state"] == "failed" for r in rows)

    def on_send(self) -> str:
        month = self.picker.value
        try:
            report = deliver_payslips(month, self.user.email, engine=self.engine, workers=1)
        except access.AccessDenied as exc:
            return self._refused(exc, self.send_message, "delivery_outbox")
        except ValueError as exc:  # not finalised, no mail server
            return self._say(self.send_message, str(exc), ok=False)
        self.load()
        counts = report.counts()
        text = (f"Payslips {month}: {counts['sent']} sent, {counts['already_sent']} already "
                f"sent, {counts['skipped']} skipped, {counts['failed']} failed")
        return self._say(self.send_message, text, ok=not counts["failed"])

    def on_retry(self) -> str:
        """The month's failed payslips queued again (their attempts from 0, audited), sent."""
        month = self.picker.value
        try:
            with database.transaction(self.engine) as conn:
                queued = retry_outbox(conn, self.user.email, kind="payslip", period=month)
        except access.AccessDenied as exc:
            return self._refused(exc, self.send_message, "delivery_outbox")
        if not queued:
            return self._say(self.send_message, "No failed payslip to retry.", ok=True)
        return self.on_send()

    # ------------------------------------------------------------------ 1. service charge
    def on_save_pool(self) -> str:
        try:
            with database.transaction(self.engine) as conn:
                saved = close.save_service_charge(conn, self.picker.value, self.pool.value,
                                                  self.user.email)
        except access.AccessDenied as exc:
            return self._refused(exc, self.pool_message, "monthly_service_charge")
        except ValueError as exc:
            return self._say(self.pool_message, str(exc), ok=False)
        before = "" if saved["before"] is None else f" (was ฿{saved['before']:,.2f})"
        self.load()
        return self._say(self.pool_message, f"Saved: service charge {saved['month']} "
                         f"฿{saved['total_amount']:,.2f}{before}", ok=True)

    # ------------------------------------------------------------------ 3. review flags
    def on_select_all(self) -> None:
        self.flag_groups.value = tuple(value for _, value in self.flag_groups.options)

    def on_acknowledge(self) -> str:
        chosen = list(self.flag_groups.value)
        try:
            with database.transaction(self.engine) as conn:
                done = close.acknowledge_review_flags(conn, self.picker.value, self.user.email,
                                                      chosen, self.acknowledge_reason.value)
        except access.AccessDenied as exc:
            return self._refused(exc, self.acknowledge_message, "payroll_month")
        except ValueError as exc:
            return self._say(self.acknowledge_message, str(exc), ok=False)
        self.acknowledge_reason.value = ""
        self.load()
        return self._say(self.acknowledge_message, f"Acknowledged {done['groups']} groups "
                         f"({done['flags']} flags) of {done['month']}", ok=True)

    # ------------------------------------------------------------------ 4. run payroll
    def on_run(self) -> str:
        month = self.picker.value
        if self._thread is not None and self._thread.is_alive():
            return self._say(self.progress_text, "a run is already in progress", ok=False)
        try:  # checked here too: a click can reach the kernel without the button on screen
            with database.transaction(self.engine) as conn:
                month = close.prepare_run(conn, month, self.user.email)
        except access.AccessDenied as exc:
            return self._refused(exc, self.progress_text, "payroll_run")
        except ValueError as exc:
            return self._say(self.progress_text, str(exc), ok=False)
        self.run_button.disabled = True
        self.run_result.value = ""
        self.progress.value, self.progress.max = 0, 1
        try:
            run_id = self.runner.start({"month": month}, self.user.email)
        except ValueError as exc:  # too many of this person's reports in flight
            self.run_button.disabled = False
            return self._say(self.progress_text, str(exc), ok=False)
        except OSError as exc:  # the run's process could not be started
            self.run_button.disabled = False
            return self._say(self.progress_text, f"the run could not start: {exc}", ok=False)
        self._say(self.progress_text, f"starting run {run_id}…", ok=True)
        self._thread = threading.Thread(target=self._follow, args=(run_id, month), daemon=True)
        self._thread.start()
        return str(run_id)

    def _follow(self, run_id, month: str) -> None:
        """Follow the run (in a thread: the page stays usable) until it ends."""
        try:
            self._follow_until_done(run_id, month)
        except Exception as exc:  # noqa: BLE001 - said on the page; the run goes on regardless
            self._say(self.progress_text, f"lost track of run {run_id} ({type(exc).__name__}): "
                      "see the Runs page", ok=False)
            self.run_button.disabled = False

    def _follow_until_done(self, run_id, month: str) -> None:
        started = time.monotonic()
        deadline = started + RUN_TIMEOUT_SECONDS
        progress = self.runner.progress(run_id, started)
        while not progress.finished and time.monotonic() < deadline:
            self._show_progress(progress)
            time.sleep(POLL_SECONDS)
            progress = self.runner.progress(run_id, started)
        try:
            self._show_run(progress, month)
        finally:
            self.run_button.disabled = bool(self.checklist and self.checklist.locked)

    def _show_progress(self, progress) -> None:
        """Cells done, and why the run is late or stalled when it is (said within seconds)."""
        if progress.cells_total:
            self.progress.max = progress.cells_total
            self.progress.value = progress.cells_done
            text = f"{progress.cells_done} of {progress.cells_total} cells done"
        else:
            text = "starting the run…"
        if progress.note:
            text += f" · {progress.note}"
        self.progress_text.value = (
            f"<span class='close-progress' data-note='{'yes' if progress.note else 'no'}'>"
            f"{html.escape(text)}</span>")

    def _show_run(self, progress, month: str) -> None:
        run = progress.run
        if progress.finished and run is None:
            self._say(self.progress_text, progress.note or "the run could not start", ok=False)
            return
        if not progress.finished or run is None:
            self._say(self.progress_text, f"run {progress.run_id} did not finish in time "
                      "(see the Runs page)", ok=False)
            return
        self.progress.max = max(progress.cells_total, 1)
        self.progress.value = progress.cells_done if run["status"] == "failed" else self.progress.max
        files = render_files_html(self.runner.files(run))
        if run["status"] != "succeeded":
            self._say(self.progress_text, f"run failed: {run['error']}", ok=False)
            self.run_result.value = files
            return
        self._say(self.progress_text, f"done in {run['duration_seconds']:.1f} s "
                  f"({progress.cells_total} cells)", ok=True)
        with database.transaction(self.engine) as conn:
            summary = close.load_run_summary(
                conn, month, self.user.email, run_folder=str(Path(run["run_dir"]) / "outputs"))
        self.load()  # the checklist first: once the files show, the run step is done
        self.run_result.value = render_run_summary_html(summary) + files

    # ------------------------------------------------------------------ 5. finalise / reopen
    def on_ask_finalise(self) -> str:
        try:
            with database.transaction(self.engine) as conn:
                question, checksum = close.prepare_finalise(conn, self.picker.value,
                                                            self.user.email)
        except access.AccessDenied as exc:
            return self._refused(exc, self.finalise_message, "payroll_run")
        except ValueError as exc:
            return self._say(self.finalise_message, str(exc), ok=False)
        self._confirm_checksum = checksum
        self.question.value = f"<p class='close-question'>{html.escape(question)}</p>"
        self.confirm.layout.display = self.cancel.layout.display = None
        return question

    def _hide_question(self) -> None:
        self.question.value = ""
        self.confirm.layout.display = self.cancel.layout.display = "none"
        self._confirm_checksum = None

    def on_finalise(self) -> str:
        expected = self._confirm_checksum
        self._hide_question()
        try:
            with database.transaction(self.engine) as conn:
                if expected is None or load_month_payroll(conn, self.picker.value).checksum != expected:
                    raise close_rules.CloseRefused("the month's data changed since you were asked: "
                                             "press Finalise again to see the new total")
                summary = finalise_payroll(conn, self.picker.value, self.user.email)
        except access.AccessDenied as exc:
            return self._refused(exc, self.finalise_message, "payroll_run")
        except ValueError as exc:  # blocked, already finalised, no finished run
            return self._say(self.finalise_message, str(exc), ok=False)
        self.load()
        return self._say(self.finalise_message, f"Finalised payroll {summary['month']}: "
                         f"{summary['people']} people, total "
                         f"฿{money.to_decimal(summary['totals']['total_pay']):,.2f}",
                         ok=True)

    def on_reopen(self) -> str:
        try:
            with database.transaction(self.engine) as conn:
                done = close.reopen_payroll(conn, self.picker.value, self.user.email,
                                            self.reopen_reason.value)
        except access.AccessDenied as exc:
            return self._refused(exc, self.finalise_message, "payroll_run")
        except ValueError as exc:
            return self._say(self.finalise_message, str(exc), ok=False)
        self.reopen_reason.value = ""
        self.load()
        return self._say(self.finalise_message, f"Reopened payroll {done['month']}", ok=True)

    # ------------------------------------------------------------------ messages
    def _refused(self, exc: access.AccessDenied, target: widgets.HTML, resource: str,
                 resource_id: Any = None) -> str:
        """A refusal raised inside a transaction was rolled back with it: audit it again, in a
        transaction of its own, and say it on the page."""
        with database.transaction(self.engine) as conn:
            audit.record(conn, self.user.email, "ACCESS_DENIED", resource,
                         resource_id if resource_id is not None else self.picker.value,
                         details={"reason": str(exc)})
        return self._say(target, str(exc), ok=False)

    @staticmethod
    def _say(target: widgets.HTML, text: str, *, ok: bool) -> str:
        colour = "#065f46" if ok else "#7f1d1d"
        state = "ok" if ok else "refused"
        target.value = (f"<p class='close-message' data-state='{state}' style='color:{colour}'>"
                        f"{html.escape(text)}</p>")
        return text


def render_send_preview_html(preview) -> str:
    """The dry run: how many will get one, and each person skipped with why."""
    counts = preview.counts()
    skipped = [{"person": e["recipient"], "why": e["why"]} for e in preview.skipped]
    failed = [{"person": e["recipient"], "why": e["why"]} for e in preview.failed]
    return (
        f"<p class='close-send-preview' data-would-send='{counts['would_send']}'>"
        f"{counts['would_send']} will get their payslip by e-mail (the PDF opens with their "
        f"national ID) · {counts['already_sent']} already sent · {counts['skipped']} skipped"
        + (f" · {counts['failed']} gave up after 5 attempts" if failed else "") + "</p>"
        + _table(skipped, ["person", "why"], "Nobody is skipped.",
                 "close-table close-skipped")
        + (_table(failed, ["person", "why"], "", "close-table close-gave-up") if failed else "")
    )


def render_outbox_html(rows: list[dict]) -> str:
    """The month's payslip messages, newest first: who got it when, who failed or was skipped
    and why."""
    shown = [{
        "person": r["recipient_name"], "address": r["address"] or "",
        "state": r["state"] + (" (resent)" if r["resend_reason"] else "")
        + (" (correction)" if r["corrects_id"] else ""),
        "when": (f"{r['sent_at'].astimezone(bangkok.BANGKOK):%Y-%m-%d %H:%M}"
                 if r["sent_at"] else ""),
        "attempts": r["attempts"], "why": r["skip_reason"] or r["last_error"] or "",
    } for r in rows]
    return ("<h4>Outbox of the month</h4><div class='close-scroll'>"
            + _table(shown, ["person", "address", "state", "when", "attempts", "why"],
                     "Nothing sent yet.", "close-table close-outbox") + "</div>")


def render_run_summary_html(summary: dict) -> str:
    totals = summary["totals"]
    rows = [{"component": k, "THB": f"{money.to_decimal(v):,.2f}"}
            for k, v in totals.items() if k != "people"]
    previous = summary["diff_previous"]
    last = summary["diff_last_month"]
    return (
        f"<h4>Run #{summary['run_id']}: {summary['people']} people</h4>"
        + _table(rows, ["component", "THB"], "no totals", "close-table close-totals")
        + f"<h4>Against the previous run ({html.escape(summary['previous_source'])})</h4>"
        + _table(previous.to_dict("records"), list(previous.columns), "No change.")
        + f"<h4>Against last month ({html.escape(summary['last_month_source'])})</h4>"
        + _table(last.to_dict("records"), list(last.columns), "No change.")
    )


def payroll_close_dashboard(month: str = "", *, runner: Any, engine: Any = None):
    """Build the dashboard (the notebook's last cell displays it); errors come back on screen."""
    return ui.guarded_dashboard(
        close.AREA, lambda user: PayrollClose(user, month, runner, engine).widget, admin=False
    )

