"""The owner's overview: the chart stops at today (issue 21 item 6), and its handler refuses a
person who may no longer see it, server-side and audited."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backoffice_lib import access, database
from backoffice_lib.workbench import overview_dashboard as board
from backoffice_lib.workbench import rules

D = Decimal
NOTHING = {"run": None, "payroll_available": True, "sales": [], "sessions": [], "unresolved": 0,
           "reconciliation_available": True}


@pytest.mark.parametrize(
    ("month", "today", "first", "last", "count"),
    [
        ("2031-03", dt.date(2031, 3, 10), "2031-03-01", "2031-03-10", 10),
        ("2031-03", dt.date(2031, 3, 1), "2031-03-01", "2031-03-01", 1),
        ("2031-02", dt.date(2031, 3, 10), "2031-02-01", "2031-02-28", 28),
        ("2031-03", dt.date(2031, 3, 31), "2031-03-01", "2031-03-31", 31),
    ],
    ids=["current-month-stops-at-today", "the-1st-shows-one-day", "a-past-month-is-whole",
         "the-last-day-is-the-whole-month"],
)
def test_the_daily_chart_stops_at_today(month, today, first, last, count):
    usage = [{"day": dt.date(2031, 3, 1), "hours": D("2.50")},
             {"day": dt.date(2031, 2, 28), "hours": D("1.00")}]
    data = rules.compute_overview(month, today, {**NOTHING, "usage": usage, "pos": []})
    assert (data["days"][0], data["days"][-1], len(data["days"])) == (first, last, count)
    assert len(data["usage_hours"]) == len(data["pos_amounts"]) == count
    assert data["usage_hours"][0] == (D("2.50") if month == "2031-03" else D(0))


def test_the_kpis_still_count_the_whole_month():
    usage = [{"day": dt.date(2031, 3, 1), "hours": D("2.50")}]
    pos = [{"day": dt.date(2031, 3, 2), "amount": D("100.005")}]
    data = rules.compute_overview("2031-03", dt.date(2031, 3, 1), {**NOTHING, "usage": usage,
                                                                   "pos": pos})
    kpis = {k.label: k.value for k in data["kpis"]}
    assert (kpis["Package hours used"], kpis["Studio sales (POS)"]) == ("2.50 h", "฿100.01")


def test_a_month_change_by_an_admin_demoted_while_the_overview_is_open_is_refused(engine):
    """The page was built for an admin; once demoted, picking another month is refused by the
    handler itself (the service's access check) and audited, and no figure is shown."""
    email, other = (f"{who}-{uuid.uuid4().hex[:6]}@studio.example" for who in ("ov", "ov-other"))
    with engine.begin() as c:
        for who in (email, other):  # another admin: the last one cannot be demoted
            c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                              " VALUES (:e, true)"), {"e": who})
    with database.transaction() as c:
        view = board.OverviewDashboard(access.load_user(c, email), "2025-03")
    assert "Figures for 2025-03" in view.status.value
    assert len(view.fig.data[0].x) == 31
    with engine.begin() as c:
        c.execute(sa.text("UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :e"),
                  {"e": email})
    refusals = ("SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                " AND action = 'ACCESS_DENIED'")
    with engine.connect() as c:
        before = c.scalar(sa.text(refusals), {"e": email})
    view.picker.value = view.picker.options[1]  # observed: the handler runs
    assert "not an admin" in view.status.value
    with engine.connect() as c:
        assert c.scalar(sa.text(refusals), {"e": email}) == before + 1
