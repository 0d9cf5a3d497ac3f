"""The layout: one package per domain, imports pointing only down, pure rules apart from I/O.

The graph is read from the source (every ``import``, including those inside functions), so a
lazy import cannot hide an upward arrow.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "backoffice_lib"

# The shared base: imports no domain.
BASE = {
    "access", "audit", "bangkok", "database", "migrate", "money", "session_user", "settings",
    "ui", "models", "migrations", "spreadsheets", "values",
}
# Which domains each domain may build on (besides the base). A new package must be placed here.
BUILDS_ON = {
    "staff": set(),
    "delivery": set(),  # e-mail, LINE and the outbox (issue 25): the domains that send use it
    "payroll": {"staff", "delivery"},
    "packages": {"staff", "delivery"},
    "invoices": {"delivery"},
    "reconciliation": {"invoices"},
    "history": set(),
    "importer": {"staff", "payroll", "packages", "invoices", "history"},
    "explore": {"staff"},  # the analysts' frames (issue 27)
    "taxes": {"staff", "payroll", "invoices"},  # the tax calendar (supplier-tax.md §5)
    "workbench": {"staff", "payroll", "packages", "invoices", "reconciliation", "history",
                  "importer", "explore", "taxes", "delivery"},
    "demo_data": {"staff", "payroll", "packages", "invoices", "reconciliation", "history"},
    "cli": {"staff", "payroll", "packages", "invoices", "reconciliation", "history", "importer",
            "workbench", "demo_data", "explore", "taxes", "delivery"},
}
# Pure rules and calculations: plain values and DataFrames in and out, no SQLAlchemy.
PURE = {
    "backoffice_lib.bangkok",
    "backoffice_lib.money",
    "backoffice_lib.staff.rules",
    "backoffice_lib.staff.rules.attendance",
    "backoffice_lib.staff.rules.compensation",
    "backoffice_lib.staff.rules.holidays",
    "backoffice_lib.staff.rules.pins",
    "backoffice_lib.staff.rules.sessions",
    "backoffice_lib.staff.rules.settings",
    "backoffice_lib.staff.rules.sign_in_users",
    "backoffice_lib.payroll.rules",
    "backoffice_lib.payroll.rules.close",
    "backoffice_lib.payroll.rules.filings",
    "backoffice_lib.payroll.rules.diff",
    "backoffice_lib.payroll.rules.forecast",
    "backoffice_lib.payroll.rules.statutory",
    "backoffice_lib.payroll.rules.summary",
    "backoffice_lib.importer.rules",
    "backoffice_lib.importer.rules.archive",
    "backoffice_lib.importer.rules.mapping",
    "backoffice_lib.importer.rules.review",
    "backoffice_lib.payroll.rules.sso_file",
    "backoffice_lib.packages.rules",
    "backoffice_lib.workbench.rules",
    "backoffice_lib.invoices.rules",
    "backoffice_lib.invoices.rules.baht_text",
    "backoffice_lib.invoices.rules.withholding",
    "backoffice_lib.history.rules",
    "backoffice_lib.reconciliation.rules",
    "backoffice_lib.reconciliation.rules.matching",
    "backoffice_lib.reconciliation.rules.parsing",
    "backoffice_lib.values",
    "backoffice_lib.explore.rules",
    "backoffice_lib.taxes.rules",
    "backoffice_lib.delivery.rules",
}
DASHBOARD_SUFFIXES = ("dashboard",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LIB.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every backoffice_lib module (or package) this file imports, anywhere in it."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("backoffice_lib"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if not source.startswith("backoffice_lib"):
                continue
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                found.add(candidate if module_path(candidate) else source)
    found.discard(name)
    return found


def module_path(dotted: str) -> Path | None:
    relative = Path(*dotted.split(".")[1:])
    for path in (LIB / relative.with_suffix(".py"), LIB / relative / "__init__.py"):
        if dotted != "backoffice_lib" and path.is_file():
            return path
    return None


def top(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


def graph() -> dict[str, set[str]]:
    return {
        module_name(path): imports_of(path)
        for path in LIB.rglob("*.py")
        if "migrations/versions" not in path.as_posix()
    }


def is_dashboard(dotted: str) -> bool:
    return dotted.rsplit(".", 1)[-1].endswith(DASHBOARD_SUFFIXES)


def test_every_module_lives_in_the_base_or_a_known_domain():
    unknown = sorted({top(m) for m in graph() if top(m) and top(m) not in BASE | set(BUILDS_ON)})
    assert unknown == [], f"place these packages in BUILDS_ON or the base: {unknown}"


def test_the_base_imports_no_domain():
    upward = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        if top(module) in BASE
        for target in targets
        if top(target) and top(target) not in BASE
    ]
    assert upward == []


def test_a_domain_imports_only_the_base_and_the_domains_it_builds_on():
    upward = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        if top(module) in BUILDS_ON
        for target in targets
        if top(target) not in BASE | BUILDS_ON[top(module)] | {top(module)}
    ]
    assert upward == []


def test_no_module_imports_a_dashboard_or_the_cli():
    """Dashboards and commands are the top of each domain: only the CLI, the workbench and
    notebooks may reach them (a dashboard may use another dashboard's widgets)."""
    upward = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        if top(module) not in ("cli", "workbench") and not is_dashboard(module)
        for target in targets
        if is_dashboard(target) or top(target) == "cli"
    ]
    assert upward == []


