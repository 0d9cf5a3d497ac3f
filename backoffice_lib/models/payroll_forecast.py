"""The kept payroll forecast (migration 0021): what the month's pay was forecast to be, day by day.

The daily job keeps, for each month it can forecast that day, one row per person of the forecast
(as of that day: worked before it, planned from it), so that a finalised month's pay can be set
against what was forecast on its 1st and 15th (``backoffice payroll forecast --accuracy``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import SCHEMA, Base
from .core import NOW, TSTZ, Staff

MONEY = Numeric(12, 2)
HOURS = Numeric(8, 2)


class PayrollForecast(Base):
    __tablename__ = "payroll_forecasts"
    __table_args__ = (
        UniqueConstraint("month", "forecast_date", "staff_id"),
        CheckConstraint(r"month ~ '^\d{4}-(0[1-9]|1[0-2])$'", name="month_format"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(Text, nullable=False)
    forecast_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    staff_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(Staff.id, ondelete="CASCADE"), nullable=False
    )
    hours_worked: Mapped[Decimal] = mapped_column(HOURS, nullable=False)
    hours_planned: Mapped[Decimal] = mapped_column(HOURS, nullable=False)
    base_pay: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    daily_allowance: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    overtime_pay: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    holiday_pay: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    service_charge: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    total_pay: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    net_pay: Mapped[Decimal | None] = mapped_column(MONEY)
    employer_cost: Mapped[Decimal | None] = mapped_column(MONEY)
    created_at: Mapped[dt.datetime] = mapped_column(TSTZ, nullable=False, server_default=NOW)
