"""The quarantine review in Chromium (served by ``backoffice serve`` over this module's imported
database): pick a rule, read the reason, give a reason, apply the offered fix, see it done."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from importer.live_fixture import live_database

from backoffice_lib.importer import service

from .conftest import SCREENSHOTS, TOKEN, free_port, server_env, start_server, stop_server

ADMIN = "admin@studio.example"


@pytest.fixture(scope="module")
def imported_server(engine, database_url, tmp_path_factory):
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES"
                             " (:a, true)"), {"a": ADMIN})
    with live_database() as url:
        service.import_live(url.render_as_string(hide_password=False), ADMIN, engine=engine)
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    server = start_server(server_env(database_url), port=free_port(), log=log)
    yield server
    stop_server(server.process)


def test_import_review_in_the_browser_applies_the_over_use_adjustment(imported_server, chromium):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # the session's one browser: a second sync Playwright cannot start beside it
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(imported_server.url(f"voila/render/history/import_review.ipynb?token={TOKEN}"),
                  wait_until="commit", timeout=120_000)
        page.wait_for_selector("text=Live import: quarantine review", timeout=120_000)
        page.wait_for_selector("text=pay_rate_overlap", timeout=60_000)
        assert "close the overlapping pay-rate row" in page.inner_text("body")
        rule = page.locator(".widget-dropdown select").nth(1)  # after "Show"
        rule.select_option("package_overuse")
        page.wait_for_selector("text=only 0.50 h remain", timeout=30_000)
        page.fill("input[placeholder^='why']", "customer agreed to the adjustment")
        page.click("button:has-text('Fix: accept the over-use')")
        page.wait_for_selector("text=Done: accepted as an adjustment", timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / "import_review.png"), full_page=True)
        assert "0.50 h recorded" in page.inner_text("body")
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / "import_review-FAILED.png"), full_page=True)
        raise
    finally:
        context.close()
