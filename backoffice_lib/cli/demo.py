"""``backoffice demo load``: deterministic demo data."""

from __future__ import annotations

import sys

import click

from .params import DATE, WholeNumber

EXIT_REFUSED = 2



@click.group()
def demo() -> None:
    """Demo data that looks like the studio."""


@demo.command()
@click.option("--seed", default=42, show_default=True, type=WholeNumber(0, 2**63 - 1, "the seed"),
              help="Same seed, same data.")
@click.option("--scale", default=1, show_default=True, type=WholeNumber(1, 100, "the scale"),
              help="Multiplies staff, customers, packages and sales (1-100).")
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Last date of the data (YYYY-MM-DD); default: today in Bangkok.")
@click.option("--force", is_flag=True,
              help="Replace a database that holds rows demo load did not create.")
def load(seed: int, scale: int, as_of, force: bool) -> None:
    """Load demo data into an upgraded database (replaces earlier demo data)."""
    from .. import database, demo_data

    database.check_connection()
    try:
        summary = demo_data.run_demo_load(
            seed=seed, scale=scale, force=force, as_of=as_of
        )
    except (demo_data.DemoRefused, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(summary)
