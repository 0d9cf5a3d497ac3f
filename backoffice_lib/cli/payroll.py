"""`backoffice` commands of the payroll work (registered here as they are built)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    pass
