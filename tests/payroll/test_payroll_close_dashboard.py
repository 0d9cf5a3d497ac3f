"""The payroll close dashboard's callbacks on demo data (widgets built without a browser): every
refusal comes back as a message on the page, and nothing is written by a refused action."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backoffice_lib import access, bangkok, database
from backoffice_lib.payroll.close_dashboard import PayrollClose
from backoffice_lib.payroll.service import run_payroll
from backoffice_lib.workbench.runs_page import notebook_runner

MONTH = bangkok.previous_month(bangkok.previous_month(bangkok.month_key(bangkok.today())))


def user(engine, email: str) -> access.User:
    with database.transaction(engine) as conn:
        return access.load_user(conn, email)


def scalar(engine, statement: str, **params):
    with engine.connect() as conn:
        return conn.scalar(sa.text(statement), params)


@pytest.fixture
def admin_view(demo_engine):
    return PayrollClose(user(demo_engine, "admin@studio.example"), MONTH,
                        notebook_runner("payroll/payroll_run.ipynb"), demo_engine)


def test_the_checklist_and_status_of_the_chosen_month(admin_view):
    assert admin_view.picker.value == MONTH
    assert f"data-month='{MONTH}'" in admin_view.status.value
    assert "1. Service-charge pool" in admin_view.steps.value
    assert admin_view.correction.entry.options, "demo data has flagged entries to correct"


def test_a_refused_pool_and_a_correction_without_reason_are_messages(admin_view, demo_engine):
    before = scalar(demo_engine, "SELECT total_amount FROM backoffice.monthly_service_charge"
                    " WHERE month_year = :m", m=MONTH)
    admin_view.pool.value = "-1"
    assert "cannot be negative" in admin_view.on_save_pool()
    assert "data-state='refused'" in admin_view.pool_message.value
    assert scalar(demo_engine, "SELECT total_amount FROM backoffice.monthly_service_charge"
                  " WHERE month_year = :m", m=MONTH) == before

    entries = scalar(demo_engine, "SELECT count(*) FROM backoffice.time_entries")
    form = admin_view.correction  # the staff domain's one entry-correction form
    form.entry.value = form.entry.options[0][1]
    form.action.value = "delete"
    form.reason.value = ""
    message = form.on_apply()
    assert "reason" in message.lower()
    assert scalar(demo_engine, "SELECT count(*) FROM backoffice.time_entries") == entries


def test_finalise_needs_the_question_first_then_locks_and_reopens(admin_view, demo_engine):
    assert "changed since you were asked" in admin_view.on_finalise()
    assert "run payroll first" in admin_view.on_ask_finalise()  # finance has not seen the month
    assert admin_view.confirm.layout.display == "none"
    with database.transaction(demo_engine) as conn:
        run_payroll(conn, MONTH, "admin@studio.example")
    admin_view.load()
    run_step = admin_view.steps.value.split(". Run payroll")[0].rsplit("<tr", 1)[1]
    assert "data-state='done'" in run_step
    question = admin_view.on_ask_finalise()
    assert question.startswith(f"Finalise payroll {MONTH}: ")
    assert admin_view.confirm.layout.display is None  # the confirm button shows
    assert admin_view.on_finalise().startswith(f"Finalised payroll {MONTH}")
    assert "data-locked='true'" in admin_view.status.value
    assert admin_view.save_pool.disabled and admin_view.run_button.disabled
    assert "needs a reason" in admin_view.on_reopen()
    admin_view.reopen_reason.value = "the pool was entered for the wrong month"
    assert admin_view.on_reopen() == f"Reopened payroll {MONTH}"
    assert scalar(demo_engine, "SELECT count(*) FROM backoffice.payroll_runs"
                  " WHERE month = :m AND status = 'finalised'", m=MONTH) == 0


def test_a_viewer_sees_the_checklist_without_forms_names_or_pay(demo_engine):
    view = PayrollClose(user(demo_engine, "min@studio.example"), MONTH,
                        notebook_runner("payroll/payroll_run.ipynb"), demo_engine)
    assert "total ฿" not in view.status.value
    shown = {type(w).__name__ for w in _walk(view.widget)}
    assert "Button" not in shown and "Text" not in shown
    assert view.flags.value == ""


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_an_admin_demoted_while_the_page_is_open_is_refused_and_audited(demo_engine):
    email = "demoted-close@studio.example"
    with demo_engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                  {"e": email})
    view = PayrollClose(user(demo_engine, email), MONTH,
                        notebook_runner("payroll/payroll_run.ipynb"), demo_engine)
    with demo_engine.begin() as c:
        c.execute(sa.text("UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :e"),
                  {"e": email})
    before = scalar(demo_engine, "SELECT total_amount FROM backoffice.monthly_service_charge"
                    " WHERE month_year = :m", m=MONTH)
    view.pool.value = "1234"
    assert "not an admin" in view.on_save_pool()
    assert "not an admin" in view.on_ask_finalise()
    assert scalar(demo_engine, "SELECT total_amount FROM backoffice.monthly_service_charge"
                  " WHERE month_year = :m", m=MONTH) == before
    assert scalar(demo_engine, "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                  " AND action = 'ACCESS_DENIED'", e=email) == 2


def test_a_viewer_who_sends_clicks_to_hidden_buttons_is_refused_server_side(demo_engine):
    """The buttons are not shown to a viewer, but their handlers exist in the kernel: a click
    sent over the websocket must be refused by the handler itself, audited, nothing written."""
    email = "min@studio.example"
    view = PayrollClose(user(demo_engine, email), MONTH,
                        notebook_runner("payroll/payroll_run.ipynb"), demo_engine)
    refusals = scalar(demo_engine, "SELECT count(*) FROM backoffice.audit_logs"
                      " WHERE user_email = :e AND action = 'ACCESS_DENIED'", e=email)
    runs = scalar(demo_engine, "SELECT count(*) FROM backoffice.job_runs")
    entries = scalar(demo_engine, "SELECT count(*) FROM backoffice.time_entries")
    view.pool.value = "1"
    view.correction.entry.options = [("an entry", 1)]
    view.correction.entry.value = 1
    view.correction.action.value = "delete"
    view.correction.reason.value = "sent over the websocket"
    view.reopen_reason.value = "sent over the websocket"
    for handler in (view.on_save_pool, view.on_run, view.correction.on_apply,
                    view.on_ask_finalise, view.on_reopen, view.on_acknowledge):
        assert "not an admin" in handler(), handler.__name__
    assert scalar(demo_engine, "SELECT count(*) FROM backoffice.job_runs") == runs
    assert scalar(demo_engine, "SELECT count(*) FROM backoffice.time_entries") == entries
    assert scalar(demo_engine, "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                  " AND action = 'ACCESS_DENIED'", e=email) == refusals + 6


def test_review_flags_grouped_per_person_and_kind_acknowledged_in_bulk(admin_view):
    """A month of ordinary long shifts: the flags come as groups with their count; selecting
    them all with a reason acknowledges them at once and the checklist's step is done."""
    groups = admin_view.flag_groups.options
    assert groups and all(" × " in label for label, _ in groups)
    assert "close-flag-groups" in admin_view.flags.value
    admin_view.on_select_all()
    assert len(admin_view.flag_groups.value) == len(groups)
    admin_view.acknowledge_reason.value = ""
    assert "needs a reason" in admin_view.on_acknowledge()
    admin_view.acknowledge_reason.value = "ordinary 9-hour shifts"
    done = admin_view.on_acknowledge()
    assert done.startswith(f"Acknowledged {len(groups)} groups")
    review_step = admin_view.steps.value.split(". Review flags")[0].rsplit("<tr", 1)[1]
    assert "data-state='done'" in review_step
    assert admin_view.flag_groups.options == ()
    assert "ordinary 9-hour shifts" in admin_view.flags.value
