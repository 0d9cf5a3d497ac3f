"""The schedules page with payroll's plan cost passed in (``load_plan_cost``): planned hours per
person and week beside the grid, the overtime or holiday pay a week's plan causes, and the cost
of a shift or a generation shown before anything is saved. Handlers called without a browser on
the demo data (whose shifts are planned four weeks ahead)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.payroll.service.forecast import load_plan_cost
from backoffice_lib.staff.schedule_dashboard import ScheduleBoard, render_week_grid, week_start

ADMIN = "admin@studio.example"


def next_week() -> dt.date:
    return week_start(bangkok.today()) + dt.timedelta(days=7)


def shift_count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM backoffice.staff_schedules"))


def busiest_with_a_free_day(board: ScheduleBoard) -> tuple[int, dt.date]:
    """A person of the week shown with the most planned hours and a day without a shift."""
    shifts = board.shifts
    hours = shifts.assign(h=[(e.hour - s.hour) + (e.minute - s.minute) / 60
                             for s, e in zip(shifts["start_time"], shifts["end_time"])])
    for staff in hours.groupby("staff_id")["h"].sum().sort_values(ascending=False).index:
        taken = set(shifts[shifts["staff_id"] == staff]["schedule_date"])
        free = [board.week + dt.timedelta(days=i) for i in range(7)
                if board.week + dt.timedelta(days=i) not in taken]
        if free:
            return int(staff), free[0]
    raise AssertionError("everyone works every day of the week")


def test_grid_shows_each_persons_planned_hours_of_the_week():
    shifts = pd.DataFrame({
        "staff_id": [1, 1, 2], "staff_name": ["Ann", "Ann", "Ben"],
        "schedule_date": [dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 2)],
        "start_time": [dt.time(9), dt.time(9), dt.time(10)],
        "end_time": [dt.time(17, 30), dt.time(17), dt.time(14)],
    })
    grid = render_week_grid(shifts, dt.date(2026, 3, 1), {
        "Ann": {"ot_hours": D("2.50"), "ot_pay": D("200.00"), "holiday_hours_planned": D(0),
                "holiday_pay": D(0)}})
    assert "<th>Week</th>" in grid
    assert "16.50 h" in grid and "4.00 h" in grid
    assert "2.50 h overtime 200.00 THB" in grid


def test_a_shift_that_causes_overtime_says_its_cost_before_it_is_saved(demo_engine):
    board = ScheduleBoard(ADMIN, engine=demo_engine, week=next_week(), plan_cost=load_plan_cost)
    staff, day = busiest_with_a_free_day(board)
    before = shift_count(demo_engine)
    board.new_person.value = staff
    board.new_start.value, board.new_end.value = "07:00", "22:30"
    board.new_date.value = day.isoformat()
    hint = board.new_cost.value
    assert "With this shift the week of" in hint
    costs = load_plan_cost_of(demo_engine, board.week, staff, day)
    if costs["ot_hours"] > 0:
        assert "overtime" in hint and "this change: +" in hint
    assert shift_count(demo_engine) == before  # nothing saved


def load_plan_cost_of(engine, week: dt.date, staff: int, day: dt.date) -> dict:
    add = pd.DataFrame({"staff_id": [staff], "schedule_date": [day],
                        "start_time": [dt.time(7)], "end_time": [dt.time(22, 30)]})
    with engine.connect() as conn:
        rows = load_plan_cost(conn, ADMIN, day, day, add=add)
    return rows[rows["staff"] == staff].iloc[0].to_dict()


def test_week_plan_cost_has_the_overtime_of_hours_over_48(demo_engine):
    week = next_week()
    with demo_engine.connect() as conn:
        staff = conn.execute(sa.text(
            "SELECT staff_id FROM backoffice.staff_schedules WHERE schedule_date BETWEEN :a AND :b"
            " GROUP BY staff_id ORDER BY count(*) DESC LIMIT 1"),
            {"a": week, "b": week + dt.timedelta(days=6)}).scalar_one()
        # seven 10-hour days: at least 70 h planned, over 48 h by 22 h or more (less holidays)
        add = pd.DataFrame({"staff_id": [staff] * 7,
                            "schedule_date": [week + dt.timedelta(days=i) for i in range(7)],
                            "start_time": [dt.time(8)] * 7, "end_time": [dt.time(18)] * 7})
        saved = conn.execute(sa.text(
            "SELECT id FROM backoffice.staff_schedules WHERE staff_id = :s"
            " AND schedule_date BETWEEN :a AND :b"),
            {"s": staff, "a": week, "b": week + dt.timedelta(days=6)}).scalars().all()
        rows = load_plan_cost(conn, ADMIN, week, week + dt.timedelta(days=6), add=add,
                              remove=set(saved))
    row = rows[rows["staff"] == staff].iloc[0]
    assert row["hours"] == D("70.00")
    assert row["ot_hours"] == row["hours"] - D(48) - row["holiday_hours_planned"]
    assert row["cost"] == row["ot_pay"] + row["holiday_pay"]
    assert row["added_cost"] > 0


def test_generation_preview_includes_the_cost_it_adds(demo_engine):
    board = ScheduleBoard(ADMIN, engine=demo_engine, plan_cost=load_plan_cost)
    later = next_week() + dt.timedelta(days=28)  # beyond the demo's plan: all to create
    board.gen_from.value = later.isoformat()
    board.gen_to.value = (later + dt.timedelta(days=6)).isoformat()
    report = board.on_preview()
    assert len(report.created) > 0
    assert "These shifts add" in board.preview.value and "THB" in board.preview.value


def test_without_plan_cost_the_page_shows_hours_only(demo_engine):
    board = ScheduleBoard(ADMIN, engine=demo_engine, week=next_week())
    assert "<th>Week</th>" in board.week_grid.value
    assert "THB" not in board.week_grid.value
    board.new_date.value = next_week().isoformat()
    assert board.new_cost.value == ""


def test_a_shift_that_overlaps_or_outlasts_a_session_has_no_cost_but_the_reason(demo_engine):
    board = ScheduleBoard(ADMIN, engine=demo_engine, week=next_week(), plan_cost=load_plan_cost)
    row = board.shifts.iloc[0]
    board.new_person.value = int(row["staff_id"])
    board.new_date.value = row["schedule_date"].isoformat()
    board.new_start.value = row["start_time"].strftime("%H:%M")
    board.new_end.value = row["end_time"].strftime("%H:%M")
    assert "No cost:" in board.new_cost.value and "overlaps another" in board.new_cost.value
    board.new_date.value = (board.week + dt.timedelta(days=14)).isoformat()
    board.new_start.value, board.new_end.value = "05:00", "23:00"
    assert "longer than the 16 h a session may last" in board.new_cost.value


def test_editing_a_shift_says_what_the_change_costs(demo_engine):
    board = ScheduleBoard(ADMIN, engine=demo_engine, week=next_week(), plan_cost=load_plan_cost)
    shift = board.shifts.iloc[0]
    board.shift_pick.value = shift["id"]
    assert board.shift_cost.value == ""  # picked, not changed
    board.shift_end.value = (dt.datetime.combine(shift["schedule_date"], shift["end_time"])
                             + dt.timedelta(minutes=30)).strftime("%H:%M")
    assert f"With this shift the week of {board.week:%a %d %b}" in board.shift_cost.value
