"""The managers' forms cannot do harm by default (issue 29), driven in-process on the demo data:
a new pay rate starts as a copy of the one in force, from a date not in the past; a cut to 0 or
a dropped service charge asks first and says what it changes; pay-rate changes are in the
person's history; messages sit beside the button that caused them; inputs are wide enough for
their values; generation previews say exactly what is there; the holidays view keeps its year.
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import ipywidgets as widgets
import pytest
import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.packages import front_desk_dashboard
from backoffice_lib.staff import schedule_dashboard, settings_dashboard
from backoffice_lib.staff import staff_admin_dashboard as admin_dashboard

ADMIN = "admin@studio.example"


def query(engine, statement, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(statement), params).all()


@pytest.fixture(scope="module")
def eligible_person(demo_engine):
    """An active salary person whose rate in force pays OT and holiday work and is eligible."""
    today = bangkok.today()
    [(pk,)] = query(
        demo_engine,
        "SELECT s.id FROM backoffice.staff s JOIN backoffice.staff_compensation c"
        " ON c.staff_id = s.id WHERE s.is_active AND c.compensation_type = 'salary'"
        " AND c.is_service_charge_eligible AND c.ot_rate_per_hour > 0"
        " AND c.holiday_rate_per_hour > 0 AND c.effective_from <= :d AND c.effective_to IS NULL"
        " ORDER BY s.id LIMIT 1", d=today,
    )
    return pk


def open_rows(engine, pk):
    return query(
        engine,
        "SELECT compensation_type, base_salary, ot_rate_per_hour, holiday_rate_per_hour,"
        " is_service_charge_eligible, min_hours_for_allowance, effective_from"
        " FROM backoffice.staff_compensation WHERE staff_id = :s AND effective_to IS NULL", s=pk,
    )


def admin_on(engine, pk):
    page = admin_dashboard.StaffAdmin(ADMIN, engine=engine)
    page.person.value = pk
    return page


def test_the_new_rate_form_is_a_copy_of_the_rate_in_force_from_a_date_not_in_the_past(
    demo_engine, eligible_person
):
    [(kind, salary, ot, holiday, _eligible, hours, start)] = open_rows(demo_engine,
                                                                     eligible_person)
    form = admin_on(demo_engine, eligible_person).raise_form
    assert form.kind.value == kind
    assert Decimal(form.salary.value) == salary
    assert Decimal(form.overtime.value) == ot and Decimal(form.holiday.value) == holiday
    assert form.eligible.value is True and form.min_hours.value == str(hours)
    assert form.effective_from.value == max(bangkok.today(), start + dt.timedelta(1)).isoformat()


def test_a_raise_typed_with_only_a_new_salary_keeps_every_other_component(
    demo_engine, eligible_person
):
    [(_, salary, ot, holiday, _, hours, _)] = open_rows(demo_engine, eligible_person)
    page = admin_on(demo_engine, eligible_person)
    page.raise_form.salary.value = str(salary + 1000)
    assert page.on_save_rate() is not None, page.message.value
    assert open_rows(demo_engine, eligible_person) == [
        ("salary", salary + 1000, ot, holiday, True, hours, bangkok.today())
    ]
    assert "saved" in page.messages["pay"].value


def test_lowering_a_component_to_0_asks_says_what_it_changes_and_saves_only_on_yes(
    demo_engine, eligible_person
):
    page = admin_on(demo_engine, eligible_person)
    ot = Decimal(page.raise_form.overtime.value)
    before = open_rows(demo_engine, eligible_person)
    page.raise_form.effective_from.value = (bangkok.today() + dt.timedelta(days=40)).isoformat()
    page.raise_form.overtime.value = "0"
    page.raise_form.eligible.value = False
    assert page.on_save_rate() is None
    assert open_rows(demo_engine, eligible_person) == before  # nothing saved yet
    assert page.confirm_box.layout.display is None
    assert (f"overtime rate {ot:,.2f} -> 0; service charge: eligible -> not eligible"
            in html.unescape(page.confirm_text.value))
    # an edit forgets the question; Cancel too; "Yes, save" saves what was described
    page.raise_form.holiday.value = page.raise_form.holiday.value + "0"
    assert page.pending is None and page.confirm_box.layout.display == "none"
    page.on_save_rate()
    page.on_cancel_rate()
    assert page.on_confirm_rate() is None and open_rows(demo_engine, eligible_person) == before
    page.on_save_rate()
    assert page.on_confirm_rate() is not None, page.message.value
    [(_, _, new_ot, _, eligible, _, _)] = open_rows(demo_engine, eligible_person)
    assert new_ot == 0 and eligible is False


def test_pay_rate_changes_appear_in_the_persons_change_history(demo_engine, eligible_person):
    page = admin_on(demo_engine, eligible_person)
    assert "pay_rate_raised" in page.history_table.value
    assert "overtime rate" in page.history_table.value
    assert "-> 0" in html.unescape(page.history_table.value)


def test_new_people_get_non_zero_overtime_and_holiday_rates_and_one_service_charge_choice(
    demo_engine
):
    page = admin_dashboard.StaffAdmin(ADMIN, engine=demo_engine)
    assert Decimal(page.new_rates.overtime.value) > 0
    assert Decimal(page.new_rates.holiday.value) > 0
    assert page.new_rates.effective_from.value == bangkok.today().isoformat()
    page.new_name.value, page.new_staff_id.value = "Nattaya Sirisombat", "FORM-01"
    page.new_generate.value = True
    page.new_eligible.value = True
    page.new_rates.salary.value = "15000"
    result = page.on_add_person()
    assert result is not None, page.message.value
    [(_, _, ot, holiday, eligible, _, start)] = open_rows(demo_engine, result["id"])
    assert ot > 0 and holiday > 0 and eligible is True and start == bangkok.today()
    assert "Added Nattaya Sirisombat" in page.messages["add"].value
    assert page.messages["pay"].value == "" and page.messages["person"].value == ""


def _card_of(root, widget):
    """The bo-card (VBox) that holds ``widget``, searched depth-first."""
    for child in getattr(root, "children", ()):
        if child is widget or widget in getattr(child, "children", ()):
            return root if "bo-card" in root._dom_classes else child
        found = _card_of(child, widget)
        if found is not None:
            return found
    return None


def _within(box, widget) -> bool:
    return box is widget or any(_within(c, widget) for c in getattr(box, "children", ()))


@pytest.mark.parametrize(
    "build,pairs",
    [
        (lambda e: admin_dashboard.StaffAdmin(ADMIN, engine=e),
         [("raise_button", "pay"), ("add_button", "add"), ("save_button", "person"),
          ("coach_button", "coach")]),
        (lambda e: schedule_dashboard.ScheduleBoard(ADMIN, engine=e),
         [("new_save", "week"), ("shift_save", "shift"), ("pattern_add", "pattern"),
          ("preview_button", "generate")]),
        (lambda e: settings_dashboard.StudioSettings(ADMIN, engine=e),
         [("holiday_add", "holidays"), ("fill_button", "holidays"), ("user_save", "users")]),
        (lambda e: front_desk_dashboard.FrontDeskDashboard(ADMIN, engine=e),
         [("find_button", "customer"), ("use_button", "use"), ("sell_button", "sell"),
          ("new_button", "new"), ("extend_button", "admin")]),
    ],
    ids=["staff admin", "schedules", "studio settings", "front desk"],
)
def test_messages_sit_in_the_card_of_the_button_that_caused_them(demo_engine, build, pairs):
    page = build(demo_engine)
    cards = [w for w in _walk(page.widget) if "bo-card" in getattr(w, "_dom_classes", ())]
    for button, where in pairs:
        card = next(c for c in cards if _within(c, getattr(page, button)))
        assert _within(card, page.messages[where]), (button, where)
    top = list(page.widget.children)
    assert not any(m in top for m in page.messages.boxes.values())


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def _px(value) -> int:
    return int(str(value).removesuffix("px"))


@pytest.mark.parametrize(
    "build",
    [
        lambda e: admin_dashboard.StaffAdmin(ADMIN, engine=e),
        lambda e: schedule_dashboard.ScheduleBoard(ADMIN, engine=e),
        lambda e: settings_dashboard.StudioSettings(ADMIN, engine=e),
        lambda e: front_desk_dashboard.FrontDeskDashboard(ADMIN, engine=e),
    ],
    ids=["staff admin", "schedules", "studio settings", "front desk"],
)
def test_inputs_are_wide_enough_for_names_and_dates(demo_engine, build):
    """A text box or list leaves at least 140 px to its value after its label: "Nattaya
    Sirisombat" and "2027-01-15" are not cut (they were 90 px: "Nattaya Sir", "2027-01-1")."""
    page = build(demo_engine)
    for widget in _walk(page.widget):
        if isinstance(widget, widgets.Text | widgets.Dropdown) and widget.layout.width:
            label = widget.style.description_width or "0px"
            assert _px(widget.layout.width) - _px(label) >= 140, widget.description