def test_no_circular_imports():
    modules = graph()
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(modules.get(module, ())):
            if target not in modules:
                continue
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target):], target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module)
    assert cycles == []


def test_no_circular_imports_between_packages():
    edges = {
        (top(module), top(target))
        for module, targets in graph().items()
        for target in targets
        if top(module) and top(target) and top(module) != top(target)
    }
    mutual = sorted(f"{a} <-> {b}" for a, b in edges if (b, a) in edges and a < b)
    assert mutual == []


@pytest.mark.parametrize("module", sorted(PURE))
def test_pure_rules_import_no_sqlalchemy(module):
    tree = ast.parse(module_path(module).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.startswith("sqlalchemy") for name in names)
    assert not imports_of(module_path(module)) - {f"backoffice_lib.{b}" for b in BASE} - {
        m for m in PURE
    }, "a pure module imports only other pure modules and the base's pure helpers"


def test_importing_the_library_and_the_command_help_stays_light():
    """``import backoffice_lib`` and ``backoffice --help`` import no pandas, SQLAlchemy,
    plotly, Voilà or domain module."""
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['backoffice', '--help']\n"
        "try:\n"
        "    runpy.run_module('backoffice_lib.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('pandas', 'sqlalchemy', 'plotly', 'voila', 'ipywidgets', 'backoffice_lib.models')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy"
        " or m.startswith('backoffice_lib.models')"
        " or (m.startswith('backoffice_lib.') and m.split('.')[1] not in ('cli',)))\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "Commands:" in done.stdout
    assert "LOADED []" in done.stderr, done.stderr


def test_command_help_lines_match_the_commands():
    from backoffice_lib.cli import COMMANDS, load_command

    for name, (_, _, help_line) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        assert command.get_short_help_str(limit=300) == help_line, name


# --- rooms (issue 21): the rules that hold today; more join as the dashboards are rewritten ------

# Widgets and plots: dashboards (*dashboard), the shared frame (ui) and the
# pages not yet named as dashboards; kernel_warmup imports them ahead of a page view.
WIDGET_MODULES = {
    "backoffice_lib.ui",
    "backoffice_lib.workbench.kernel_warmup",
}
WIDGET_PACKAGES = ("ipywidgets", "anywidget", "plotly")
# Serving pages and running notebooks: the workbench (session_user reads the page's request).
SERVER_PACKAGES = ("voila", "jupyter_server", "tornado", "papermill", "nbclient")
SQL_TEXT = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+(\.\w+)? SET|DELETE FROM)\b")


def third_party_imports(path: Path) -> set[str]:
    """Top-level names of the packages outside backoffice_lib a file imports, anywhere in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
              if not n.level}
    return {name.split(".")[0] for name in names if name}


def library_files() -> list[Path]:
    return [p for p in sorted(LIB.rglob("*.py")) if "migrations/versions" not in p.as_posix()]


def test_widgets_and_plots_only_in_dashboards_and_ui():
    misplaced = [
        f"{module_name(path)} imports {sorted(found)}"
        for path in library_files()
        if not is_dashboard(module_name(path)) and module_name(path) not in WIDGET_MODULES
        for found in [third_party_imports(path) & set(WIDGET_PACKAGES)]
        if found
    ]
    assert misplaced == []


def test_pages_are_served_and_notebooks_run_only_by_the_workbench():
    misplaced = [
        f"{module_name(path)} imports {sorted(found)}"
        for path in library_files()
        if top(module_name(path)) != "workbench"
        and module_name(path) != "backoffice_lib.session_user"
        for found in [third_party_imports(path) & set(SERVER_PACKAGES)]
        if found
    ]
    assert misplaced == []


@pytest.mark.parametrize("module", sorted(PURE))
def test_pure_rules_hold_no_sql_widgets_or_drivers(module):
    path = module_path(module)
    assert not third_party_imports(path) & {"psycopg", "sqlalchemy", *WIDGET_PACKAGES,
                                            *SERVER_PACKAGES}
    texts = [n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert [t[:60] for t in texts if SQL_TEXT.search(t)] == []


def test_the_command_line_imports_no_dashboard():
    """Commands call services; a dashboard's widgets never run behind a command."""
    reached = [f"{module} -> {target}" for module, targets in graph().items()
               if top(module) == "cli" for target in targets if is_dashboard(target)]
    assert reached == []


