"""business-rules §4 "Monitoring": expiring soon, low balance, not activated; once per level."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from backoffice_lib.packages import reports as package_reports
from backoffice_lib.packages import rules as package_rules
from backoffice_lib.packages import service as package_service
from backoffice_lib.packages.service import alerts as package_alerts

D = Decimal
DESK = "alerts-desk@studio.example"
AS_OF = dt.date(2025, 6, 30)


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


@pytest.fixture
def desk(conn):
    sql(conn, "INSERT INTO backoffice.allowed_users (email) VALUES (:e)", e=DESK)


def add_type(conn, name, hours="10", validity="1 month", kind="Monthly"):
    return sql(
        conn,
        "INSERT INTO backoffice.package_types (name, type, hours, validity_period)"
        " VALUES (:n, CAST(:k AS backoffice.package_type), CAST(:h AS numeric),"
        " CAST(:v AS interval)) RETURNING id",
        n=name, k=kind, h=hours, v=validity,
    ).scalar_one()


def sell(conn, type_id, purchase, customer_id=None):
    return package_service.sell_package(conn, DESK, customer_name="Khun Alert", package_type=type_id,
                                 purchase_date=purchase, customer_id=customer_id)["id"]


def use(conn, package_id, hours, day):
    package_service.record_usage(conn, DESK, package_id, hours=D(hours), used_date=day, employee_name="Ploy")


def levels(conn, package_id, as_of=AS_OF):
    result = package_alerts.run_package_alerts(conn, as_of)
    return sorted(a["alert_level"] for a in result["alerts"] if a["package_id"] == package_id)


# case, hours, validity, purchase, usage [(hours, date)], expected levels on AS_OF
CASES = [
    ("expiring within 7 days", "10", "1 month", dt.date(2025, 6, 1), [("1", dt.date(2025, 6, 7))],
     ["expiring_soon"]),  # expires 2025-07-06, 6 days left
    ("expiring exactly in 7 days", "10", "1 month", dt.date(2025, 6, 1),
     [("1", dt.date(2025, 6, 8))], ["expiring_soon"]),
    ("expiring in 8 days is not yet", "10", "1 month", dt.date(2025, 6, 1),
     [("1", dt.date(2025, 6, 9))], []),
    ("expiring today", "10", "1 month", dt.date(2025, 5, 1), [("1", dt.date(2025, 6, 1))],
     ["expiring_soon"]),
    ("expired yesterday is no alert", "10", "1 month", dt.date(2025, 5, 1),
     [("1", dt.date(2025, 5, 30))], []),
    ("low balance: 1 h left", "20", "3 months", dt.date(2025, 6, 1), [("19", dt.date(2025, 6, 2))],
     ["low_balance"]),
    ("low balance: 10 % left", "50", "3 months", dt.date(2025, 6, 1),
     [("45", dt.date(2025, 6, 2))], ["low_balance"]),
    ("not low: 11 % and more than 1 h", "50", "3 months", dt.date(2025, 6, 1),
     [("44.5", dt.date(2025, 6, 2))], []),
    ("depleted is not low", "10", "3 months", dt.date(2025, 6, 1), [("10", dt.date(2025, 6, 2))],
     []),
    ("low and expiring", "10", "1 month", dt.date(2025, 6, 1), [("9.5", dt.date(2025, 6, 7))],
     ["expiring_soon", "low_balance"]),
    ("not activated after 30 days", "10", "1 month", dt.date(2025, 5, 31), [], ["not_activated"]),
    ("not activated for 29 days is fine", "10", "1 month", dt.date(2025, 6, 1), [], []),
    ("unlimited expiring", None, "1 month", dt.date(2025, 6, 1), [("3", dt.date(2025, 6, 7))],
     ["expiring_soon"]),
]


@pytest.mark.parametrize("case, hours, validity, purchase, usage, expected", CASES)
def test_alert_levels(conn, desk, case, hours, validity, purchase, usage, expected):
    kind = "Unlimited" if hours is None else "Monthly"
    package_id = sell(conn, add_type(conn, f"T {case}", hours, validity, kind), purchase)
    for h, day in usage:
        use(conn, package_id, h, day)
    assert levels(conn, package_id) == expected


def test_alert_raised_once_per_package_and_level(conn, desk):
    package_id = sell(conn, add_type(conn, "Once"), dt.date(2025, 6, 1))
    use(conn, package_id, "9.5", dt.date(2025, 6, 7))
    first = package_alerts.run_package_alerts(conn, AS_OF)
    assert sorted(a["alert_level"] for a in first["new"] if a["package_id"] == package_id) \
        == ["expiring_soon", "low_balance"]
    again = package_alerts.run_package_alerts(conn, AS_OF)  # a re-run of the same day
    assert [a for a in again["new"] if a["package_id"] == package_id] == []
    assert len([a for a in again["alerts"] if a["package_id"] == package_id]) == 2
    next_day = package_alerts.run_package_alerts(conn, AS_OF + dt.timedelta(days=1))
    assert [a for a in next_day["alerts"] if a["package_id"] == package_id] == []
    stored = sql(conn, "SELECT count(*) FROM backoffice.package_alerts WHERE package_id = :p",
                 p=package_id).scalar_one()
    assert stored == 2


@pytest.mark.parametrize(
    "case, setting, days_left, raised",
    [
        ("no row means 7 days", None, 7, True),
        ("a setting of 3 days", "3", 4, False),
        ("a setting of 3 days, 3 left", "3", 3, True),
        ("0 means 0, not the default (fix)", "0", 1, False),
        ("0 still warns on the expiry day", "0", 0, True),
    ],
)
def test_expiry_warning_days_setting(conn, desk, case, setting, days_left, raised):
    if setting is not None:
        sql(conn, "INSERT INTO backoffice.payroll_settings (setting_key, setting_value)"
            " VALUES ('package_expiry_warning_days', :v)"
            " ON CONFLICT (setting_key) DO UPDATE SET setting_value = :v", v=setting)
    else:
        sql(conn, "DELETE FROM backoffice.payroll_settings"
            " WHERE setting_key = 'package_expiry_warning_days'")
    package_id = sell(conn, add_type(conn, "W", validity="30 days"), dt.date(2025, 1, 1))
    expiry = AS_OF + dt.timedelta(days=days_left)
    first_use = expiry - dt.timedelta(days=29)
    use(conn, package_id, "1", first_use)
    assert package_service.load_package(conn, package_id)["expiration_date"] == expiry
    assert (levels(conn, package_id) == ["expiring_soon"]) is raised


def test_alert_list_files_carry_contact_details(conn, desk, tmp_path):
    customer = sql(conn, "INSERT INTO public.customers (customer_name, contact_number, email)"
                   " VALUES ('Khun Alert', '081-234-5678', 'alert@example.com') RETURNING id"
                   ).scalar_one()
    package_id = sell(conn, add_type(conn, "Files"), dt.date(2025, 5, 1), customer_id=customer)
    result = package_alerts.run_package_alerts(conn, AS_OF)
    mine = [a for a in result["alerts"] if a["package_id"] == package_id]
    files = package_reports.write_alert_files(mine, tmp_path, AS_OF)
    frame = pd.read_csv(files["csv"], dtype=str, keep_default_na=False)
    assert list(frame.columns) == package_rules.ALERT_LIST_COLUMNS
    row = frame.iloc[0]
    assert (row.alert_level, row.contact_number, row.email, row.total_hours, row.first_use_date) \
        == ("not_activated", "081-234-5678", "alert@example.com", "10.00", "")
    excel = pd.read_excel(files["xlsx"], dtype=str)
    assert excel.loc[0, "contact_number"] == "081-234-5678"
