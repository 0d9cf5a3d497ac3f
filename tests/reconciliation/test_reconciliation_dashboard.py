"""The reconciliation review dashboard's handlers, called without a browser: a person who is not
an admin never sees the page, yet a click sent to one of its controls is refused by the handler
itself (the service's access check), audited, and nothing is written."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from backoffice_lib import access, database
from backoffice_lib.reconciliation.reconciliation_dashboard import ReconciliationDashboard


def _count(engine, statement: str, **params) -> int:
    with engine.connect() as c:
        return c.scalar(sa.text(statement), params)


def test_a_viewer_who_sends_clicks_to_the_review_is_refused_server_side(engine):
    email = f"rec-viewer-{uuid.uuid4().hex[:6]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, false)"),
                  {"e": email})
    with database.transaction() as c:
        viewer = access.load_user(c, email)
    refusals = "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e" \
               " AND action = 'ACCESS_DENIED'"
    view = ReconciliationDashboard(viewer)  # built for a test: the guard would show no page
    assert "not an admin" in view.status.value and "not an admin" in view.products.value
    assert _count(engine, refusals, e=email) == 2
    written = ("SELECT (SELECT count(*) FROM backoffice.partner_products)"
               " + (SELECT count(*) FROM backoffice.reconciliation_sessions)")
    before = _count(engine, written)

    view.selection.options = [("an item", str(uuid.uuid4()))]
    view.selection.value = (view.selection.options[0][1],)
    view.notes.value = "sent over the websocket"
    view.on_review("dispute")
    assert "not an admin" in view.review_status.value
    view.product_value.value = "Restaurant"
    view.on_product(keep=True)
    assert "not an admin" in view.product_status.value
    view.pending = ("/nonexistent.csv", "partner.csv", "restaurant")
    view.mapping_choices["date"].options = [("Datum", "Datum")]
    view.mapping_choices["date"].value = "Datum"
    view.on_reconcile_mapped()
    assert "not an admin" in view.upload_status.value
    view.picker.options = [("a session", str(uuid.uuid4()))]
    view.picker.value = view.picker.options[0][1]  # its observer: on_open_session
    assert "not an admin" in view.summary.value

    assert _count(engine, written) == before
    assert _count(engine, refusals, e=email) == 2 + 4