# Domains already in their rooms (issue 21): SQL only in queries, dashboards without SQL.
ROOM_DOMAINS = {"payroll", "packages", "staff", "invoices", "reconciliation", "importer",
                "history", "taxes"}


def room_modules(domain: str) -> list[Path]:
    return sorted((LIB / domain).rglob("*.py"))


@pytest.mark.parametrize("domain", sorted(ROOM_DOMAINS))
def test_only_the_queries_room_holds_sql(domain):
    """Outside ``queries``, a module of the domain imports at most sqlalchemy's Connection (the
    services' first argument) and holds no SQL text."""
    misplaced = []
    for path in room_modules(domain):
        name = module_name(path)
        if name.split(".")[2:3] == ["queries"]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        misplaced += [f"{name} imports {m}" for m in sorted(modules)
                      if m.startswith("sqlalchemy") and m != "sqlalchemy.engine"]
        texts = [n.value for n in ast.walk(tree)
                 if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        misplaced += [f"{name}: {t[:60]}" for t in texts if SQL_TEXT.search(t)]
    assert misplaced == []


@pytest.mark.parametrize("domain", sorted(ROOM_DOMAINS))
def test_dashboards_import_no_sqlalchemy_and_follow_the_one_idiom(domain):
    """A dashboard module builds widgets through the shared guard: no sqlalchemy at all."""
    dashboards = [p for p in room_modules(domain) if is_dashboard(module_name(p))]
    assert dashboards
    for path in dashboards:
        assert not {m for m in third_party_imports(path) if m == "sqlalchemy"}, path.name
        if module_name(path) in STAFF_FORMS:  # a form inside the pages that are guarded
            continue
        assert "ui.guarded_dashboard(" in path.read_text(encoding="utf-8"), path.name


# The staff domain (issue 21): its dashboards are widgets only, each a class inside the guard
# (the entry-correction form is a part of the staff and payroll close pages, not a page).
STAFF_FORMS = {"backoffice_lib.staff.entry_correction_dashboard"}


def test_staff_dashboards_hold_no_sql_and_build_through_the_guard():
    dashboards = [p for p in room_modules("staff") if is_dashboard(module_name(p))]
    assert len(dashboards) >= 7
    for path in dashboards:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        assert "sqlalchemy" not in third_party_imports(path), path.name
        strings = [n.value for n in ast.walk(tree)
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        assert [t[:60] for t in strings if SQL_TEXT.search(t)] == [], path.name
        assert any(isinstance(n, ast.ClassDef) for n in tree.body), path.name
        if module_name(path) not in STAFF_FORMS:
            assert "ui.guarded_dashboard(" in text, path.name



# Rewritten dashboards of a domain not (yet) wholly in its rooms: widgets only all the same.
ROOM_DASHBOARDS = {"backoffice_lib.workbench.overview_dashboard",
                   "backoffice_lib.reconciliation.reconciliation_dashboard",
                   "backoffice_lib.invoices.invoices_dashboard",
                   "backoffice_lib.history.audit_explorer_dashboard",
                   "backoffice_lib.importer.import_review_dashboard"}


@pytest.mark.parametrize("module", sorted(ROOM_DASHBOARDS))
def test_rewritten_dashboards_hold_no_sql_and_build_a_class_through_the_guard(module):
    path = module_path(module)
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    assert "sqlalchemy" not in third_party_imports(path)
    strings = [n.value for n in ast.walk(tree)
               if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert [t[:60] for t in strings if SQL_TEXT.search(t)] == []
    assert any(isinstance(n, ast.ClassDef) for n in tree.body)
    assert "ui.guarded_dashboard(" in text
