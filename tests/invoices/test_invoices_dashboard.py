"""Supplier invoices in the browser (issue 13): the Thai tax ID rule, the form's live arithmetic
(the service's own rules), and the dashboard's widgets driven in process on committed data:
add a supplier, create an invoice, its PDF, void it, the month's list; refusals leave nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from decimal import Decimal
from pathlib import Path

import papermill
import pytest
import sqlalchemy as sa

from backoffice_lib.invoices import invoices_dashboard as board
from backoffice_lib.invoices import rules, service

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "invoices" / "invoices_dashboard.ipynb"
D = Decimal

TAX_IDS = [
    # rule, typed, stored (or the refusal)
    ("company_id_is_valid", "0107544000108", "0107544000108"),
    ("person_id_is_valid", "1100000000008", "1100000000008"),
    ("spaces_and_dashes_as_typed_are_dropped", "0-1055-36092-64-1", "0105536092641"),
    ("empty_means_no_tax_id", "  ", None),
    ("wrong_check_digit_is_a_typo", "0107544000109", "its last digit should be 8"),
    ("twelve_digits_is_too_short", "010754400010", "has 12"),
    ("fourteen_digits_is_too_long", "01075440001081", "has 14"),
    ("letters_are_refused", "TAX-0107544000", "a tax ID is 13 digits, not"),
]


@pytest.mark.parametrize("rule,typed,expected", TAX_IDS, ids=[t[0] for t in TAX_IDS])
def test_thai_tax_id_rule(rule, typed, expected):
    if expected is None or expected.isdigit():
        assert rules.validate_tax_id(typed) == expected
    else:
        with pytest.raises(rules.InvoiceError, match=expected):
            rules.validate_tax_id(typed)


@pytest.mark.parametrize("first_twelve,digit", [("010754400010", 8), ("099400016566", 8),
                                                ("110000000000", 8), ("310040000000", 1)])
def test_check_digit_is_11_minus_weighted_sum_mod_11_mod_10(first_twelve, digit):
    assert rules.compute_tax_id_check_digit(first_twelve) == digit


DRAFTS = [
    # rule, rows, rate, line texts, subtotal, tax, total, errors
    ("totals_of_two_items", [("Lessons", "10", "1500.50"), ("Balls", "3", "12")], "3.00",
     ["฿15,005.00", "฿36.00"], "15041.00", "451.23", "14589.77", 0),
    ("blank_rows_are_not_items", [("", "", ""), ("Mat", "1", "4500"), ("  ", "", "")], "3",
     ["", "฿4,500.00", ""], "4500.00", "135.00", "4365.00", 0),
    ("a_bad_row_is_shown_and_left_out", [("Mat", "x", "4500"), ("Net", "2", "100")], "3",
     ["quantity of 'Mat' is not a number: 'x'", "฿200.00"], "200.00", "6.00", "194.00", 1),
    ("zero_rate", [("Rent", "1", "12345.67")], "0", ["฿12,345.67"], "12345.67", "0.00",
     "12345.67", 0),
]


@pytest.mark.parametrize("rule,rows,rate,lines,subtotal,tax,total,errors", DRAFTS,
                         ids=[d[0] for d in DRAFTS])
def test_form_totals_update_with_the_services_rules(rule, rows, rate, lines, subtotal, tax, total,
                                                    errors):
    draft = board.compute_draft(rows, rate)
    assert draft.lines == lines
    assert (draft.amounts["subtotal"], draft.amounts["tax_amount"],
            draft.amounts["total_amount"]) == (D(subtotal), D(tax), D(total))
    assert len(draft.errors) == errors


def test_form_without_items_has_no_totals_and_a_bad_rate_says_so():
    assert board.compute_draft([("", "", "")], "3").amounts is None
    draft = board.compute_draft([("Mat", "1", "10")], "120")
    assert draft.amounts is None and "0 to 100" in draft.rate_error
    assert "0 to 100" in board.render_totals(draft)


def test_supplier_with_a_bad_tax_id_is_refused_by_the_service(conn):
    conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                         " VALUES ('tax-admin@studio.example', true)"))
    with pytest.raises(rules.InvoiceError, match="check digit"):
        service.create_supplier(conn, "tax-admin@studio.example", name="Typo Co",
                                tax_id="0107544000100")
    row = service.create_supplier(conn, "tax-admin@studio.example", name="Dash Co",
                                  tax_id="0 1075 44000 10 8")
    assert row["tax_id"] == "0107544000108"


def test_notebook_is_a_thin_front_end_with_one_parameter():
    book = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert book["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    for cell in code:
        source = "".join(cell["source"])
        assert not any(w in source for w in ("def ", "class ", "SELECT ", "lambda", " for "))
    found = papermill.inspect_notebook(str(NOTEBOOK))
    assert {k: v["default"] for k, v in found.items()} == {"month": '""'}


def test_catalog_lists_the_dashboard_for_finance():
    from backoffice_lib.workbench import catalog

    entries = {e.path: e for e in catalog.load_catalog(ROOT / "notebooks" / "catalog.yml")}
    entry = entries["invoices/invoices_dashboard.ipynb"]
    assert (entry.kind, entry.audience) == ("dashboard", "finance")


# --------------------------------------------------------------------------- the widgets


@pytest.fixture
def admin(engine, monkeypatch):
    email = f"inv-dash-{uuid.uuid4().hex[:6]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                  {"e": email})
    monkeypatch.setenv("BACKOFFICE_USER", email)
    return email


def _counts(engine, email):
    with engine.connect() as c:
        return c.execute(sa.text(
            "SELECT (SELECT count(*) FROM backoffice.invoices),"
            " (SELECT count(*) FROM backoffice.invoice_items),"
            " (SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
            "  AND action = 'CREATE' AND resource_type = 'invoice')"), {"e": email}).one()


def _type_item(dashboard, index, description, quantity, price):
    while len(dashboard.rows) <= index:
        dashboard.add_item.click()
    row = dashboard.rows[index]
    row["description"].value, row["quantity"].value, row["unit_price"].value = (
        description, quantity, price)


def test_dashboard_adds_a_supplier_creates_an_invoice_offers_its_pdf_and_voids_it(engine, admin):
    dashboard = board.InvoicesDashboard(_user(engine, admin), "")
    dashboard.supplier.value = board.NEW_SUPPLIER
    assert dashboard.new_supplier_box.layout.display is None
    dashboard.new_name.value = "Chiang Mai Turf Co., Ltd."
    dashboard.new_tax_id.value = "0105536092640"
    assert "should be 1" in dashboard.tax_id_check.value
    dashboard.add_supplier.click()
    assert "Not added" in dashboard.supplier_status.value  # the service refused the typo
    dashboard.new_tax_id.value = "0105536092641"
    assert "valid tax ID" in dashboard.tax_id_check.value
    dashboard.add_supplier.click()
    supplier_id = dashboard.supplier.value
    assert dashboard.suppliers[supplier_id]["tax_id"] == "0105536092641"

    dashboard.invoice_date.value = dt.date(2031, 5, 20)
    _type_item(dashboard, 0, "Hitting mat replacement", "2", "4500")
    assert "฿9,000.00" in dashboard.rows[0]["line"].value
    _type_item(dashboard, 1, "Net repair", "1", "1250.50")
    assert "฿10,250.50" in dashboard.totals.value and "฿307.52" in dashboard.totals.value
    assert "฿9,942.98" in dashboard.totals.value
    dashboard.save.click()
    assert "Invoice 203105001 saved" in dashboard.save_status.value
    assert dashboard.month.value == "2031-05" and dashboard.picked.value == "203105001"
    assert "฿307.52" in dashboard.wht_table.value and "0105536092641" in dashboard.wht_table.value
    pdf = re.search(r'href="data:application/pdf;base64,([^"]+)"', dashboard.save_pdf.value)
    assert base64.b64decode(pdf.group(1)).startswith(b"%PDF-")
    assert [r["description"].value for r in dashboard.rows] == [""]  # the form is cleared
    with engine.connect() as c:
        saved = service.load_invoice(c, "203105001")
        downloads = c.execute(sa.text(
            "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'DOWNLOAD'"
            " AND resource_id = :i"), {"i": str(saved["id"])}).scalar()
    assert (saved["subtotal"], saved["tax_amount"], saved["total_amount"]) == (
        D("10250.50"), D("307.52"), D("9942.98"))
    assert downloads == 1

    dashboard.void.click()
    assert "voiding an invoice needs a reason" in dashboard.action_status.value
    dashboard.reason.value = "issued twice by mistake"
    dashboard.void.click()
    assert "is void" in dashboard.action_status.value
    assert "VOID" in {v: k for k, v in dashboard.picked.options}["203105001"]
    assert "฿0.00" in dashboard.month_totals.value  # nothing left to remit for May 2031


def test_dashboard_refuses_an_invoice_without_items_and_writes_nothing(engine, admin):
    with engine.begin() as c:
        supplier = service.create_supplier(c, admin, name=f"Empty {uuid.uuid4().hex[:4]}")
    dashboard = board.InvoicesDashboard(_user(engine, admin), "")
    dashboard.supplier.value = str(supplier["id"])
    before = _counts(engine, admin)
    dashboard.save.click()
    assert "Not saved: an invoice needs at least one item" in dashboard.save_status.value
    _type_item(dashboard, 0, "Mat", "-1", "10")
    dashboard.save.click()
    assert "must be more than 0" in dashboard.save_status.value
    assert _counts(engine, admin) == before


def test_dashboard_refuses_a_non_admin_and_audits_the_refusal(engine, monkeypatch):
    email = f"inv-coach-{uuid.uuid4().hex[:6]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin, is_coach)"
                          " VALUES (:e, false, true)"), {"e": email})
    monkeypatch.setenv("BACKOFFICE_USER", email)
    shown = board.invoices_dashboard("")
    assert "Access refused" in shown.value and "invoices is for admins only" in shown.value
    with engine.connect() as c:
        refusals = c.execute(sa.text(
            "SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
            " AND action = 'ACCESS_DENIED' AND resource_type = 'invoices'"), {"e": email}).scalar()
    assert refusals == 1


def _user(engine, email):
    from backoffice_lib import access

    with engine.connect() as c:
        return access.load_user(c, email)


def test_clicks_of_an_admin_demoted_while_the_page_is_open_are_refused_server_side(engine, admin):
    """The page was built for an admin; once demoted, every handler refuses by itself (the
    service's access check), audits the refusal and writes nothing."""
    with engine.begin() as c:
        supplier = service.create_supplier(c, admin, name=f"Demoted {uuid.uuid4().hex[:4]}")
    dashboard = board.InvoicesDashboard(_user(engine, admin), "")
    dashboard.suppliers[str(supplier["id"])] = supplier
    dashboard.on_suppliers_changed(select=str(supplier["id"]))
    _type_item(dashboard, 0, "Mat", "1", "10")
    with engine.begin() as c:  # another admin first: the last admin cannot be demoted
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                  {"e": f"inv-other-{uuid.uuid4().hex[:6]}@studio.example"})
        c.execute(sa.text("UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :e"),
                  {"e": admin})
    refusals = ("SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                " AND action = 'ACCESS_DENIED'")
    with engine.connect() as c:
        before_refusals = c.scalar(sa.text(refusals), {"e": admin})
    before = _counts(engine, admin)
    dashboard.on_save()
    assert "not an admin" in dashboard.save_status.value
    dashboard.new_name.value = "Sneaky Co"
    dashboard.on_add_supplier()
    assert "not an admin" in dashboard.supplier_status.value
    dashboard.picked.options = [("an invoice", "203101001")]
    dashboard.picked.value = "203101001"
    dashboard.on_pdf()
    assert "not an admin" in dashboard.pdf_link.value
    dashboard.reason.value = "sent over the websocket"
    dashboard.on_void()
    assert "not an admin" in dashboard.action_status.value
    dashboard.on_month()
    assert "not an admin" in dashboard.month_totals.value
    assert _counts(engine, admin) == before
    with engine.connect() as c:
        assert c.scalar(sa.text(refusals), {"e": admin}) == before_refusals + 5
