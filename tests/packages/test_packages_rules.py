"""business-rules §4: expiry, status, usage checks (library and trigger), transfer, extension."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from timeclock_fixtures import ADMIN
from timeclock_fixtures import MANAGER as DESK  # allowed, not an admin

from backoffice_lib import access, bangkok
from backoffice_lib.packages import service as package_service
from backoffice_lib.packages.service import PackageRefused

D = Decimal


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


def add_type(conn, name, hours="10", validity="1 month", kind="Monthly"):
    return sql(
        conn,
        "INSERT INTO backoffice.package_types (name, type, hours, validity_period)"
        " VALUES (:n, CAST(:k AS backoffice.package_type), CAST(:h AS numeric),"
        " CAST(:v AS interval)) RETURNING id",
        n=name, k=kind, h=hours, v=validity,
    ).scalar_one()


def sell(conn, type_id, purchase=dt.date(2025, 1, 10), customer="Khun Anan", **kw):
    return package_service.sell_package(
        conn, DESK, customer_name=customer, package_type=type_id, purchase_date=purchase, **kw
    )["id"]


def use(conn, package_id, hours, day, booking=None):
    return package_service.record_usage(
        conn, DESK, package_id, hours=D(hours), used_date=day, employee_name="Ploy", booking_id=booking
    )


def package_row(conn, package_id):
    return sql(conn, "SELECT * FROM backoffice.packages WHERE id = :i", i=package_id).one()


# --- expiry: calculate_package_expiration() ----------------------------------------------------

@pytest.mark.parametrize(
    "case, first_use, validity, expected",
    [
        ("5 July + 1 month -> 4 August", dt.date(2025, 7, 5), "1 month", dt.date(2025, 8, 4)),
        ("31 January + 1 month -> 27 February", dt.date(2025, 1, 31), "1 month", dt.date(2025, 2, 27)),
        ("31 January + 1 month in a leap year -> 28 February", dt.date(2024, 1, 31), "1 month",
         dt.date(2024, 2, 28)),
        ("1 March + 3 months -> 31 May", dt.date(2025, 3, 1), "3 months", dt.date(2025, 5, 31)),
        ("30 days", dt.date(2025, 7, 5), "30 days", dt.date(2025, 8, 3)),
    ],
)
def test_first_use_sets_expiry_validity_minus_one_day(conn, users, case, first_use, validity, expected):
    type_id = add_type(conn, f"T {case}", validity=validity)
    package_id = sell(conn, type_id, purchase=dt.date(2024, 1, 1))
    use(conn, package_id, "1", first_use)
    row = package_row(conn, package_id)
    assert (row.first_use_date, row.expiration_date) == (first_use, expected)


def test_bought_package_is_unactivated_and_never_expires(conn, users):
    """**fix**: expiry was computed from the purchase date."""
    type_id = add_type(conn, "Bronze", validity="1 month")
    package_id = sell(conn, type_id, purchase=dt.date(2020, 1, 1))
    row = package_row(conn, package_id)
    assert (row.first_use_date, row.expiration_date) == (None, None)
    status = {r["package_id"]: r for r in package_service.load_package_status(conn, dt.date(2026, 1, 1))}
    assert status[str(package_id)]["package_status"] == "not_activated"


def test_manual_expiration_is_kept_on_first_use(conn, users):
    type_id = add_type(conn, "Manual", validity="1 month")
    package_id = sell(conn, type_id, purchase=dt.date(2025, 1, 1))
    sql(conn, "UPDATE backoffice.packages SET expiration_date = '2025-12-31' WHERE id = :i", i=package_id)
    use(conn, package_id, "1", dt.date(2025, 2, 1))
    row = package_row(conn, package_id)
    assert (row.first_use_date, row.expiration_date) == (dt.date(2025, 2, 1), dt.date(2025, 12, 31))


# --- status ------------------------------------------------------------------------------------

STATUS_CASES = [
    # case, first_use, expiration, total, used, as_of, expected
    ("never used never expires", None, None, "10", "0", dt.date(2030, 1, 1), "not_activated"),
    ("usable on the expiry day (fix)", dt.date(2025, 1, 1), dt.date(2025, 1, 31), "10", "2",
     dt.date(2025, 1, 31), "active"),
    ("expired the day after", dt.date(2025, 1, 1), dt.date(2025, 1, 31), "10", "2",
     dt.date(2025, 2, 1), "expired"),
    ("expired unlimited is expired (fix)", dt.date(2025, 1, 1), dt.date(2025, 1, 31), None, "5",
     dt.date(2025, 2, 1), "expired"),
    ("unlimited on the expiry day", dt.date(2025, 1, 1), dt.date(2025, 1, 31), None, "5",
     dt.date(2025, 1, 31), "unlimited"),
    ("depleted", dt.date(2025, 1, 1), dt.date(2025, 1, 31), "10", "10", dt.date(2025, 1, 15),
     "depleted"),
    ("expired beats depleted", dt.date(2025, 1, 1), dt.date(2025, 1, 31), "10", "10",
     dt.date(2025, 2, 15), "expired"),
    ("active", dt.date(2025, 1, 1), dt.date(2025, 1, 31), "10", "9.5", dt.date(2025, 1, 15),
     "active"),
    ("no expiry date, activated", dt.date(2025, 1, 1), None, "10", "0", dt.date(2035, 1, 1),
     "active"),
]


@pytest.mark.parametrize("case, first_use, expiration, total, used, as_of, expected", STATUS_CASES)
def test_package_status_first_that_applies(conn, case, first_use, expiration, total, used, as_of,
                                           expected):
    total = None if total is None else D(total)
    assert package_service.compute_package_status(first_use, expiration, total, D(used), as_of) == expected
    in_sql = sql(conn, "SELECT backoffice.package_status(:f, :e, :t, :u, :a)",
                 f=first_use, e=expiration, t=total, u=D(used), a=as_of).scalar_one()
    assert in_sql == expected


@pytest.mark.parametrize(
    "case, total, used, expected",
    [("hours minus used", "10", "2.5", D("7.5")), ("never below zero", "10", "12", D("0")),
     ("unlimited has none", None, "3", None)],
)
def test_remaining_hours(case, total, used, expected):
    total = None if total is None else D(total)
    assert package_service.compute_remaining_hours(total, D(used)) == expected


def test_expiry_judged_on_the_bangkok_date(conn):
    """At 20:00 UTC it is already the next day in Bangkok; the database agrees with Python."""
    sql(conn, "SET LOCAL timezone = 'UTC'")
    assert sql(conn, "SELECT backoffice.bangkok_today()").scalar_one() == bangkok.today()
    moment = dt.datetime(2025, 1, 31, 20, 0, tzinfo=dt.UTC)
    assert bangkok.bangkok_date(moment) == dt.date(2025, 2, 1)


def test_status_listing_one_row_per_package_sorted_with_2_decimals(conn, users):
    t10 = add_type(conn, "Ten", hours="10")
    unlimited = add_type(conn, "Open", hours=None, kind="Unlimited")
    late = sell(conn, t10, purchase=dt.date(2025, 3, 1), customer="B")
    early = sell(conn, unlimited, purchase=dt.date(2025, 2, 1), customer="A")
    use(conn, late, "1.5", dt.date(2025, 3, 2))
    use(conn, late, "2", dt.date(2025, 3, 3))
    rows = [r for r in package_service.load_package_status(conn, dt.date(2025, 3, 10))
            if r["package_id"] in (str(late), str(early))]
    assert [r["package_id"] for r in rows] == [str(early), str(late)]
    assert rows[0]["total_hours"] is None and rows[0]["remaining_hours"] is None
    assert rows[0]["package_status"] == "not_activated"
    assert (str(rows[1]["total_hours"]), str(rows[1]["used_hours"]), str(rows[1]["remaining_hours"])) \
        == ("10.00", "3.50", "6.50")
    assert rows[1]["package_status"] == "active"
    assert list(rows[1]) == package_service.STATUS_COLUMNS


# --- recording usage ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "case, hours, day, message",
    [
        ("over-use refused (fix)", "2.5", dt.date(2025, 1, 20), "only 2.00 h remain"),
        ("usage before purchase refused (fix)", "1", dt.date(2025, 1, 9), "before the purchase"),
        ("usage after expiry refused", "1", dt.date(2025, 2, 15), "expired on 2025-02-14"),
        ("zero hours refused", "0", dt.date(2025, 1, 20), "more than 0"),
        ("negative hours refused", "-1", dt.date(2025, 1, 20), "more than 0"),
    ],
)
def test_usage_refused(conn, users, case, hours, day, message):
    type_id = add_type(conn, "Ten", hours="10")
    package_id = sell(conn, type_id)
    use(conn, package_id, "8", dt.date(2025, 1, 15))  # expires 2025-02-14, 2 h left
    with pytest.raises(PackageRefused, match=message):
        use(conn, package_id, hours, day)
    assert package_service.load_package(conn, package_id)["used_hours"] == D("8")


@pytest.mark.parametrize(
    "case, hours, day, message",
    [
        ("over-use refused (fix)", "2.5", "2025-01-20", "only 2.00 h remain"),
        ("usage before purchase refused (fix)", "1", "2025-01-09", "before the purchase"),
        ("usage after expiry refused", "1", "2025-02-15", "expired on 2025-02-14"),
        ("zero hours refused", "0", "2025-01-20", "more than 0"),
    ],
)
def test_trigger_refuses_every_writer(conn, users, case, hours, day, message):
    """validate_package_usage(): the same rules for a writer that bypasses the library."""
    type_id = add_type(conn, "Ten", hours="10")
    package_id = sell(conn, type_id)
    use(conn, package_id, "8", dt.date(2025, 1, 15))
    with pytest.raises(sa.exc.DBAPIError, match=message), conn.begin_nested():
        sql(conn, "INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours,"
            " used_date) VALUES (:p, 'psql', CAST(:h AS numeric), CAST(:d AS date))",
            p=package_id, h=hours, d=day)


def test_trigger_activates_on_first_usage_from_any_writer(conn, users):
    type_id = add_type(conn, "Ten", hours="10", validity="1 month")
    package_id = sell(conn, type_id)
    sql(conn, "INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours, used_date)"
        " VALUES (:p, 'psql', 1, '2025-07-05')", p=package_id)
    row = package_row(conn, package_id)
    assert (row.first_use_date, row.expiration_date) == (dt.date(2025, 7, 5), dt.date(2025, 8, 4))


def test_trigger_refuses_update_that_overdraws(conn, users):
    type_id = add_type(conn, "Ten", hours="10")
    package_id = sell(conn, type_id)
    first = use(conn, package_id, "4", dt.date(2025, 1, 15))
    use(conn, package_id, "6", dt.date(2025, 1, 16))
    with pytest.raises(sa.exc.DBAPIError, match="only 4.00 h remain"), conn.begin_nested():
        sql(conn, "UPDATE backoffice.package_usage SET used_hours = 5 WHERE id = :i", i=first["id"])


def test_first_usage_activates_and_exact_balance_depletes(conn, users):
    type_id = add_type(conn, "Ten", hours="10", validity="1 month")
    package_id = sell(conn, type_id)
    result = use(conn, package_id, "9.75", dt.date(2025, 7, 5))
    assert result["package"]["first_use_date"] == dt.date(2025, 7, 5)
    assert result["package"]["expiration_date"] == dt.date(2025, 8, 4)
    result = use(conn, package_id, "0.25", dt.date(2025, 8, 4))  # the expiry day itself
    assert result["package"]["remaining_hours"] == D("0")
    status = {r["package_id"]: r for r in package_service.load_package_status(conn, dt.date(2025, 8, 4))}
    assert status[str(package_id)]["package_status"] == "depleted"


def test_usage_dated_before_first_use_becomes_the_first_use(conn, users):
    type_id = add_type(conn, "Ten", hours="10", validity="1 month")
    package_id = sell(conn, type_id)
    use(conn, package_id, "1", dt.date(2025, 7, 10))
    use(conn, package_id, "1", dt.date(2025, 7, 5))
    row = package_row(conn, package_id)
    assert (row.first_use_date, row.expiration_date) == (dt.date(2025, 7, 5), dt.date(2025, 8, 4))


def test_unlimited_package_takes_any_hours_until_expiry(conn, users):
    type_id = add_type(conn, "Open", hours=None, kind="Unlimited")
    package_id = sell(conn, type_id)
    use(conn, package_id, "50", dt.date(2025, 1, 15))
    assert package_service.load_package(conn, package_id)["remaining_hours"] is None
    with pytest.raises(PackageRefused, match="expired"):
        use(conn, package_id, "1", dt.date(2025, 2, 15))


def test_usage_is_audited_with_activation(conn, users):
    type_id = add_type(conn, "Ten", hours="10")
    package_id = sell(conn, type_id)
    usage = use(conn, package_id, "2", dt.date(2025, 1, 15))
    details = sql(conn, "SELECT details FROM backoffice.audit_logs WHERE resource_type = 'package_usage'"
                  " AND resource_id = :i", i=str(usage["id"])).scalar_one()
    assert details["after"]["activated"]["first_use_date"] == "2025-01-15"
    assert details["after"]["remaining_hours"] == "8.00"


def test_one_booking_is_recorded_on_one_package_only(conn, users):
    sql(conn, "INSERT INTO public.bookings (id, date, duration, booking_type, status)"
        " VALUES ('BK-1', '2025-01-15', 1, 'Driving Range', 'confirmed')")
    type_id = add_type(conn, "Ten", hours="10")
    a, b = sell(conn, type_id), sell(conn, type_id, customer="Khun Bee")
    use(conn, a, "1", dt.date(2025, 1, 15), booking="BK-1")
    with pytest.raises(PackageRefused, match="already recorded"):
        use(conn, b, "1", dt.date(2025, 1, 15), booking="BK-1")


def test_unknown_user_cannot_record_usage(conn, users):
    type_id = add_type(conn, "Ten", hours="10")
    package_id = sell(conn, type_id)
    with pytest.raises(access.AccessDenied):
        package_service.record_usage(conn, "stranger@example.com", package_id, hours=D("1"),
                              used_date=dt.date(2025, 1, 15), employee_name="Ploy")


# --- transfer and extension --------------------------------------------------------------------

def test_transfer_with_reason_is_audited(conn, users):
    type_id = add_type(conn, "Ten", hours="10")
    today = bangkok.today()
    package_id = sell(conn, type_id, customer="Khun Anan", purchase=today - dt.timedelta(days=5))
    use(conn, package_id, "3", today - dt.timedelta(days=3))
    sql(conn, "INSERT INTO public.customers (customer_name) VALUES ('Khun Bee')")
    after = package_service.transfer_package(conn, ADMIN, package_id, to_customer_name="Khun Bee",
                                      reason="gift to a friend")
    assert after["customer_name"] == "Khun Bee"
    assert package_service.load_package(conn, package_id)["remaining_hours"] == D("7")
    log = sql(conn, "SELECT action, details FROM backoffice.audit_logs WHERE resource_id = :i"
              " AND action = 'TRANSFER'", i=str(package_id)).one()
    assert log.details["reason"] == "gift to a friend"
    assert (log.details["before"]["customer_name"], log.details["after"]["customer_name"]) \
        == ("Khun Anan", "Khun Bee")


@pytest.mark.parametrize(
    "case, user, to, reason, error",
    [
        ("transfer needs a reason", ADMIN, "Khun Bee", " ", PackageRefused),
        ("transfer is for admins", DESK, "Khun Bee", "gift", access.AccessDenied),
        ("transfer to the same customer", ADMIN, "Khun Anan", "gift", PackageRefused),
        ("expired package is not transferred", ADMIN, "Khun Bee", "gift", PackageRefused),
    ],
)
def test_transfer_refused(conn, users, case, user, to, reason, error):
    type_id = add_type(conn, "Ten", hours="10")
    package_id = sell(conn, type_id, customer="Khun Anan")
    if case.startswith("expired"):
        use(conn, package_id, "1", dt.date(2025, 1, 15))
    with pytest.raises(error):
        package_service.transfer_package(conn, user, package_id, to_customer_name=to, reason=reason)


def test_extension_is_a_kept_manual_expiry_and_audited(conn, users):
    type_id = add_type(conn, "Ten", hours="10", validity="1 month")
    package_id = sell(conn, type_id)
    use(conn, package_id, "1", dt.date(2025, 7, 5))
    package_service.extend_package_expiry(conn, ADMIN, package_id, new_expiration_date=dt.date(2025, 9, 4),
                                   reason="customer was injured")
    use(conn, package_id, "1", dt.date(2025, 9, 1))  # usable in the extension
    assert package_row(conn, package_id).expiration_date == dt.date(2025, 9, 4)
    log = sql(conn, "SELECT details FROM backoffice.audit_logs WHERE resource_id = :i"
              " AND action = 'EXTEND_EXPIRY'", i=str(package_id)).scalar_one()
    assert log["reason"] == "customer was injured"
    assert (log["before"]["expiration_date"], log["after"]["expiration_date"]) \
        == ("2025-08-04", "2025-09-04")


@pytest.mark.parametrize(
    "case, activate, new_date, reason, message",
    [
        ("extension needs a reason", True, dt.date(2025, 9, 4), "", "needs a reason"),
        ("extension must be later", True, dt.date(2025, 8, 1), "x", "not after"),
        ("unactivated package does not expire", False, dt.date(2025, 9, 4), "x", "not activated"),
    ],
)
def test_extension_refused(conn, users, case, activate, new_date, reason, message):
    type_id = add_type(conn, "Ten", hours="10", validity="1 month")
    package_id = sell(conn, type_id)
    if activate:
        use(conn, package_id, "1", dt.date(2025, 7, 5))
    with pytest.raises(PackageRefused, match=message):
        package_service.extend_package_expiry(conn, ADMIN, package_id, new_expiration_date=new_date,
                                       reason=reason)


# --- customer_active_packages ------------------------------------------------------------------

def test_customer_active_packages_lists_usable_packages_only(conn, users):
    today = bangkok.today()
    t10 = add_type(conn, "Ten", hours="10", validity="1 month")
    fresh = sell(conn, t10, purchase=today - dt.timedelta(days=3))
    active = sell(conn, t10, purchase=today - dt.timedelta(days=3))
    use(conn, active, "2", today - dt.timedelta(days=2))
    depleted = sell(conn, t10, purchase=today - dt.timedelta(days=3))
    use(conn, depleted, "10", today - dt.timedelta(days=2))
    expired = sell(conn, t10, purchase=today - dt.timedelta(days=90))
    use(conn, expired, "1", today - dt.timedelta(days=80))
    rows = {r.package_id: r for r in sql(conn, "SELECT * FROM backoffice.customer_active_packages")}
    assert rows[fresh].package_status == "not_activated"
    assert (rows[active].package_status, rows[active].remaining_hours) == ("active", D("8.00"))
    assert depleted not in rows and expired not in rows


# --- invariant -----------------------------------------------------------------------------------


@given(st.lists(st.decimals(min_value=D("-1"), max_value=D("12"), places=2, allow_nan=False,
                            allow_infinity=False), max_size=25))
def test_accepted_usage_never_exceeds_the_package(requests):
    package = {"purchase_date": dt.date(2025, 1, 1), "expiration_date": dt.date(2025, 1, 31),
               "total_hours": D("10.00"), "used_hours": D("0")}
    for hours in requests:
        if package_service.compute_usage_refusal(package, hours, dt.date(2025, 1, 15)) is None:
            assert hours > 0
            package["used_hours"] += hours
    assert D("0") <= package["used_hours"] <= D("10.00")
    assert package_service.compute_remaining_hours(package["total_hours"], package["used_hours"]) >= 0
