"""``backoffice demo load``: deterministic demo data."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    cli.add_command(demo)


@click.group()
def demo() -> None:
    """Demo data that looks like the studio."""


@demo.command()
@click.option("--seed", default=42, show_default=True, help="Same seed, same data.")
@click.option("--scale", default=1, show_default=True, help="Multiplies staff, customers, sales.")
@click.option("--force", is_flag=True, help="Replace a database that holds non-demo data.")
def load(seed: int, scale: int, force: bool) -> None:
    """Load demo data into an upgraded database."""
    from .. import database, demo_data

    database.check_connection()
    summary = demo_data.run_demo_load(seed=seed, scale=scale, force=force)
    click.echo(summary)
