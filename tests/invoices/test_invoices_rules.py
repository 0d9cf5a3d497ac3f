"""Supplier invoices, business-rules §6: withholding arithmetic, numbering, void, suppliers, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from timeclock_fixtures import ADMIN, MANAGER

from backoffice_lib.invoices import queries as invoice_queries
from backoffice_lib.invoices import rules as invoice_rules
from backoffice_lib.invoices import service as invoice_service

D = Decimal


@pytest.fixture
def supplier(conn, users):
    return invoice_service.create_supplier(conn, ADMIN, name="นายสมชาย ใจดี", tax_id="1100000000008",
                                    address_line1="12 ถนนสุขุมวิท")


def _item(desc="Coaching", qty="1", price="1000"):
    return invoice_rules.make_item(desc, qty, price)


# --------------------------------------------------------------------------- arithmetic

WITHHOLDING = [
    # name, items (qty, unit_price), tax_rate, lines, subtotal, tax, total
    ("default_3_percent", [("10", "1500.50"), ("3", "12")], "3.00",
     ["15005.00", "36.00"], "15041.00", "451.23", "14589.77"),
    ("tax_rounds_half_up", [("1", "0.50")], "3.00", ["0.50"], "0.50", "0.02", "0.48"),
    ("tax_rounds_half_up_at_5", [("1", "150.00")], "1.00", ["150.00"], "150.00", "1.50", "148.50"),
    ("line_total_rounds_half_up", [("0.25", "10.10")], "0", ["2.53"], "2.53", "0.00", "2.53"),
    ("zero_rate_means_zero", [("2", "999.99")], "0", ["1999.98"], "1999.98", "0.00", "1999.98"),
    ("hundred_percent", [("1", "100")], "100", ["100.00"], "100.00", "100.00", "0.00"),
    ("five_percent_rent", [("1", "12345.67")], "5", ["12345.67"], "12345.67", "617.28",
     "11728.39"),
    ("subtotal_is_sum_of_rounded_lines", [("0.33", "1.01"), ("0.33", "1.01")], "3",
     ["0.33", "0.33"], "0.66", "0.02", "0.64"),
]


@pytest.mark.parametrize(
    "name,items,rate,lines,subtotal,tax,total", WITHHOLDING, ids=[w[0] for w in WITHHOLDING]
)
def test_withholding_arithmetic(name, items, rate, lines, subtotal, tax, total):
    result = invoice_rules.compute_invoice_amounts([_item(f"i{n}", q, p) for n, (q, p) in
                                               enumerate(items)], rate)
    assert [line["line_total"] for line in result["items"]] == [D(x) for x in lines]
    assert result["subtotal"] == D(subtotal)
    assert result["tax_amount"] == D(tax)
    assert result["total_amount"] == D(total)
    assert result["total_amount"] == result["subtotal"] - result["tax_amount"]


@pytest.mark.parametrize("text,expected", [
    ("Coaching;10;1500", ("Coaching", D("10"), D("1500"))),
    ("ค่าสอน; 2 ;1,200.50", ("ค่าสอน", D("2"), D("1200.50"))),
    ("Rent; a;b;1;100", ("Rent; a;b", D("1"), D("100"))),
])
def test_cli_item_form_is_parsed(text, expected):
    item = invoice_rules.parse_item(text)
    assert (item.description, item.quantity, item.unit_price) == expected


@pytest.mark.parametrize("text,message", [
    ("Coaching;10", "description;quantity;unit_price"),
    (";1;100", "needs a description"),
    ("X;0;100", "more than 0"),
    ("X;1;-5", "must not be negative"),
    ("X;1;abc", "not a number"),
    ("X;1;10.005", "more than 2 decimals"),
])
def test_bad_items_are_refused(text, message):
    with pytest.raises(invoice_rules.InvoiceError, match=message):
        invoice_rules.parse_item(text)


@pytest.mark.parametrize("rate", ["-1", "100.01", "abc", "3.001"])
def test_tax_rate_outside_0_100_is_refused(rate):
    with pytest.raises(invoice_rules.InvoiceError):
        invoice_rules.compute_invoice_amounts([_item()], rate)


def test_float_money_is_refused():
    with pytest.raises(invoice_rules.InvoiceError, match="float"):
        invoice_rules.make_item("X", 1, 10.5)


# --------------------------------------------------------------------------- numbering

@pytest.mark.parametrize("day,seq,number", [
    (dt.date(2025, 1, 15), 1, "202501001"),
    (dt.date(2025, 1, 15), 42, "202501042"),
    (dt.date(2025, 12, 31), 999, "202512999"),
    (dt.date(2025, 12, 31), 1000, "2025121000"),
    (dt.date(2025, 12, 31), 12345, "20251212345"),
])
def test_invoice_number_is_yyyymm_and_a_3_digit_sequence(day, seq, number):
    assert invoice_rules.format_invoice_number(day, seq) == number


def test_numbers_sort_numerically_past_999_fix():
    numbers = ["2025011000", "202501999", "202502001", "202501002", "2025011001"]
    assert sorted(numbers, key=invoice_rules.invoice_number_sort_key) == [
        "202501002", "202501999", "2025011000", "2025011001", "202502001"]


def test_numbering_continues_per_month_and_grows_past_999_fix(conn, supplier):
    def insert_number(number):
        conn.execute(sa.text(
            "INSERT INTO backoffice.invoices (invoice_number, supplier_id, invoice_date)"
            " VALUES (:n, :s, '2025-03-01')"), {"n": number, "s": supplier["id"]})

    first = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                    invoice_date=dt.date(2025, 3, 5), items=[_item()])
    assert first["invoice_number"] == "202503001"
    insert_number("202503999")
    thousandth = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                         invoice_date=dt.date(2025, 3, 6), items=[_item()])
    assert thousandth["invoice_number"] == "2025031000"
    after = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                    invoice_date=dt.date(2025, 3, 7), items=[_item()])
    assert after["invoice_number"] == "2025031001"
    other_month = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                          invoice_date=dt.date(2025, 4, 1), items=[_item()])
    assert other_month["invoice_number"] == "202504001"
    listed = list(invoice_queries.load_invoices(conn, "2025-03")["invoice_number"])
    assert listed == ["202503001", "202503999", "2025031000", "2025031001"]


# --------------------------------------------------------------------------- service

def test_create_invoice_computes_and_stores_amounts_and_audits(conn, supplier):
    created = invoice_service.create_invoice(
        conn, ADMIN, supplier_id=supplier["id"], invoice_date=dt.date(2025, 1, 31),
        items=[_item("ค่าสอนกอล์ฟ", "10", "1500.50"), _item("น้ำดื่ม", "3", "12")],
    )
    assert (created["subtotal"], created["tax_rate"], created["tax_amount"],
            created["total_amount"]) == (D("15041.00"), D("3.00"), D("451.23"), D("14589.77"))
    assert [i["line_total"] for i in created["items"]] == [D("15005.00"), D("36.00")]
    assert [i["description"] for i in created["items"]] == ["ค่าสอนกอล์ฟ", "น้ำดื่ม"]
    assert created["status"] == "issued"
    creator = conn.execute(sa.text("SELECT email FROM backoffice.allowed_users WHERE id = :i"),
                           {"i": created["created_by"]}).scalar()
    assert creator == ADMIN
    logged = conn.execute(sa.text(
        "SELECT details FROM backoffice.audit_logs WHERE action = 'CREATE'"
        " AND resource_type = 'invoice' AND resource_id = :i"), {"i": str(created["id"])}).scalar()
    assert logged["after"]["total_amount"] == "14589.77"


@pytest.mark.parametrize("setting,expected", [(None, "3.00"), ("0", "0.00"), ("5.00", "5.00")])
def test_tax_rate_default_comes_from_invoice_settings_zero_means_zero_fix(
        conn, supplier, setting, expected):
    if setting is not None:
        invoice_service.save_invoice_setting(conn, ADMIN, "default_wht_rate", setting)
    created = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                      invoice_date=dt.date(2025, 2, 1), items=[_item("X", "1", "200")])
    assert created["tax_rate"] == D(expected)
    assert created["tax_amount"] == D("200") * D(expected) / 100


def test_explicit_tax_rate_overrides_default(conn, supplier):
    created = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"], tax_rate="1",
                                      invoice_date=dt.date(2025, 2, 1), items=[_item("X", "1", "200")])
    assert (created["tax_rate"], created["tax_amount"], created["total_amount"]) == (
        D("1.00"), D("2.00"), D("198.00"))


def test_void_keeps_the_invoice_and_its_number(conn, supplier):
    created = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                      invoice_date=dt.date(2025, 5, 1), items=[_item()])
    voided = invoice_service.void_invoice(conn, ADMIN, created["invoice_number"], "issued twice")
    assert voided["status"] == "void"
    assert voided["total_amount"] == created["total_amount"]
    with pytest.raises(invoice_rules.InvoiceError, match="already void"):
        invoice_service.void_invoice(conn, ADMIN, created["invoice_number"], "again")
    following = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                        invoice_date=dt.date(2025, 5, 2), items=[_item()])
    assert following["invoice_number"] == "202505002"  # a void number is never reused
    totals = invoice_rules.compute_month_totals(invoice_queries.load_invoices(conn, "2025-05"))
    assert totals["invoices"] == 1 and totals["void_invoices"] == 1
    assert totals["withholding_tax_to_remit"] == D("30.00")
    reason = conn.execute(sa.text(
        "SELECT details->>'reason' FROM backoffice.audit_logs WHERE action = 'VOID'"
        " AND resource_id = :i"), {"i": str(created["id"])}).scalar()
    assert reason == "issued twice"


def test_void_needs_a_reason(conn, supplier):
    created = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                      invoice_date=dt.date(2025, 5, 1), items=[_item()])
    with pytest.raises(invoice_rules.InvoiceError, match="reason"):
        invoice_service.void_invoice(conn, ADMIN, created["invoice_number"], " ")


def test_supplier_with_invoices_cannot_be_deleted(conn, supplier):
    invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                            invoice_date=dt.date(2025, 5, 1), items=[_item()])
    with pytest.raises(invoice_rules.InvoiceError, match="cannot be deleted"):
        invoice_service.delete_supplier(conn, ADMIN, supplier["id"])


def test_supplier_with_invoices_is_protected_by_the_database_too(conn, supplier):
    invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                            invoice_date=dt.date(2025, 5, 1), items=[_item()])
    with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
        conn.execute(sa.text("DELETE FROM backoffice.invoice_suppliers WHERE id = :i"),
                     {"i": supplier["id"]})


def test_supplier_without_invoices_is_deleted_and_audited(conn, supplier):
    invoice_service.delete_supplier(conn, ADMIN, supplier["id"])
    assert supplier["id"] not in {s["id"] for s in invoice_queries.load_suppliers(conn)}
    assert conn.execute(sa.text(
        "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'DELETE'"
        " AND resource_type = 'invoice_supplier' AND resource_id = :i"),
        {"i": str(supplier["id"])}).scalar() == 1


def test_supplier_tax_id_is_unique(conn, supplier):
    with pytest.raises(invoice_rules.InvoiceError, match="already belongs"):
        invoice_service.create_supplier(conn, ADMIN, name="Someone else", tax_id="1100000000008")


def test_non_admin_is_refused_and_the_refusal_audited(conn, supplier):
    from backoffice_lib.access import AccessDenied

    with pytest.raises(AccessDenied):
        invoice_service.create_invoice(conn, MANAGER, supplier_id=supplier["id"],
                                invoice_date=dt.date(2025, 5, 1), items=[_item()])
    assert conn.execute(sa.text(
        "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ACCESS_DENIED'"
        " AND user_email = :m"), {"m": MANAGER}).scalar() == 1


def test_unknown_supplier_is_refused(conn, users):
    with pytest.raises(invoice_rules.InvoiceError, match="no supplier"):
        invoice_service.create_invoice(conn, ADMIN, supplier_id="00000000-0000-0000-0000-000000000000",
                                invoice_date=dt.date(2025, 5, 1), items=[_item()])


def test_withholding_by_supplier_excludes_void(conn, supplier):
    other = invoice_service.create_supplier(conn, ADMIN, name="Bangkok Linen", tax_id="0105500000003")
    a = invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                                invoice_date=dt.date(2025, 6, 1), items=[_item("A", "1", "1000")])
    invoice_service.create_invoice(conn, ADMIN, supplier_id=supplier["id"],
                            invoice_date=dt.date(2025, 6, 2), items=[_item("B", "1", "500")])
    invoice_service.create_invoice(conn, ADMIN, supplier_id=other["id"],
                            invoice_date=dt.date(2025, 6, 3), items=[_item("C", "2", "250")])
    invoice_service.void_invoice(conn, ADMIN, a["invoice_number"], "wrong amount")
    table = invoice_rules.compute_withholding_by_supplier(invoice_queries.load_invoices(conn, "2025-06"))
    assert table.to_dict("records") == [
        {"supplier_name": "Bangkok Linen", "supplier_tax_id": "0105500000003", "invoices": 1,
         "subtotal": D("500.00"), "tax_amount": D("15.00"), "total_amount": D("485.00")},
        {"supplier_name": "นายสมชาย ใจดี", "supplier_tax_id": "1100000000008", "invoices": 1,
         "subtotal": D("500.00"), "tax_amount": D("15.00"), "total_amount": D("485.00")},
    ]


def test_concurrent_creations_in_one_month_get_consecutive_numbers(engine):
    """The advisory lock per month: a second transaction waits for the first, then numbers on."""
    import threading
    import time
    import uuid as _uuid

    tag = _uuid.uuid4().hex[:8]
    admin = f"inv-lock-{tag}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                  {"e": admin})
        supplier = invoice_service.create_supplier(c, admin, name=f"Lock test {tag}", tax_id="0105537000007")
    day = dt.date(2030, 3, 3)  # a month no other test uses, inside the plausible window
    numbers: list[str] = []
    first = engine.connect()
    outer = first.begin()
    numbers.append(invoice_service.create_invoice(first, admin, supplier_id=supplier["id"],
                                           invoice_date=day, items=[_item()])["invoice_number"])
    started = threading.Event()

    def second() -> None:
        with engine.begin() as c:
            started.set()
            numbers.append(invoice_service.create_invoice(c, admin, supplier_id=supplier["id"],
                                                   invoice_date=day, items=[_item()])
                           ["invoice_number"])

    worker = threading.Thread(target=second)
    worker.start()
    started.wait(10)
    # let the second transaction reach its wait (on the lock; without the lock it would read the
    # same maximum and wait on the unique number instead, then fail when the first commits)
    for _ in range(300):
        waiting = first.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()")).scalar()
        if waiting:
            break
        time.sleep(0.1)
    outer.commit()
    first.close()
    worker.join(30)
    assert numbers == ["203003001", "203003002"]
