"""Reconciliation without editing the file, in headless Chromium (issue 13): an admin uploads a
partner file whose headers the workbench cannot read, sees its header row and a sample, maps the
columns once and gets a completed session; the mapping is remembered for the type. The POS side
counts only the restaurant's products (the demo keeps Restaurant and Drinks)."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from .conftest import TOKEN

ADMIN = "admin@studio.example"
PATH = "reconciliation/reconciliation_review.ipynb"
WAIT = 60_000


def _pick(page, css, value):
    select = page.locator(f".{css} select")
    options = select.evaluate(
        "s => [...s.options].map(o => [o.value, o.textContent.replace(/\\u00a0/g, ' ')])")
    select.select_option(value=next(v for v, label in options if label == value))


def test_admin_maps_an_unreadable_header_once_and_reconciles(chromium, as_admin, demo_engine,
                                                             screenshots, tmp_path):
    with demo_engine.connect() as c:
        day = c.execute(sa.text(
            "SELECT max(sale_date) FROM pos.sales WHERE product_category = 'Restaurant'")).scalar()
        sku, qty, amount = c.execute(sa.text(
            "SELECT sku_number, sum(item_cnt), sum(item_price_incl_vat) FROM pos.sales"
            " WHERE sale_date = :d AND product_category = 'Restaurant' AND NOT is_voided"
            " GROUP BY 1 ORDER BY 1 LIMIT 1"), {"d": day}).one()
    path = tmp_path / "partner_de.csv"
    path.write_text(f"Datum,Artikel,Menge,Betrag\n{day},{sku},{qty},{amount}\n")

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    escaped: list[str] = []

    def route(route):
        if route.request.url.startswith((as_admin.base, "data:", "blob:")):
            route.continue_()
        else:
            escaped.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    try:
        page.goto(as_admin.url(f"?token={TOKEN}"))
        page.goto(as_admin.url(f"voila/render/{PATH}"), wait_until="commit", timeout=WAIT)
        page.wait_for_selector(".rec-run", timeout=90_000)
        _pick(page, "rec-type", "restaurant")
        with page.expect_file_chooser() as chooser:
            page.locator(".rec-upload").first.click()
        chooser.value.set_files(str(path))
        expect(page.locator(".rec-upload").first).to_contain_text("(1)", timeout=WAIT)
        page.locator("button.rec-run").click()
        mapping = page.locator(".rec-mapping")
        expect(mapping).to_contain_text("still needed", timeout=WAIT)
        expect(mapping.locator("table.rec-preview")).to_contain_text("Betrag")
        expect(mapping.locator("table.rec-preview")).to_contain_text(str(sku))
        page.screenshot(path=str(screenshots / "reconciliation-mapping.png"), full_page=True)
        for column, header in (("date", "Datum"), ("sku", "Artikel"), ("quantity", "Menge"),
                               ("amount", "Betrag")):
            _pick(page, f"rec-map-{column}", header)
        page.locator("button.rec-map-save").click()
        expect(page.locator(".rec-upload-status")).to_contain_text("1 of 1 rows matched",
                                                                   timeout=WAIT)
        expect(page.locator(".rec-pos-scope")).to_contain_text("categories Drinks, Restaurant",
                                                               timeout=WAIT)
        page.screenshot(path=str(screenshots / "reconciliation-mapped.png"), full_page=True)
        assert escaped == []
    except Exception:
        page.screenshot(path=str(screenshots / "reconciliation-FAILED.png"), full_page=True)
        raise
    finally:
        context.close()
    with demo_engine.connect() as c:
        remembered = dict(c.execute(sa.text(
            "SELECT column_name, header_text FROM backoffice.reconciliation_column_mappings"
            " WHERE reconciliation_type = 'restaurant'")).all())
    assert remembered == {"date": "Datum", "sku": "Artikel", "quantity": "Menge",
                          "amount": "Betrag"}
