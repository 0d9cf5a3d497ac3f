"""Staff PINs: exactly 6 digits, stored only as a bcrypt hash (business-rules §1)."""

from __future__ import annotations

import re

import bcrypt

PIN_PATTERN = re.compile(r"[0-9]{6}", re.ASCII)  # ASCII digits only; fullmatch: no newline
BCRYPT_COST = 12


class BadPin(ValueError):
    pass


def validate_pin(pin: str) -> str:
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        raise BadPin("a PIN is exactly 6 digits")
    return pin


def hash_pin(pin: str, *, cost: int = BCRYPT_COST, salt: bytes | None = None) -> str:
    """bcrypt hash of a valid PIN. ``salt`` (a full bcrypt salt) makes demo data reproducible."""
    validate_pin(pin)
    return bcrypt.hashpw(pin.encode(), salt or bcrypt.gensalt(cost)).decode()


def verify_pin(pin: str, pin_hash: str) -> bool:
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        return False
    return bcrypt.checkpw(pin.encode(), pin_hash.encode())


def checked_pin(pin: str) -> str:
    """Exactly six ASCII digits (``validate_pin`` also lets other scripts' digits and a
    trailing newline through), then the shared check."""
    if not isinstance(pin, str) or len(pin) != 6 or not set(pin) <= set("0123456789"):
        raise BadPin("a PIN is exactly 6 digits")
    return validate_pin(pin)
