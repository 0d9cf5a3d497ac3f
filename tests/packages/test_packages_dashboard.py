"""The package monitor's data: category counts, watch lists, usage by week and hour of day, lookup."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from timeclock_fixtures import ADMIN

from backoffice_lib.packages import package_monitor_dashboard as board
from backoffice_lib.packages import rules as package_rules
from backoffice_lib.packages import service as package_service
from backoffice_lib.packages.service import monitor

D = Decimal
DESK = "monitor-desk@studio.example"
AS_OF = dt.date(2025, 6, 30)


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


@pytest.fixture
def shop(conn, users):
    sql(conn, "INSERT INTO backoffice.allowed_users (email) VALUES (:e)", e=DESK)
    kinds = {}
    for name, kind, hours in (("M10", "Monthly", "10"), ("C5", "Coaching", "5"),
                              ("U", "Unlimited", None)):
        kinds[name] = sql(conn, "INSERT INTO backoffice.package_types (name, type, hours,"
                          " validity_period) VALUES (:n, CAST(:k AS backoffice.package_type),"
                          " CAST(:h AS numeric), interval '1 month') RETURNING id",
                          n=f"Mon {name}", k=kind, h=hours).scalar_one()
    customer = sql(conn, "INSERT INTO public.customers (customer_name, contact_number, email)"
                   " VALUES ('Khun Monitor', '081-000-0001', 'monitor@example.com') RETURNING id"
                   ).scalar_one()
    sql(conn, "INSERT INTO public.bookings (id, customer_id, date, start_time, duration,"
        " booking_type, status) VALUES ('MB-1', :c, '2025-06-24', '18:30', 1, 'Driving Range',"
        " 'confirmed')", c=customer)

    def sell(kind, purchase, name="Khun Monitor"):
        return package_service.sell_package(conn, DESK, customer_name=name, package_type=kinds[kind],
                                     purchase_date=purchase, customer_id=customer)["id"]

    def use(package_id, hours, day, booking=None):
        package_service.record_usage(conn, DESK, package_id, hours=D(hours), used_date=day,
                              employee_name="Ploy", booking_id=booking)

    low = sell("M10", dt.date(2025, 6, 20))
    use(low, "9.5", dt.date(2025, 6, 24), booking="MB-1")   # 18:30 booking; expires 2025-07-23
    expiring = sell("C5", dt.date(2025, 6, 1))
    use(expiring, "1", dt.date(2025, 6, 3))                  # expires 2025-07-02
    sell("U", dt.date(2025, 5, 1))                            # never activated, 60 days
    old = sell("M10", dt.date(2025, 1, 1))
    use(old, "1", dt.date(2025, 1, 2))                        # expired
    sql(conn, "UPDATE backoffice.package_usage SET created_at = '2025-06-03 09:15+07'"
        " WHERE package_id = :p", p=expiring)
    return {"low": low, "expiring": expiring, "old": old}


def mine(frame):
    return frame[frame["customer_name"] == "Khun Monitor"]


def test_monitor_figures(conn, shop):
    data = monitor.load_monitor(conn, ADMIN, AS_OF)
    table = package_rules.compute_category_table(
        [c for c in data["counts"] if c["package_category"] in ("Monthly", "Coaching", "Unlimited")])
    rows = {r["category"]: r for r in table.to_dict("records")}
    assert (rows["Monthly"]["active"], rows["Monthly"]["expired_or_depleted"]) >= (1, 1)
    lists = package_rules.compute_watch_lists(
        [f for f in data["flagged"] if f["customer_name"] == "Khun Monitor"], AS_OF)
    assert list(mine(lists["expiring_7"])["expiration_date"]) == [dt.date(2025, 7, 2)]
    assert list(mine(lists["expiring_30"])["expiration_date"]) == [dt.date(2025, 7, 2),
                                                                   dt.date(2025, 7, 23)]
    assert list(mine(lists["low_balance"])["remaining_hours"]) == [D("0.50")]
    assert list(mine(lists["low_balance"])["contact_number"]) == ["081-000-0001"]
    assert list(mine(lists["never_activated"])["purchase_date"]) == [dt.date(2025, 5, 1)]


def test_usage_by_hour_of_day_uses_booking_start_else_entry_time(conn, shop):
    sql(conn, "DELETE FROM backoffice.package_usage WHERE package_id NOT IN (:a, :b)",
        a=shop["low"], b=shop["expiring"])
    data = monitor.load_monitor(conn, ADMIN, AS_OF)
    series = package_rules.compute_usage_series(data["series"])
    hours = dict(zip(series["hours"]["hour"], series["hours"]["hours"], strict=True))
    assert len(hours) == 24
    assert (hours[18], hours[9]) == (D("9.50"), D("1.00"))
    assert sum(hours.values()) == D("10.50")
    weeks = dict(zip(series["weeks"]["week"], series["weeks"]["hours"], strict=True))
    assert weeks == {dt.date(2025, 6, 2): D("1.00"), dt.date(2025, 6, 23): D("9.50")}


def test_customer_lookup_by_phone_shows_packages_and_usage(conn, shop):
    found = monitor.load_customer_lookup(conn, ADMIN, "081-000-0001", AS_OF)
    statuses = sorted(p["package_status"] for p in found["packages"])
    assert statuses == ["active", "active", "expired", "not_activated"]
    assert sorted(str(u["used_hours"]) for u in found["usage"]) == ["1.00", "1.00", "9.50"]
    page = board.render_lookup(found, "081")
    assert "Khun Monitor" in page and "18:30" in page


def test_clicks_of_an_admin_demoted_while_the_monitor_is_open_are_refused_server_side(engine):
    """The page was built for an admin; once demoted, its handlers refuse by themselves (the
    service's access check), each refusal audited, and no customer contact is shown."""
    import uuid

    from backoffice_lib import access, database

    email, other = (f"{who}-{uuid.uuid4().hex[:6]}@studio.example" for who in ("pm", "pm-other"))
    with engine.begin() as c:
        for who in (email, other):  # another admin: the last one cannot be demoted
            c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                              " VALUES (:e, true)"), {"e": who})
    with database.transaction() as c:
        view = board.PackageMonitorDashboard(access.load_user(c, email), "2025-06-30")
    assert "As of 2025-06-30" in view.status.value
    with engine.begin() as c:
        c.execute(sa.text("UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :e"),
                  {"e": email})
    refusals = ("SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                " AND action = 'ACCESS_DENIED'")
    with engine.connect() as c:
        before = c.scalar(sa.text(refusals), {"e": email})
    view.on_refresh()
    assert "not an admin" in view.status.value
    view.search.value = "081"  # observed: the lookup runs
    assert "not an admin" in view.lookup.value
    with engine.connect() as c:
        assert c.scalar(sa.text(refusals), {"e": email}) == before + 2
