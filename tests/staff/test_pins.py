"""PINs: exactly 6 ASCII digits, stored only as a bcrypt hash (business-rules §1)."""

import pytest

from backoffice_lib.staff.rules import pins


@pytest.mark.parametrize(
    "pin,valid",
    [
        ("123456", True),
        ("000000", True),
        ("12345", False),
        ("1234567", False),
        ("12345a", False),
        ("123456\n", False),
        ("١٢٣٤٥٦", False),  # Arabic-Indic digits are not a PIN
        ("", False),
    ],
)
def test_pin_is_exactly_6_ascii_digits(pin, valid):
    if valid:
        assert pins.validate_pin(pin) == pin
    else:
        with pytest.raises(pins.BadPin):
            pins.validate_pin(pin)


def test_pin_hash_is_bcrypt_and_verifies_only_the_right_pin():
    hashed = pins.hash_pin("482913", cost=4)
    assert hashed.startswith("$2b$04$") and "482913" not in hashed
    assert pins.verify_pin("482913", hashed)
    assert not pins.verify_pin("482914", hashed)
    assert not pins.verify_pin("482913\n", hashed)
