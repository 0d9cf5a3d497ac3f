"""Finance closes the month in the browser (issue 13): payroll close, run files, reports on demand.

Three flows in headless Chromium, offline, against ``backoffice serve`` as people run it (its
default pool of preheated kernels) on this module's demo database, each checked in the database
afterwards:

1. an admin closes a month on the payroll close dashboard: a negative service charge is refused
   (nothing written), the pool is saved (audited), Finalise is refused before a run, **Run
   payroll** (started from the preheated kernel) shows its progress and ends with
   the totals, the diffs and the run's files; a payslip downloads (PDF, its file name, audited);
   the executed notebook opens as HTML without script; **Finalise** asks with the total and head
   count and the month shows locked; reopening is refused without a reason, then reopens;
2. a report runs from its landing-page card: a future month is refused before anything runs; a
   valid month starts a run that the Runs page lists with who started it and its files;
3. a coach (not an admin) gets no run form, is refused the payroll files and the payroll report
   (each refusal audited), and the Runs page does not show them the payroll runs.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import sqlalchemy as sa

from backoffice_lib import bangkok

from .conftest import TOKEN

ADMIN = "admin@studio.example"
COACH = "min@studio.example"
CLOSE = "payroll/payroll_close.ipynb"
REPORT = "payroll/payroll_run.ipynb"
MONTH = bangkok.previous_month(bangkok.month_key(bangkok.today()))
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*(Error|Exception): ")


def scalar(engine, statement: str, **params):
    with engine.connect() as conn:
        return conn.scalar(sa.text(statement), params)


def audit_count(engine, user: str, action: str) -> int:
    return scalar(engine, "SELECT count(*) FROM backoffice.audit_logs"
                  " WHERE user_email = :u AND action = :a", u=user, a=action)


def pool(engine):
    return scalar(engine, "SELECT total_amount FROM backoffice.monthly_service_charge"
                  " WHERE month_year = :m", m=MONTH)


def runs_count(engine) -> int:
    return scalar(engine, "SELECT count(*) FROM backoffice.job_runs")


def _open(chromium, server):
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    escaped: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith((server.base, "data:", "blob:")):
            route.continue_()
        else:
            escaped.append(url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    return context, page, errors, escaped


def _problems(page, errors, escaped) -> list[str]:
    found = [f"console: {e}" for e in errors] + [f"left localhost: {u}" for u in escaped]
    match = ERROR_TEXT.search(page.inner_text("body"))
    if match:
        found.append(f"error text: {match.group(0)}")
    return found


def _text_input(page, label: str):
    return page.locator(".widget-text", has=page.locator("label", has_text=label)).locator("input")


def _wait_message(page, text: str, timeout: int = 30_000) -> str:
    page.wait_for_function(
        "t => [...document.querySelectorAll('.close-message')].some(e => e.innerText.includes(t))",
        arg=text, timeout=timeout)
    return text


def _shot(page, screenshots, name: str, selector: str | None = None) -> None:
    if selector:
        page.locator(selector).first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"{name}.png"))


def test_admin_closes_the_month_in_the_browser(chromium, as_admin, screenshots, demo_engine):
    context, page, errors, escaped = _open(chromium, as_admin)
    before = pool(demo_engine)
    try:
        page.goto(as_admin.url(f"?token={TOKEN}"))
        with page.expect_navigation(timeout=90_000, wait_until="commit"):
            page.click(f'li[data-path="{CLOSE}"] a')
        page.wait_for_selector(f".close-status[data-month='{MONTH}']", timeout=120_000)
        _shot(page, screenshots, "payroll_close__checklist")

        # a negative service charge is refused on screen; nothing is written
        _text_input(page, "Pool (THB)").fill("-500")
        page.click("button:has-text('Save service charge')")
        _wait_message(page, "cannot be negative")
        assert pool(demo_engine) == before

        saves = audit_count(demo_engine, ADMIN, "SERVICE_CHARGE_SAVE")
        _text_input(page, "Pool (THB)").fill("45,000")
        page.click("button:has-text('Save service charge')")
        _wait_message(page, "Saved: service charge")
        assert str(pool(demo_engine)) == "45000.00"
        assert audit_count(demo_engine, ADMIN, "SERVICE_CHARGE_SAVE") == saves + 1

        # Finalise is refused while the month's current data has no finished run
        page.click("button:has-text('Finalise…')")
        _wait_message(page, "run payroll first")
        assert page.locator(".close-question").count() == 0

        # Run payroll (from the preheated dashboard kernel): progress in code cells, then
        # totals, diffs and the run's files
        started = time.monotonic()
        page.click("button:has-text('Run payroll')")
        page.wait_for_function(
            "() => /\\d+ of 13 cells done/.test("
            "document.querySelector('.close-progress')?.innerText || '')", timeout=60_000)
        page.wait_for_selector("a.close-file", timeout=180_000)
        print(f"run payroll -> files listed in {time.monotonic() - started:.1f} s")
        assert scalar(demo_engine, "SELECT status FROM backoffice.job_runs WHERE notebook LIKE"
                      " '%payroll_run.ipynb' ORDER BY started_at DESC LIMIT 1") == "succeeded"
        step = page.locator("tr.step", has_text="Run payroll")
        assert step.get_attribute("data-state") == "done"
        names = page.locator("a.close-file").all_inner_texts()
        assert {f"payroll_{MONTH}.xlsx", "payslips.zip", "notebook.html"} <= set(names)
        assert page.locator(".close-totals").count() == 1
        _shot(page, screenshots, "payroll_close__run", ".close-totals")

        # a payslip downloads as a PDF with its own name, and the download is audited
        downloads = audit_count(demo_engine, ADMIN, "DOWNLOAD")
        href = page.locator("a.close-file", has_text="payslips/").first.get_attribute("href")
        answer = page.request.get(as_admin.url(href.lstrip("/")))
        assert answer.status == 200
        assert answer.headers["content-type"] == "application/pdf"
        assert re.match(r'attachment; filename="payslip_\d{4}-\d{2}_\w+\.pdf"',
                        answer.headers["content-disposition"])
        assert answer.body().startswith(b"%PDF")
        assert audit_count(demo_engine, ADMIN, "DOWNLOAD") == downloads + 1
        href = page.locator("a.close-file", has_text="notebook.html").get_attribute("href")
        rendered = page.request.get(as_admin.url(href.lstrip("/")))
        assert rendered.status == 200
        assert "<script" not in rendered.text() and "http" not in rendered.text().lower().replace(
            "http-equiv", "")
        assert page.request.get(as_admin.url(href.lstrip("/").replace(
            "notebook.html", "../../etc/passwd"))).status == 404

        # Finalise asks with the month's total and head count; then the month is locked
        page.click("button:has-text('Finalise…')")
        question = page.wait_for_selector(".close-question").inner_text()
        assert re.search(rf"Finalise payroll {MONTH}: \d+ people, total ฿[\d,]+\.\d\d", question)
        page.click("button:has-text('Yes, finalise')")
        page.wait_for_selector(".close-status[data-locked='true']", timeout=60_000)
        assert scalar(demo_engine, "SELECT finalised_by FROM backoffice.payroll_runs"
                      " WHERE month = :m AND status = 'finalised'", m=MONTH) == ADMIN
        _shot(page, screenshots, "payroll_close__locked", ".close-locked")

        # reopening needs a reason
        page.click("button:has-text('Reopen month')")
        _wait_message(page, "needs a reason")
        _text_input(page, "Reason").last.fill("service charge corrected by the owner")
        page.click("button:has-text('Reopen month')")
        page.wait_for_selector(".close-status[data-locked='false']", timeout=60_000)
        assert audit_count(demo_engine, ADMIN, "PAYROLL_REOPEN") == 1
        assert _problems(page, errors, escaped) == []
    except Exception:
        page.screenshot(path=str(screenshots / "payroll_close-FAILED.png"))
        raise
    finally:
        context.close()


def test_a_report_runs_from_its_card_and_the_runs_page_lists_it(
        chromium, as_admin, screenshots, demo_engine):
    context, page, errors, escaped = _open(chromium, as_admin)
    try:
        page.goto(as_admin.url(f"?token={TOKEN}"))
        card = page.locator(f'li.report[data-path="{REPORT}"]')
        future = bangkok.month_key(bangkok.today().replace(day=28) + dt.timedelta(days=10))
        before = runs_count(demo_engine)
        card.locator("input[name=month]").evaluate("(e, v) => { e.max = ''; e.value = v; }", future)
        card.locator("button[type=submit]").click()
        page.wait_for_selector(".backoffice-error")
        assert "in the future" in page.inner_text("body")
        assert runs_count(demo_engine) == before  # nothing started
        errors.clear()  # the refusal's 400 answer is logged by the browser, as it should be

        page.goto(as_admin.url(f"?token={TOKEN}"))
        card = page.locator(f'li.report[data-path="{REPORT}"]')
        card.locator("input[name=month]").fill(MONTH)
        _shot(page, screenshots, "landing__report_forms", f'li.report[data-path="{REPORT}"]')
        card.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"/runs\?started="))
        run_id = page.url.rsplit("=", 1)[1]
        row = page.locator(f'tr.run[data-run-id="{run_id}"]:not([data-status="running"])')
        deadline = time.monotonic() + 180
        while not row.count() and time.monotonic() < deadline:
            page.wait_for_timeout(2000)
            page.goto(as_admin.url("runs"))
        assert row.get_attribute("data-status") == "succeeded", row.inner_text()
        cells = row.locator("td").all_inner_texts()
        assert cells[1] == "payroll-monthly" and cells[2] == f"month={MONTH}" and cells[3] == ADMIN
        assert f"payroll_{MONTH}.xlsx" in row.locator("td.files").inner_text()
        _shot(page, screenshots, "runs_page")
        assert _problems(page, errors, escaped) == []
    finally:
        context.close()


def test_a_coach_is_refused_payroll_files_and_reports_audited(
        chromium, as_coach, screenshots, demo_engine):
    run = scalar(demo_engine, "SELECT id FROM backoffice.job_runs WHERE status = 'succeeded'"
                 " AND notebook LIKE '%payroll_run.ipynb' ORDER BY started_at DESC LIMIT 1")
    assert run is not None, "the admin's flows above ran payroll"
    context, page, _, _ = _open(chromium, as_coach)
    try:
        page.goto(as_coach.url(f"?token={TOKEN}"))
        assert page.locator(f'li.report[data-path="{REPORT}"] form').count() == 0
        refusals = audit_count(demo_engine, COACH, "ACCESS_DENIED")
        answer = page.goto(as_coach.url(f"files/{run}/payroll_{MONTH}.xlsx"))
        assert answer.status == 403
        assert "Access refused" in page.inner_text("body")
        _shot(page, screenshots, "files__refused_coach")
        assert audit_count(demo_engine, COACH, "ACCESS_DENIED") == refusals + 1
        before = runs_count(demo_engine)
        posted = page.request.post(as_coach.url(f"runs/start?token={TOKEN}"),
                                   form={"notebook": REPORT, "month": MONTH})
        assert posted.status == 403
        assert runs_count(demo_engine) == before
        assert audit_count(demo_engine, COACH, "ACCESS_DENIED") == refusals + 2
        page.goto(as_coach.url("runs"))
        assert str(run) not in page.content()
    finally:
        context.close()
