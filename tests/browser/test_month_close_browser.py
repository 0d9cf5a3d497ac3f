"""The Month close page in Chromium: the month's tax calendar shows, and a duty recorded as
filed through the form shows as filed with its receipt."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok

from .test_manager_browser import Page, query


@pytest.fixture(scope="module")
def db(demo_database_url):
    engine = sa.create_engine(demo_database_url)
    yield engine
    engine.dispose()


def test_month_close_shows_the_calendar_and_records_a_filing(chromium, as_admin, db,
                                                             screenshots):
    month = bangkok.previous_month(bangkok.month_key(bangkok.today()))
    page = Page(chromium, as_admin, "taxes/month_close.ipynb", viewport=(1280, 1100))
    try:
        page.expect("mc-calendar", "due online")
        assert page.selected("mc-month") == month
        page.pick("mc-duty", f"Companies withholding (ภ.ง.ด.53) — {month}")
        page.fill("mc-receipt", "BROWSER-53")
        page.click("mc-record")
        page.expect("mc-message-record", f"pnd53 {month} recorded as filed")
        page.expect("mc-calendar", "receipt BROWSER-53")
        assert query(db, "SELECT receipt_no FROM backoffice.tax_filings WHERE duty = 'pnd53'"
                         " AND period = :m", m=month) == [("BROWSER-53",)]
        page.shot(screenshots, "month-close", at="mc-calendar")
    finally:
        page.close()
