"""Writes the awkward-file corpus of the reconciliation tests (run once; the files are committed).

    .venv/bin/python tests/files/make_corpus.py

The 10 MB+ file is not here: the tests generate it into tmp_path.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def write(name: str, text: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(text.encode(encoding))


def main() -> None:
    # Thai headers, amounts with บาท and ฿; D/M dates (restaurant default).
    write("restaurant_thai_headers.csv",
          "วันที่,รหัสสินค้า,ชื่อสินค้า,จำนวน,จำนวนเงิน (บาท)\n"
          "03/02/2025,RST-001,ผัดไทย,2,\"฿240.00\"\n"
          "03/02/2025,RST-010,เบียร์สิงห์,5,600 บาท\n"
          "04/02/2025,RST-005,ต้มยำกุ้ง,1,180\n")
    # UTF-8 BOM, English headers, ISO dates.
    write("restaurant_bom.csv",
          "\ufeffDate,SKU,Item,Qty,Amount\n"
          "2025-01-05,RST-001,Pad Thai,2,240.00\n"
          "2025-01-05,RST-002,Som Tam,1,90.00\n", "utf-8")
    # Currency marks and thousands separators; a refund in parentheses; semicolon-delimited.
    write("restaurant_currency.csv",
          "Date;Item Code;Description;Quantity;Total\n"
          "2025-01-10;RST-013;Heineken;12;฿1,680.00\n"
          "2025-01-10;RST-006;Green Curry Chicken;10;THB 1,500\n"
          "2025-01-11;RST-014;Coca-Cola;1,000;\"50,000.00 บาท\"\n"
          "2025-01-11;RST-009;French Fries;1;(90.00)\n")
    # Empty rows (blank and all-empty cells), a bad amount, a bad date, a total line.
    write("restaurant_empty_rows.csv",
          "Partner restaurant report,,,,\n"
          ",,,,\n"
          "Date,SKU,Item,Qty,Amount\n"
          "2025-01-05,RST-001,Pad Thai,2,240\n"
          "\n"
          ",,,,\n"
          "2025-01-05,RST-002,Som Tam,1,abc\n"
          "2025-01-06,RST-003,Khao Pad Goong,1,130\n"
          "2025-02-30,RST-004,Pad Kra Pao Moo,1,120\n"
          ",,,,\n"
          "Total,,,4,490\n")
    # No header at all.
    write("no_header.csv",
          "2025-01-05,RST-001,Pad Thai,2,240\n"
          "2025-01-05,RST-002,Som Tam,1,90\n")
    # Coaching: ambiguous M/D dates (coaching default), Thai and English names, Lessons column.
    write("coaching_md_dates.csv",
          "Lesson Date,Student,Lessons,Fee\n"
          "03/02/2025,Somchai Jaidee,1,\"1,200.00\"\n"
          "03/04/2025,Anna Smith,2,2400\n")
    # Coaching: one row proves D/M (25/01), so the ambiguous 03/02 is 3 February.
    write("coaching_dm_proven.csv",
          "Date,Name,Qty,Amount\n"
          "25/01/2025,Somchai Jaidee,1,1200\n"
          "03/02/2025,Anna Smith,1,1200\n")
    # Coaching: duplicate rows and no quantity column (defaults to 1).
    write("coaching_duplicates.csv",
          "Date,Customer,Amount\n"
          "2025-01-07,Somchai Jaidee,1200\n"
          "2025-01-07,Somchai Jaidee,1200\n")

    # Merged title and header rows, a date merged down two rows, Excel dates.
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "ร้านอาหารพาร์ทเนอร์ – Sales Report January 2025"
    ws.merge_cells("A1:E1")
    ws["A2"] = "Prepared by the restaurant"
    ws.merge_cells("A2:E2")
    ws.append(["Date", "SKU", "Item", "Qty", "Amount (THB)"])
    ws.append([dt.datetime(2025, 1, 5), "RST-001", "Pad Thai", 2, 240])
    ws.append([None, "RST-002", "Som Tam", 1, 90.0])
    ws.merge_cells("A4:A5")
    ws.append([dt.datetime(2025, 1, 6), "RST-003", "Khao Pad Goong", 1, "฿130.00"])
    wb.save(HERE / "restaurant_merged_header.xlsx")

    # Excel serial numbers stored as plain numbers (unformatted), and as text.
    wb = Workbook()
    ws = wb.active
    ws.append(["วันที่", "ชื่อสินค้า", "จำนวน", "ยอดขาย"])
    ws.append([45662, "RST-001", 2, 240])       # 2025-01-05
    ws.append([45663.0, "RST-002", 1, 90])      # 2025-01-06
    ws.append(["45664", "Khao Pad Goong", 1, 130])  # 2025-01-07, item by POS name
    wb.save(HERE / "restaurant_excel_serials.xlsx")


if __name__ == "__main__":
    main()
