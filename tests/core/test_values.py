"""Values parsed once at the edge (issue 21 item 3): the Month value, the one rule of hours,
money, business dates and months, and the proof that a command-line option and a form refuse
the same values with the same message (both call ``backoffice_lib.values``)."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from backoffice_lib import bangkok, ui, values
from backoffice_lib.cli import cli
from backoffice_lib.packages.front_desk_dashboard import FrontDeskDashboard
from backoffice_lib.payroll import service
from backoffice_lib.payroll.rules import close
from backoffice_lib.workbench import catalog, runs_page

Month = values.Month
FAR = f"{bangkok.today().year + 6}-01-01"
LATER_MONTH = f"{bangkok.today().year + 6}-01"
PAYROLL_REPORT = catalog.CatalogEntry("payroll/payroll_run.ipynb", "report", "Payroll", "finance",
                                      "…", {"month": "2025-01"})
ADMIN = "admin@studio.example"


# --- Month --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "month", "first", "last", "previous", "following"),
    [
        ("2025-01", 2025, 1, "2025-01-01", "2025-01-31", "2024-12", "2025-02"),
        ("2024-02", 2024, 2, "2024-02-01", "2024-02-29", "2024-01", "2024-03"),
        ("2025-02", 2025, 2, "2025-02-01", "2025-02-28", "2025-01", "2025-03"),
        ("2025-12", 2025, 12, "2025-12-01", "2025-12-31", "2025-11", "2026-01"),
    ],
)
def test_month_knows_its_days_and_neighbours(text, year, month, first, last, previous, following):
    value = Month.parse(text)
    assert (value.year, value.month) == (year, month)
    assert value.first_day == dt.date.fromisoformat(first)
    assert value.last_day == dt.date.fromisoformat(last)
    assert str(value.previous()) == previous and str(value.next()) == following
    assert str(value) == text and Month.of(value.last_day) == value


@pytest.mark.parametrize(
    "text",
    ["2025-13", "2025-00", "2025-1", "2025-01\n", "2025-01 ", " 2025-01", "0000-01", "9999-12",
     "1899-12", "๒๕๖๘-01", "２０２５-01", "", "2025/01", "January"],
)
def test_month_parse_refuses_anything_but_yyyy_mm(text):
    with pytest.raises(bangkok.BadMonth):
        Month.parse(text)


def test_month_is_a_frozen_ordered_value():
    assert Month(2025, 1) < Month(2025, 2) < Month(2026, 1)
    with pytest.raises(AttributeError):
        Month(2025, 1).month = 2  # type: ignore[misc]
    with pytest.raises(bangkok.BadMonth):
        Month(2025, 13)


def test_business_month_lies_in_the_plausible_window():
    assert values.parse_business_month("2025-01") == Month(2025, 1)
    for text in ("1999-12", LATER_MONTH):
        with pytest.raises(bangkok.BadMonth, match="plausible"):
            values.parse_business_month(text)


# --- the one rule of numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "hours"),
    [("1", D(1)), ("1.5", D("1.5")), (".75", D("0.75")), ("0", D(0)),
     ("999999.99", D("999999.99")), (D("2.25"), D("2.25"))],
)
def test_hours_are_ascii_numbers_with_at_most_2_decimals(typed, hours):
    assert values.parse_hours(typed) == hours


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("45000", D(45000)), ("45,000.50", D("45000.50")), ("฿ 1,234.5", D("1234.5")),
     ("THB 800", D(800)), ("0", D(0)), ("9999999999.99", D("9999999999.99"))],
)
def test_money_takes_thousands_commas_and_the_baht_mark(typed, amount):
    assert values.parse_money(typed) == amount


@pytest.mark.parametrize(
    ("parse", "typed", "message"),
    [
        (values.parse_hours, "๑.๕", "hours must be a number such as 1.5 (digits 0-9), not '๑.๕'"),
        (values.parse_hours, "1.234", "hours 1.234 has more than 2 decimals (at most 2 decimals)"),
        (values.parse_hours, "1,5", "hours must be a number such as 1.5 (digits 0-9), not '1,5'"),
        (values.parse_hours, "1,000", ("hours must be a number such as 1.5 (digits 0-9), not"
                                      " '1,000'")),
        (values.parse_hours, "-1", "hours cannot be negative (-1)"),
        (values.parse_hours, "1000000", "hours cannot exceed 999,999.99 (1000000)"),
        (values.parse_hours, "", "enter hours: a number such as 1.5 (digits 0-9)"),
        (values.parse_hours, 1.5, "hours must be typed as a number, e.g. 1.5, not a float (1.5)"),
        (values.parse_money, "1e5", ("the amount must be a number such as 1.5 (digits 0-9), not"
                                    " '1e5'")),
        (values.parse_money, "NaN", ("the amount must be a number such as 1.5 (digits 0-9), not"
                                    " 'NaN'")),
        (values.parse_money, "1,5", ("the amount must be a number such as 1.5 (digits 0-9), not"
                                    " '1,5'")),
        (values.parse_money, "๕", "the amount must be a number such as 1.5 (digits 0-9), not '๕'"),
        (values.parse_money, "10.005", ("the amount 10.005 has more than 2 decimals"
                                       " (at most 2 decimals)")),
        (values.parse_money, "10000000000", ("the amount cannot exceed 9,999,999,999.99"
                                            " (10000000000)")),
    ],
)
def test_a_number_is_refused_with_the_reason(parse, typed, message):
    with pytest.raises(values.BadNumber) as refused:
        parse(typed)
    assert str(refused.value) == message


# --- the command line and the forms refuse the same values with the same message --------------

PACKAGE = "00000000-0000-0000-0000-000000000001"


def _cli_refusal(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    return result.stderr


@pytest.fixture(scope="module")
def desk(engine):
    """A front desk on an empty database with one customer and one package to pick."""
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                             " VALUES (:e, true) ON CONFLICT DO NOTHING"), {"e": ADMIN})
        customer = conn.scalar(sa.text(
            "INSERT INTO public.customers (customer_name, contact_number)"
            " VALUES ('Khun Parse', '0800000000') RETURNING id"))
        package_type = conn.scalar(sa.text(
            "INSERT INTO backoffice.package_types (name, type, hours, validity_period)"
            " VALUES ('Parse 10 h', 'Coaching', 10, interval '90 days') RETURNING id"))
        package = conn.scalar(sa.text(
            "INSERT INTO backoffice.packages (customer_name, customer_id, package_type_id,"
            " purchase_date) VALUES ('Khun Parse', :c, :t, :d) RETURNING id"),
            {"c": customer, "t": package_type, "d": bangkok.today()})
    page = FrontDeskDashboard(ADMIN, engine=engine)
    page.customer.options = [("Khun Parse", customer)]
    page.customer.value = customer
    page.use_package.options = [("a package", package)]
    page.use_package.value = package
    page.sell_type.options = [("a type", package_type)]
    page.sell_type.value = package_type
    page.employee.options = [("Ploy", "Ploy")]
    page.employee.value = "Ploy"
    return page


def _desk_refusal(page: FrontDeskDashboard, field: str, typed: str) -> str:
    defaults = {"use_hours": "1", "use_date": bangkok.today().isoformat(),
                "sell_date": bangkok.today().isoformat(), "sell_discount": "0"}
    for name, value in defaults.items():
        getattr(page, name).value = typed if name == field else value
    assert (page.on_use() if field.startswith("use") else page.on_sell()) is None
    return html.unescape(page.message.value)


def _use(option: str, typed: str) -> list[str]:
    given = {"--hours": "1", "--date": bangkok.today().isoformat(), option: typed}
    return ["packages", "use", "--package", PACKAGE, "--employee", "Ploy",
            *[part for pair in given.items() for part in pair]]


def _sell(typed: str) -> list[str]:
    return ["packages", "sell", "--customer", "Khun Parse", "--type", "1", "--discount", typed]


SAME_REFUSALS = [
    # (what, typed, the message both show)
    ("hours", "๑.๕", "hours must be a number such as 1.5 (digits 0-9), not '๑.๕'"),
    ("hours", "1.234", "hours 1.234 has more than 2 decimals (at most 2 decimals)"),
    ("hours", "1,5", "hours must be a number such as 1.5 (digits 0-9), not '1,5'"),
    ("hours", "1e3", "hours must be a number such as 1.5 (digits 0-9), not '1e3'"),
    ("hours", "-1", "hours cannot be negative (-1)"),
    ("hours", "1000000", "hours cannot exceed 999,999.99 (1000000)"),
    ("discount", "๕", "the discount must be a number such as 1.5 (digits 0-9), not '๕'"),
    ("discount", "10.005", "the discount 10.005 has more than 2 decimals (at most 2 decimals)"),
    ("discount", "-5", "the discount cannot be negative (-5)"),
    ("discount", "99999999999", "the discount cannot exceed 9,999,999,999.99 (99999999999)"),
    ("date", "๒๐๒๕-๐๑-๑๐", ("the date must be a date like 2025-01-31 (YYYY-MM-DD), not"
                           " '๒๐๒๕-๐๑-๑๐'")),
    ("date", "2025-02-30", "the date must be a date of the calendar, not '2025-02-30'"),
    ("date", "31/01/2025", ("the date must be a date like 2025-01-31 (YYYY-MM-DD), not"
                           " '31/01/2025'")),
    ("date", "1999-12-31", "the date 1999-12-31 is not a plausible business date"),
    ("date", FAR, f"the date {FAR} is not a plausible business date"),
    ("month", "2025-13", "month must look like 2025-01 (YYYY-MM), not '2025-13'"),
    ("month", "๒๕๖๘-01", "month must look like 2025-01 (YYYY-MM), not '๒๕๖๘-01'"),
    ("month", "9999-12", ("month 9999-12 is out of range: the year must be 1900 to 2999"
                         " (YYYY-MM)")),
    ("month", "1999-12", "month 1999-12 is not a plausible business month"),
]


@pytest.mark.parametrize(("what", "typed", "message"), SAME_REFUSALS,
                         ids=[f"{w} {t!r}" for w, t, _ in SAME_REFUSALS])
def test_the_command_line_and_the_forms_refuse_the_same_value_with_the_same_message(
        desk, what, typed, message):
    if what == "month":
        shown = [_cli_refusal(["payroll", "compute", "--month", typed])]
        for refuse in (lambda: runs_page.compute_report_parameters(
                           PAYROLL_REPORT, {"month": typed}, bangkok.today()),
                       lambda: close.compute_close_month(typed, bangkok.today())):
            with pytest.raises(ValueError) as refused:
                refuse()
            shown.append(str(refused.value))
    elif what == "hours":
        shown = [_cli_refusal(_use("--hours", typed)), _desk_refusal(desk, "use_hours", typed)]
    elif what == "discount":
        shown = [_cli_refusal(_sell(typed)), _desk_refusal(desk, "sell_discount", typed)]
    else:
        shown = [_cli_refusal(_use("--date", typed)), _desk_refusal(desk, "use_date", typed),
                 _desk_refusal(desk, "sell_date", typed)]
        with pytest.raises(ValueError) as refused:
            ui.parse_date(typed)  # every other form's date (schedules, holidays, pay rates)
        shown.append(str(refused.value))
    for text in shown:
        assert message in text


def test_the_pool_of_the_close_form_follows_the_money_rule():
    with pytest.raises(close.CloseRefused) as refused:
        close.compute_pool_amount("๑๐๐")
    assert str(refused.value) == ("the month's service-charge pool must be a number such as 1.5"
                                  " (digits 0-9), not '๑๐๐'")
    assert close.compute_pool_amount(" ฿ 1,234.5 ") == D("1234.50")


def test_payroll_services_take_a_month_or_its_key(conn, users):
    """The payroll services take the Month a form parsed, or the key the CLI and notebooks pass."""
    by_key, by_month = service.load_month_payroll(conn, "2025-01"), service.load_month_payroll(
        conn, Month(2025, 1))
    assert by_month.month == by_key.month == "2025-01"
    assert by_month.checksum == by_key.checksum
    report = service.run_payroll(conn, Month(2025, 1), users)
    assert (report.month, report.last_month) == ("2025-01", "2024-12")
    with pytest.raises(bangkok.BadMonth):
        service.load_month_payroll(conn, "2025-13")
