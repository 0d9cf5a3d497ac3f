"""jobs.yml semantics: schedules, periods, templates, what is due (idempotence), overrides."""

from __future__ import annotations

import datetime as dt

import papermill
import pytest

from backoffice_lib.workbench import catalog, jobs

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _job(schedule="monthly:1", **kwargs) -> jobs.Job:
    return jobs.Job(name="j", notebook="x.ipynb", schedule=schedule, **kwargs)


@pytest.mark.parametrize(
    ("schedule", "today", "period"),
    [
        ("daily", dt.date(2026, 11, 25), "2026-11-25"),
        ("weekly:mon", dt.date(2026, 11, 25), "2026-W48"),
        ("weekly:sun", dt.date(2027, 1, 1), "2026-W53"),
        ("monthly:1", dt.date(2026, 11, 25), "2026-11"),
        ("monthly:28", dt.date(2026, 2, 1), "2026-02"),
    ],
    ids=["daily-is-the-day", "weekly-iso-week", "weekly-year-boundary", "monthly", "monthly-early"],
)
def test_period_key_names_the_period_a_scheduled_run_covers(schedule, today, period):
    assert jobs.compute_period_key(schedule, today) == period


@pytest.mark.parametrize(
    ("schedule", "today", "fired"),
    [
        ("daily", dt.date(2026, 11, 25), True),
        ("monthly:1", dt.date(2026, 11, 1), True),
        ("monthly:1", dt.date(2026, 11, 2), True),  # machine off on the 1st: caught up
        ("monthly:2", dt.date(2026, 11, 1), False),
        ("weekly:wed", dt.date(2026, 11, 24), False),  # a Tuesday
        ("weekly:wed", dt.date(2026, 11, 25), True),
        ("weekly:wed", dt.date(2026, 11, 29), True),  # Sunday of that week: caught up
    ],
    ids=["daily", "monthly-on-the-day", "monthly-catch-up", "monthly-not-yet",
         "weekly-not-yet", "weekly-on-the-day", "weekly-catch-up"],
)
def test_schedule_fires_on_its_day_and_catches_up_later_in_the_period(schedule, today, fired):
    assert jobs.compute_has_fired(schedule, today) is fired


def _row(status, trigger="schedule", age=dt.timedelta(minutes=5)):
    return {"status": status, "trigger": trigger, "started_at": NOW - age}


@pytest.mark.parametrize(
    ("rows", "due"),
    [
        ([], True),
        ([_row("succeeded")], False),
        ([_row("succeeded", trigger="manual")], False),
        ([_row("running")], False),
        ([_row("running", age=dt.timedelta(hours=7))], True),
        ([_row("failed")], True),
        ([_row("failed"), _row("failed")], True),
        ([_row("failed"), _row("failed"), _row("failed")], False),
        ([_row("failed", trigger="manual")] * 3, True),
        ([_row("failed"), _row("succeeded")], False),
    ],
    ids=[
        "never-run", "succeeded", "manual-success-counts", "still-running", "stale-running",
        "one-failure-retried", "two-failures-retried", "gives-up-after-max-attempts",
        "manual-failures-not-counted", "failed-then-succeeded",
    ],
)
def test_run_due_is_idempotent_per_period(rows, due):
    assert jobs.compute_is_due(_job(), dt.date(2026, 11, 25), rows, NOW) is due


def test_nothing_is_due_before_the_schedule_fires():
    assert not jobs.compute_is_due(_job("monthly:2"), dt.date(2026, 11, 1), [], NOW)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 11, 1), {"month": "2026-10", "day": "2026-11-01", "end": "2026-10-31"}),
        (dt.date(2026, 1, 1), {"month": "2025-12", "day": "2026-01-01", "end": "2025-12-31"}),
        (dt.date(2024, 3, 1), {"month": "2024-02", "day": "2024-03-01", "end": "2024-02-29"}),
    ],
    ids=["november", "january-previous-year", "leap-february"],
)
def test_parameter_templates_are_bangkok_dates(today, expected):
    job = _job(
        parameters={"month": "{previous_month}", "day": "{today}", "end": "{previous_month_end}"}
    )
    assert jobs.compute_parameters(job, today) == expected


