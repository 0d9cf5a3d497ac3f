"""Migration 0007 converts a populated database (the demo data) without losing or changing a row,
and converts it back."""

from __future__ import annotations

import sqlalchemy as sa

from backoffice_lib import database, demo_data, migrate
from backoffice_lib.history.queries import backup as backup_queries


def _relkind(conn, qualified):
    return conn.scalar(sa.text("SELECT relkind FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                       {"t": qualified})


def _triggers(conn, qualified):
    return set(
        conn.scalars(
            sa.text("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass)"
                    " AND NOT tgisinternal"),
            {"t": qualified},
        )
    )


def _audit_rows(conn, n):
    # Demo data has no audit rows yet: add some across months so both tables are converted full.
    conn.execute(
        sa.text(
            "INSERT INTO backoffice.audit_logs (user_email, action, resource_type, resource_id,"
            " details, timestamp)"
            " SELECT 'admin@studio.example', 'VIEW', 'conversion', g::text,"
            "        jsonb_build_object('n', g), now() - g * interval '7 hours'"
            "   FROM generate_series(1, :n) g"
        ),
        {"n": n},
    )


def test_conversion_keeps_every_row_id_and_rule_and_converts_back(empty_database_url):
    engine = database.get_engine(empty_database_url.render_as_string(hide_password=False))
    # The demo loader writes today's schema: load at head, then step down to the schema before 0007.
    with engine.begin() as conn:
        migrate.upgrade(conn)
    demo_data.run_demo_load(seed=42, scale=1, engine=engine)
    with engine.begin() as conn:
        _audit_rows(conn, 2000)
    with engine.begin() as conn:
        migrate.downgrade(conn, "0006")
    with engine.begin() as conn:
        before = backup_queries.load_checksums(conn)
        triggers = _triggers(conn, "backoffice.time_entries")
        next_id = conn.scalar(sa.text("SELECT last_value FROM backoffice.time_entries_id_seq"))
        status = conn.execute(sa.text("SELECT * FROM backoffice.staff_status ORDER BY id")).all()
    assert before["backoffice.time_entries"][0] > 1000
    assert "time_entries_validate" in triggers

    with engine.begin() as conn:
        migrate.upgrade(conn, "0007")
    with engine.begin() as conn:
        after = backup_queries.load_checksums(conn)
        assert _relkind(conn, "backoffice.time_entries") == "p"
        assert _relkind(conn, "backoffice.audit_logs") == "p"
        assert {k: v for k, v in after.items() if not k.startswith("archive.")} == before
        assert _triggers(conn, "backoffice.time_entries") == triggers
        assert conn.scalar(sa.text("SELECT last_value FROM backoffice.time_entries_id_seq")) == next_id
        assert conn.execute(sa.text("SELECT * FROM backoffice.staff_status ORDER BY id")).all() == status
        months = conn.scalar(sa.text(
            "SELECT count(DISTINCT to_char(timestamp AT TIME ZONE 'Asia/Bangkok', 'YYYY-MM'))"
            " FROM backoffice.time_entries"))
        partitions_used = conn.scalar(sa.text(
            "SELECT count(DISTINCT tableoid) FROM backoffice.time_entries"))
        assert partitions_used == months  # one partition per month, none in DEFAULT

    with engine.begin() as conn:
        migrate.downgrade(conn, "0006")
    with engine.begin() as conn:
        assert _relkind(conn, "backoffice.time_entries") == "r"
        assert backup_queries.load_checksums(conn) == before
        assert _triggers(conn, "backoffice.time_entries") == triggers
        assert conn.scalar(sa.text("SELECT to_regnamespace('archive')")) is None
