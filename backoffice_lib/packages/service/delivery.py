"""Package alerts reach their customers (delivery.md §4): each alert of a day to each customer
with an e-mail or a LINE user ID, once per package, level and channel, Thai then English, with
the package, the hours left and the expiry. The daily package-alerts job calls it after raising
the day's alerts; the alert list then shows what reached whom (``rules.compute_reached``).

The job acts as the system (no person's access to check) unless BACKOFFICE_USER names one (any
user of packages: the report is the managers'); a channel without its settings skips its
messages (named in the list) rather than failing the job.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from sqlalchemy.engine import Engine

from ... import database
from ...delivery import rules as delivery_rules
from ...delivery.service import Channels, DeliveryReport, Outgoing, run_delivery, studio_name
from .. import queries
from .alerts import SYSTEM_ACTOR

KIND = "package_alert"


def deliver_package_alerts(as_of: dt.date, user: str | None = None, *,
                           channels: Channels | None = None, engine: Engine | None = None
                           ) -> DeliveryReport:
    """Send the alerts raised on ``as_of`` to their customers; the run's report."""
    channels = channels or Channels.from_settings()
    with database.transaction(engine) as conn:
        alerts = queries.load_alert_list(conn, as_of)
    studio = studio_name(channels)
    outgoing = []
    for alert in alerts:
        if alert["customer_id"] is None:
            continue
        sha = delivery_rules.compute_alert_sha(alert["package_id"], alert["alert_level"])
        compose = functools.partial(_compose, alert["customer_name"] or "",
                                    alert["package_type_name"] or "", alert["alert_level"],
                                    alert["remaining_hours"], alert["expiration_date"], studio)
        for channel, address in (("email", alert["email"]), ("line", alert["line_user_id"])):
            if not (address or "").strip():
                continue
            outgoing.append(Outgoing(
                kind=KIND, channel=channel, period=as_of.isoformat(), recipient_kind="customer",
                recipient_id=str(alert["customer_id"]),
                recipient_name=f"{alert['customer_name']} ({alert['package_type_name']})",
                address=address.strip(), attachment_sha256=sha, compose=compose))
    actor = user or SYSTEM_ACTOR
    return run_delivery(outgoing, kind=KIND, period=as_of.isoformat(), user=actor,
                        area=None if actor == SYSTEM_ACTOR else "packages", admin=False,
                        channels=channels, engine=engine, skip_unset_channels=True, workers=1)


def _compose(customer: str, package: str, level: str, hours_left, expires, studio: str,
             corrects: bool, resend: bool) -> delivery_rules.MessageText:
    return delivery_rules.compose_alert_text(customer, package, level, hours_left, expires,
                                             studio)


def load_alerts_reached(as_of: dt.date, engine: Engine | None = None) -> list[dict]:
    """The alert list of ``as_of`` with what reached each customer (after a delivery)."""
    with database.transaction(engine) as conn:
        return queries.load_alert_list(conn, as_of)


LINE_USER_ID = re.compile(r"^U[0-9a-f]{32}$")


def save_customer_line_id(conn, user: str | None, customer_code: str,
                          line_user_id: str | None) -> dict:
    """Store the LINE user ID of a customer who added the studio's account (empty: forget it);
    admins, audited. Raises ``CustomerError``."""
    from ... import access, audit
    from ..rules import CustomerError

    who = access.check(conn, user, "packages", admin=True)
    value = (line_user_id or "").strip() or None
    if value is not None and not LINE_USER_ID.match(value):
        raise CustomerError("a LINE user ID is U and 32 hex digits (from the studio's LINE "
                            f"account's webhook), not {value!r}")
    before = queries.save_customer_line_user_id(conn, customer_code.strip(), value)
    if before is None:
        raise CustomerError(f"no customer with code {customer_code}")
    audit.record(conn, who.email, "UPDATE", "customer", before["id"],
                 before={"line_user_id": before["line_user_id"]},
                 after={"line_user_id": value})
    return {**before, "line_user_id": value}
