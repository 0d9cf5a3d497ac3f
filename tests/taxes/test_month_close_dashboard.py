"""The Month close page without a browser: the calendar of a month with its states (overdue
marked), the files a run kept as links, 'record as filed' and its refusals, a non-admin refused;
the notebook thin, in the catalog, and run once on the demo data."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import nbformat
import papermill
import pytest
import sqlalchemy as sa

from backoffice_lib.taxes import month_close_dashboard as board
from backoffice_lib.workbench import files

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "taxes" / "month_close.ipynb"
MONTH = "2020-05"  # long past on any day the suite runs: every duty not filed is overdue


@pytest.fixture
def admin(signed_in_admin):
    return signed_in_admin


def _page(admin, month=MONTH) -> board.MonthClose:
    return board.MonthClose(admin, month)


def _states(page) -> dict:
    return {r.duty.duty: r.state for r in page.rows}


def test_file_links_follow_the_run_file_route_of_serve():
    run_id = uuid.uuid4()
    for name in ("filings/pnd3_2026-05.txt", "a name with spaces & ภาษา.pdf"):
        assert board.compute_file_url(run_id, name) == files.compute_file_url(run_id, name)
        assert board.compute_file_url(run_id, name, "/bo/") == files.compute_file_url(
            run_id, name, "/bo/")


def test_month_options_start_with_last_month_then_this_month_then_earlier():
    import datetime as dt

    assert board.compute_month_options(dt.date(2026, 1, 10), 4) == [
        "2025-12", "2026-01", "2025-11", "2025-10"]


def test_the_page_shows_the_calendar_with_overdue_in_red(engine, admin):
    page = _page(admin)
    assert page.picker.value == MONTH
    assert set(_states(page)) == {"sso", "pnd1", "pnd3", "pnd53"}
    # no finalised payroll: the payroll duties stand and are long overdue; no payment: nothing
    assert _states(page)["sso"] == "overdue" and _states(page)["pnd3"] == "nothing_to_file"
    html = page.calendar.value
    assert "class='mc-overdue' data-duty='sso'" in html and "#b91c1c" in html
    assert "Mon 08 Jun 2020" in html      # 7 June 2020 is a Sunday: paper due on Monday
    assert [v for _, v in page.duty.options] == [
        f"{d}|{MONTH}" for d in ("sso", "pnd1", "pnd3", "pnd53")]


def test_january_lists_the_previous_year_yearly_duties(engine, admin):
    page = _page(admin, "2020-01")
    assert {"pnd1a", "wht50_employees"} <= set(_states(page))
    assert "2019" in page.calendar.value


def test_record_as_filed_writes_audits_and_shows_the_filing(engine, admin):
    page = _page(admin)
    page.duty.value = f"pnd1|{MONTH}"
    page.filed_on.value = " 2020-06-12 "
    page.receipt.value = "RD-2020-0001"
    assert page.on_record() == "ok"
    assert _states(page)["pnd1"] == "filed"
    assert "2020-06-12 · receipt RD-2020-0001" in page.calendar.value
    assert "recorded as filed" in page.messages["record"].value
    with engine.connect() as c:
        row = c.execute(sa.text("SELECT filed_on, receipt_no, filed_by FROM backoffice.tax_filings"
                                " WHERE duty = 'pnd1' AND period = :p"), {"p": MONTH}).one()
        audited = c.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs WHERE"
                                   " action = 'TAX_FILED' AND user_email = :e"),
                           {"e": admin.email})
    assert (str(row.filed_on), row.receipt_no, row.filed_by) == (
        "2020-06-12", "RD-2020-0001", admin.email)
    assert audited == 1


@pytest.mark.parametrize("typed, receipt, message", [
    ("12/06/2020", "R-1", "YYYY-MM-DD"),
    ("2999-01-01", "R-1", "the filing date"),
    ("2020-05-30", "R-1", "not after the period"),
    ("2020-06-12", "  ", "receipt number is required"),
])
def test_record_as_filed_refuses_and_writes_nothing(engine, admin, typed, receipt, message):
    page = _page(admin)
    page.duty.value = f"sso|{MONTH}"
    page.filed_on.value, page.receipt.value = typed, receipt
    assert page.on_record() == "refused"
    assert message in page.messages["record"].value
    with engine.connect() as c:
        assert c.scalar(sa.text("SELECT count(*) FROM backoffice.tax_filings WHERE duty = 'sso'"
                                " AND period = :p"), {"p": MONTH}) == 0


def test_files_a_run_kept_link_to_the_run_files_and_others_show_their_checksum(engine, admin):
    sha, lone = "c" * 64, "d" * 64
    with engine.begin() as c:
        c.execute(sa.text(
            "INSERT INTO backoffice.tax_filings (duty, period, files, files_made_at, files_made_by)"
            " VALUES ('pnd3', :p, CAST(:f AS jsonb), now(), :e)"),
            {"p": MONTH, "e": admin.email, "f": json.dumps([
                {"name": f"pnd3_{MONTH}.txt", "sha256": sha, "bytes": 10},
                {"name": f"pnd3_{MONTH}.pdf", "sha256": lone, "bytes": 20}])})
        run_id = c.scalar(sa.text(
            "INSERT INTO backoffice.job_runs (job_name, notebook, run_dir, status, outputs,"
            " finished_at) VALUES ('invoices-monthly', 'invoices/invoices.ipynb', '/tmp/r',"
            " 'succeeded', CAST(:o AS jsonb), now()) RETURNING id"),
            {"o": json.dumps({f"pnd3_{MONTH}.txt": sha})})
    page = _page(admin)
    assert _states(page)["pnd3"] == "overdue"   # files made, never filed, long past due
    html = page.calendar.value
    assert f"href='/files/{run_id}/pnd3_{MONTH}.txt'" in html
    assert f"mc-file-unkept' title='made outside a run'>pnd3_{MONTH}.pdf" in html
    assert lone[:12] in html


def test_a_non_admin_is_refused_and_the_refusal_audited(engine, monkeypatch):
    email = f"mc-coach-{uuid.uuid4().hex[:6]}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin, is_coach)"
                          " VALUES (:e, false, true)"), {"e": email})
    monkeypatch.setenv("BACKOFFICE_USER", email)
    shown = board.month_close_dashboard(MONTH)
    assert "Access refused" in shown.value and "taxes is for admins only" in shown.value
    with engine.connect() as c:
        assert c.scalar(sa.text("SELECT count(*) FROM backoffice.audit_logs WHERE user_email = :e"
                                " AND action = 'ACCESS_DENIED' AND resource_type = 'taxes'"),
                        {"e": email}) == 1


def test_a_click_after_the_admin_was_demoted_is_refused_and_writes_nothing(engine, admin):
    page = _page(admin)
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:e, true)"),
                  {"e": f"mc-other-{uuid.uuid4().hex[:6]}@studio.example"})
        c.execute(sa.text("UPDATE backoffice.allowed_users SET is_admin = false WHERE email = :e"),
                  {"e": admin.email})
    page.duty.value = f"pnd53|{MONTH}"
    page.filed_on.value, page.receipt.value = "2020-06-12", "R-9"
    assert page.on_record() == "refused"
    assert "not an admin" in page.messages["record"].value
    with engine.connect() as c:
        assert c.scalar(sa.text("SELECT count(*) FROM backoffice.tax_filings WHERE"
                                " duty = 'pnd53'")) == 0


def test_notebook_is_a_thin_front_end_in_the_catalog():
    book = nbformat.read(NOTEBOOK, as_version=4)
    assert book.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert len([c for c in code if "parameters" in c.metadata.get("tags", [])]) == 1
    for cell in code:
        assert not any(w in cell.source for w in ("def ", "class ", "SELECT ", "lambda", " for "))
    assert {k: v["default"] for k, v in papermill.inspect_notebook(str(NOTEBOOK)).items()} == {
        "month": '""'}
    from backoffice_lib.workbench import catalog

    entries = {e.path: e for e in catalog.load_catalog(ROOT / "notebooks" / "catalog.yml")}
    entry = entries["taxes/month_close.ipynb"]
    assert (entry.kind, entry.audience) == ("dashboard", "finance")


def test_notebook_runs_on_the_demo_data(demo_env, monkeypatch, tmp_path):
    monkeypatch.setenv("BACKOFFICE_USER", "admin@studio.example")
    output = tmp_path / "month_close.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(output), kernel_name="python3",
                               cwd=str(NOTEBOOK.parent), progress_bar=False)
    executed = nbformat.read(output, as_version=4)
    text = json.dumps([[c.get("outputs", []) for c in executed.cells],
                       executed.metadata.get("widgets", {})], ensure_ascii=False)
    assert "Month close" in text and "Record as filed" in text
    assert "Access refused" not in text and "cannot be shown" not in text
    assert "mc-table" in text
