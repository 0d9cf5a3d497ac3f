"""Delivery's fixtures (``delivery_fixtures``) for every test of this folder."""

from delivery_fixtures import line_server, smtp_server, world  # noqa: F401
