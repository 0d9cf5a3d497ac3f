"""backoffice_lib.explore (issue 27): tidy frames of the demo data, columns and types pinned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from backoffice_lib import bangkok, explore
from backoffice_lib.explore import rules

TIME = "datetime64[ns, Asia/Bangkok]"
DATE = "datetime64[ns]"
PINNED = {
    "attendance": {
        "staff_id": "Int64", "staff_name": "string", "work_date": DATE, "weekday": "string",
        "shift_id": "string", "shift_start": TIME, "shift_end": TIME, "clock_in": TIME,
        "clock_out": TIME, "status": "string", "minutes_late": "Int64", "left_early": "boolean",
        "minutes_early": "Int64", "planned_hours": "float64", "worked_hours": "float64",
        "session_flag": "string",
    },
    "sessions": {
        "staff_id": "Int64", "staff_name": "string", "work_date": DATE, "clock_in": TIME,
        "clock_out": TIME, "hours": "float64", "flag": "string",
    },
    "audit": {
        "changed_at": TIME, "source": "string", "change_id": "string", "user_email": "string",
        "action": "string", "resource_type": "string", "resource_id": "string",
        "field": "string", "before": "string", "after": "string",
    },
    "package_usage": {
        "package_id": "string", "customer_id": "string", "customer_name": "string",
        "package_type": "string", "package_kind": "string", "package_hours": "float64",
        "purchase_date": DATE, "first_use_date": DATE, "expiration_date": DATE,
        "usage_id": "string", "used_date": DATE, "used_hours": "float64",
        "employee_name": "string", "booking_id": "string",
    },
    "sales": {
        "sale_id": "Int64", "receipt_number": "string", "sale_date": DATE, "sale_time": TIME,
        "customer_id": "string", "customer_name": "string", "product_name": "string",
        "product_category": "string", "sku_number": "string", "item_cnt": "object",
        "item_price_incl_vat": "object", "is_voided": "boolean",
    },
}


@pytest.fixture(scope="module")
def frames(demo_engine):
    end = bangkok.today()
    start = end - dt.timedelta(days=90)
    return {
        "attendance": explore.attendance(start, end, engine=demo_engine),
        "sessions": explore.sessions(start, end, engine=demo_engine),
        "audit": explore.audit(end - dt.timedelta(days=400), end, engine=demo_engine),
        "package_usage": explore.package_usage(end - dt.timedelta(days=400), end,
                                               engine=demo_engine),
        "sales": explore.sales(start, end, engine=demo_engine),
    }


@pytest.mark.parametrize("name", sorted(PINNED))
def test_each_frame_has_its_pinned_columns_and_types(frames, name):
    frame = frames[name]
    assert len(frame) > 0, f"the demo data gives {name} rows"
    assert {c: str(t) for c, t in frame.dtypes.items()} == PINNED[name]


def test_frames_of_an_empty_period_keep_their_columns_and_types(demo_engine):
    far = dt.date(2001, 1, 1)
    for name, pinned in PINNED.items():
        frame = getattr(explore, name)(far, far, engine=demo_engine)
        assert len(frame) == 0
        assert {c: str(t) for c, t in frame.dtypes.items()} == pinned


def test_attendance_rows_are_shifts_and_unscheduled_sessions_in_bangkok_time(frames):
    frame = frames["attendance"]
    assert set(frame["status"]) <= {"on_time", "late", "no_show", "upcoming", "unscheduled"}
    shifts = frame[frame["shift_id"].notna()]
    assert (shifts["planned_hours"] > 0).all()
    assert (shifts["shift_start"].dt.date == shifts["work_date"].dt.date).all()
    late = frame[frame["status"] == "late"]
    assert (late["minutes_late"] > 5).all()
    assert (frame.loc[frame["status"] == "on_time", "minutes_late"] == 0).all()


def test_attendance_of_one_person_by_name_or_id(frames, demo_engine):
    frame = frames["attendance"]
    first = frame.dropna(subset=["staff_id"]).iloc[0]
    end = bangkok.today()
    start = end - dt.timedelta(days=90)
    by_name = explore.attendance(start, end, staff=str(first["staff_name"]), engine=demo_engine)
    by_id = explore.attendance(start, end, staff=int(first["staff_id"]), engine=demo_engine)
    assert set(by_name["staff_id"]) == {first["staff_id"]}
    assert len(by_name) == len(by_id) == (frame["staff_id"] == first["staff_id"]).sum()


def test_sales_amounts_stay_decimal(frames):
    amounts = frames["sales"]["item_price_incl_vat"].dropna()
    assert all(isinstance(v, Decimal) for v in amounts)


def test_audit_rows_hold_no_secret(frames):
    text = frames["audit"].astype(str).to_string()
    for secret in ("pin_hash", "national_id", "bank_account", "$2b$"):
        assert secret not in text


@pytest.mark.parametrize(
    "details, expected",
    [
        ({"before": {"a": 1}, "after": {"a": 2}}, [("a", 1, 2)]),
        ({"after": {"x": {"y": "z"}}, "reason": "typo"}, [("x.y", None, "z"), ("reason", None, "typo")]),
        ({}, [(None, None, None)]),
        (None, [(None, None, None)]),
    ],
)
def test_change_fields_flatten_before_and_after(details, expected):
    assert rules.compute_change_fields(details) == expected


@pytest.mark.parametrize(
    "start, end, message",
    [
        ("2026-02-01", "2026-01-01", "before start"),
        ("2020-01-01", "2026-01-01", "longer than three years"),
        ("yesterday", "2026-01-01", "must be a date"),
    ],
)
def test_periods_an_analyst_can_fix_are_refused_with_a_message(start, end, message):
    with pytest.raises(explore.ExploreError, match=message):
        rules.compute_period(start, end)


def test_the_notebook_summaries_run_on_the_frames(frames):
    table = explore.compute_lateness_by_weekday_hour(frames["attendance"])
    assert set(table.index) <= set(rules.WEEKDAYS)
    weekdays = explore.compute_lateness_by_weekday(frames["attendance"])
    assert list(weekdays["weekday"]) == rules.WEEKDAYS
    cohorts = explore.compute_package_cohorts(frames["package_usage"])
    assert cohorts["package_id"].is_unique
    assert set(cohorts["stage"]) <= {"never used", "used up", "abandoned", "in use"}
    staffing = explore.compute_sales_against_staffing(frames["sales"], frames["attendance"])
    assert staffing["sales_lines_per_day"].sum() > 0
    assert isinstance(explore.compute_pay_and_pin_changes(frames["audit"]), pd.DataFrame)


@pytest.mark.parametrize(
    "resource_type, resource_id, action, about",
    [
        ("staff_compensation", "5", "RAISE", "pay rate"),
        ("payroll_settings", "pin_max_failed_attempts", "UPDATE", "PIN setting"),
        ("payroll_settings", "pin_lockout_minutes", "UPDATE", "PIN setting"),
        ("payroll_settings", "max_session_hours", "UPDATE", None),
        ("staff", "3", "RESET_PIN", "PIN"),
        ("staff", "3", "pin_changed", "PIN"),
        ("staff", "3", "UNLOCK", "PIN"),
        ("staff", "3", "UPDATE", None),
        ("packages", "x", "UPDATE", None),
    ],
)
def test_pay_and_pin_changes_are_picked_by_subject(resource_type, resource_id, action, about):
    row = {name: None for name in rules.AUDIT_DTYPES}
    row.update(resource_type=resource_type, resource_id=resource_id, action=action,
               change_id="c1", user_email="admin@x", field="f")
    frame = rules.compute_typed({k: [v] for k, v in row.items()}, rules.AUDIT_DTYPES)
    picked = explore.compute_pay_and_pin_changes(frame)
    assert list(picked["about"]) == ([about] if about else [])


def test_attendance_agrees_with_the_staff_attendance_report(demo_engine):
    """One rule for attendance: explore's frame and the staff domain's report (the CLI's
    `backoffice attendance`) give the same shifts, statuses and minutes late."""
    from backoffice_lib.staff.service import schedules

    end = bangkok.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=60)
    as_of = bangkok.now()
    frame = explore.attendance(start, end, as_of=as_of, engine=demo_engine)
    with demo_engine.connect() as conn:
        report = schedules.load_attendance(conn, start, end, as_of=as_of)

    def key(rows, shift, status, late):
        return sorted((str(s), str(t), -1 if pd.isna(m) else int(m))
                      for s, t, m in zip(rows[shift], rows[status], rows[late], strict=True)
                      if not pd.isna(s))

    assert len(frame) == len(report)
    assert key(frame, "shift_id", "status", "minutes_late") == key(
        report, "shift_id", "status", "minutes_late")
