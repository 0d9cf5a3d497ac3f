"""Schema migrations (Alembic) of the selected database, callable without alembic.ini."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(connection), revision)


def check(connection: Connection | None = None) -> None:
    """Raise if the models and the migrated database differ (alembic check)."""
    command.check(alembic_config(connection))


def migration_module(name: str) -> ModuleType:
    """The module of ``migrations/versions/<name>.py`` (file names start with a digit, so no
    import statement reaches them): a later migration, a test or a benchmark reuses the SQL text
    it holds exactly as written."""
    path = MIGRATIONS / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_backoffice_migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def migration_sql(name: str, attribute: str, containing: str = "") -> str:
    """SQL text an earlier migration wrote, exactly as written: its ``attribute`` (a string), or
    the one statement of that list containing ``containing``. The one way a later migration
    restores (or builds on) an earlier definition, instead of a copy that could drift."""
    value = getattr(migration_module(name), attribute)
    if isinstance(value, str):
        return value
    (statement,) = [s for s in value if containing in s]
    return statement
