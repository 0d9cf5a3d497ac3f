"""Mapping a file's columns once (issue 13): when a required column cannot be decided from the
header, a person maps it (review dashboard or `backoffice reconcile --columns`); the mapping is
checked against the file's header, remembered per reconciliation type (audited) and used for the
type's later files. A bad mapping is refused before any session is written."""

from __future__ import annotations

import json
import os
import uuid

import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice

from backoffice_lib.reconciliation import queries, service

ADMIN = "map-admin@studio.example"
GERMAN = ("Datum,Artikel,Menge,Betrag\n"
          "2031-04-02,RST-001,2,240\n"
          "2031-04-02,RST-010,3,360\n")
MAPPING = {"date": "Datum", "sku": "Artikel", "quantity": "Menge", "amount": "Betrag"}


@pytest.fixture
def admin(conn):
    conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true)"),
                 {"a": ADMIN})
    conn.execute(sa.text(
        "INSERT INTO pos.sales (sale_date, sku_number, product_name, item_cnt, item_price_incl_vat)"
        " VALUES ('2031-04-02', 'RST-001', 'Pad Thai', 2, 240),"
        " ('2031-04-02', 'RST-010', 'Singha Beer', 3, 360)"))
    return ADMIN


@pytest.fixture
def german(tmp_path):
    path = tmp_path / "partner_de.csv"
    path.write_text(GERMAN)
    return path


def _sessions(conn) -> int:
    return conn.execute(sa.text("SELECT count(*) FROM backoffice.reconciliation_sessions")).scalar()


def test_an_undecided_file_fails_its_session_and_asks_for_a_mapping(conn, admin, german):
    result = service.run_reconciliation(conn, admin, "restaurant", german)
    assert result["status"] == "failed"
    assert "map the columns once" in result["error"]
    preview = service.preview_file(conn, "restaurant", german)
    assert preview.header_cells == ["Datum", "Artikel", "Menge", "Betrag"]
    assert preview.missing == ["date", "amount", "quantity", "product or SKU"]


def test_a_given_mapping_is_remembered_audited_and_used(conn, admin, german):
    result = service.run_reconciliation(conn, admin, "restaurant", german, columns=MAPPING)
    assert (result["status"], result["matched_items"]) == ("completed", 2)
    assert queries.load_column_mapping(conn, "restaurant") == MAPPING
    audit = conn.execute(sa.text(
        "SELECT resource_id, details FROM backoffice.audit_logs"
        " WHERE resource_type = 'reconciliation_column_mapping'")).one()
    assert audit.resource_id == "restaurant"
    assert audit.details["after"] == MAPPING
    assert audit.details["before"] == {c: None for c in MAPPING}


def test_the_next_file_of_the_type_is_read_with_the_remembered_mapping(conn, admin, german):
    service.save_column_mapping(conn, admin, "restaurant", MAPPING)
    result = service.run_reconciliation(conn, admin, "restaurant", german)
    assert (result["status"], result["matched_items"]) == ("completed", 2)
    assert service.preview_file(conn, "restaurant", german).missing == []


def test_a_mapping_is_per_reconciliation_type(conn, admin, german):
    service.save_column_mapping(conn, admin, "restaurant", MAPPING)
    conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_coach, coach_code)"
                         " VALUES ('mapcoach@studio.example', true, 'MAPCOACH')"))
    assert queries.load_column_mapping(conn, "coaching_MAPCOACH") == {}


def test_changing_one_column_keeps_the_others_and_audits_the_change(conn, admin):
    service.save_column_mapping(conn, admin, "restaurant", MAPPING)
    after = service.save_column_mapping(conn, admin, "restaurant", {"amount": "Netto"})
    assert after == {**MAPPING, "amount": "Netto"}
    changes = conn.execute(sa.text(
        "SELECT details FROM backoffice.audit_logs WHERE resource_type ="
        " 'reconciliation_column_mapping' AND details->'after'->>'amount' = 'Netto'")).scalars()
    assert [(d["before"], d["after"]) for d in changes] == [({"amount": "Betrag"},
                                                             {"amount": "Netto"})]


@pytest.mark.parametrize("columns,message", [
    ({"amount": "Gesamt"}, "has no column 'Gesamt' for amount; it has Datum, Artikel"),
    ({"price": "Betrag"}, "unknown column 'price'"),
    ({"amount": "Betrag", "quantity": "betrag"}, "cannot be both amount and quantity"),
])
def test_a_bad_mapping_is_refused_before_any_session(conn, admin, german, columns, message):
    before = _sessions(conn)
    with pytest.raises(service.ReconciliationError, match=message):
        service.run_reconciliation(conn, admin, "restaurant", german, columns=columns)
    assert _sessions(conn) == before
    assert queries.load_column_mapping(conn, "restaurant") == {}


