"""Supplier invoices in headless Chromium (issue 13), offline, on this module's copy of the demo
data: an admin is refused an invoice with no items (nothing written), then creates one with two
items (totals update as typed), gets its PDF and voids it; a coach (not an admin) is refused and
the refusal is audited. Screenshots land in test-output/screenshots/invoices-*.png."""

from __future__ import annotations

import base64
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from .conftest import TOKEN

ADMIN = "admin@studio.example"
COACH = "min@studio.example"  # allowed, not an admin
PATH = "invoices/invoices_dashboard.ipynb"
WAIT = 60_000


def _scalar(engine, statement, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(statement), params).scalar()


def _open(chromium, server):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    escaped: list[str] = []

    def route(route):
        if route.request.url.startswith((server.base, "data:", "blob:")):
            route.continue_()
        else:
            escaped.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url(f"?token={TOKEN}"))
    page.goto(server.url(f"voila/render/{PATH}"), wait_until="commit", timeout=WAIT)
    page.wait_for_selector(".bo-page, .backoffice-error", timeout=90_000)
    return context, page, escaped, errors


def _pick(page, css, text):
    select = page.locator(f".{css} select")
    options = select.evaluate(
        "s => [...s.options].map(o => [o.value, o.textContent.replace(/\\u00a0/g, ' ')])")
    select.select_option(value=next(value for value, label in options if text in label))


def _item(page, index, description, quantity, price):
    inputs = page.locator(".invoice-item").nth(index).locator("input")
    inputs.nth(0).fill(description)
    inputs.nth(1).fill(quantity)
    inputs.nth(2).fill(price)


def _writes(engine):
    return _scalar(engine, "SELECT (SELECT count(*) FROM backoffice.invoices)"
                   " + (SELECT count(*) FROM backoffice.invoice_items)"
                   " + (SELECT count(*) FROM backoffice.audit_logs WHERE action = 'CREATE'"
                   "    AND resource_type = 'invoice')")


def test_admin_refused_without_items_then_creates_downloads_and_voids(chromium, as_admin,
                                                                      demo_engine, screenshots):
    context, page, escaped, errors = _open(chromium, as_admin)
    try:
        expect(page.locator(".inv-month-totals")).to_contain_text("withholding tax to remit",
                                                                  timeout=WAIT)
        _pick(page, "inv-supplier", "Bangkok Turf & Net")
        expect(page.locator(".inv-supplier-details")).to_contain_text("Hitting mat",
                                                                      timeout=WAIT)

        # bad input: no items. Refused by the service, nothing written.
        before = _writes(demo_engine)
        page.locator("button.inv-save").click()
        expect(page.locator(".inv-save-status")).to_contain_text(
            "Not saved: an invoice needs at least one item", timeout=WAIT)
        page.screenshot(path=str(screenshots / "invoices-no-items-refused.png"), full_page=True)
        assert _writes(demo_engine) == before

        # the happy path: two items, totals as typed, save, PDF, void
        _item(page, 0, "Hitting mat replacement", "2", "4500")
        expect(page.locator(".invoice-item").nth(0)).to_contain_text("฿9,000.00", timeout=WAIT)
        page.locator("button.inv-add-item").click()
        _item(page, 1, "Net repair", "1", "1250.50")
        totals = page.locator(".inv-totals")
        expect(totals).to_contain_text("฿10,250.50", timeout=WAIT)
        expect(totals).to_contain_text("-฿307.52")
        expect(totals).to_contain_text("฿9,942.98")
        page.locator(".inv-invoice-date input").fill("2026-03-10")
        page.locator("button.inv-save").click()
        status = page.locator(".inv-save-status")
        expect(status).to_contain_text("saved for Bangkok Turf & Net", timeout=WAIT)
        number = re.search(r"Invoice (\d{9,}) saved", status.inner_text()).group(1)
        assert number.startswith("202603")
        link = page.locator(".inv-save-pdf a.invoice-pdf")
        expect(link).to_have_attribute("download", f"invoice_{number}.pdf", timeout=WAIT)
        href = link.get_attribute("href")
        assert base64.b64decode(href.split(",", 1)[1]).startswith(b"%PDF-")
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == f"invoice_{number}.pdf"
        expect(page.locator(".inv-month-table")).to_contain_text(number)
        expect(page.locator(".inv-wht-table")).to_contain_text("Bangkok Turf & Net")
        page.screenshot(path=str(screenshots / "invoices-saved.png"), full_page=True)

        page.locator(".inv-reason input").fill("the mats were never delivered")
        page.locator("button.inv-void").click()
        expect(page.locator(".inv-action-status")).to_contain_text(f"Invoice {number} is void",
                                                                   timeout=WAIT)
        page.screenshot(path=str(screenshots / "invoices-voided.png"), full_page=True)
        assert page.locator(".backoffice-error").count() == 0
        assert escaped == [] and errors == []
    except Exception:
        page.screenshot(path=str(screenshots / "invoices-FAILED.png"), full_page=True)
        raise
    finally:
        context.close()
    assert _scalar(demo_engine, "SELECT status || ' ' || subtotal || ' ' || tax_amount || ' '"
                   " || total_amount FROM backoffice.invoices WHERE invoice_number = :n",
                   n=number) == "void 10250.50 307.52 9942.98"
    actions = _scalar(demo_engine, "SELECT string_agg(action, ',' ORDER BY timestamp, action)"
                      " FROM backoffice.audit_logs WHERE user_email = :u AND resource_id ="
                      " (SELECT id::text FROM backoffice.invoices WHERE invoice_number = :n)",
                      u=ADMIN, n=number)
    assert sorted(actions.split(",")) == ["CREATE", "DOWNLOAD", "VOID"]


def test_coach_is_refused_and_the_refusal_audited(chromium, as_coach, demo_engine, screenshots):
    count = ("SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :u"
             " AND action = 'ACCESS_DENIED' AND resource_type = 'invoices'")
    before = _scalar(demo_engine, count, u=COACH)
    context, page, escaped, _ = _open(chromium, as_coach)
    try:
        panel = page.locator(".backoffice-error")
        expect(panel).to_contain_text("Access refused", timeout=WAIT)
        expect(panel).to_contain_text("invoices is for admins only")
        assert page.locator(".inv-save").count() == 0
        page.screenshot(path=str(screenshots / "invoices-coach-refused.png"), full_page=True)
        assert escaped == []
    finally:
        context.close()
    assert _scalar(demo_engine, count, u=COACH) == before + 1
