"""The schedules page in Chromium with the plan's cost: the week's hours beside the grid, and
the cost of a shift shown while it is typed, before it is saved."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.staff.schedule_dashboard import week_start

from .test_manager_browser import Page, query


@pytest.fixture(scope="module")
def db(demo_database_url):
    engine = sa.create_engine(demo_database_url)
    yield engine
    engine.dispose()


def test_schedules_show_week_hours_and_a_shifts_cost_before_it_is_saved(chromium, as_admin, db,
                                                                        screenshots):
    page = Page(chromium, as_admin, "staff/schedules.ipynb")
    day = bangkok.today() + dt.timedelta(days=10)
    try:
        page.expect("bo-week-grid", "Week")
        before = query(db, "SELECT count(*) FROM backoffice.staff_schedules")
        page.fill("bo-new-shift-date", day.isoformat())
        page.fill("bo-new-shift-start", "00:30")
        page.fill("bo-new-shift-end", "05:30")  # before any demo shift: no overlap
        page.expect("bo-change-cost", f"With this shift the week of {week_start(day):%a %d %b}")
        assert query(db, "SELECT count(*) FROM backoffice.staff_schedules") == before
        page.shot(screenshots, "schedules-cost", at="bo-change-cost")
    finally:
        page.close()
