"""Payroll close services: the service-charge pool, the checklist, reopening a finalised month.

Every test uses the rolled-back ``conn``; the rules are tables with exact Decimal expectations.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.access import AccessDenied
from backoffice_lib.payroll.rules import close as rules
from backoffice_lib.payroll.service import close, finalise_payroll, run_payroll

ADMIN = "close-admin@test.example"
CLERK = "close-clerk@test.example"
MONTH = "2025-01"
TODAY = dt.date(2026, 11, 30)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=bangkok.BANGKOK)


def add_staff(conn, code: str, name: str) -> int:
    return conn.scalar(sa.text(
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash) VALUES (:n, :c, 'x')"
        " RETURNING id"), {"n": name, "c": code})


def add_comp(conn, staff: int, **values) -> None:
    row = {"staff_id": staff, "compensation_type": "salary", "base_salary": D(31000),
           "hourly_rate": D(0), "ot_rate_per_hour": D(100), "holiday_rate_per_hour": D(50),
           "is_service_charge_eligible": True, "min_hours_for_allowance": 6,
           "effective_from": dt.date(2024, 1, 1), "effective_to": None, **values}
    conn.execute(sa.text(
        f"INSERT INTO backoffice.staff_compensation ({', '.join(row)})"
        f" VALUES ({', '.join(':' + k for k in row)})"), row)


def entry(conn, staff: int, action: str, moment: str) -> int:
    return conn.scalar(sa.text(
        "INSERT INTO backoffice.time_entries (staff_id, action, timestamp) VALUES (:s, :a, :t)"
        " RETURNING id"), {"s": staff, "a": action, "t": at(moment)})


@pytest.fixture
def world(conn):
    conn.execute(sa.text(
        "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true), (:c, false)"),
        {"a": ADMIN, "c": CLERK})
    alice = add_staff(conn, "C001", "Alice Close")
    bob = add_staff(conn, "C002", "Bob Close")
    add_comp(conn, alice)
    add_comp(conn, bob, is_service_charge_eligible=False)
    entry(conn, alice, "clock_in", "2025-01-06 09:00")
    entry(conn, alice, "clock_out", "2025-01-06 17:00")
    forgot = entry(conn, bob, "clock_in", "2025-01-08 09:00")  # missing clock-out
    conn.execute(sa.text(
        "INSERT INTO backoffice.public_holidays (holiday_date, holiday_name)"
        " VALUES ('2025-01-06', 'Close test day'), ('2025-02-06', 'Not this month')"))
    return {"alice": alice, "bob": bob, "forgot": forgot}


def pool(conn, month=MONTH):
    return conn.scalar(sa.text(
        "SELECT total_amount FROM backoffice.monthly_service_charge WHERE month_year = :m"),
        {"m": month})


def audits(conn, action: str, user: str) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT * FROM backoffice.audit_logs WHERE action = :a AND user_email = :u ORDER BY id"),
        {"a": action, "u": user})]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("45000", D("45000.00")),
        ("45,000.50", D("45000.50")),
        ("฿ 1,234.5", D("1234.50")),
        ("0", D("0.00")),
        (D("12.34"), D("12.34")),
        ("9999999999.99", D("9999999999.99")),
    ],
)
def test_pool_amount_is_a_plain_non_negative_number_of_thb(typed, expected):
    assert rules.compute_pool_amount(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "cannot be negative"),
        ("-0.01", "cannot be negative"),
        ("", "enter the month's service-charge pool"),
        ("abc", "must be a number"),
        ("1.234", "at most 2 decimals"),
        ("١٢٣", "must be a number"),  # Arabic-Indic digits are not typed THB
        ("1e5", "must be a number"),
        ("NaN", "must be a number"),
        ("10000000000", "cannot exceed"),
        (1.5, "typed as a number"),
    ],
)
def test_pool_amount_refused_with_a_reason(typed, message):
    with pytest.raises(rules.CloseRefused, match=message):
        rules.compute_pool_amount(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2026-11", "2026-11"), ("2025-01", "2025-01"), (" 2026-10 ", "2026-10")],
)
def test_close_month_is_a_month_that_has_begun(typed, expected):
    assert rules.compute_close_month(typed, TODAY) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [("2026-12", "in the future"), ("2027-01", "in the future"), ("2026-13", "YYYY-MM"),
     ("2026-1", "YYYY-MM"), ("", "YYYY-MM"), ("2026-11x", "YYYY-MM")],
)
def test_close_month_refuses_a_future_or_malformed_month(typed, message):
    with pytest.raises(rules.CloseRefused, match=message):
        rules.compute_close_month(typed, TODAY)


def test_save_service_charge_creates_then_corrects_the_pool_audited(conn, world):
    first = close.save_service_charge(conn, MONTH, "1,000", ADMIN)
    assert first == {"month": MONTH, "total_amount": D("1000.00"), "before": None}
    second = close.save_service_charge(conn, MONTH, "1200.50", ADMIN)
    assert second["before"] == D("1000.00")
    assert pool(conn) == D("1200.50")
    rows = audits(conn, "SERVICE_CHARGE_SAVE", ADMIN)
    details = [r["details"] for r in rows]  # one transaction: same time, ids are uuids
    assert len(details) == 2
    assert {"after": {"total_amount": "1000.00"}} in details
    assert {"before": {"total_amount": "1000.00"}, "after": {"total_amount": "1200.50"}} in details
    assert rows[0]["resource_type"] == "monthly_service_charge"
    assert rows[0]["resource_id"] == MONTH


def test_save_service_charge_negative_writes_nothing(conn, world):
    with pytest.raises(rules.CloseRefused, match="negative"):
        close.save_service_charge(conn, MONTH, "-500", ADMIN)
    assert pool(conn) is None
    assert audits(conn, "SERVICE_CHARGE_SAVE", ADMIN) == []


def test_save_service_charge_future_month_writes_nothing(conn, world):
    future = bangkok.month_key(bangkok.today() + dt.timedelta(days=40))
    with pytest.raises(rules.CloseRefused, match="future"):
        close.save_service_charge(conn, future, "100", ADMIN)
    assert pool(conn, future) is None


def test_save_service_charge_non_admin_refused_and_audited(conn, world):
    with pytest.raises(AccessDenied, match="not an admin"):
        close.save_service_charge(conn, MONTH, "100", CLERK)
    assert pool(conn) is None
    assert [r["resource_type"] for r in audits(conn, "ACCESS_DENIED", CLERK)] == ["payroll"]


def test_save_service_charge_refused_once_finalised_until_reopened(conn, world):
    conn.execute(sa.text("DELETE FROM backoffice.time_entries WHERE id = :i"),
                 {"i": world["forgot"]})
    close.save_service_charge(conn, MONTH, "900", ADMIN)
    run_payroll(conn, MONTH, ADMIN)
    finalise_payroll(conn, MONTH, ADMIN)
    with pytest.raises(rules.CloseRefused, match="finalised .* reopen it"):
        close.save_service_charge(conn, MONTH, "1000", ADMIN)
    assert pool(conn) == D("900.00")
    close.reopen_payroll(conn, MONTH, ADMIN, "pool was wrong")
    close.save_service_charge(conn, MONTH, "1000", ADMIN)
    assert pool(conn) == D("1000.00")


def test_reopen_needs_an_admin_and_a_reason_and_is_audited(conn, world):
    conn.execute(sa.text("DELETE FROM backoffice.time_entries WHERE id = :i"),
                 {"i": world["forgot"]})
    run_payroll(conn, MONTH, ADMIN)
    finalised = finalise_payroll(conn, MONTH, ADMIN)
    with pytest.raises(rules.CloseRefused, match="needs a reason"):
        close.reopen_payroll(conn, MONTH, ADMIN, "   ")
    with pytest.raises(AccessDenied):
        close.reopen_payroll(conn, MONTH, CLERK, "because")
    done = close.reopen_payroll(conn, MONTH, ADMIN, "service charge was wrong")
    assert done["run_id"] == finalised["run_id"]
    status = conn.scalar(sa.text("SELECT status FROM backoffice.payroll_runs WHERE id = :i"),
                         {"i": finalised["run_id"]})
    assert status == "draft"
    (row,) = audits(conn, "PAYROLL_REOPEN", ADMIN)
    assert row["details"]["reason"] == "service charge was wrong"
    assert row["details"]["before"]["status"] == "finalised"
    with pytest.raises(rules.CloseRefused, match="not finalised"):
        close.reopen_payroll(conn, MONTH, ADMIN, "again")


def test_checklist_in_order_for_an_admin(conn, world):
    close.save_service_charge(conn, MONTH, "1000", ADMIN)
    checklist = close.load_close_checklist(conn, MONTH, ADMIN)
    assert checklist.can_act and checklist.pool == D("1000.00")
    assert checklist.holidays == [(dt.date(2025, 1, 6), "Close test day")]
    assert checklist.people == 2 and checklist.review_flags >= 1
    steps = rules.compute_checklist_steps(checklist)
    assert [s["step"] for s in steps] == [
        "Service-charge pool", "Public holidays", "Blocking errors", "Review flags",
        "Run payroll", "Finalise",
    ]
    assert [s["state"] for s in steps] == ["done", "info", "done", "todo", "todo", "todo"]
    assert steps[0]["detail"] == "฿1,000.00"


def test_checklist_for_a_viewer_has_no_names_or_pay(conn, world):
    checklist = close.load_close_checklist(conn, MONTH, CLERK)
    assert not checklist.can_act
    assert checklist.result is None and checklist.total_pay is None
    assert checklist.people == 2


def test_checklist_refuses_an_unknown_user_audited(conn, world):
    with pytest.raises(AccessDenied):
        close.load_close_checklist(conn, MONTH, "stranger@test.example")
    assert len(audits(conn, "ACCESS_DENIED", "stranger@test.example")) == 1


def test_flags_come_with_the_person_and_the_entries_behind_them(conn, world):
    checklist = close.load_close_checklist(conn, MONTH, ADMIN)
    flags = rules.compute_flags_with_entries(checklist.result)
    missing = flags[flags["flag"] == "missing clock out"].to_dict("records")
    assert missing == [{
        "kind": "review", "person": "Bob Close (C002)", "date": "2025-01-08",
        "flag": "missing clock out", "detail": "missing clock out at 09:00",
        "entries": "09:00–? (0.00 h)",
    }]
    corrections = rules.compute_correctable_entries(checklist.result)
    assert [(c[1], c[2]) for c in corrections] == [(world["forgot"], "add")]


def test_finalise_question_shows_total_and_head_count(conn, world):
    conn.execute(sa.text("DELETE FROM backoffice.time_entries WHERE id = :i"),
                 {"i": world["forgot"]})
    checklist = close.load_close_checklist(conn, MONTH, ADMIN)
    question = rules.compute_finalise_question(checklist.result)
    assert question.startswith(f"Finalise payroll {MONTH}: 2 people, total ฿")
    assert f"฿{checklist.total_pay:,.2f}?" in question


def test_run_summary_diffs_against_the_previous_run_and_last_month(conn, world):
    first = run_payroll(conn, MONTH, ADMIN, "/tmp/first")
    close.save_service_charge(conn, MONTH, "5000", ADMIN)
    second = run_payroll(conn, MONTH, ADMIN, "/tmp/second")
    summary = close.load_run_summary(conn, MONTH, ADMIN, run_folder="/tmp/second")
    assert summary["run_id"] == second.run_id
    assert summary["previous_source"] == f"run #{first.run_id}"
    changed = summary["diff_previous"].to_dict("records")
    assert [(r["staff_id"], r["delta"]) for r in changed] == [("C001", D("5000.00"))]
    assert summary["last_month_source"] == "2024-12 computed now (no run saved)"
    assert summary["totals"]["service_charge"] == "5000.00"


def test_payroll_close_notebook_is_thin_with_one_month_parameter():
    import ast
    from pathlib import Path

    import nbformat
    import papermill

    path = Path(__file__).resolve().parents[2] / "notebooks" / "payroll" / "payroll_close.ipynb"
    found = papermill.inspect_notebook(str(path))
    assert {k: v["default"] for k, v in found.items()} == {"month": '""'}
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c for c in code if "parameters" in c.metadata.get("tags", [])] == [code[1]]
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda))
    assert code[-1].source.startswith("payroll_close_dashboard(")
