"""The payroll forecast: a month's pay from what was worked and what is planned (admins).

``load_forecast`` reads the month's real inputs, the scheduled shifts and the earlier
service-charge pools, and hands them to ``rules.forecast.compute_forecast``, which runs the one
payroll engine (``compute_payroll``) on them. A forecast is a read of payroll: audited as a
payroll view in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from ... import access, audit, bangkok, values
from .. import queries
from ..rules import first_week_start
from ..rules.forecast import POOLS_AVERAGED, ForecastResult, check_as_of, compute_forecast


def compute_month_forecast(conn: Connection, month: values.Month | str,
                           as_of: dt.date) -> ForecastResult:
    """Load and compute the forecast (no access check, no audit: the callers below do both)."""
    month = values.month_key(month)
    check_as_of(month, as_of)
    _, last = bangkok.month_days(month)
    inputs = queries.load_payroll_inputs(conn, month)
    shifts = queries.load_planned_shifts(conn, max(as_of, first_week_start(month)), last)
    pools = ({} if inputs.service_charge_pool is not None
             else queries.load_earlier_pools(conn, month, POOLS_AVERAGED))
    return compute_forecast(inputs, shifts, as_of, pools)


def load_forecast(conn: Connection, month: values.Month | str, as_of: dt.date | None,
                  user: str | None, *, via: str = "payroll forecast") -> ForecastResult:
    """The forecast of ``month`` as of ``as_of`` (default: today in Bangkok); admins only,
    audited as a payroll view (``via`` says from where)."""
    who = access.check(conn, user, "payroll")
    month = values.month_key(month)
    as_of = as_of or bangkok.today()
    result = compute_month_forecast(conn, month, as_of)
    audit.record(conn, who.email, "VIEW", "payroll_forecast", month,
                 details={"via": via, "as_of": as_of.isoformat(),
                          "people": len(result.lines),
                          "total_pay": str(result.totals["total_pay"])})
    return result
