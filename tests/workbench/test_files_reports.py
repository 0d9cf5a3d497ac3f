"""Reports on demand and the Runs page: forms from the catalog's parameters, validation before
anything runs, who may run what, progress of a run, the page's rows (pure, no server)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from backoffice_lib import access
from backoffice_lib.workbench import catalog, runs_page

TODAY = dt.date(2026, 12, 1)
PAYROLL = catalog.CatalogEntry("payroll/payroll_run.ipynb", "report", "Monthly payroll run",
                               "finance", "…", {"month": "2025-01"})
ALERTS = catalog.CatalogEntry("packages/package_alerts.ipynb", "report", "Daily package alerts",
                              "managers", "…", {"as_of": "", "output_dir": ""})
COACHING = catalog.CatalogEntry("packages/coach_earnings.ipynb", "report", "Coach earnings",
                                "finance", "…", {"coach": "", "month": "", "output_dir": ""})
MAINTAIN = catalog.CatalogEntry("history/db_maintain.ipynb", "report", "Partitions", "managers",
                                "…", {"months_ahead": 3, "output_dir": ""})
RECONCILE = catalog.CatalogEntry("reconciliation/reconciliation_run.ipynb", "report", "Rec",
                                 "finance", "…", {"type": "restaurant", "file": ""})
ADMIN = access.User(uuid.uuid4(), "admin@studio.example", True, False, None)
COACH = access.User(uuid.uuid4(), "min@studio.example", False, True, "MIN")
CLERK = access.User(uuid.uuid4(), "clerk@studio.example", False, False, None)


def test_form_fields_follow_the_catalog_parameters():
    assert runs_page.compute_form_fields(PAYROLL) == [
        {"name": "month", "type": "month", "default": "2025-01"}]
    assert runs_page.compute_form_fields(ALERTS) == [{"name": "as_of", "type": "date",
                                                      "default": ""}]
    assert [f["type"] for f in runs_page.compute_form_fields(MAINTAIN)] == ["number"]
    assert [f["name"] for f in runs_page.compute_form_fields(COACHING)] == ["coach", "month"]


@pytest.mark.parametrize(
    ("user", "entry", "allowed"),
    [
        (ADMIN, PAYROLL, True), (ADMIN, COACHING, True), (ADMIN, RECONCILE, False),
        (COACH, PAYROLL, False), (COACH, COACHING, True), (COACH, ALERTS, False),
        (CLERK, COACHING, False), (None, PAYROLL, False),
    ],
)
def test_who_may_run_a_report(user, entry, allowed):
    assert runs_page.compute_may_run(user, entry) is allowed


@pytest.mark.parametrize(
    ("entry", "form", "expected"),
    [
        (PAYROLL, {"month": "2026-11"}, {"month": "2026-11"}),
        (PAYROLL, {"month": " 2026-12 "}, {"month": "2026-12"}),
        (ALERTS, {"as_of": "2026-11-30"}, {"as_of": "2026-11-30"}),
        (ALERTS, {"as_of": ""}, {"as_of": ""}),
        (MAINTAIN, {"months_ahead": "6"}, {"months_ahead": 6}),
        (COACHING, {"coach": "BOSS", "month": "2026-10"}, {"coach": "BOSS", "month": "2026-10"}),
    ],
)
def test_report_parameters_from_a_valid_form(entry, form, expected):
    assert runs_page.compute_report_parameters(entry, form, TODAY, ADMIN) == expected


@pytest.mark.parametrize(
    ("entry", "form", "message"),
    [
        (PAYROLL, {"month": "2027-01"}, "in the future"),
        (PAYROLL, {"month": "2026-13"}, "YYYY-MM"),
        (PAYROLL, {"month": ""}, "YYYY-MM"),
        (PAYROLL, {"month": "2026-11'; drop"}, "YYYY-MM"),
        (ALERTS, {"as_of": "2026-12-02"}, "not a date a report can cover"),
        (ALERTS, {"as_of": "0001-01-01"}, "not a date a report can cover"),
        (ALERTS, {"as_of": "1/12/2026"}, "pick a date"),
        (MAINTAIN, {"months_ahead": "-1"}, "whole number"),
        (MAINTAIN, {"months_ahead": "๓"}, "whole number"),
        (COACHING, {"coach": "<script>", "month": "2026-10"}, "letters, digits"),
    ],
)
def test_report_parameters_refused_before_anything_runs(entry, form, message):
    with pytest.raises(runs_page.ReportRefused, match=message):
        runs_page.compute_report_parameters(entry, form, TODAY, ADMIN)


def test_a_coach_runs_only_their_own_earnings():
    values = runs_page.compute_report_parameters(
        COACHING, {"coach": "BOSS", "month": "2026-10"}, TODAY, COACH)
    assert values == {"coach": "MIN", "month": "2026-10"}


def test_report_form_posts_the_notebook_and_a_month_picker():
    form = runs_page.compute_report_form_html(PAYROLL, xsrf="x<y", base_url="/", today=TODAY,
                                              user=ADMIN)
    assert form.startswith('<form class="run-report" method="post" action="/runs/start">')
    assert '<input type="hidden" name="_xsrf" value="x&lt;y">' in form
    assert '<input type="hidden" name="notebook" value="payroll/payroll_run.ipynb">' in form
    assert '<input type="month" name="month" value="2026-11" max="2026-12" required>' in form
    coach = runs_page.compute_report_form_html(COACHING, xsrf="t", today=TODAY, user=COACH)
    assert '<input type="hidden" name="coach" value="MIN">' in coach


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], (0, 0)),
        (["completed", "completed", "running", "pending"], (2, 4)),
        (["completed"] * 3, (3, 3)),
        ([None, "completed"], (1, 2)),
    ],
)
def test_cells_done_of_total_from_papermill_metadata(statuses, expected):
    cells = [{"cell_type": "code", "metadata": {"papermill": {"status": s}} if s else {}}
             for s in statuses]
    assert runs_page.compute_cells_done({"cells": cells}) == expected


def test_cells_done_counts_code_cells_only():
    """A 13-code-cell notebook with 8 markdown cells is 13 cells of work, not 21."""
    code = {"cell_type": "code", "metadata": {"papermill": {"status": "completed"}}}
    markdown = {"cell_type": "markdown", "metadata": {"papermill": {"status": "completed"}}}
    assert runs_page.compute_cells_done({"cells": [markdown, code, markdown, code]}) == (2, 2)


def _run(**values) -> dict:
    run = {
        "id": uuid.UUID(int=7), "job_name": "payroll-monthly", "notebook": "/nb/payroll_run.ipynb",
        "parameters": {"month": "2026-10", "output_dir": ""}, "trigger": "manual",
        "requested_by": "admin@studio.example", "status": "succeeded", "error": None,
        "started_at": dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC), "duration_seconds": 6.4,
        "outputs": {"payroll_2026-10.xlsx": "s"}, "run_dir": "/runs/x",
    }
    return {**run, **values}


def test_runs_page_lists_job_parameters_who_status_seconds_reason_and_files():
    page = runs_page.compute_runs_html(
        [_run(), _run(id=uuid.UUID(int=8), status="failed", trigger="schedule", outputs={},
                      error="MissingRate in cell [4]: <no rate>", duration_seconds=None)],
        user="admin@studio.example")
    first, second = page.split('<tr class="run"')[1:]
    assert ("<td>2026-11-01 09:00</td><td>payroll-monthly</td><td>month=2026-10</td>"
            "<td>admin@studio.example</td><td class=status>succeeded</td><td class=num>6.4</td>"
            ) in first
    assert f'href="/files/{uuid.UUID(int=7)}/payroll_2026-10.xlsx"' in first
    assert "<td>schedule</td>" in second
    assert "MissingRate in cell [4]: &lt;no rate&gt;" in second
    assert "http" not in page


def test_runs_page_without_runs_says_so():
    assert "No runs you may see yet." in runs_page.compute_runs_html([], user=None)
