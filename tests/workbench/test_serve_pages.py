"""Serving without a browser: the catalog, the landing page, Voilà's configuration, the signed-in
user (token or proxy header) and the roles, errors on screen."""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from backoffice_lib import session_user, ui
from backoffice_lib.models.core import AllowedUser
from backoffice_lib.workbench import catalog, serve

ENTRIES = catalog.compute_catalog(
    {
        "notebooks": [
            {"path": "workbench/overview.ipynb", "kind": "dashboard", "title": "Overview",
             "audience": "managers", "purpose": "The <month> at a glance"},
            {"path": "a/audit.ipynb", "kind": "dashboard", "title": "Audit",
             "audience": "analysts", "purpose": "Who changed what"},
            {"path": "p/run.ipynb", "kind": "report", "title": "Payroll run",
             "audience": "finance", "purpose": "Monthly", "parameters": {"month": "2025-01"}},
        ]
    }
)


def test_catalog_of_the_repository_is_valid_and_lists_existing_notebooks():
    entries = catalog.load_catalog()
    assert {"workbench/overview.ipynb", "history/audit_explorer.ipynb"} <= {e.path for e in entries}
    for entry in entries:
        assert (catalog.notebooks_dir() / entry.path).is_file(), entry.path
        assert entry.purpose, entry.path


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"path": "x.py", "kind": "dashboard", "audience": "managers"}, "notebook"),
        ({"path": "../x.ipynb", "kind": "dashboard", "audience": "managers"}, "notebook"),
        ({"path": "x.ipynb", "kind": "page", "audience": "managers"}, "kind"),
        ({"path": "x.ipynb", "kind": "dashboard", "audience": "owners"}, "audience"),
        ({"path": "x.ipynb", "kind": "report", "audience": "finance", "parameters": [1]},
         "parameters"),
    ],
    ids=["not-a-notebook", "outside-notebooks", "unknown-kind", "unknown-audience",
         "parameters-not-a-mapping"],
)
def test_malformed_catalog_entry_is_refused_with_its_number(entry, message):
    with pytest.raises(catalog.CatalogError, match=f"catalog entry 1 .*{message}"):
        catalog.compute_catalog({"notebooks": [entry]})


def test_landing_page_groups_dashboards_by_audience_and_escapes_text():
    page = catalog.compute_landing_html(ENTRIES, user="boss@studio.example", via="BACKOFFICE_USER")
    managers = page.index('data-audience="managers"')
    analysts = page.index('data-audience="analysts"')
    assert managers < analysts  # managers, finance, analysts, staff
    assert '<a href="/voila/render/workbench/overview.ipynb">Overview</a>' in page
    assert "The &lt;month&gt; at a glance" in page
    assert "Signed in as <strong>boss@studio.example</strong>" in page
    assert 'href="/voila/render/p/run.ipynb"' not in page  # reports are listed, never linked
    assert "p/run.ipynb" in page
    assert "http" not in page.replace('content="width=device-width', "")  # nothing external


def test_landing_page_says_when_nobody_is_signed_in():
    page = catalog.compute_landing_html(ENTRIES, user=None, via="header X-Forwarded-Email")
    assert "Nobody is signed in (header X-Forwarded-Email)" in page


def test_voila_config_preheats_only_dashboards_hides_sources_and_culls():
    options = serve.ServeOptions(port=9000, token="t", auth_header="X-Forwarded-Email")
    config = serve.compute_voila_config(["workbench/overview.ipynb", "a/audit.ipynb"], options)
    pools = config["VoilaKernelManager"]["kernel_pools_config"]
    assert pools == {
        "default": {"pool_size": 0},
        "workbench/overview.ipynb": {"pool_size": 1},
        "a/audit.ipynb": {"pool_size": 1},
    }
    voila = config["VoilaConfiguration"]
    assert voila["preheat_kernel"] is True
    assert voila["strip_sources"] is True
    assert voila["show_tracebacks"] is False
    assert "jupyterlab-jupytext" in voila["extension_denylist"]
    assert voila["http_header_envs"] == ["X-Forwarded-Email"]
    assert voila["template"] == "backoffice"
    # a kernel whose page vanished is culled within minutes, a page still open never
    assert 0 < config["MappingKernelManager"]["cull_idle_timeout"] <= 300
    assert config["MappingKernelManager"]["cull_connected"] is False
    assert config["Voila"]["token"] == "t"
    no_pool = serve.compute_voila_config(["workbench/overview.ipynb"], serve.ServeOptions(pool_size=0))
    assert no_pool["VoilaConfiguration"]["preheat_kernel"] is False


def test_offline_template_drops_the_cdn_stylesheets():
    template = (
        serve.TEMPLATE_ROOT / "voila" / "templates" / "backoffice" / "index.html.j2"
    ).read_text()
    assert "fontawesome-free@^5/css/all.min.css\", \"data:text/css," in template


