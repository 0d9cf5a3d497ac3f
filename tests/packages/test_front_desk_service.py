"""The front desk's services: finding and adding customers, the usage preview that shows the
balance and expiry before saving (the same rule record_usage applies), and a customer's packages
(business-rules §4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from timeclock_fixtures import MANAGER as DESK  # allowed, not an admin

from backoffice_lib import access, bangkok
from backoffice_lib.packages import rules as package_rules
from backoffice_lib.packages import service as package_service
from backoffice_lib.packages.rules import CustomerError
from backoffice_lib.packages.service import customers


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


def add_type(conn, name, hours="10", validity="1 month"):
    return sql(
        conn,
        "INSERT INTO backoffice.package_types (name, type, hours, validity_period)"
        " VALUES (:n, 'Monthly', CAST(:h AS numeric), CAST(:v AS interval)) RETURNING id",
        n=name, h=hours, v=validity,
    ).scalar_one()


@pytest.fixture
def khun_anan(conn, users):
    return customers.create_customer(conn, DESK, "Khun Anan FD", contact_number="081-234-5678",
                                     email="anan.fd@example.com")


@pytest.mark.parametrize(
    "case,typed",
    [
        ("part of the name, any case", "anan fd"),
        ("phone as typed", "081-234"),
        ("phone digits only", "0812345"),
        ("e-mail", "anan.fd@"),
    ],
)
def test_find_a_customer(conn, khun_anan, case, typed):
    found = customers.find_customers(conn, DESK, typed)
    assert khun_anan["id"] in [c["id"] for c in found]


def test_find_by_code(conn, khun_anan):
    found = customers.find_customers(conn, DESK, khun_anan["customer_code"])
    assert [c["id"] for c in found] == [khun_anan["id"]]


def test_new_customer_code_follows_the_highest_one(conn, users):
    sql(conn, "INSERT INTO public.customers (customer_code, customer_name, contact_number)"
              " VALUES ('CUS98765', 'Someone', '0800000000')")
    added = customers.create_customer(conn, DESK, "Walk In", contact_number="0899999999")
    assert added["customer_code"] == "CUS98766"
    audited = sql(conn, "SELECT details->'after'->>'customer_name' FROM backoffice.audit_logs"
                        " WHERE resource_type = 'customers' AND resource_id = :i",
                  i=str(added["id"])).scalar()
    assert audited == "Walk In"


@pytest.mark.parametrize(
    "case,name,phone,email,message",
    [
        ("no name", " ", "0811111111", None, "needs a name"),
        ("no phone and no e-mail", "Nobody", "", "", "a phone number or an e-mail"),
        ("a bad e-mail", "Nobody", None, "not-an-email", "not an e-mail address"),
    ],
)
def test_new_customer_refused(conn, users, case, name, phone, email, message):
    with pytest.raises(CustomerError, match=message):
        customers.create_customer(conn, DESK, name, contact_number=phone, email=email)


def test_compute_next_code():
    assert package_rules.compute_next_code([]) == "CUS00001"
    assert package_rules.compute_next_code(["CUS00009", "X1", None, "CUS00010"]) == "CUS00011"


# --- the usage preview ---------------------------------------------------------------------------


@pytest.fixture
def package(conn, khun_anan):
    type_id = add_type(conn, "FD 5 hours", hours="5")
    return package_service.sell_package(
        conn, DESK, customer_name=khun_anan["customer_name"], customer_id=khun_anan["id"],
        package_type=type_id, purchase_date=dt.date(2025, 7, 1),
    )["id"]


def test_preview_of_a_first_use_shows_the_expiry_the_database_then_sets(conn, package):
    preview = package_service.preview_usage(conn, DESK, package, hours="2", used_date=dt.date(2025, 7, 5))
    assert preview["refusal"] is None and preview["activates"]
    assert (preview["remaining_hours"], preview["remaining_after"]) == (D("5.00"), D("3.00"))
    assert preview["expiration_date"] == dt.date(2025, 8, 4)  # 5 July + 1 month - 1 day
    recorded = package_service.record_usage(conn, DESK, package, hours=D(2),
                                            used_date=dt.date(2025, 7, 5), employee_name="Ploy")
    assert recorded["package"]["expiration_date"] == preview["expiration_date"]
    assert recorded["package"]["remaining_hours"] == preview["remaining_after"]


@pytest.mark.parametrize(
    "case,hours,day,message",
    [
        ("over-use", "5.5", dt.date(2025, 7, 6), "5.50 h requested but only 3.00 h remain"),
        ("after expiry", "1", dt.date(2025, 8, 5), "the package expired on 2025-08-04"),
        ("before purchase", "1", dt.date(2025, 6, 30), "before the purchase on 2025-07-01"),
        ("no hours", "0", dt.date(2025, 7, 6), "more than 0"),
    ],
)
def test_preview_refuses_with_the_reason_record_usage_gives(conn, package, case, hours, day,
                                                            message):
    package_service.record_usage(conn, DESK, package, hours=D(2), used_date=dt.date(2025, 7, 5),
                                 employee_name="Ploy")
    preview = package_service.preview_usage(conn, DESK, package, hours=hours, used_date=day)
    assert message in preview["refusal"]
    with pytest.raises(package_service.PackageRefused, match=message.replace(".", r"\.")):
        package_service.record_usage(conn, DESK, package, hours=D(hours), used_date=day,
                                     employee_name="Ploy")


def test_customer_packages_show_balance_and_status(conn, khun_anan, package):
    package_service.record_usage(conn, DESK, package, hours=D("1.5"),
                                 used_date=dt.date(2025, 7, 5), employee_name="Ploy")
    [row] = customers.load_customer_packages(conn, DESK, khun_anan["id"], as_of=dt.date(2025, 7, 10))
    assert (row["used_hours"], row["remaining_hours"], row["package_status"]) == (
        D("1.50"), D("3.50"), "active"
    )
    [expired] = customers.load_customer_packages(conn, DESK, khun_anan["id"], as_of=dt.date(2025, 9, 1))
    assert expired["package_status"] == "expired"


def test_open_bookings_leave_out_the_ones_already_recorded(conn, khun_anan, package):
    today = bangkok.today()
    for booking in ("FD-B1", "FD-B2"):
        sql(conn, "INSERT INTO public.bookings (id, customer_id, date, start_time, duration,"
                  " booking_type, status) VALUES (:b, :c, :d, '10:00', 1, 'Driving Range',"
                  " 'confirmed')", b=booking, c=khun_anan["id"], d=today)
    sql(conn, "INSERT INTO backoffice.package_usage (package_id, employee_name, used_hours,"
              " used_date, booking_id) VALUES (:p, 'Ploy', 1, :d, 'FD-B1')", p=package, d=today)
    assert [b["id"] for b in customers.load_open_bookings(conn, DESK, khun_anan["id"])] == ["FD-B2"]


def test_front_desk_is_for_allowed_users_only(conn, users):
    with pytest.raises(access.AccessDenied):
        customers.create_customer(conn, "stranger@example.com", "X", contact_number="1")


# --- issue 29: the desk credits nobody by default ------------------------------------------------


@pytest.mark.parametrize(
    "case,signed_in,default",
    [
        ("the signed-in user is staff: them", "Ploy Desk", "Ploy Desk"),
        ("not staff: nobody, the user must choose", None, None),
        ("a name not on the list: nobody", "Someone Else", None),
    ],
)
def test_the_staff_credited_defaults_to_the_signed_in_staff_member_else_nobody(
    case, signed_in, default
):
    options, chosen = package_rules.compute_staff_options(["Anan Desk", "Ploy Desk"], signed_in)
    assert options[0] == (package_rules.NO_STAFF_LABEL, None)
    assert chosen == default


def _desk_on_a_usable_package(engine, user):
    from backoffice_lib.packages import front_desk_dashboard

    desk = front_desk_dashboard.FrontDeskDashboard(user, engine=engine)
    for _, customer_id in desk.customer.options[1:]:
        desk.customer.value = customer_id
        if desk.use_package.options:
            return desk
    pytest.fail("no demo customer with a usable package")


def _usage_count(engine):
    with engine.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM backoffice.package_usage")).scalar()


def test_a_usage_without_a_staff_choice_is_refused_and_nothing_is_written(demo_engine):
    desk = _desk_on_a_usable_package(demo_engine, "admin@studio.example")  # not on the staff list
    assert desk.employee.value is None
    desk.use_hours.value = "0.5"
    before = _usage_count(demo_engine)
    assert desk.on_use() is None
    assert "pick the Staff member credited" in desk.messages["use"].value
    assert _usage_count(demo_engine) == before
    name = desk.employee.options[1][1]
    desk.employee.value = name
    recorded = desk.on_use()
    assert recorded is not None, desk.message.value
    assert _usage_count(demo_engine) == before + 1
    assert f"credited to {name}" in desk.messages["use"].value
    with demo_engine.connect() as c:
        assert c.execute(sa.text("SELECT employee_name FROM backoffice.package_usage WHERE id ="
                                 " :i"), {"i": recorded["id"]}).scalar() == name


def test_a_signed_in_staff_member_is_credited_by_default(demo_engine):
    with demo_engine.begin() as c:
        name = c.execute(sa.text("SELECT staff_name FROM backoffice.staff WHERE is_active"
                                 " ORDER BY staff_name DESC LIMIT 1")).scalar()
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, coach_name) VALUES"
                          " ('desk-staff@studio.example', :n)"), {"n": name.upper()})
    desk = _desk_on_a_usable_package(demo_engine, "desk-staff@studio.example")
    assert desk.employee.value == name


def test_clicks_of_a_user_removed_while_the_desk_is_open_are_refused_server_side(demo_engine):
    """The desk was built for an allowed, non-admin user. Transfer and extend (admins only) are
    refused by their handlers; once the user is removed, every handler refuses by itself (the
    service's access check); each refusal is audited and nothing is written."""
    import uuid

    email = f"desk-{uuid.uuid4().hex[:6]}@studio.example"
    with demo_engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email) VALUES (:e)"), {"e": email})
    desk = _desk_on_a_usable_package(demo_engine, email)
    refusals = ("SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                " AND action = 'ACCESS_DENIED'")
    with demo_engine.connect() as c:
        before = c.scalar(sa.text(refusals), {"e": email})
    desk.admin_package.value = desk.admin_package.options[0][1]
    desk.transfer_to.value = desk.transfer_to.options[-1][1]
    desk.admin_reason.value = "asked by the customer"
    assert desk.on_transfer() is None
    assert "not an admin" in desk.messages["admin"].value
    desk.extend_date.value = (bangkok.today() + dt.timedelta(days=400)).isoformat()
    assert desk.on_extend() is None
    assert "not an admin" in desk.messages["admin"].value
    with demo_engine.begin() as c:
        c.execute(sa.text("DELETE FROM backoffice.allowed_users WHERE email = :e"), {"e": email})
    usage = _usage_count(demo_engine)
    desk.employee.value = desk.employee.options[1][1]
    assert desk.on_use() is None
    assert "not an allowed user" in desk.messages["use"].value
    assert desk.on_sell() is None
    assert "not an allowed user" in desk.messages["sell"].value
    desk.find.value = "a"
    assert desk.on_find() == []
    assert "not an allowed user" in desk.messages["customer"].value
    assert _usage_count(demo_engine) == usage
    with demo_engine.connect() as c:
        # transfer, extend, use (and the preview it redraws), sell, find
        assert c.scalar(sa.text(refusals), {"e": email}) == before + 6


def test_the_desk_sells_the_package_type_chosen_by_its_name(demo_engine):
    desk = _desk_on_a_usable_package(demo_engine, "admin@studio.example")
    label, type_id = desk.sell_type.options[-1]
    assert isinstance(type_id, int) and isinstance(label, str)
    desk.sell_type.value = type_id
    sold = desk.on_sell()
    assert sold is not None, desk.message.value
    assert sold["package_type_id"] == type_id
    assert f"Sold {label} to" in desk.messages["sell"].value
