"""Headers recognised by meaning (issue 13, business-rules §7): a header that contains a known
column name is that column, the longest known name winning; Thai compounds match anywhere, English
names as whole words. Then: which cell wins a column, which row is the header, and the mapping a
person gives when a required column cannot be decided."""

from __future__ import annotations

import pytest

from backoffice_lib.reconciliation.reports import partner_file
from backoffice_lib.reconciliation.rules import parsing

HEADERS = [
    # rule, header cell, column (None: not a known column)
    ("thai_amount_stays_amount_not_quantity", "จำนวนเงิน", "amount"),
    ("thai_amount_with_unit_in_brackets", "จำนวนเงิน (บาท)", "amount"),
    ("thai_quantity_with_more_words_after_จำนวน", "จำนวนที่ขาย", "quantity"),
    ("thai_quantity_sold_items", "จำนวนชิ้นที่ขายได้", "quantity"),
    ("thai_amount_with_more_words_after_ราคา", "ราคาขายสุทธิ", "amount"),
    ("thai_total_price", "ราคารวมทั้งหมด", "amount"),
    ("thai_days_count_is_quantity_not_date", "จำนวนวัน", "quantity"),
    ("thai_sale_date_compound", "วันที่ขายสินค้า", "date"),
    ("thai_product_name_beats_name", "ชื่อสินค้าที่ขาย", "product"),
    ("thai_product_code_beats_product", "รหัสสินค้าร้าน", "sku"),
    ("thai_customer_name", "ชื่อลูกค้าสมาชิก", "customer"),
    ("thai_sales_total", "ยอดขายรวม", "amount"),
    ("english_net_amount_thb", "Net Amount (THB)", "amount"),
    ("english_qty_sold", "Qty Sold", "quantity"),
    ("english_total_qty_is_quantity", "Total Qty", "quantity"),
    ("english_total_amount_due", "Total Amount Due", "amount"),
    ("english_product_name_beats_name", "Product Name", "product"),
    ("english_product_code_is_sku", "Product Code", "sku"),
    ("english_student_full_name", "Student Full Name", "customer"),
    ("english_lesson_date_with_format", "Lesson Date (dd/mm/yyyy)", "date"),
    ("english_case_and_punctuation", "SALE_DATE:", "date"),
    ("english_whole_words_only_discount_is_not_count", "Discount", None),
    ("english_whole_words_only_holiday_is_not_day", "Holiday", None),
    ("unknown_header", "Remarks", None),
    ("empty_header", "", None),
]


@pytest.mark.parametrize("rule,header,column", HEADERS, ids=[h[0] for h in HEADERS])
def test_header_is_recognised_by_meaning(rule, header, column):
    match = parsing.recognise_header(header)
    assert (match.column if match else None) == column


CELL_CHOICE = [
    # rule, header row, expected columns (column -> header text)
    ("exact_name_beats_contained_name", ["Date", "Unit Price", "Amount", "Qty", "SKU"],
     {"date": "Date", "amount": "Amount", "quantity": "Qty", "sku": "SKU"}),
    ("longer_name_beats_shorter", ["วันที่", "ราคาต่อหน่วย", "ยอดเงินสุทธิ", "จำนวน", "รหัส"],
     {"date": "วันที่", "amount": "ยอดเงินสุทธิ", "quantity": "จำนวน", "sku": "รหัส"}),
    ("leftmost_of_equals", ["Date", "Amount", "Amount", "Qty", "Item"],
     {"date": "Date", "amount": "Amount", "quantity": "Qty", "product": "Item"}),
    ("thai_compounds_side_by_side", ["วันที่", "ชื่อสินค้า", "จำนวนที่ขาย", "จำนวนเงิน"],
     {"date": "วันที่", "product": "ชื่อสินค้า", "quantity": "จำนวนที่ขาย", "amount": "จำนวนเงิน"}),
]


@pytest.mark.parametrize("rule,cells,expected", CELL_CHOICE, ids=[c[0] for c in CELL_CHOICE])
def test_which_cell_names_a_column(rule, cells, expected):
    _, texts = parsing.match_header_cells(cells)
    assert texts == expected


def test_header_row_is_the_row_naming_most_columns_not_a_title_row(tmp_path):
    path = tmp_path / "titled.csv"
    path.write_text(
        "รายงานยอดขาย,,วันที่พิมพ์ 01/02/2025,\n"  # a title row naming two columns
        "วันที่,รหัสสินค้า,จำนวนที่ขาย,ราคาขายสุทธิ\n"
        "03/01/2025,RST-001,2,240\n", encoding="utf-8")
    result = partner_file.load_invoice_file(path, "restaurant")
    assert result.header_row == 2
    assert result.columns == {"date": "วันที่", "sku": "รหัสสินค้า", "quantity": "จำนวนที่ขาย",
                              "amount": "ราคาขายสุทธิ"}
    assert [str(v) for v in result.rows["amount"]] == ["240.00"]


