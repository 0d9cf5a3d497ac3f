"""The notebook catalog (notebooks/catalog.yml) and the landing page built from it."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import ui

PROJECT_DIR = Path(__file__).resolve().parents[2]  # the checkout: notebooks/ and jobs.yml
# lab: a starter notebook of `backoffice lab` (issue 27), listed here, never run by `serve`
KINDS = ("dashboard", "report", "lab")
AUDIENCES = ("managers", "finance", "analysts", "staff")
AUDIENCE_TITLES = {
    "managers": "Managers",
    "finance": "Finance",
    "analysts": "Analysts",
    "staff": "Staff",
}


class CatalogError(ValueError):
    """notebooks/catalog.yml is malformed; the message names the entry."""


# --- the catalog --------------------------------------------------------------------------------


def notebooks_dir() -> Path:
    configured = os.environ.get("BACKOFFICE_NOTEBOOKS_DIR")
    return Path(configured).resolve() if configured else PROJECT_DIR / "notebooks"


@dataclass(frozen=True)
class CatalogEntry:
    path: str  # relative to notebooks/
    kind: str
    title: str
    audience: str
    purpose: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def url_path(self) -> str:
        return f"voila/render/{self.path}"


def compute_catalog(document: Any) -> list[CatalogEntry]:
    """Validate the parsed catalog.yml and return its entries (pure)."""
    if not isinstance(document, dict) or not isinstance(document.get("notebooks"), list):
        raise CatalogError("catalog.yml must hold `notebooks:` followed by a list of entries")
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for index, raw in enumerate(document["notebooks"], start=1):
        if not isinstance(raw, dict):
            raise CatalogError(f"catalog entry {index} is not a mapping")
        path = str(raw.get("path") or "").strip()
        where = f"catalog entry {index} ({path or 'no path'})"
        if not path.endswith(".ipynb") or path.startswith("/") or ".." in Path(path).parts:
            raise CatalogError(f"{where}: path must be a notebook relative to notebooks/")
        if path in seen:
            raise CatalogError(f"{where}: listed twice")
        seen.add(path)
        kind = str(raw.get("kind") or "").strip()
        if kind not in KINDS:
            raise CatalogError(f"{where}: kind must be one of {', '.join(KINDS)}")
        audience = str(raw.get("audience") or "").strip()
        if audience not in AUDIENCES:
            raise CatalogError(f"{where}: audience must be one of {', '.join(AUDIENCES)}")
        title = str(raw.get("title") or "").strip() or Path(path).stem.replace("_", " ")
        purpose = " ".join(str(raw.get("purpose") or "").split())
        parameters = raw.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise CatalogError(f"{where}: parameters must be a mapping")
        entries.append(CatalogEntry(path, kind, title, audience, purpose, dict(parameters)))
    return entries


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    path = path or notebooks_dir() / "catalog.yml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogError(f"no notebook catalog at {path}") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path} is not valid YAML: {exc}") from exc
    return compute_catalog(document)


def load_dashboards(path: Path | None = None, *, existing_only: bool = True) -> list[CatalogEntry]:
    """The catalog's dashboards (only those whose notebook exists, unless told otherwise)."""
    root = (path.parent if path else notebooks_dir())
    return [
        entry
        for entry in load_catalog(path)
        if entry.kind == "dashboard" and (not existing_only or (root / entry.path).is_file())
    ]


# --- the landing page ---------------------------------------------------------------------------

_LANDING_CSS = ui.LANDING_CSS  # one stylesheet: the landing page's look lives in ui.py


def compute_landing_html(
    entries: Sequence[CatalogEntry],
    *,
    user: str | None,
    via: str,
    base_url: str = "/",
    forms: Mapping[str, str] | None = None,
) -> str:
    """The landing page: dashboards grouped by audience, reports listed apart (pure).

    ``forms`` maps a report's path to its run form (``runs_page.compute_report_form_html``),
    given only for the reports the signed-in user may run.
    """
    forms = forms or {}
    esc = html.escape
    sections = []
    for audience in AUDIENCES:
        items = [e for e in entries if e.kind == "dashboard" and e.audience == audience]
        if not items:
            continue
        links = "".join(
            f'<li class="dashboard" data-path="{esc(e.path)}">'
            f'<a href="{esc(base_url + e.url_path)}">{esc(e.title)}</a>'
            f"<p>{esc(e.purpose)}</p></li>"
            for e in items
        )
        sections.append(
            f'<section class="audience" data-audience="{audience}">'
            f"<h2>{AUDIENCE_TITLES[audience]}</h2><ul>{links}</ul></section>"
        )
    if not sections:
        sections.append(
            '<p class="notice">No dashboard is listed in notebooks/catalog.yml yet.</p>'
        )
    reports = [e for e in entries if e.kind == "report"]
    if reports:
        items = "".join(
            f'<li class="report" data-path="{esc(e.path)}"><strong>{esc(e.title)}</strong>'
            f"<p>{esc(e.purpose)}</p><p><code>{esc(e.path)}</code></p>{forms.get(e.path, '')}</li>"
            for e in reports
        )
        sections.append(
            '<section class="reports"><h2>Reports (run here, or by <code>backoffice jobs</code>;'
            f' <a href="{esc(base_url)}runs">recent runs</a>)</h2><ul>{items}</ul></section>'
        )
    who = (
        f"Signed in as <strong>{esc(user)}</strong> ({esc(via)})"
        if user
        else f'<span class="notice">Nobody is signed in ({esc(via)})</span>'
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:;base64,=">'
        f"<title>Studio back office</title><style>{ui.thai_font_css()}{_LANDING_CSS}</style>"
        "</head><body>"
        f"<header><h1>Studio back office</h1><p>{who}</p></header>"
        f"<main>{''.join(sections)}</main></body></html>"
    )
