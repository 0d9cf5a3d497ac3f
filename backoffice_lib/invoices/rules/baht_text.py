"""An amount of baht in Thai words, as Excel's BAHTTEXT writes it (supplier-tax.md §4).

Rounded half up to the satang (``money.round_money``). Whole baht end in ``บาทถ้วน``; satang follow
``บาท`` and end in ``สตางค์``; less than one baht is satang alone (0.50 → ห้าสิบสตางค์); zero is
``ศูนย์บาทถ้วน``. Digits are read in blocks of six, each block above the lowest followed by
``ล้าน``. Within a block: 1 in the tens is ``สิบ`` (never หนึ่งสิบ), 2 in the tens ``ยี่สิบ``, and 1 in
the units is ``เอ็ด`` whenever a higher digit of the number is not zero (11 สิบเอ็ด, 101
หนึ่งร้อยเอ็ด, 1,000,001 หนึ่งล้านเอ็ด, 11,000,000 สิบเอ็ดล้าน) and ``หนึ่ง`` alone (1, 1,000,000
หนึ่งล้าน). A negative amount is preceded by ``ลบ``.
"""

from __future__ import annotations

from decimal import Decimal

from ... import money

DIGITS = ("ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า")
PLACES = ("", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน")
MILLION = "ล้าน"


def _block_words(value: int, higher_nonzero: bool) -> str:
    """Words of 0 <= value < 1,000,000; ``higher_nonzero``: a digit above this block is set."""
    words = []
    text = str(value)
    for position, char in enumerate(text):
        digit, place = int(char), len(text) - 1 - position
        if digit == 0:
            continue
        if place == 1:
            words.append({1: "", 2: "ยี่"}.get(digit, DIGITS[digit]) + PLACES[1])
        elif place == 0 and digit == 1 and (higher_nonzero or value > 1):
            words.append("เอ็ด")
        else:
            words.append(DIGITS[digit] + PLACES[place])
    return "".join(words)


def _number_words(value: int) -> str:
    """Words of a whole number > 0, in blocks of six digits joined by ล้าน."""
    blocks = []
    while value:
        value, block = divmod(value, 1_000_000)
        blocks.append(block)
    words = []
    for index in range(len(blocks) - 1, -1, -1):
        block = blocks[index]
        higher = any(blocks[index + 1:])
        if block:
            words.append(_block_words(block, higher))
        if index:
            words.append(MILLION)
    return "".join(words)


def baht_text(amount: Decimal) -> str:
    """``amount`` in Thai words: 21.00 → ยี่สิบเอ็ดบาทถ้วน, 37.04 → สามสิบเจ็ดบาทสี่สตางค์."""
    if isinstance(amount, float):
        raise TypeError("baht_text takes a Decimal, not a float")
    rounded = money.round_money(Decimal(amount))
    sign = "ลบ" if rounded < 0 else ""
    satang_total = int(abs(rounded) * 100)
    baht, satang = divmod(satang_total, 100)
    if not baht and not satang:
        return "ศูนย์บาทถ้วน"
    text = _number_words(baht) + "บาท" if baht else ""
    text += _number_words(satang) + "สตางค์" if satang else "ถ้วน"
    return sign + text
