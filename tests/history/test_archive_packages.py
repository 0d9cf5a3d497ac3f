"""Archival of expired packages with their usage and alerts: balances and statuses computed from
the archive views and coach earnings are unchanged, live tables keep only what is not expired before the cut-off,
restore brings back the same rows. On the demo data, inside a rolled-back transaction."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.access import AccessDenied
from backoffice_lib.history import rules as history_rules
from backoffice_lib.history.service import archive as archival
from backoffice_lib.packages import service as package_service

ADMIN = "admin@studio.example"


def _figures(conn, as_of):
    """package id -> (used, remaining, status) by the packages rules, from live ∪ archived."""
    rows = conn.execute(
        sa.text(
            "SELECT p.id, p.first_use_date, p.expiration_date, pt.hours,"
            "       (SELECT sum(u.used_hours) FROM archive.package_usage_all u"
            "         WHERE u.package_id = p.id) AS used"
            "  FROM archive.packages_all p"
            "  JOIN backoffice.package_types pt ON pt.id = p.package_type_id"
        )
    ).all()
    return {
        r.id: (
            r.used,
            package_service.compute_remaining_hours(r.hours, r.used),
            package_service.compute_package_status(r.first_use_date, r.expiration_date, r.hours, r.used,
                                            as_of),
        )
        for r in rows
    }


def _rows(conn, table):
    return conn.execute(sa.text(f"SELECT t::text FROM {table} t ORDER BY 1")).scalars().all()


def _add_alert(conn, package_id):
    conn.execute(
        sa.text(
            "INSERT INTO backoffice.package_alerts (package_id, alert_level, raised_on, message)"
            " VALUES (:p, 'expiring_soon', :d, 'expires soon')"
        ),
        {"p": package_id, "d": bangkok.today()},
    )


def test_expired_packages_move_with_usage_and_figures_stay(demo_conn):
    today = bangkok.today()
    cutoff = today - dt.timedelta(days=30)
    expired = demo_conn.execute(
        sa.text("SELECT id FROM backoffice.packages WHERE expiration_date < :c ORDER BY id"),
        {"c": cutoff},
    ).scalars().all()
    assert len(expired) > 10
    _add_alert(demo_conn, expired[0])
    figures = _figures(demo_conn, today)
    earnings = _rows(demo_conn, "backoffice.coach_earnings")
    live_packages = _rows(demo_conn, "backoffice.packages")
    live_usage = _rows(demo_conn, "backoffice.package_usage")
    alerts = _rows(demo_conn, "backoffice.package_alerts")

    months = archival.load_expired_package_months(demo_conn, cutoff)
    moved = sum(
        archival.run_archive_packages_month(demo_conn, month, cutoff, ADMIN) for month in months
    )

    assert moved == len(expired)
    assert demo_conn.scalar(
        sa.text("SELECT count(*) FROM backoffice.packages WHERE expiration_date < :c"),
        {"c": cutoff},
    ) == 0
    assert demo_conn.scalar(sa.text(
        "SELECT count(*) FROM archive.package_usage u"
        " LEFT JOIN archive.packages p ON p.id = u.package_id WHERE p.id IS NULL")) == 0
    assert _figures(demo_conn, today) == figures
    # A coaching booking keeps its package's rate and discount after the package is archived.
    assert _rows(demo_conn, "backoffice.coach_earnings") == earnings
    assert demo_conn.scalar(sa.text(
        "SELECT count(*) FROM backoffice.coach_earnings e JOIN archive.packages p"
        " ON p.id = e.package_id")) > 0
    assert len(months) == demo_conn.scalar(sa.text(
        "SELECT count(*) FROM backoffice.audit_logs WHERE action = 'ARCHIVE'"
        " AND resource_type = 'packages'"))

    for month in archival.load_archived_package_months(demo_conn):
        archival.run_restore_packages_month(demo_conn, month, ADMIN)

    assert _rows(demo_conn, "backoffice.packages") == live_packages
    assert _rows(demo_conn, "backoffice.package_usage") == live_usage
    assert _rows(demo_conn, "backoffice.package_alerts") == alerts
    assert _rows(demo_conn, "archive.packages") == []
    assert _rows(demo_conn, "backoffice.coach_earnings") == earnings


def test_a_package_not_yet_expired_stays_live(demo_conn):
    today = bangkok.today()
    # Cut-off in the future: only packages whose expiration is before today are expired.
    months = archival.load_expired_package_months(demo_conn, today + dt.timedelta(days=365))
    assert bangkok.month_key(today + dt.timedelta(days=30)) not in months
    for month in months:
        archival.run_archive_packages_month(demo_conn, month, today + dt.timedelta(days=365),
                                            ADMIN)
    assert demo_conn.scalar(sa.text(
        "SELECT count(*) FROM archive.packages WHERE expiration_date >= :t"), {"t": today}) == 0


def test_restoring_a_month_with_nothing_archived_is_refused(demo_conn):
    with pytest.raises(history_rules.ArchiveRefused, match="no archived packages"):
        archival.run_restore_packages_month(demo_conn, "1999-01", ADMIN)


def test_archiving_packages_is_for_admins(demo_conn):
    with pytest.raises(AccessDenied):
        archival.run_archive_packages_month(demo_conn, "2026-01", bangkok.today(),
                                            "noon@studio.example")