@pytest.mark.parametrize(
    ("env", "user"),
    [
        ({"BACKOFFICE_USER": "min@studio.example"}, "min@studio.example"),
        ({}, None),
        ({"BACKOFFICE_AUTH_HEADER": "X-Forwarded-Email",
          "HTTP_X_FORWARDED_EMAIL": "noon@studio.example"}, "noon@studio.example"),
        ({"BACKOFFICE_AUTH_HEADER": "X-Forwarded-Email",
          "BACKOFFICE_USER": "admin@studio.example"}, None),
        ({"BACKOFFICE_AUTH_HEADER": "X-Auth-Request-Email",
          "HTTP_X_AUTH_REQUEST_EMAIL": " boss@studio.example "}, "boss@studio.example"),
    ],
    ids=["token-mode-user", "token-mode-nobody", "proxy-header", "missing-header-never-falls-back",
         "other-header-trimmed"],
)
def test_signed_in_user_comes_from_the_token_setup_or_the_trusted_header(env, user, monkeypatch):
    for key in ("BACKOFFICE_USER", "BACKOFFICE_AUTH_HEADER", "HTTP_X_FORWARDED_EMAIL",
                "VOILA_PREHEAT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert session_user.signed_in_user() == user


@pytest.fixture
def committed_users(engine):
    """Two users committed in the test database (access.require uses its own transaction)."""
    tag = uuid.uuid4().hex[:8]
    admin, coach = f"admin-{tag}@serve.test", f"coach-{tag}@serve.test"
    table = AllowedUser.__table__
    with engine.begin() as c:
        c.execute(sa.insert(table), [
            {"email": admin, "is_admin": True, "is_coach": False},
            {"email": coach, "is_admin": False, "is_coach": True, "coach_code": f"C{tag}"},
        ])
    yield admin, coach
    with engine.begin() as c:
        c.execute(sa.delete(table).where(table.c.email.in_([admin, coach])))


def _audited_refusals(engine, email):
    with engine.connect() as c:
        return c.scalar(sa.text(
            "SELECT count(*) FROM backoffice.audit_logs"
            " WHERE action = 'ACCESS_DENIED' AND user_email = :e"), {"e": email})


@pytest.mark.parametrize(
    ("who", "area", "shown"),
    [
        ("admin", "audit", "built for admin"),
        ("coach", "audit", "Access refused"),
        ("coach", "coaching", "built for coach"),
        ("stranger", "overview", "Access refused"),
    ],
    ids=["admin-sees-audit", "coach-refused-admin-area", "coach-sees-own-area",
         "unknown-user-refused"],
)
def test_dashboards_apply_allowed_users_roles_and_audit_refusals(
    committed_users, engine, monkeypatch, who, area, shown
):
    admin, coach = committed_users
    email = {"admin": admin, "coach": coach, "stranger": f"x-{uuid.uuid4().hex[:6]}@serve.test"}[who]
    monkeypatch.delenv("BACKOFFICE_AUTH_HEADER", raising=False)
    monkeypatch.setenv("BACKOFFICE_USER", email)
    widget = ui.guarded_dashboard(area, lambda user: f"built for {who}")
    text = widget if isinstance(widget, str) else widget.value
    assert shown in text
    if shown == "Access refused":
        assert ui.ERROR_CLASS in text
        assert _audited_refusals(engine, email) == 1


def test_unexpected_dashboard_error_is_a_message_on_screen_not_a_blank_page(
    committed_users, monkeypatch, tmp_path
):
    admin, _ = committed_users
    monkeypatch.setenv("BACKOFFICE_USER", admin)
    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path))

    def broken(user):
        raise ZeroDivisionError("no sessions in 2026-13")

    panel = ui.guarded_dashboard("audit", broken)
    assert ui.ERROR_CLASS in panel.value
    assert "ZeroDivisionError: no sessions in 2026-13" in panel.value
    assert "Traceback" not in panel.value
    assert "Traceback" in (tmp_path / "logs" / "dashboards.log").read_text()


def test_sync_figure_puts_changes_made_before_display_into_the_widget_state():
    import plotly.graph_objects as go

    fig = go.FigureWidget([go.Bar(x=[], y=[])])
    with fig.batch_update():
        fig.data[0].x = ["2026-11-01"]
        fig.data[0].y = [3.5]
    assert fig.get_state()["_widget_data"][0]["x"] == []  # what the browser would get
    ui.sync_figure(fig)
    assert fig.get_state()["_widget_data"][0]["x"] == ["2026-11-01"]


@pytest.mark.parametrize("message, shown", [
    ("Notebook staff/kiosk.ipynb is not trusted", False),
    ("Culling 'idle' kernel 'python3' (1f2e) with 0 connections due to 133 seconds of inactivity.",
     False),
    ("Kernel died unexpectedly", True),
    ("Timeout waiting for IOPub output", True),
])
def test_server_log_drops_only_routine_warnings(message, shown):
    record = logging.LogRecord("WorkbenchVoila", logging.WARNING, __file__, 1, message, None, None)
    assert serve._drop_routine_warnings(record) is shown
