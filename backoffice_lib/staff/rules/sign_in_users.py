"""Who may sign in, the pure rules (business-rules §5, §8): an e-mail and a coach code as typed,
and what a person can fix."""

from __future__ import annotations

import re

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COACH_CODE = re.compile(r"^[A-Z0-9_]{2,20}$")


class SignInUserError(ValueError):
    """A change to who may sign in that a person can fix; the message says why."""


def parse_email(value: str) -> str:
    """An e-mail as typed (spaces and case ignored), refused unless it looks like one."""
    email = (value or "").strip().lower()
    if not EMAIL.match(email):
        raise SignInUserError(f"{value!r} is not an e-mail address")
    return email


def parse_coach_code(value: str | None) -> str | None:
    """A coach code as typed ('boss ' -> 'BOSS', '' -> None), refused unless 2-20 letters,
    digits or _ (not the coach code read from a booking type: importer.mapping)."""
    code = (value or "").strip().upper() or None
    if code is not None and not COACH_CODE.match(code):
        raise SignInUserError(
            f"a coach code is 2-20 letters, digits or _ (such as BOSS), not {value!r}"
        )
    return code