def test_only_admins_map_columns(conn, admin):
    conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email) VALUES ('mapclerk@x.example')"))
    with pytest.raises(service.access.AccessDenied):
        service.save_column_mapping(conn, "mapclerk@x.example", "restaurant", MAPPING)


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def committed_admin(engine, database_url):
    email = f"map-cli-{uuid.uuid4().hex[:6]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                  {"e": email})
        c.execute(sa.text("DELETE FROM backoffice.reconciliation_column_mappings"))
    return email


def test_cli_columns_maps_reconciles_and_remembers(committed_admin, engine, german):
    env = {**os.environ, "BACKOFFICE_USER": committed_admin}
    refused = run_backoffice("reconcile", "--type", "restaurant", "--file", str(german), env=env)
    assert refused.returncode == 2 and "--columns date=<header>" in refused.stdout
    done = run_backoffice("reconcile", "--type", "restaurant", "--file", str(german), "--columns",
                          "date=Datum,sku=Artikel,quantity=Menge,amount=Betrag", "--format", "json",
                          env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"
    again = run_backoffice("reconcile", "--type", "restaurant", "--file", str(german), env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    with engine.connect() as c:
        assert queries.load_column_mapping(c, "restaurant") == MAPPING


@pytest.mark.parametrize("columns,message", [
    ("amount", "error: --columns takes column=header pairs, not 'amount'"),
    ("amount=Gesamt", "error: the file's header (line 1) has no column 'Gesamt' for amount"),
])
def test_cli_bad_columns_is_one_line_exit_2(committed_admin, german, columns, message):
    env = {**os.environ, "BACKOFFICE_USER": committed_admin}
    result = run_backoffice("reconcile", "--type", "restaurant", "--file", str(german),
                            "--columns", columns, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- the review dashboard


def _find(widget, kind, description=None):
    import ipywidgets as widgets

    stack = [widget]
    while stack:
        current = stack.pop(0)
        if isinstance(current, kind) and (description is None
                                          or getattr(current, "description", None) == description):
            return current
        if isinstance(current, widgets.Box):
            stack.extend(current.children)
    raise AssertionError(f"no {kind.__name__} {description!r}")


def test_review_dashboard_shows_the_header_asks_once_and_remembers(committed_admin, engine,
                                                                   monkeypatch):
    import datetime as dt

    import ipywidgets as widgets

    from backoffice_lib.reconciliation.reconciliation_dashboard import reconciliation_dashboard

    monkeypatch.setenv("BACKOFFICE_USER", committed_admin)
    board = reconciliation_dashboard("")
    _find(board, widgets.Dropdown, "Type").value = "restaurant"
    upload = _find(board, widgets.FileUpload)
    content = GERMAN.encode()

    def choose_file():
        upload.value = ({"name": "partner_de.csv", "type": "text/csv", "size": len(content),
                         "content": memoryview(content), "last_modified": dt.datetime.now()},)

    with engine.connect() as c:
        sessions_before = _sessions(c)
    choose_file()
    _find(board, widgets.Button, "Reconcile").click()
    mapping = next(w for w in board.children if "rec-mapping" in w._dom_classes)
    assert mapping.layout.display is None
    preview = mapping.children[0].value
    assert "<th>Datum</th><th>Artikel</th><th>Menge</th><th>Betrag</th>" in preview
    assert "<td>2031-04-02</td><td>RST-001</td><td>2</td><td>240</td>" in preview
    with engine.connect() as c:
        assert _sessions(c) == sessions_before  # nothing written while asking

    for column, header in MAPPING.items():
        choice = next(d for d in mapping.children[1:-1] if d.description.rstrip(" *") == column)
        choice.value = header
    mapping.children[-1].click()  # Remember and reconcile
    assert mapping.layout.display == "none"
    with engine.connect() as c:
        assert queries.load_column_mapping(c, "restaurant") == MAPPING
        status = c.execute(sa.text(
            "SELECT status FROM backoffice.reconciliation_sessions ORDER BY created_at DESC"
            " LIMIT 1")).scalar()
    assert status == "completed"

    choose_file()  # the same layout again: read with the remembered mapping, no question
    _find(board, widgets.Button, "Reconcile").click()
    assert mapping.layout.display == "none"
    with engine.connect() as c:
        assert _sessions(c) == sessions_before + 2
