"""One look for every dashboard (ui.py): money as ฿ with thousands separators, numbers
right-aligned, sticky headers, paged long tables, empty states, and the month a dashboard opens on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backoffice_lib import ui


@pytest.mark.parametrize(
    "value,shown",
    [
        (Decimal("1234.5"), "฿1,234.50"),
        (Decimal(0), "฿0.00"),
        (Decimal("-15000.005"), "-฿15,000.01"),  # rounded half up, in money.py
        (None, ""),
    ],
)
def test_money_is_shown_with_baht_sign_and_thousands_separators(value, shown):
    assert ui.format_money(value) == shown


def test_table_right_aligns_numbers_and_money_and_keeps_a_sticky_header():
    rows = [{"name": "Nok", "hours": Decimal("7.5"), "pay": Decimal(12500)}]
    table = ui.table_html(rows, {"name": "Name", "hours": "Hours", "pay": "Pay"},
                          number_columns=("hours",), money_columns=("pay",))
    assert '<th class="num">Hours</th>' in table and '<td class="num">฿12,500.00</td>' in table
    assert '<td class="num">7.50</td>' in table and "<td>Nok</td>" in table
    assert "position:sticky" in ui.DASHBOARD_CSS


def test_an_empty_table_says_what_to_do_next():
    assert "Sell one below" in ui.table_html([], empty="No package yet: Sell one below.")
    assert "bo-empty" in ui.table_html([], empty="x")


def test_text_is_escaped_in_tables():
    assert "<script>" not in ui.table_html([{"name": "<script>"}])


def test_a_long_table_is_paged():
    table = ui.PagedTable(page_size=10, columns={"n": "N"}, number_columns=("n",))
    table.set_rows([{"n": i} for i in range(25)])
    assert table.pages == 3 and "page 1 of 3" in table.status.value
    table.show(2)
    assert table.html.value.count("<tr>") == 1 + 5 and table.next.disabled


@pytest.mark.parametrize(
    "case,months,today,expected",
    [
        ("the current month has data", ["2026-10", "2026-11"], dt.date(2026, 11, 20), "2026-11"),
        ("an empty current month on the 1st", ["2026-10", "2026-11"], dt.date(2026, 12, 1),
         "2026-11"),
        ("no data at all", [], dt.date(2026, 12, 1), "2026-12"),
        ("future months are ignored", ["2027-01"], dt.date(2026, 12, 1), "2026-12"),
    ],
)
def test_month_defaults_to_the_latest_month_with_data(case, months, today, expected):
    assert ui.compute_default_month(months, today) == expected


def test_one_plotly_template_for_every_chart():
    template = ui.plotly_template()
    assert list(template.layout.colorway) == ui.PALETTE


def test_show_figure_draws_a_figure_widget_and_closes_the_one_it_replaces():
    import ipywidgets as widgets
    import plotly.graph_objects as go

    box = widgets.VBox()
    ui.show_figure(box, go.Figure(go.Bar(x=["a"], y=[1]), layout={"title": {"text": "first"}}))
    first = box.children[0]
    assert isinstance(first, go.FigureWidget)
    assert list(first._widget_data[0]["y"]) == [1]  # synced: reaches the browser drawn
    ui.show_figure(box, go.Figure(go.Bar(x=["a"], y=[2]), layout={"title": {"text": "again"}}))
    assert len(box.children) == 1 and box.children[0] is not first
    assert box.children[0].layout.title.text == "again"
    assert first.comm is None  # closed: no orphan widget left in the kernel


def test_thai_text_has_the_servers_own_font_for_thai_characters_only():
    from backoffice_lib.workbench import serve

    css = ui.thai_font_css("/studio/")
    for weight, file in ui.THAI_FONT_FILES.items():
        assert f'font-weight:{weight}' in css
        assert f'url("/studio/backoffice/static/fonts/{file}")' in css
        assert (serve.thai_font_folder() / file).is_file()
    assert css.count("unicode-range:U+0E00-0E7F") == len(ui.THAI_FONT_FILES)
    assert 'url("backoffice/static/fonts/' in ui.thai_font_css()  # the landing page: relative
    assert '"BO Thai"' in ui.DASHBOARD_CSS and '"BO Thai"' in ui.LANDING_CSS
