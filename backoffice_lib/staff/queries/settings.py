"""SQL of ``payroll_settings`` (one row per key; no row = the default of the rules)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from ...models.core import PayrollSetting

SETTINGS_TABLE = PayrollSetting.__table__


def load_stored_settings(conn: Connection, keys: list[str]) -> dict[str, str]:
    """key -> stored text, of the keys that have a row."""
    return dict(conn.execute(
        sa.select(SETTINGS_TABLE.c.setting_key, SETTINGS_TABLE.c.setting_value)
        .where(SETTINGS_TABLE.c.setting_key.in_(keys))
    ).all())


def load_setting_value(conn: Connection, key: str, *, lock: bool = False) -> str | None:
    query = sa.select(SETTINGS_TABLE.c.setting_value).where(SETTINGS_TABLE.c.setting_key == key)
    return conn.execute(query.with_for_update() if lock else query).scalar()


def save_setting_value(conn: Connection, key: str, value: str, description: str) -> None:
    """Insert the key's row or change its value."""
    statement = pg_insert(SETTINGS_TABLE).values(
        setting_key=key, setting_value=value, description=description
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["setting_key"],
            set_={"setting_value": value, "updated_at": sa.func.now()},
        )
    )


def delete_setting(conn: Connection, key: str) -> str | None:
    """Remove the key's row; the value it held (None when there was none)."""
    return conn.execute(
        sa.delete(SETTINGS_TABLE)
        .where(SETTINGS_TABLE.c.setting_key == key)
        .returning(SETTINGS_TABLE.c.setting_value)
    ).scalar()
