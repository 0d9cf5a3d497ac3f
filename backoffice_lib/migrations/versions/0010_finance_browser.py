"""finance in the browser: remembered column mappings of reconciliation files, partner products

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconciliation_column_mappings",
        sa.Column("reconciliation_type", sa.Text(), nullable=False),
        sa.Column("column_name", sa.Text(), nullable=False),
        sa.Column("header_text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint(
            "column_name IN ('date', 'customer', 'product', 'sku', 'quantity', 'amount')",
            name=op.f("ck_reconciliation_column_mappings_column_known"),
        ),
        sa.CheckConstraint("btrim(header_text) <> ''",
                           name=op.f("ck_reconciliation_column_mappings_header_not_blank")),
        sa.PrimaryKeyConstraint("reconciliation_type", "column_name",
                                name=op.f("pk_reconciliation_column_mappings")),
        schema="backoffice",
    )
    op.create_table(
        "partner_products",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("reconciliation_type", sa.Text(), nullable=False),
        sa.Column("match_on", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("match_on IN ('category', 'sku')",
                           name=op.f("ck_partner_products_match_on_known")),
        sa.CheckConstraint("btrim(value) <> '' AND value <> '-'",
                           name=op.f("ck_partner_products_value_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_products")),
        sa.UniqueConstraint("reconciliation_type", "match_on", "value",
                            name=op.f("uq_partner_products_reconciliation_type_match_on_value")),
        schema="backoffice",
    )


def downgrade() -> None:
    op.drop_table("partner_products", schema="backoffice")
    op.drop_table("reconciliation_column_mappings", schema="backoffice")
