"""`backoffice` commands of the jobs work (registered here as they are built)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    pass
