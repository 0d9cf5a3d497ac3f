"""Admin services of net pay's data: dated statutory rates, declared allowances, the staff
columns of the filings. Each checks admin access and audits in the caller's transaction.

The national ID is personal data: it is returned only by ``load_staff_statutory_for_admin`` (an
admin), and an audit row or the staff audit trail records that it changed, never its value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy.engine import Connection

from ... import access, audit, money
from ...models.statutory import TITLES
from .. import queries
from ..rules.statutory import KNOWN_RATE_KEYS, BadStatutoryValue, national_id_is_valid

UNSET = object()


def _amount(value, what: str) -> Decimal:
    try:
        number = money.to_decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError):
        raise BadStatutoryValue(f"{what} must be a number, not {value!r}") from None
    if not number.is_finite() or number < 0:
        raise BadStatutoryValue(f"{what} must be 0 or more, not {value!r}")
    return number


def set_statutory_rate(conn: Connection, user: str | None, rate_key: str, value,
                       effective_from: dt.date, threshold=0, note: str | None = None) -> int:
    """Add (or correct) the dated row ``rate_key`` = ``value`` from ``effective_from``; audited."""
    who = access.check(conn, user, "payroll", admin=True)
    if rate_key not in KNOWN_RATE_KEYS:
        raise BadStatutoryValue(f"unknown statutory rate {rate_key!r}; known: "
                                + ", ".join(KNOWN_RATE_KEYS))
    number = _amount(value, rate_key)
    if rate_key.endswith("_rate") and number > 1:
        raise BadStatutoryValue(f"{rate_key} is a fraction (0.05 for 5 %), not {value}")
    bound = _amount(threshold, "threshold")
    before = queries.load_rate_row(conn, rate_key, bound, effective_from)
    if before is None:
        row_id = queries.save_new_rate_row(conn, rate_key, number, bound, effective_from, note,
                                           who.email)
    else:
        row_id = before.id
        queries.save_rate_value(conn, row_id, number, note, who.email)
    audit.record(conn, who.email, "STATUTORY_RATE_SET", "statutory_rate", row_id,
                 before=None if before is None else {"value": before.value},
                 after={"rate_key": rate_key, "value": number, "threshold": bound,
                        "effective_from": effective_from, "note": note})
    return row_id


def set_declared_allowances(conn: Connection, user: str | None, staff: int, tax_year: int,
                            amount) -> None:
    """The allowances ``staff`` declared for ``tax_year`` (form ล.ย.01), one amount; audited."""
    who = access.check(conn, user, "payroll", admin=True)
    number = money.round_money(_amount(amount, "declared allowances"))
    if not queries.load_staff_exists(conn, staff):
        raise BadStatutoryValue(f"no staff member with id {staff}")
    before = queries.load_declared_allowances(conn, staff, tax_year)
    queries.save_declared_allowances(conn, staff, tax_year, number, who.email)
    audit.record(conn, who.email, "TAX_ALLOWANCE_SET", "staff", staff,
                 before=None if before is None else {"tax_year": tax_year, "amount": before},
                 after={"tax_year": tax_year, "amount": number})


def set_staff_statutory(conn: Connection, user: str | None, staff: int, *,
                        national_id=UNSET, title=UNSET, first_name=UNSET, last_name=UNSET,
                        sso_insured=UNSET, joined_on=UNSET, reason: str | None = None) -> dict:
    """Change the statutory columns of ``staff`` (admin); audited without the ID's value."""
    who = access.check(conn, user, "payroll", admin=True)
    values = {"national_id": national_id, "title": title, "first_name": first_name,
              "last_name": last_name, "sso_insured": sso_insured, "joined_on": joined_on}
    given = {k: v for k, v in values.items() if v is not UNSET}
    if "national_id" in given and given["national_id"] is not None:
        given["national_id"] = str(given["national_id"]).replace("-", "").replace(" ", "")
        if not national_id_is_valid(given["national_id"]):
            raise BadStatutoryValue("the national ID must be 13 digits with a valid check digit")
    if given.get("title") is not None and "title" in given and given["title"] not in TITLES:
        raise BadStatutoryValue(f"title must be one of {', '.join(TITLES)}")
    current = queries.load_staff_statutory(conn, staff)
    if current is None:
        raise BadStatutoryValue(f"no staff member with id {staff}")
    if given.get("national_id") and given["national_id"] != current["national_id"]:
        taken = queries.load_national_id_holder(conn, given["national_id"], staff)
        if taken:
            raise BadStatutoryValue(f"that national ID is already recorded for {taken}")
    changed = {k: v for k, v in given.items() if current[k] != v}
    if not changed:
        return {}
    audit.act_as(conn, who.email, reason or "statutory details")
    queries.save_staff_statutory(conn, staff, changed)
    before = {k: current[k] for k in changed}
    after = dict(changed)
    if "national_id" in changed:  # that it changed, never its value
        before["national_id"] = "(set)" if current["national_id"] else "(none)"
        after["national_id"] = "(changed)" if changed["national_id"] else "(removed)"
    audit.record(conn, who.email, "STAFF_STATUTORY_SET", "staff", staff, before=before,
                 after=after)
    return after


def load_staff_statutory_for_admin(conn: Connection, user: str | None, staff: int) -> dict:
    """The statutory columns of ``staff``, national ID included: admins only."""
    access.check(conn, user, "payroll", admin=True)
    row = queries.load_staff_statutory(conn, staff, with_code=True)
    if row is None:
        raise BadStatutoryValue(f"no staff member with id {staff}")
    return row
