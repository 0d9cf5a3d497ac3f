"""Alembic: upgrade from empty, downgrade to base, upgrade again, and models in step."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from cli_runner import run_backoffice

from backoffice_lib import migrate


def _tables(conn, schema):
    return set(
        conn.scalars(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": schema},
        )
    )


def test_upgrade_downgrade_upgrade_and_check(empty_database_url):
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            migrate.upgrade(conn)
            assert len(_tables(conn, "backoffice")) >= 22
            migrate.check(conn)  # raises if models and migrations differ
        with engine.begin() as conn:
            migrate.downgrade(conn, "base")
            assert _tables(conn, "backoffice") == set()
            assert {"customers", "bookings"} & _tables(conn, "public") == set()
            assert _tables(conn, "pos") == set()
        with engine.begin() as conn:
            migrate.upgrade(conn)
            migrate.check(conn)
    finally:
        engine.dispose()


def test_tables_of_other_systems_are_kept_on_downgrade(empty_database_url):
    """The booking system's customers table existed first: the workbench reads it, never drops it."""
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "CREATE TABLE public.customers (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
                " customer_code text UNIQUE, customer_name text NOT NULL, contact_number text,"
                " email text, is_active boolean DEFAULT true, created_at timestamptz DEFAULT now())"
            ))
            conn.execute(sa.text("INSERT INTO public.customers (customer_name) VALUES ('Kept')"))
            migrate.upgrade(conn)
        with engine.begin() as conn:
            migrate.downgrade(conn, "base")
            assert conn.scalar(sa.text("SELECT customer_name FROM public.customers")) == "Kept"
            assert "bookings" not in _tables(conn, "public")
    finally:
        engine.dispose()




def test_cli_db_upgrade_and_url(empty_database_url):
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=empty_database_url.render_as_string(False))
    upgraded = run_backoffice("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    shown = run_backoffice("db", "url", env=env)
    assert shown.returncode == 0
    assert empty_database_url.database in shown.stdout


def test_cli_unreachable_database_is_one_line_and_exit_2():
    env = dict(os.environ, BACKOFFICE_DATABASE_URL="postgresql://nobody:secret@127.0.0.1:1/none")
    result = run_backoffice("db", "upgrade", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot reach the database")
    assert "secret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_unwritable_data_dir_is_one_line_and_exit_2(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if k != "BACKOFFICE_DATABASE_URL"}
    env["BACKOFFICE_DATA_DIR"] = str(blocked / "data")
    result = run_backoffice("db", "url", env=env)
    assert result.returncode == 2
    assert "data dir" in result.stderr and "Traceback" not in result.stderr


def test_supplier_tax_ids_stored_before_the_check_are_normalised_or_kept_never_dropped(
        empty_database_url):
    """0019: an ID typed with separators keeps its digits; one failing the check digit stays as
    it was (the check is NOT VALID: it holds for new and changed rows only)."""
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            migrate.upgrade(conn, "0018")
            conn.execute(sa.text(
                "INSERT INTO backoffice.invoice_suppliers (name, tax_id) VALUES"
                " ('Typed', '0-1055-61000-12-7'), ('Wrong', '0105561000125'), ('None', NULL)"))
            migrate.upgrade(conn)
            ids = dict(conn.execute(sa.text(
                "SELECT name, tax_id FROM backoffice.invoice_suppliers")).all())
            assert ids == {"Typed": "0105561000127", "Wrong": "0105561000125", "None": None}
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(sa.text("UPDATE backoffice.invoice_suppliers SET name = 'Still wrong'"
                                     " WHERE name = 'Wrong'"))
    finally:
        engine.dispose()
