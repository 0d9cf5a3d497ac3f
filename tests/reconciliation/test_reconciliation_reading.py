"""Reading partner and coach files (business-rules §7): the awkward-file corpus in tests/files/,
each with its expected outcome, and the cell rules as tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from backoffice_lib.reconciliation.reports import partner_file
from backoffice_lib.reconciliation.rules import parsing

FILES = Path(__file__).resolve().parents[1] / "files"
D = Decimal


def _rows(result):
    return [
        (r["row_number"], r["date"].isoformat(), r["customer"] or r["sku"] or r["product"],
         str(r["quantity"]), str(r["amount"]))
        for r in result.rows.to_dict("records")
    ]


CORPUS = [
    # file, kind, expected rows (line, date, name/sku, qty, amount), row errors, date order
    ("restaurant_thai_headers.csv", "restaurant",
     [(2, "2025-02-03", "RST-001", "2.00", "240.00"), (3, "2025-02-03", "RST-010", "5.00", "600.00"),
      (4, "2025-02-04", "RST-005", "1.00", "180.00")], [], "D/M"),
    ("restaurant_bom.csv", "restaurant",
     [(2, "2025-01-05", "RST-001", "2.00", "240.00"), (3, "2025-01-05", "RST-002", "1.00", "90.00")],
     [], "D/M"),
    ("restaurant_currency.csv", "restaurant",
     [(2, "2025-01-10", "RST-013", "12.00", "1680.00"),
      (3, "2025-01-10", "RST-006", "10.00", "1500.00"),
      (4, "2025-01-11", "RST-014", "1000.00", "50000.00"),
      (5, "2025-01-11", "RST-009", "1.00", "-90.00")], [], "D/M"),
    ("restaurant_empty_rows.csv", "restaurant",
     [(4, "2025-01-05", "RST-001", "2.00", "240.00"), (8, "2025-01-06", "RST-003", "1.00", "130.00")],
     ["row 7: amount 'abc' is not a number", "row 9: date '2025-02-30' does not exist"], "D/M"),
    ("restaurant_merged_header.xlsx", "restaurant",
     [(4, "2025-01-05", "RST-001", "2.00", "240.00"), (5, "2025-01-05", "RST-002", "1.00", "90.00"),
      (6, "2025-01-06", "RST-003", "1.00", "130.00")], [], "D/M"),
    ("restaurant_excel_serials.xlsx", "restaurant",
     [(2, "2025-01-05", "RST-001", "2.00", "240.00"), (3, "2025-01-06", "RST-002", "1.00", "90.00"),
      (4, "2025-01-07", "Khao Pad Goong", "1.00", "130.00")], [], "D/M"),
    ("coaching_md_dates.csv", "coaching",
     [(2, "2025-03-02", "Somchai Jaidee", "1.00", "1200.00"),
      (3, "2025-03-04", "Anna Smith", "2.00", "2400.00")], [], "M/D"),
    ("coaching_dm_proven.csv", "coaching",
     [(2, "2025-01-25", "Somchai Jaidee", "1.00", "1200.00"),
      (3, "2025-02-03", "Anna Smith", "1.00", "1200.00")], [], "D/M"),
    ("coaching_duplicates.csv", "coaching",
     [(2, "2025-01-07", "Somchai Jaidee", "1.00", "1200.00"),
      (3, "2025-01-07", "Somchai Jaidee", "1.00", "1200.00")], [], "M/D"),
]


@pytest.mark.parametrize("name,kind,rows,errors,order", CORPUS, ids=[c[0] for c in CORPUS])
def test_awkward_file_corpus(name, kind, rows, errors, order):
    result = partner_file.load_invoice_file(FILES / name, kind)
    assert _rows(result) == rows
    assert result.row_errors == errors
    assert result.date_order == order


def test_thai_headers_are_recognised():
    result = partner_file.load_invoice_file(FILES / "restaurant_thai_headers.csv", "restaurant")
    assert result.columns == {"date": "วันที่", "sku": "รหัสสินค้า", "product": "ชื่อสินค้า",
                              "quantity": "จำนวน", "amount": "จำนวนเงิน (บาท)"}
    assert list(result.rows["product"]) == ["ผัดไทย", "เบียร์สิงห์", "ต้มยำกุ้ง"]


def test_merged_title_rows_are_skipped_and_merged_dates_fill_down():
    result = partner_file.load_invoice_file(FILES / "restaurant_merged_header.xlsx", "restaurant")
    assert result.header_row == 3
    assert list(result.rows["date"]) == [dt.date(2025, 1, 5), dt.date(2025, 1, 5),
                                          dt.date(2025, 1, 6)]


def test_file_with_no_header_is_refused():
    with pytest.raises(parsing.FileRefused, match="no header row found"):
        partner_file.load_invoice_file(FILES / "no_header.csv", "restaurant")


def test_file_over_10_mb_is_refused(tmp_path):
    path = tmp_path / "big.csv"
    line = "2025-01-05,RST-001,Pad Thai,2,240.00\n"
    with path.open("w") as handle:
        handle.write("Date,SKU,Item,Qty,Amount\n")
        handle.write(line * (10 * 1024 * 1024 // len(line) + 10))
    assert path.stat().st_size > parsing.MAX_FILE_BYTES
    with pytest.raises(parsing.FileRefused, match="at most 10 MB"):
        partner_file.load_invoice_file(path, "restaurant")


def test_file_with_header_but_no_readable_rows_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Date,Name,Amount\nnot a date,Somchai,100\n\n")
    with pytest.raises(parsing.FileRefused, match="no readable rows.*row 2: date 'not a date'"):
        partner_file.load_invoice_file(path, "coaching")


def test_header_without_required_columns_is_refused(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("Date,Name\n2025-01-01,Somchai\n")
    with pytest.raises(parsing.FileRefused, match="no column for amount"):
        partner_file.load_invoice_file(path, "coaching")


@pytest.mark.parametrize("name,message", [("old.xls", "save it as .xlsx"),
                                          ("notes.pdf", "neither CSV nor .xlsx")])
def test_unsupported_file_types_are_refused(tmp_path, name, message):
    path = tmp_path / name
    path.write_bytes(b"x" * 10)
    with pytest.raises(parsing.FileRefused, match=message):
        partner_file.load_invoice_file(path, "restaurant")


def test_restaurant_row_without_quantity_is_reported_coaching_defaults_to_1(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("Date,Name,SKU,Qty,Amount\n2025-01-05,Somchai,RST-001,,240\n"
                    "2025-01-05,Anna,RST-002,1,90\n")
    restaurant = partner_file.load_invoice_file(path, "restaurant")
    assert restaurant.row_errors == ["row 2: no quantity"]
    coaching = partner_file.load_invoice_file(path, "coaching")
    assert list(coaching.rows["quantity"]) == [D("1.00"), D("1.00")]


def test_row_numbers_are_file_lines_even_with_quoted_line_breaks(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text('Date,Name,Amount\n2025-01-05,"Somchai\nJaidee",100\n2025-01-06,Anna,x\n')
    assert partner_file.load_invoice_file(path, "coaching").row_errors == [
        "row 4: amount 'x' is not a number"]


def test_thai_windows_encoding_is_read(tmp_path):
    path = tmp_path / "cp874.csv"
    path.write_bytes("วันที่,ชื่อ,จำนวนเงิน\n2025-01-05,สมชาย,100\n".encode("cp874"))
    result = partner_file.load_invoice_file(path, "coaching")
    assert list(result.rows["customer"]) == ["สมชาย"]


AMOUNTS = [
    ("240", "240.00"), ("฿1,200.00", "1200.00"), ("THB 2,000", "2000.00"), ("1,500 บาท", "1500.00"),
    ("(120.50)", "-120.50"), ("-90", "-90.00"), ("1 234,00", None), ("12.345", "12.35"),
    (1200, "1200.00"), (1200.5, "1200.50"), (0.1, "0.10"), ("", None), ("abc", None),
]


@pytest.mark.parametrize("cell,expected", AMOUNTS)
def test_amount_cells(cell, expected):
    if expected is None:
        with pytest.raises(ValueError):
            parsing.parse_amount(cell)
    else:
        assert parsing.parse_amount(cell) == D(expected)


DATES = [
    # cell, day_first, expected
    ("2025-01-31", True, "2025-01-31"),
    ("2025-01-31 14:30:00", False, "2025-01-31"),
    ("03/02/2025", True, "2025-02-03"),   # ambiguous: D/M for restaurant
    ("03/02/2025", False, "2025-03-02"),  # ambiguous: M/D for coaching
    ("25/01/2025", False, "2025-01-25"),  # only D/M is possible
    ("01/25/2025", True, "2025-01-25"),   # only M/D is possible
    ("3.2.2025", True, "2025-02-03"),
    ("03-02-2025", True, "2025-02-03"),
    ("03/02/2568", True, "2025-02-03"),   # Buddhist era
    (45658, True, "2025-01-01"),          # Excel serial
    (45658.75, True, "2025-01-01"),
    ("45658", True, "2025-01-01"),
    (dt.datetime(2025, 1, 5, 10, 0), True, "2025-01-05"),
    (dt.date(2025, 1, 5), True, "2025-01-05"),
    ("31/02/2025", True, None),
    ("13/13/2025", True, None),
    ("yesterday", True, None),
    (123, True, None),
]


@pytest.mark.parametrize("cell,day_first,expected", DATES)
def test_date_cells(cell, day_first, expected):
    if expected is None:
        with pytest.raises(ValueError):
            parsing.parse_date(cell, day_first)
    else:
        assert parsing.parse_date(cell, day_first).isoformat() == expected
