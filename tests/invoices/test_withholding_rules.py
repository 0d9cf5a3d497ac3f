"""The withholding forms' pure rules (supplier-tax.md §1–§4): amounts, rows and sheets, the RD
Prep text file, Thai words, the Thai ID check digit, certificate numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice_lib.invoices import rules
from backoffice_lib.invoices.rules import withholding
from backoffice_lib.invoices.rules.baht_text import baht_text
from backoffice_lib.invoices.rules.withholding import Payee, Payment

D = Decimal
COACH = Payee(supplier_id="s-coach", name="Coach Ann (freelance golf coach)",
              payee_kind="individual", tax_id="1101700203450", branch_no="00000", title="นางสาว",
              first_name="อัญชลี", last_name="ศรีสุข", address_line="12/3 ซอยอารีย์ 4",
              subdistrict="สามเสนใน", district="พญาไท", province="กรุงเทพมหานคร",
              postal_code="10400")
RESTAURANT = Payee(supplier_id="s-rest", name="บริษัท บ้านอร่อย คิทเช่น จำกัด",
                   payee_kind="juristic", tax_id="0105561000011", branch_no="00001",
                   address_line="88/9 ถนนสุขุมวิท ซอย 24", subdistrict="คลองตัน",
                   district="คลองเตย", province="กรุงเทพมหานคร", postal_code="10110")


def pay(payee: Payee, day: dt.date, number: str, subtotal: str = "10000.00") -> Payment:
    amounts = rules.compute_invoice_amounts([rules.make_item("fee", "1", subtotal)], "3.00")
    return Payment(invoice_id=f"inv-{number}", invoice_number=number, paid_on=day,
                   rate=amounts["tax_rate"], amount_paid=amounts["subtotal"],
                   tax=amounts["tax_amount"], payee=payee)


def individual(n: int) -> Payee:
    twelve = f"1{n:011d}"
    tax_id = twelve + str(rules.compute_tax_id_check_digit(twelve))
    return Payee(**{**COACH.__dict__, "supplier_id": f"s{n}", "tax_id": tax_id,
                    "first_name": f"คนที่{n}"})


# --------------------------------------------------------------------------- spec §3's figures

@pytest.mark.parametrize("rule,subtotal,tax,paid", [
    ("ten_thousand_at_3_percent", "10000", "300.00", "9700.00"),
    ("half_up_from_37_0368", "1234.56", "37.04", "1197.52"),
])
def test_withholding_figures_of_the_spec(rule, subtotal, tax, paid):
    amounts = rules.compute_invoice_amounts([rules.make_item("fee", "1", subtotal)], "3.00")
    assert (amounts["tax_amount"], amounts["total_amount"]) == (D(tax), D(paid))


# --------------------------------------------------------------------------- Thai words

@pytest.mark.parametrize("amount,words", [
    ("0.50", "ห้าสิบสตางค์"),
    ("21.00", "ยี่สิบเอ็ดบาทถ้วน"),
    ("100.00", "หนึ่งร้อยบาทถ้วน"),
    ("101.00", "หนึ่งร้อยเอ็ดบาทถ้วน"),
    ("1001.25", "หนึ่งพันเอ็ดบาทยี่สิบห้าสตางค์"),
    ("1000000.00", "หนึ่งล้านบาทถ้วน"),
    ("37.04", "สามสิบเจ็ดบาทสี่สตางค์"),
    ("300.00", "สามร้อยบาทถ้วน"),
    ("0.00", "ศูนย์บาทถ้วน"),
    ("11.00", "สิบเอ็ดบาทถ้วน"),
    ("1.00", "หนึ่งบาทถ้วน"),
    ("0.21", "ยี่สิบเอ็ดสตางค์"),
    ("11000000.00", "สิบเอ็ดล้านบาทถ้วน"),
    ("21500000.00", "ยี่สิบเอ็ดล้านห้าแสนบาทถ้วน"),
    ("1000001.00", "หนึ่งล้านเอ็ดบาทถ้วน"),
    ("120345.10", "หนึ่งแสนสองหมื่นสามร้อยสี่สิบห้าบาทสิบสตางค์"),
])
def test_baht_text_writes_amounts_as_excel_bahttext(amount, words):
    assert baht_text(D(amount)) == words


def test_baht_text_refuses_a_float():
    with pytest.raises(TypeError):
        baht_text(0.5)


# --------------------------------------------------------------------------- Thai ID check digit

@pytest.mark.parametrize("rule,value,valid", [
    ("valid_juristic", "0105566012344", True),
    ("valid_individual", "1101700203450", True),
    ("wrong_check_digit", "0105566012345", False),
    ("twelve_digits", "010556601234", False),
    ("fourteen_digits", "01055660123440", False),
    ("dashes_are_not_digits", "0-1055-66012-34-4", False),
    ("letters", "01055660123a4", False),
    ("empty", "", False),
    ("none", None, False),
])
def test_thai_id_check_digit_valid(rule, value, valid):
    assert rules.thai_id_check_digit_valid(value) is valid


# --------------------------------------------------------------------------- rows and sheets

def test_a_supplier_paid_twice_is_one_row_with_two_lines_in_date_order():
    rows = withholding.compute_form_rows([pay(COACH, dt.date(2025, 5, 20), "202505002"),
                                          pay(COACH, dt.date(2025, 5, 3), "202504009")])
    assert [r.seq for r in rows] == [1]
    assert [p.paid_on.day for p in rows[0].payments] == [3, 20]


def test_a_fourth_payment_starts_a_second_row_with_the_next_number():
    days = [dt.date(2025, 5, d) for d in (2, 9, 16, 23)]
    rows = withholding.compute_form_rows([pay(COACH, d, f"20250500{i}") for i, d in
                                          enumerate(days, 1)])
    assert [(r.seq, len(r.payments)) for r in rows] == [(1, 3), (2, 1)]
    assert rows[1].payments[0].paid_on == dt.date(2025, 5, 23)


def test_rows_are_ordered_by_tax_id_then_payment_date():
    first, second = individual(2), individual(1)
    rows = withholding.compute_form_rows([pay(first, dt.date(2025, 5, 1), "202505001"),
                                          pay(second, dt.date(2025, 5, 30), "202505002")])
    assert [r.payee.supplier_id for r in rows] == ["s1", "s2"]


def test_seven_payees_make_two_sheets_numbered_1_to_6_and_7():
    payments = [pay(individual(n), dt.date(2025, 5, n), f"20250500{n}") for n in range(1, 8)]
    attachment = withholding.compute_attachments("2025-05", payments)["pnd3"]
    assert [[r.seq for r in sheet] for sheet in attachment.sheets] == [[1, 2, 3, 4, 5, 6], [7]]
    assert withholding.compute_totals(attachment.sheets[1]) == (D("10000.00"), D("300.00"))
    assert (attachment.total_paid, attachment.total_tax) == (D("70000.00"), D("2100.00"))


def test_an_individual_goes_on_pnd3_and_a_juristic_person_on_pnd53_only():
    attachments = withholding.compute_attachments("2025-05", [
        pay(COACH, dt.date(2025, 5, 3), "202505001"),
        pay(RESTAURANT, dt.date(2025, 5, 4), "202505002")])
    assert {f: [r.payee.supplier_id for r in a.rows] for f, a in attachments.items()} == {
        "pnd3": ["s-coach"], "pnd53": ["s-rest"]}


# --------------------------------------------------------------------------- the text file

def test_pnd3_text_file_every_field_of_an_individual():
    attachment = withholding.compute_attachments("2025-07", [
        pay(COACH, dt.date(2025, 7, 5), "202506030", "10000"),
        pay(COACH, dt.date(2025, 7, 28), "202507010", "1234.56")])["pnd3"]
    data = withholding.compose_text_file(attachment)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.endswith(b"\r\n") and data.count(b"\r\n") == 2 and b"\n" not in data.replace(
        b"\r\n", b"")
    first, second = data.decode("utf-8").split("\r\n")[:2]
    assert first.split("|") == [
        "1", "1101700203450", "00000", "นางสาว", "อัญชลี", "ศรีสุข", "12/3 ซอยอารีย์ 4",
        "สามเสนใน", "พญาไท", "กรุงเทพมหานคร", "10400", "05072568", "ค่าบริการ / ค่าจ้างทำของ",
        "3.00", "10000.00", "300.00", "1"]
    assert second.split("|")[0] == "1" and second.split("|")[11:] == [
        "28072568", "ค่าบริการ / ค่าจ้างทำของ", "3.00", "1234.56", "37.04", "1"]


def test_pnd53_text_file_every_field_of_a_company():
    attachment = withholding.compute_attachments("2025-12", [
        pay(RESTAURANT, dt.date(2025, 12, 31), "202512040", "123456.78")])["pnd53"]
    line = withholding.compose_text_file(attachment).decode("utf-8")
    assert line == ("1|0105561000011|00001|บริษัท บ้านอร่อย คิทเช่น จำกัด|88/9 ถนนสุขุมวิท ซอย 24|"
                    "คลองตัน|คลองเตย|กรุงเทพมหานคร|10110|31122568|ค่าบริการ / ค่าจ้างทำของ|3.00|"
                    "123456.78|3703.70|1\r\n")


def test_a_pipe_in_any_text_is_refused():
    payee = Payee(**{**RESTAURANT.__dict__, "address_line": "88|9 Sukhumvit"})
    attachment = withholding.compute_attachments("2025-12", [
        pay(payee, dt.date(2025, 12, 1), "202512001")])["pnd53"]
    with pytest.raises(withholding.WithholdingError, match="address_line"):
        withholding.compose_text_file(attachment)


@pytest.mark.parametrize("day,text", [(dt.date(2025, 7, 5), "05072568"),
                                      (dt.date(2024, 2, 29), "29022567"),
                                      (dt.date(2026, 1, 1), "01012569")])
def test_date_paid_is_ddmmyyyy_in_the_buddhist_year(day, text):
    assert withholding.format_date_be(day) == text


# --------------------------------------------------------------------------- supplier data

def test_missing_fields_are_named_per_supplier_and_field():
    incomplete = Payee(**{**COACH.__dict__, "address_line": None, "postal_code": " "})
    unknown_kind = Payee(**{**RESTAURANT.__dict__, "payee_kind": None, "name": "Nobody Co."})
    assert withholding.compute_missing_fields([incomplete, unknown_kind, RESTAURANT]) == [
        (COACH.name, "address_line"), (COACH.name, "postal_code"), ("Nobody Co.", "payee_kind")]


@pytest.mark.parametrize("rule,fields,message", [
    ("kind_known", {"payee_kind": "company"}, "individual or juristic"),
    ("postal_code_five_digits", {"postal_code": "1040"}, "postal code is 5 digits"),
    ("branch_digits", {"branch_no": "HQ"}, "branch is 5 digits"),
    ("title_known", {"title": "Dr"}, "title is one of"),
    ("no_pipe", {"address_line": "1|2"}, "must not contain '|'"),
    ("check_digit", {"tax_id": "0105566012345"}, "check digit"),
])
def test_supplier_tax_fields_refused(rule, fields, message):
    with pytest.raises(rules.InvoiceError, match=message):
        withholding.compute_supplier_tax_fields(fields)


def test_supplier_tax_fields_cleaned():
    assert withholding.compute_supplier_tax_fields(
        {"branch_no": "1", "tax_id": "0-1055-66012-34-4", "title": " นาย "}) == {
        "branch_no": "00001", "tax_id": "0105566012344", "title": "นาย"}


# --------------------------------------------------------------------------- certificate numbers

def test_certificate_numbers_follow_payment_date_then_invoice_number_within_each_book():
    payments = [pay(COACH, dt.date(2026, 1, 2), "202512003"),
                pay(COACH, dt.date(2025, 12, 30), "2025121000"),
                pay(RESTAURANT, dt.date(2025, 12, 30), "202512999")]
    allocated = withholding.compute_new_certificate_numbers(payments, {2568: 41})
    assert [(p.invoice_number, book, n) for p, book, n in allocated] == [
        ("202512999", 2568, 42), ("2025121000", 2568, 43), ("202512003", 2569, 1)]


# --------------------------------------------------------------------------- invariants


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 9), st.integers(1, 30)), min_size=1, max_size=40))
def test_every_payment_is_on_exactly_one_row_of_at_most_three_in_order(draws):
    payments = [pay(individual(who), dt.date(2025, 6, day), f"202506{i:03d}")
                for i, (who, day) in enumerate(draws, 1)]
    rows = withholding.compute_form_rows(payments)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert sorted(p.invoice_number for r in rows for p in r.payments) == sorted(
        p.invoice_number for p in payments)
    assert all(1 <= len(r.payments) <= 3 for r in rows)
    assert all(p.payee == r.payee for r in rows for p in r.payments)
    keys = [(r.payee.tax_id, r.payments[0].paid_on) for r in rows]
    assert keys == sorted(keys)
    for row in rows:
        days = [p.paid_on for p in row.payments]
        assert days == sorted(days)
    per_payee = {}
    for row in rows:  # only a payee's last row may hold fewer than three
        per_payee.setdefault(row.payee.supplier_id, []).append(len(row.payments))
    assert all(all(n == 3 for n in counts[:-1]) for counts in per_payee.values())


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("99999999999.99"), places=2))
def test_baht_text_always_ends_in_whole_baht_or_satang(amount):
    words = baht_text(amount)
    assert words.endswith(("บาทถ้วน", "สตางค์"))
    assert "หนึ่งสิบ" not in words and "สองสิบ" not in words
