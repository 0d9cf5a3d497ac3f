"""review acknowledgements: payroll review flags acknowledged per month, person and kind

Issue 21 item 6: the close page groups a month's review flags per person and kind with their
count; an admin acknowledges groups in bulk with a reason (``service.close.acknowledge_review_flags``,
audited, refused once the month is finalised). One row per month, person and kind.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SCHEMA = "backoffice"


def upgrade() -> None:
    op.create_table(
        "payroll_review_acknowledgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("flag_kind", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("acknowledged_by", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint(r"month ~ '^\d{4}-(0[1-9]|1[0-2])$'",
                           name=op.f("ck_payroll_review_acknowledgements_month_format")),
        sa.CheckConstraint("btrim(reason) <> ''",
                           name=op.f("ck_payroll_review_acknowledgements_reason_given")),
        sa.ForeignKeyConstraint(["staff_id"], [f"{SCHEMA}.staff.id"], ondelete="CASCADE",
                                name=op.f("fk_payroll_review_acknowledgements_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payroll_review_acknowledgements")),
        sa.UniqueConstraint(
            "month", "staff_id", "flag_kind",
            name=op.f("uq_payroll_review_acknowledgements_month_staff_id_flag_kind")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("payroll_review_acknowledgements", schema=SCHEMA)
