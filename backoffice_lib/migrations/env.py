"""Alembic environment: the models' metadata against the selected database."""

from alembic import context

from backoffice_lib import database
from backoffice_lib.models import metadata

OWNED_SCHEMAS = {"backoffice", "pos", "archive"}


def include_name(name, type_, parent_names):
    if type_ == "schema":
        return name is None or name in OWNED_SCHEMAS  # None: the default schema (public)
    if type_ == "table":
        # Other systems keep their own tables in public: compare only the tables we declare.
        schema = parent_names.get("schema_name")
        return (f"{schema}.{name}" if schema else name) in metadata.tables
    return True


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        with database.get_engine().connect() as connection:
            _run(connection)
            connection.commit()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_schemas=True,
        include_name=include_name,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
