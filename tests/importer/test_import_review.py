"""The quarantine review dashboard: grouped by rule, the offered fix applied with a reason
through the library, refusals shown as messages; its notebook runs end to end (papermill)."""

from __future__ import annotations

import re
from pathlib import Path

import papermill
import pytest
import sqlalchemy as sa
from live_fixture import live_database

from backoffice_lib.importer import import_review_dashboard as dashboard
from backoffice_lib.importer import service

ADMIN = "admin@studio.example"
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "history" / "import_review.ipynb"


@pytest.fixture(scope="module")
def imported(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES"
                             " (:a, true)"), {"a": ADMIN})
    with live_database() as url:
        service.import_live(url.render_as_string(hide_password=False), ADMIN, engine=engine)
    return engine


def _widgets(root):
    found = [root]
    for child in getattr(root, "children", ()):
        found += _widgets(child)
    return found


def _find(root, kind, description=None):
    return [w for w in _widgets(root) if type(w).__name__ == kind
            and (description is None or getattr(w, "description", "").startswith(description))]


def _status(engine, rule):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT status FROM backoffice.import_quarantine"
                                    " WHERE rule = :r ORDER BY id"), {"r": rule}).scalars().all()


def test_import_review_groups_by_rule_and_applies_the_offered_fix(imported, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_USER", ADMIN)
    page = dashboard.import_review_dashboard()
    texts = " ".join(w.value for w in _find(page, "HTML"))
    for rule in ("pay_rate_overlap", "package_overuse", "time_entry_alternation"):
        assert rule in texts
    assert "close the overlapping pay-rate row" in texts

    rule_picker = _find(page, "Dropdown", "Rule")[0]
    rule_picker.value = "pay_rate_overlap"
    fix = _find(page, "Button", "Fix:")[0]
    assert fix.description == "Fix: close the overlapping pay-rate row"
    status = _find(page, "HTML")[-1]
    fix.click()
    assert "Not done: a review decision needs a reason" in status.value
    assert _status(imported, "pay_rate_overlap") == ["pending"]

    _find(page, "Text", "Reason")[0].value = "raise from January"
    fix.click()
    assert "Done: closed pay-rate row(s) 1" in status.value
    assert _status(imported, "pay_rate_overlap") == ["resolved"]

    rule_picker.value = "time_entry_alternation"
    clock_out = _find(page, "Text", "Clock-out")[0]
    assert clock_out.value == "2026-01-07 17:00"
    _find(page, "Text", "Reason")[0].value = "forgot to clock out"
    _find(page, "Button", "Fix:")[0].click()
    assert "Done: added the clock-out" in status.value
    assert _status(imported, "time_entry_alternation") == ["resolved", "resolved"]


def test_import_review_shows_the_last_imports_counts_per_live_table(imported, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_USER", ADMIN)
    page = dashboard.import_review_dashboard()
    last = next(w.value for w in _find(page, "HTML") if "Last import" in w.value)
    assert f"by {ADMIN}" in last
    for table, counts in (("reconciliation_sessions", (3, 2, 0, 0, 1)),
                          ("reconciliation_items", (4, 3, 0, 0, 1)),
                          ("total", (66, 51, 1, 0, 14))):
        row = last[last.index(f">{table}<"):]
        row = row[:row.index("</tr>")]
        assert [int(c) for c in re.findall(r">(\d+)<", row)] == list(counts), table


def test_import_review_refuses_a_non_admin_on_screen(imported, monkeypatch):
    with imported.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email) VALUES"
                             " ('coach@studio.example') ON CONFLICT DO NOTHING"))
    monkeypatch.setenv("BACKOFFICE_USER", "coach@studio.example")
    page = dashboard.import_review_dashboard()
    assert "not an admin" in page.value


def test_import_review_notebook_runs(imported, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_USER", ADMIN)
    out = tmp_path / "import_review.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters={"rule": "package_overuse"},
                               kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    assert "Live import: quarantine review" in out.read_text()


def test_clicks_of_an_admin_demoted_while_the_review_is_open_are_refused_server_side(imported):
    """The page was built for an admin; once demoted, the decision handler refuses by itself
    (the service's admin check), audits the refusal and decides nothing."""
    from backoffice_lib import access, database

    email = "demoted-reviewer@studio.example"
    with imported.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES"
                             " (:e, true)"), {"e": email})
    with database.transaction() as conn:
        view = dashboard.ImportReviewDashboard(access.load_user(conn, email))
    view.rule_picker.value = "package_overuse"
    assert view.selected() is not None
    with imported.begin() as conn:
        conn.execute(sa.text("UPDATE backoffice.allowed_users SET is_admin = false"
                             " WHERE email = :e"), {"e": email})
    refusals = ("SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                " AND action = 'ACCESS_DENIED'")
    with imported.connect() as conn:
        before = conn.scalar(sa.text(refusals), {"e": email})
    view.reason.value = "sent over the websocket"
    for kind in ("dismiss", "retry", "fix"):
        view.on_decide(kind)
        assert "Not done" in view.status.value and "not an admin" in view.status.value
    assert _status(imported, "package_overuse") == ["pending"]
    with imported.connect() as conn:
        assert conn.scalar(sa.text(refusals), {"e": email}) == before + 3
