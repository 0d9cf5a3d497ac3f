"""A write the database refuses (a constraint or a trigger), as the reason a person reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


class DatabaseRefused(ValueError):
    """The database refused a write; the message is its reason (the transaction goes on: the
    write ran in a savepoint)."""


def database_reason(exc: sa.exc.DBAPIError) -> str:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "message_primary", None) or str(exc.orig).splitlines()[0]


def in_savepoint(conn: Connection, write: Callable[[], Any]) -> Any:
    """``write()`` in a savepoint; a refusal of the database becomes ``DatabaseRefused``."""
    try:
        with conn.begin_nested():
            return write()
    except sa.exc.DBAPIError as exc:
        raise DatabaseRefused(database_reason(exc)) from None
