"""The social-security upload file: every byte position pinned (statutory-payroll.md §3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from backoffice_lib.payroll.rules import sso_file
from backoffice_lib.payroll.rules.sso_file import UploadHeader, UploadLine

COMPANY = "บริษัท แฟร์เวย์ กอล์ฟ สตูดิโอ จำกัด"
HEADER = UploadHeader(
    employer_account="1234567890", branch="000001", pay_date=dt.date(2026, 1, 31),
    period=dt.date(2026, 1, 1), company_name=COMPANY, employee_rate=D("0.05"),
    employee_count=2, total_wages=D("19150.00"), employee_share=D("958.00"),
    employer_share=D("958.00"),
)
LINES = [
    UploadLine("1101700230708", "นางสาว", "สุดา", "ใจดี", D("17500.00"), D("875.00")),
    UploadLine("3100600123450", "Mr", "Somchai", "Srisuk", D("1650.00"), D("83.00")),
]


def field(record: bytes, first: int, last: int) -> bytes:
    """Bytes ``first``..``last`` (1-based, inclusive), as the layout table counts them."""
    return record[first - 1:last]


def test_sso_upload_file_records_are_135_bytes_crlf_tis620():
    data = sso_file.compose_upload_file(HEADER, LINES)
    records = data.split(b"\r\n")
    assert records[-1] == b"" and len(records) == 4
    assert [len(r) for r in records[:-1]] == [135, 135, 135]
    assert data.decode("tis-620").count(COMPANY) == 1


HEADER_FIELDS = [
    (1, 1, b"1"),
    (2, 11, b"1234567890"),
    (12, 17, b"000001"),
    (18, 23, b"310169"),  # pay date 31-01-2569 (B.E.)
    (24, 27, b"0169"),  # period 01/2569
    (28, 72, COMPANY.encode("tis-620").ljust(45, b" ")),
    (73, 76, b"0500"),  # 5.00 % × 100
    (77, 82, b"000002"),
    (83, 97, b"000000001915000"),  # 19,150.00 in satang
    (98, 111, b"00000000191600"),  # 958 + 958
    (112, 123, b"000000095800"),
    (124, 135, b"000000095800"),
]


@pytest.mark.parametrize("first,last,expected", HEADER_FIELDS,
                         ids=[f"header_{a}_{b}" for a, b, _ in HEADER_FIELDS])
def test_sso_upload_file_header_byte_positions(first, last, expected):
    record = sso_file.header_record(HEADER)
    assert field(record, first, last) == expected


DETAIL_FIELDS = [
    (0, 1, 1, b"2"),
    (0, 2, 14, b"1101700230708"),
    (0, 15, 17, b"004"),  # นางสาว
    (0, 18, 47, "สุดา".encode("tis-620").ljust(30, b" ")),
    (0, 48, 82, "ใจดี".encode("tis-620").ljust(35, b" ")),
    (0, 83, 96, b"00000001750000"),
    (0, 97, 108, b"000000087500"),
    (0, 109, 135, b" " * 27),
    (1, 15, 17, b"003"),  # Mr
    (1, 18, 47, b"Somchai".ljust(30, b" ")),
    (1, 83, 96, b"00000000165000"),
    (1, 97, 108, b"000000008300"),
]


@pytest.mark.parametrize("index,first,last,expected", DETAIL_FIELDS,
                         ids=[f"detail{i}_{a}_{b}" for i, a, b, _ in DETAIL_FIELDS])
def test_sso_upload_file_detail_byte_positions(index, first, last, expected):
    record = sso_file.detail_record(LINES[index])
    assert field(record, first, last) == expected


def test_sso_upload_file_cuts_long_names_to_their_width():
    record = sso_file.detail_record(UploadLine("1101700230708", "นาย", "ก" * 40, "ข" * 40,
                                               D(1), D(0)))
    assert len(record) == 135
    assert field(record, 18, 47) == "ก".encode("tis-620") * 30


@pytest.mark.parametrize("title,code", [("นาย", "003"), ("นางสาว", "004"), ("นาง", "005"),
                                        ("Mr", "003"), ("Ms", "004"), ("Mrs", "005")])
def test_sso_upload_file_title_codes(title, code):
    assert sso_file.title_code(title) == code


def test_sso_upload_file_refuses_what_does_not_fit():
    with pytest.raises(sso_file.UploadFileError):
        sso_file.title_code("Dr")
    with pytest.raises(sso_file.UploadFileError):
        sso_file.detail_record(UploadLine("12345", "นาย", "a", "b", D(1), D(0)))
    with pytest.raises(sso_file.UploadFileError):
        sso_file.header_record(UploadHeader(**{**HEADER.__dict__,
                                               "employer_account": "12345678901"}))
