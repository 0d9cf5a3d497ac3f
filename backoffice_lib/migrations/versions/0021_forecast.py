"""payroll forecast: the daily forecast kept per person and day

``payroll_forecasts``: one row per month forecast, day (the as-of date) and person: the hours
worked before that day and planned from it, the pay components, total, net pay and employer's
cost, as the one payroll engine computed them (``service.forecast.keep_forecasts``, the daily
job). ``backoffice payroll forecast --accuracy`` sets a finalised month's pay against the rows
kept on its 1st and 15th. Money numeric(12,2), hours numeric(8,2).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

SCHEMA = "backoffice"
TABLE = "payroll_forecasts"
MONEY = sa.Numeric(12, 2)
HOURS = sa.Numeric(8, 2)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Text(), nullable=False),
        sa.Column("forecast_date", sa.Date(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("hours_worked", HOURS, nullable=False),
        sa.Column("hours_planned", HOURS, nullable=False),
        sa.Column("base_pay", MONEY, nullable=False),
        sa.Column("daily_allowance", MONEY, nullable=False),
        sa.Column("overtime_pay", MONEY, nullable=False),
        sa.Column("holiday_pay", MONEY, nullable=False),
        sa.Column("service_charge", MONEY, nullable=False),
        sa.Column("total_pay", MONEY, nullable=False),
        sa.Column("net_pay", MONEY, nullable=True),
        sa.Column("employer_cost", MONEY, nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint(r"month ~ '^\d{4}-(0[1-9]|1[0-2])$'",
                           name=op.f(f"ck_{TABLE}_month_format")),
        sa.ForeignKeyConstraint(["staff_id"], [f"{SCHEMA}.staff.id"], ondelete="CASCADE",
                                name=op.f(f"fk_{TABLE}_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("month", "forecast_date", "staff_id",
                            name=op.f(f"uq_{TABLE}_month_forecast_date_staff_id")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table(TABLE, schema=SCHEMA)
