"""What a ``pg_dump -Fc`` archive would do when restored, judged from its table of contents
(``pg_restore --list``) before anything is restored (pure: text in, a plan out).

A dump of the live system restores tables, their data, indexes, constraints, defaults, sequences
and the enum type of the schemas ``backoffice``, ``public`` and ``pos`` (``live_shape.py``): that
is all that is restored. Entries that cannot run anything and that the import does not need
(comments, privileges, security labels, views, row-security policies, statistics) are left out
of the restore list. Everything else is refused: functions, procedures, aggregates, operators,
extensions, event triggers, triggers, rules, casts, languages, large objects, foreign servers,
publications, subscriptions, databases, any entry of another schema and any line the parser does
not recognise (an object name with a line break in it, for one).

The listing is a first gate only: labels are written by whoever wrote the archive. The restore
itself runs as an unprivileged role made for the run, and the staging database is checked
afterwards (``source._check_staging``).
"""

from __future__ import annotations

import dataclasses
import re

# The live system's schemas (the archive's entries outside them are refused).
LIVE_SCHEMAS = ("backoffice", "public", "pos")

# Entries restored (in LIVE_SCHEMAS only; the settings entries have no schema).
RESTORED = frozenset({
    "TABLE", "TABLE DATA", "INDEX", "INDEX ATTACH", "CONSTRAINT", "CHECK CONSTRAINT",
    "FK CONSTRAINT", "DEFAULT", "SEQUENCE", "SEQUENCE SET", "SEQUENCE OWNED BY", "TYPE",
})
SETTINGS = frozenset({"ENCODING", "STDSTRINGS", "SEARCHPATH"})
# Entries left out of the restore: they would run nothing, and the import does not read them.
LEFT_OUT = frozenset({
    "COMMENT", "ACL", "DEFAULT ACL", "SECURITY LABEL", "VIEW", "MATERIALIZED VIEW",
    "MATERIALIZED VIEW DATA", "POLICY", "ROW SECURITY", "STATISTICS", "STATISTICS DATA",
})
# Every entry type pg_dump writes, longest first (to split "FK CONSTRAINT public t name").
KNOWN = sorted(RESTORED | SETTINGS | LEFT_OUT | {
    "FUNCTION", "PROCEDURE", "AGGREGATE", "OPERATOR", "OPERATOR CLASS", "OPERATOR FAMILY",
    "EXTENSION", "EVENT TRIGGER", "TRIGGER", "RULE", "CAST", "LANGUAGE", "PROCEDURAL LANGUAGE",
    "TRANSFORM", "CONVERSION", "COLLATION", "DOMAIN", "SHELL TYPE", "ACCESS METHOD",
    "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER",
    "TEXT SEARCH TEMPLATE", "FOREIGN DATA WRAPPER", "SERVER", "USER MAPPING", "FOREIGN TABLE",
    "PUBLICATION", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "SUBSCRIPTION",
    "SUBSCRIPTION TABLE", "BLOB", "BLOBS", "BLOB METADATA", "LARGE OBJECT", "DATABASE",
    "DATABASE PROPERTIES", "SCHEMA", "TABLE ATTACH", "ROLE",
}, key=len, reverse=True)
ENTRY = re.compile(r"^(\d+); (\d+) (\d+) (.+)$")
SCHEMA_NAMES = frozenset(LIVE_SCHEMAS) | {"extensions"}


@dataclasses.dataclass
class ArchivePlan:
    """The listing lines to restore (``pg_restore -L``), the entry types left out, and the
    refused entries (empty when the archive may be restored)."""

    restore_lines: list[str]
    left_out: dict[str, int]
    refused: list[str]


def _split(rest: str) -> tuple[str, str, str] | None:
    """(entry type, schema, name and owner) of a listing line's text after the ids."""
    for kind in KNOWN:
        if rest == kind or rest.startswith(kind + " "):
            tail = rest[len(kind) + 1:]
            schema, _, name = tail.partition(" ")
            return kind, schema, name
    return None


def compute_archive_plan(listing: str) -> ArchivePlan:
    """Judge every entry of a ``pg_restore --list`` output."""
    restore: list[str] = []
    left_out: dict[str, int] = {}
    refused: list[str] = []
    for line in listing.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        match = ENTRY.match(line)
        parts = _split(match.group(4)) if match else None
        if parts is None:
            refused.append(f"unreadable entry {line[:80]!r}")
            continue
        kind, schema, name = parts
        label = f"{kind} {schema} {name}".strip()
        if kind in SETTINGS and schema == "-":
            restore.append(line)
        elif kind == "SCHEMA":
            if name.split(" ")[0] in SCHEMA_NAMES:
                restore.append(line)
            else:
                refused.append(label)
        elif kind in RESTORED and schema in LIVE_SCHEMAS:
            restore.append(line)
        elif kind in LEFT_OUT and schema in (*LIVE_SCHEMAS, "-"):
            left_out[kind] = left_out.get(kind, 0) + 1
        else:
            refused.append(label)
    return ArchivePlan(restore, left_out, refused)


def format_refusal(name: str, refused: list[str]) -> str:
    shown = "; ".join(refused[:4]) + (f" and {len(refused) - 4} more" if len(refused) > 4 else "")
    return (f"{name} is refused: its restore would create {shown} (a dump of the live system"
            f" restores only tables, data, indexes, constraints and sequences of"
            f" {', '.join(LIVE_SCHEMAS)}; dump those with pg_dump -Fc -n backoffice -n public"
            f" -n pos, or import from the live database URL)")
