"""Every catalogued dashboard opened in headless Chromium, offline, as a person would.

For each dashboard: open the landing page with the token, follow the dashboard's link, wait for
the widgets and every plotly graph, change the first dropdown (or press the first button) and wait
for the page to update, then fail on error text, a browser console error or any request that
tried to leave localhost. A screenshot of each lands in test-output/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from backoffice_lib import ui
from backoffice_lib.workbench import catalog

from .conftest import SIGNED_IN, TOKEN

ERROR_TEXT = re.compile(
    r"Traceback \(most recent call last\)|There was an error when executing cell"
    r"|show_tracebacks|\b[A-Z]\w*(Error|Exception): "
)
DASHBOARDS = catalog.load_dashboards()
WIDGETS_SETTLED = """() => {
  const cells = document.querySelector('#rendered_cells');
  if (!cells || getComputedStyle(cells).display === 'none') return false;
  if (document.querySelectorAll('.jupyter-widgets').length === 0) return false;
  const graphs = [...document.querySelectorAll('.js-plotly-plot')];
  return graphs.every(g => g.querySelector('.main-svg') && g._fullLayout);
}"""
WATCH_MUTATIONS = """() => {
  window.__mutations = 0;
  const select = document.querySelector('.widget-dropdown select');
  new MutationObserver(records => {
    for (const r of records) if (!select || !select.contains(r.target)) window.__mutations++;
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true});
}"""


# A page with Thai text on it loads the server's Thai font (this machine has none of its own).
THAI_FONT_LOADED = r"""async () => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let shown = false;  // Thai letters laid out on the page (not ฿, not a closed dropdown's options)
  for (let n = walker.nextNode(); n && !shown; n = walker.nextNode()) {
    const el = n.parentElement;
    shown = /[\u0E01-\u0E3A\u0E40-\u0E5B]/.test(n.data) && !!el && !el.closest('select,script,style')
            && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  }
  if (!shown) return null;
  await document.fonts.ready;
  return [...document.fonts].some(f => f.family.replace(/"/g, '') === 'BO Thai'
                                       && f.status === 'loaded');
}"""


def _settle(page, timeout=60_000):
    page.wait_for_function(WIDGETS_SETTLED, timeout=timeout)
    # widgets appear in waves: wait until the number of views and graphs holds still
    previous = None
    for _ in range(40):
        count = page.evaluate(
            "() => [document.querySelectorAll('.jupyter-widgets').length,"
            " document.querySelectorAll('.js-plotly-plot').length]"
        )
        if count == previous:
            break
        previous = count
        page.wait_for_timeout(500)
    page.wait_for_function(WIDGETS_SETTLED, timeout=timeout)


# anywidget gives a model 2 s to load its ES module (plotly.js, ~4 MB) and then logs this, even
# though the graph still draws a moment later. On a busy 2-core machine that is a timing report,
# not a broken page: tolerated only once every graph has drawn (_settle checked that).
SLOW_ESM = "page error: [anywidget] Failed to initialize model."


def _problems(page, console_errors, escaped) -> list[str]:
    found = [f"console: {text}" for text in console_errors if text != SLOW_ESM]
    found += [f"request left localhost: {url}" for url in escaped]
    text = page.inner_text("body")
    match = ERROR_TEXT.search(text)
    if match:
        start = max(match.start() - 120, 0)
        found.append(f"error text on the page: …{text[start:match.end() + 200]}…")
    panels = page.locator(f".{ui.ERROR_CLASS}")
    for index in range(panels.count()):
        found.append(f"error panel: {panels.nth(index).inner_text()}")
    stderr = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
    for index in range(stderr.count()):
        found.append(f"stderr output: {stderr.nth(index).inner_text()[:300]}")
    return found


def _open(chromium, served):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    escaped: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith((served.base, "data:", "blob:")):
            route.continue_()
        else:
            escaped.append(url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: console_errors.append(f"page error: {exc}"))
    return context, page, console_errors, escaped


def test_landing_page_lists_every_dashboard_by_audience(chromium, served, screenshots):
    context, page, console_errors, escaped = _open(chromium, served)
    try:
        page.goto(served.url(f"?token={TOKEN}"))
        assert SIGNED_IN in page.inner_text("header")
        for entry in DASHBOARDS:
            item = page.locator(
                f'section[data-audience="{entry.audience}"] li[data-path="{entry.path}"]'
            )
            assert item.locator("a").inner_text() == entry.title
            assert item.locator("p").inner_text() == entry.purpose
        page.screenshot(path=str(screenshots / "landing.png"), full_page=True)
        assert _problems(page, console_errors, escaped) == []
    finally:
        context.close()


def test_source_tree_and_reports_are_not_served(chromium, served):
    context, page, _, _ = _open(chromium, served)
    try:
        page.goto(served.url(f"?token={TOKEN}"))
        reports = [e for e in catalog.load_catalog() if e.kind == "report"]
        targets = [f"voila/render/{e.path}" for e in reports] + ["voila/render/catalog.yml"]
        for target in targets:
            assert page.goto(served.url(target)).status == 404, target
        assert page.goto(served.url("voila/tree")).url.rstrip("/") == served.base
    finally:
        context.close()


def test_a_page_without_the_token_is_refused(chromium, served):
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(served.url(DASHBOARDS[0].url_path if DASHBOARDS else ""))
        assert "/login" in page.url
    finally:
        context.close()


@pytest.mark.parametrize("entry", DASHBOARDS, ids=[e.path for e in DASHBOARDS])
def test_dashboard_opens_draws_and_answers_one_interaction(chromium, served, screenshots, entry):
    context, page, console_errors, escaped = _open(chromium, served)
    name = entry.path.removesuffix(".ipynb").replace("/", "__")
    try:
        page.goto(served.url(f"?token={TOKEN}"))
        with page.expect_navigation(timeout=90_000, wait_until="commit"):
            page.click(f'li[data-path="{entry.path}"] a')
        _settle(page, timeout=90_000)
        assert _problems(page, console_errors, escaped) == []
        assert page.evaluate(THAI_FONT_LOADED) in (None, True), "Thai text without its font"

        page.evaluate(WATCH_MUTATIONS)
        select = page.locator(".widget-dropdown select").first
        button = page.locator("button.widget-button:not([disabled])").first
        if select.count():
            values = select.evaluate("s => [...s.options].map(o => o.value)")
            current = select.evaluate("s => s.value")
            others = [v for v in values if v != current]
            assert others, "the first dropdown offers a single option: nothing to change"
            select.select_option(others[0])
        elif button.count():
            button.click()
        else:
            pytest.fail("no dropdown and no button to exercise")
        page.wait_for_function("() => window.__mutations > 0", timeout=30_000)
        _settle(page)
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
        assert _problems(page, console_errors, escaped) == []
    except Exception:
        page.screenshot(path=str(screenshots / f"{name}-FAILED.png"), full_page=True)
        raise
    finally:
        context.close()
