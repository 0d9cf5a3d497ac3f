"""The kiosk, the managers' staff dashboard and the attendance explorer.

Notebooks run under papermill against the demo database; the widget classes are driven in-process
(the kiosk on committed data of the test database, cleaned up afterwards).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import nbformat
import papermill
import pytest
from timeclock_fixtures import FAST_HASH, PIN, sql

from backoffice_lib import access, bangkok, database
from backoffice_lib.staff import kiosk_dashboard as kiosk
from backoffice_lib.staff import staff_dashboard

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = {
    "staff/time_clock_kiosk.ipynb": {"device": "kiosk-front-desk"},
    "staff/staff_dashboard.ipynb": {"date_from": "", "date_to": ""},
    "staff/attendance_explorer.ipynb": {"days": 30, "page_size": 50},
}
MANAGER = "manager@studio.example"


@pytest.mark.parametrize("path,parameters", NOTEBOOKS.items(), ids=list(NOTEBOOKS))
def test_notebook_is_parameters_and_calls_only(path, parameters):
    book = nbformat.read(ROOT / "notebooks" / path, as_version=4)
    assert book.metadata.kernelspec.name == "python3"
    tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert papermill.inspect_notebook(str(ROOT / "notebooks" / path)).keys() == parameters.keys()
    for cell in book.cells:
        assert cell.cell_type != "code" or not cell.get("outputs")
        for word in ("def ", "class ", "SELECT ", "lambda"):
            assert word not in cell.source


def run_notebook(path, tmp_path, env, monkeypatch, **parameters):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("BACKOFFICE_USER", MANAGER)
    output = tmp_path / Path(path).name
    papermill.execute_notebook(
        str(ROOT / "notebooks" / path),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    return nbformat.read(output, as_version=4)


def outputs_text(book) -> str:
    return json.dumps([c.get("outputs", []) for c in book.cells])


def test_attendance_explorer_runs_on_the_demo_data(tmp_path, demo_env, monkeypatch):
    book = run_notebook(
        "staff/attendance_explorer.ipynb", tmp_path, demo_env, monkeypatch, days=60, page_size=20
    )
    text = outputs_text(book)
    assert "application/vnd.jupyter.widget-view+json" in text and "Traceback" not in text
    state = json.dumps(book.metadata.get("widgets", {}))  # the widgets as the kernel left them
    assert (
        "attendance-rows" in state and "page 1 of" in state and "shifts and sessions read" in state
    )
    assert "backoffice-error" not in state and "renderer" not in text


@pytest.mark.parametrize("path", ["staff/staff_dashboard.ipynb", "staff/time_clock_kiosk.ipynb"])
def test_dashboard_notebook_runs_on_the_demo_data(tmp_path, demo_env, monkeypatch, path):
    book = run_notebook(path, tmp_path, demo_env, monkeypatch)
    text = outputs_text(book)
    assert "application/vnd.jupyter.widget-view+json" in text
    assert "backoffice-error" not in text and "Traceback" not in text


def test_staff_dashboard_shows_who_is_in_today_and_flags(demo_engine):
    today = bangkok.today()
    board = staff_dashboard.StaffDashboard(
        signed_in(demo_engine, MANAGER), today - dt.timedelta(days=60), today, engine=demo_engine
    )
    assert "<td>" in board.now_html.value  # the demo keeps a few people clocked in
    assert "Nobody is clocked in" not in board.now_html.value
    assert "staff-table" in board.today_html.value
    assert len(board.flagged) > 0 and len(board.entry.options) == len(board.flagged)
    names = set(board.lateness.data[0].x)  # the figure drawn in its Box
    assert names and all(isinstance(n, str) for n in names)


def test_staff_dashboard_refuses_a_non_admin_on_screen(kiosk_person, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_USER", kiosk_person[0])  # an allowed user, not an admin
    widget = staff_dashboard.staff_dashboard()
    assert "Access refused" in widget.value and "not an admin" in widget.value


def test_correction_without_reason_says_so_and_changes_nothing(demo_engine):
    today = bangkok.today()
    board = staff_dashboard.StaffDashboard(
        signed_in(demo_engine, MANAGER), today - dt.timedelta(days=60), today, engine=demo_engine
    )
    form = board.correction  # the one entry-correction form (the payroll close page's too)
    form.entry.value = form.entry.options[0][1]
    assert "correction-message" in form.message.value  # the pick is explained
    assert form.when.value != ""
    form.action.value = "delete"
    form.reason.value = ""
    assert form.on_apply() == "a correction needs a reason"
    assert "needs a reason" in form.message.value


def signed_in(engine, email: str) -> access.User:
    with database.transaction(engine) as conn:
        return access.load_user(conn, email)


@pytest.fixture
def kiosk_person(engine):
    tag = uuid.uuid4().hex[:8]
    email = f"kiosk-{tag}@studio.example"
    with engine.begin() as c:
        sql(c, "INSERT INTO backoffice.allowed_users (email) VALUES (:e)", e=email)
        pk = sql(
            c,
            "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash)"
            " VALUES (:n, :s, :h) RETURNING id",
            n=f"Kiosk {tag}",
            s=f"K-{tag}",
            h=FAST_HASH,
        ).scalar_one()
    yield email, pk
    with engine.begin() as c:
        for table in ("time_entries", "staff_audit_log"):
            sql(c, f"DELETE FROM backoffice.{table} WHERE staff_id = :s", s=pk)
        sql(c, "DELETE FROM backoffice.staff WHERE id = :s", s=pk)
        sql(c, "DELETE FROM backoffice.audit_logs WHERE user_email = :e", e=email)
        sql(c, "DELETE FROM backoffice.allowed_users WHERE email = :e", e=email)


def type_pin(board, pin):
    board.on_press("Clear")
    for digit in pin:
        board.on_press(digit)


def test_kiosk_pick_name_pin_pad_and_clear_messages(engine, kiosk_person):
    email, pk = kiosk_person
    board = kiosk.TimeClockKiosk(email, engine=engine)
    assert pk in [value for _, value in board.person.options]
    assert board.on_punch() is None and "Pick your name first" in board.message.value
    type_pin(board, "12")
    board.person.value = pk  # picking a name greets the person and forgets a half-typed PIN
    assert "Hello Kiosk" in board.message.value and board.pin_display.value.count("●") == 0
    type_pin(board, "12")
    assert board.pin_display.value.count("●") == 2 and "12" not in board.pin_display.value
    assert board.on_punch() is None and "6-digit PIN" in board.message.value
    type_pin(board, "999999")
    result = board.on_punch()
    assert result.status == "wrong_pin"
    assert "wrong PIN, 9 attempts left" in board.message.value
    assert board.pin_display.value.count("●") == 0  # the PIN is forgotten after each try
    type_pin(board, PIN)
    result = board.on_punch()
    assert result.ok and "clock in at" in board.message.value
    assert board.person.value == kiosk.NOBODY


def test_kiosk_double_tap_asks_and_cancel_forgets_the_pin(engine, kiosk_person):
    email, pk = kiosk_person
    board = kiosk.TimeClockKiosk(email, engine=engine)
    board.person.value = pk
    type_pin(board, PIN)
    assert board.on_punch().ok
    board.person.value = pk
    type_pin(board, PIN)
    assert board.on_punch().status == "confirm"
    assert board.confirm_button.layout.display is None and "Confirm" in board.message.value
    board.on_cancel()
    assert board.confirm_button.layout.display == "none" and board.pin_display.value.count("●") == 0


def test_kiosk_shows_the_lock_end_time(engine, kiosk_person):
    email, pk = kiosk_person
    board = kiosk.TimeClockKiosk(email, engine=engine)
    for attempt in range(10):
        board.person.value = pk
        type_pin(board, "999999")
        result = board.on_punch()
        if attempt == 8:
            assert "1 attempt left" in board.message.value and "locks" in board.message.value
    assert result.status == "locked" and "locked until" in board.message.value
    board.person.value = pk
    type_pin(board, PIN)
    assert board.on_punch().status == "locked"  # even the right PIN