def test_english_headers_with_more_words(tmp_path):
    path = tmp_path / "english.csv"
    path.write_text("Sale Date,Item Name,Qty Sold,Net Amount (THB)\n2025-01-05,Pad Thai,2,240\n")
    result = partner_file.load_invoice_file(path, "restaurant")
    assert result.columns == {"date": "Sale Date", "product": "Item Name", "quantity": "Qty Sold",
                              "amount": "Net Amount (THB)"}


def test_undecided_column_is_refused_with_the_header_row_and_a_sample(tmp_path):
    path = tmp_path / "german.csv"
    path.write_text("Datum,Artikel,Menge,Betrag\n05.01.2025,RST-001,2,240\n"
                    "05.01.2025,RST-002,1,90\n")
    with pytest.raises(parsing.ColumnsUndecided, match="map the columns once") as refused:
        partner_file.load_invoice_file(path, "restaurant")
    preview = refused.value.preview
    assert preview.header_line == 1 and not preview.decided
    assert preview.header_cells == ["Datum", "Artikel", "Menge", "Betrag"]
    assert preview.sample == [["05.01.2025", "RST-001", "2", "240"],
                              ["05.01.2025", "RST-002", "1", "90"]]


def test_a_mapping_decides_the_columns_it_names(tmp_path):
    path = tmp_path / "german.csv"
    path.write_text("Datum,Artikel,Menge,Betrag\n05.01.2025,RST-001,2,240\n")
    mapping = {"date": "Datum", "sku": "artikel", "quantity": "Menge", "amount": "BETRAG"}
    result = partner_file.load_invoice_file(path, "restaurant", mapping=mapping)
    assert result.columns == {"date": "Datum", "sku": "Artikel", "quantity": "Menge",
                              "amount": "Betrag"}
    assert [(str(r["quantity"]), str(r["amount"])) for r in result.rows.to_dict("records")] == [
        ("2.00", "240.00")]


def test_a_mapping_overrides_recognition(tmp_path):
    path = tmp_path / "two_amounts.csv"
    path.write_text("Date,SKU,Qty,Amount,Net Amount Paid\n2025-01-05,RST-001,2,240,230\n")
    assert partner_file.load_invoice_file(path, "restaurant").rows["amount"].tolist()[0] == 240
    mapped = partner_file.load_invoice_file(path, "restaurant", mapping={"amount": "Net Amount Paid"})
    assert str(mapped.rows["amount"].tolist()[0]) == "230.00"


def test_a_missing_required_column_is_undecided_with_what_was_found(tmp_path):
    path = tmp_path / "no_amount.csv"
    path.write_text("Date,SKU,Qty,Gesamt\n2025-01-05,RST-001,2,240\n")
    with pytest.raises(parsing.ColumnsUndecided, match="no column for amount") as refused:
        partner_file.load_invoice_file(path, "restaurant")
    assert refused.value.preview.columns == {"date": "Date", "sku": "SKU", "quantity": "Qty"}
    assert refused.value.preview.missing == ["amount"]


def test_a_sku_of_dash_means_no_sku(tmp_path):
    path = tmp_path / "dash.csv"
    path.write_text("Date,SKU,Item,Qty,Amount\n2025-01-05,-,Pad Thai,2,240\n")
    row = partner_file.load_invoice_file(path, "restaurant").rows.to_dict("records")[0]
    assert (row["sku"], row["product"]) == (None, "Pad Thai")


COLUMN_OPTIONS = [
    ("two_pairs", "date=Datum,amount=Betrag", {"date": "Datum", "amount": "Betrag"}),
    ("spaces_and_case", " Amount = Net Total ", {"amount": "Net Total"}),
]


@pytest.mark.parametrize("rule,text,expected", COLUMN_OPTIONS, ids=[c[0] for c in COLUMN_OPTIONS])
def test_columns_option_is_parsed(rule, text, expected):
    assert parsing.parse_column_mapping(text) == expected


@pytest.mark.parametrize("text,message", [
    ("price=Betrag", "unknown column 'price'"),
    ("amount", "column=header pairs"),
    ("amount=", "column=header pairs"),
    ("amount=A,amount=B", "names amount twice"),
    ("", "is empty"),
])
def test_bad_columns_option_is_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parsing.parse_column_mapping(text)
