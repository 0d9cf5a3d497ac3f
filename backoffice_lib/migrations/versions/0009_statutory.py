"""net pay: statutory rates, staff identity columns, declared allowances

Revision ID: 0009
Revises: 0008

- ``statutory_rates`` with the seed rows of statutory-payroll.md §1 (dated; income-tax brackets
  as ``pit_bracket`` rows, ``threshold`` = the income above which ``value`` applies).
- ``staff_tax_allowances`` (per person and tax year).
- ``staff``: national_id (13 digits and its check digit, unique), title, first_name, last_name,
  sso_insured (default true), joined_on.
- ``log_staff_changes()`` replaced so that the staff audit trail records THAT the national ID
  changed, never its value (the function of migration 0001 otherwise, restored on downgrade).
"""

import textwrap

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SCHEMA = "backoffice"
TITLES = ("นาย", "นาง", "นางสาว", "Mr", "Mrs", "Ms")
NATIONAL_ID_CHECK = (
    "national_id ~ '^[0-9]{13}$' AND (11 - ("
    + " + ".join(f"substr(national_id, {i}, 1)::int * {14 - i}" for i in range(1, 13))
    + ") % 11) % 10 = substr(national_id, 13, 1)::int"
)
SEED_RATES = [
    # key, value, effective_from, threshold
    ("sso_employee_rate", "0.05", "1990-01-01", "0"),
    ("sso_employer_rate", "0.05", "1990-01-01", "0"),
    ("sso_wage_floor", "1650", "1990-01-01", "0"),
    ("sso_wage_ceiling", "15000", "1990-01-01", "0"),
    ("sso_wage_ceiling", "17500", "2026-01-01", "0"),
    ("sso_wage_ceiling", "20000", "2029-01-01", "0"),
    ("sso_wage_ceiling", "23000", "2032-01-01", "0"),
    ("pit_expense_rate", "0.50", "2017-01-01", "0"),
    ("pit_expense_cap", "100000", "2017-01-01", "0"),
    ("pit_personal_allowance", "60000", "2017-01-01", "0"),
    ("pit_bracket", "0", "2017-01-01", "0"),
    ("pit_bracket", "0.05", "2017-01-01", "150000"),
    ("pit_bracket", "0.10", "2017-01-01", "300000"),
    ("pit_bracket", "0.15", "2017-01-01", "500000"),
    ("pit_bracket", "0.20", "2017-01-01", "750000"),
    ("pit_bracket", "0.25", "2017-01-01", "1000000"),
    ("pit_bracket", "0.30", "2017-01-01", "2000000"),
    ("pit_bracket", "0.35", "2017-01-01", "5000000"),
]

NATIONAL_ID_CHANGED = """
    IF NEW.national_id IS DISTINCT FROM OLD.national_id THEN
      summary := concat_ws(', ', 'national_id', summary);
    END IF;"""
PIN_CHANGED = """
    IF NEW.pin_hash IS DISTINCT FROM OLD.pin_hash THEN
      summary := concat_ws(', ', 'pin', summary);
    END IF;"""


def log_staff_changes_of_0001() -> str:
    """``log_staff_changes()`` exactly as migration 0001 wrote it (downgrade)."""
    from backoffice_lib.migrate import migration_sql

    original = migration_sql("0001_foundation_schema", "RULES_SQL",
                             "CREATE FUNCTION backoffice.log_staff_changes()")
    return original.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def log_staff_changes_without_national_id() -> str:
    """0001's function with the national ID kept out of the snapshots and named when changed."""
    function = textwrap.dedent(log_staff_changes_of_0001())
    for old, new in (("- 'pin_hash';", "- 'pin_hash' - 'national_id';"),
                     (PIN_CHANGED, PIN_CHANGED + NATIONAL_ID_CHANGED)):
        assert old in function, old
        function = function.replace(old, new)
    return function


def upgrade() -> None:
    op.create_table(
        "statutory_rates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rate_key", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(14, 4), nullable=False),
        sa.Column("threshold", sa.Numeric(12, 2), server_default=sa.text("0"), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("created_by", sa.Text()),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_statutory_rates_value_not_negative")),
        sa.CheckConstraint("threshold >= 0",
                           name=op.f("ck_statutory_rates_threshold_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statutory_rates")),
        sa.UniqueConstraint("rate_key", "threshold", "effective_from",
                            name=op.f("uq_statutory_rates_rate_key_threshold_effective_from")),
        schema=SCHEMA,
    )
    rates = sa.table(
        "statutory_rates", sa.column("rate_key"), sa.column("value"), sa.column("threshold"),
        sa.column("effective_from", sa.Date), sa.column("note"), sa.column("created_by"),
        schema=SCHEMA,
    )
    import datetime as dt

    op.bulk_insert(rates, [
        {"rate_key": key, "value": value, "threshold": threshold,
         "effective_from": dt.date.fromisoformat(day), "note": "statutory-payroll.md seed",
         "created_by": "migration 0009"}
        for key, value, day, threshold in SEED_RATES
    ])
    op.create_table(
        "staff_tax_allowances",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_by", sa.Text()),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("amount >= 0",
                           name=op.f("ck_staff_tax_allowances_amount_not_negative")),
        sa.CheckConstraint("tax_year BETWEEN 2000 AND 2200",
                           name=op.f("ck_staff_tax_allowances_tax_year_plausible")),
        sa.ForeignKeyConstraint(["staff_id"], [f"{SCHEMA}.staff.id"], ondelete="CASCADE",
                                name=op.f("fk_staff_tax_allowances_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_tax_allowances")),
        sa.UniqueConstraint("staff_id", "tax_year",
                            name=op.f("uq_staff_tax_allowances_staff_id_tax_year")),
        schema=SCHEMA,
    )
    op.add_column("staff", sa.Column("national_id", sa.Text()), schema=SCHEMA)
    op.add_column("staff", sa.Column("title", sa.Text()), schema=SCHEMA)
    op.add_column("staff", sa.Column("first_name", sa.Text()), schema=SCHEMA)
    op.add_column("staff", sa.Column("last_name", sa.Text()), schema=SCHEMA)
    op.add_column("staff", sa.Column("sso_insured", sa.Boolean(), server_default=sa.text("true"),
                                     nullable=False), schema=SCHEMA)
    op.add_column("staff", sa.Column("joined_on", sa.Date()), schema=SCHEMA)
    op.create_check_constraint(op.f("ck_staff_national_id_check_digit"), "staff",
                               NATIONAL_ID_CHECK, schema=SCHEMA)
    op.create_check_constraint(
        op.f("ck_staff_title_known"), "staff",
        "title IN (" + ", ".join(f"'{t}'" for t in TITLES) + ")", schema=SCHEMA,
    )
    op.create_index("uq_staff_national_id", "staff", ["national_id"], unique=True, schema=SCHEMA,
                    postgresql_where=sa.text("national_id IS NOT NULL"))
    op.execute(log_staff_changes_without_national_id())


def downgrade() -> None:
    op.execute(log_staff_changes_of_0001())
    op.drop_index("uq_staff_national_id", table_name="staff", schema=SCHEMA)
    op.drop_constraint(op.f("ck_staff_title_known"), "staff", type_="check", schema=SCHEMA)
    op.drop_constraint(op.f("ck_staff_national_id_check_digit"), "staff", type_="check",
                       schema=SCHEMA)
    for column in ("joined_on", "sso_insured", "last_name", "first_name", "title", "national_id"):
        op.drop_column("staff", column, schema=SCHEMA)
    op.drop_table("staff_tax_allowances", schema=SCHEMA)
    op.drop_table("statutory_rates", schema=SCHEMA)