def test_overrides_win_and_expected_outputs_use_the_parameters():
    job = _job(parameters={"month": "{previous_month}"}, expected_outputs=("pay_{month}.xlsx",))
    params = jobs.compute_parameters(job, dt.date(2026, 11, 3), {"month": "2026-08"})
    assert params == {"month": "2026-08"}
    assert jobs.compute_expected_outputs(job, dt.date(2026, 11, 3), params) == ["pay_2026-08.xlsx"]


@pytest.mark.parametrize(
    ("items", "parsed"),
    [
        (["month=2026-10"], {"month": "2026-10"}),
        (["as_of=2026-10-01"], {"as_of": "2026-10-01"}),
        (["days=30", "ratio=0.5", "dry=true", "none=null"],
         {"days": 30, "ratio": 0.5, "dry": True, "none": None}),
        (["coach="], {"coach": ""}),
        (["note=a=b"], {"note": "a=b"}),
    ],
    ids=["month-stays-text", "date-stays-text", "scalars", "empty", "value-with-equals"],
)
def test_parameter_overrides_parse_like_papermill(items, parsed):
    assert jobs.parse_parameter_overrides(items) == parsed


@pytest.mark.parametrize("item", ["month", "=x", "bad-name=1"])
def test_bad_parameter_override_is_refused(item):
    with pytest.raises(ValueError, match="KEY=VALUE"):
        jobs.parse_parameter_overrides([item])


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "jobs:"),
        ({"jobs": [{"name": "a b", "notebook": "x.ipynb", "schedule": "daily"}]}, "name"),
        ({"jobs": [{"name": "a", "notebook": "x.py", "schedule": "daily"}]}, "ipynb"),
        ({"jobs": [{"name": "a", "notebook": "x.ipynb", "schedule": "hourly"}]}, "schedule"),
        ({"jobs": [{"name": "a", "notebook": "x.ipynb", "schedule": "monthly:31"}]}, "schedule"),
        ({"jobs": [{"name": "a", "notebook": "x.ipynb", "schedule": "daily"}] * 2}, "twice"),
        ({"jobs": [{"name": "a", "notebook": "x.ipynb", "schedule": "daily",
                    "parameters": {"m": "{last_month}"}}]}, "unknown placeholder"),
    ],
    ids=["no-jobs", "bad-name", "not-a-notebook", "unknown-schedule", "day-31", "duplicate",
         "unknown-placeholder"],
)
def test_malformed_jobs_file_is_refused_with_the_job_named(document, message):
    with pytest.raises(jobs.JobsFileError, match=message):
        jobs.compute_jobs(document)


def test_repository_jobs_file_names_existing_notebooks_and_their_parameters():
    defined = jobs.load_jobs()
    names = {job.name for job in defined}
    assert {"payroll-monthly", "package-alerts"} <= names
    for job in defined:
        accepted = set(papermill.inspect_notebook(str(job.notebook_path())))
        assert "output_dir" in accepted, job.name
        given = set(jobs.compute_parameters(job, dt.date(2026, 11, 1)))
        assert given <= accepted, (job.name, given - accepted)
    payroll = next(job for job in defined if job.name == "payroll-monthly")
    assert payroll.schedule == "monthly:1"
    assert jobs.compute_parameters(payroll, dt.date(2026, 11, 1)) == {"month": "2026-10"}


def test_jobs_table_shows_bangkok_time_status_and_reason():
    rows = [
        {
            "started_at": dt.datetime(2026, 10, 31, 17, 30, tzinfo=UTC),
            "job_name": "payroll-monthly",
            "status": "failed",
            "duration_seconds": 3.25,
            "period_key": "2026-11",
            "trigger": "schedule",
            "run_dir": "/runs/x",
            "error": "ValueError: boom",
        }
    ]
    table = jobs.compute_runs_table(rows).splitlines()
    assert table[0].startswith("started (Bangkok)")
    assert table[1].split()[:6] == ["2026-11-01", "00:30", "payroll-monthly", "failed", "3.2", "2026-11"]
    assert table[1].endswith("/runs/x  (ValueError: boom)")


def test_every_job_notebook_is_in_the_catalog_as_a_report():
    reports = {e.path for e in catalog.load_catalog() if e.kind == "report"}
    missing = [job.notebook for job in jobs.load_jobs() if job.notebook not in reports]
    assert missing == []