def test_the_fill_button_shows_its_whole_label(demo_engine):
    page = settings_dashboard.StudioSettings(ADMIN, engine=demo_engine)
    assert _px(page.fill_button.layout.width) >= 220  # 150 px of text, 148 px was the default


@pytest.mark.parametrize(
    "created,existing,overlapping,text",
    [
        (0, 66, 0, "Nothing to create: the 66 shifts of these dates already exist."),
        (0, 1, 0, "Nothing to create: the shift of these dates already exists."),
        (0, 0, 0, "Nothing to create: no active weekly pattern falls in these dates."),
        (0, 60, 6, ("Nothing to create: 60 shifts of these dates already exist; 6 shifts would"
                   " overlap a different shift and are skipped.")),
        (12, 0, 0, "12 shifts will be created."),
        (3, 2, 1, ("3 shifts will be created; 2 shifts of these dates already exist; 1 shift"
                  " would overlap a different shift and is skipped.")),
    ],
)
def test_the_generation_preview_says_exactly_what_is_there(created, existing, overlapping, text):
    assert schedule_dashboard.compute_preview_summary(created, existing, overlapping) == text


def test_a_second_preview_says_the_shifts_already_exist(demo_engine):
    board = schedule_dashboard.ScheduleBoard(ADMIN, engine=demo_engine)
    monday = bangkok.today() + dt.timedelta(days=400)
    board.gen_from.value = monday.isoformat()
    board.gen_to.value = (monday + dt.timedelta(days=6)).isoformat()
    first = board.on_preview()
    assert len(first.created) > 0
    created = board.on_generate()
    assert created is not None and len(created.created) == len(first.created)
    again = board.on_preview()
    assert again.created.empty and again.existing_count() == len(first.created)
    assert (f"Nothing to create: the {len(first.created)} shifts of these dates already exist."
            in board.preview.value)
    assert "overlap" not in board.preview.value


def test_adding_a_holiday_of_another_year_keeps_the_year_shown(demo_engine):
    page = settings_dashboard.StudioSettings(ADMIN, engine=demo_engine)
    shown = page.year.value
    other = dt.date(shown + 3, 1, 15)
    page.holiday_date.value, page.holiday_name.value = other.isoformat(), "Studio outing"
    assert page.on_add_holiday() is not None, page.message.value
    assert page.year.value == shown and shown + 3 in page.year.options
    assert f"listed under {shown + 3}; still showing {shown}" in page.messages["holidays"].value
    assert query(demo_engine, "SELECT holiday_name FROM backoffice.public_holidays"
                              " WHERE holiday_date = :d", d=other) == [("Studio outing",)]
    assert str(other) not in page.holiday_table.value
