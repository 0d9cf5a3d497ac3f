"""the live import: import runs, the quarantine and the row versions (issue 16)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TSTZ = postgresql.TIMESTAMP(timezone=True)
JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("user_email", sa.Text(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'running'"), nullable=False),
        sa.Column("report", JSONB, server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("started_at", TSTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", TSTZ, nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'finished')", name=op.f("ck_import_runs_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
        schema="backoffice",
    )
    op.create_table(
        "import_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("live_key", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("row", JSONB, nullable=False),
        sa.Column("row_hash", sa.Text(), nullable=False),
        sa.Column("group_key", sa.Text(), nullable=True),
        sa.Column("depends_on", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolved_at", TSTZ, nullable=True),
        sa.Column("created_at", TSTZ, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'resolved', 'dismissed')",
            name=op.f("ck_import_quarantine_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["backoffice.import_runs.id"],
            name=op.f("fk_import_quarantine_import_id_import_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_quarantine")),
        schema="backoffice",
    )
    op.create_index(
        op.f("ix_import_quarantine_table_name_live_key"), "import_quarantine",
        ["table_name", "live_key"], unique=True, schema="backoffice",
    )
    op.create_index(
        op.f("ix_import_quarantine_status_rule"), "import_quarantine", ["status", "rule"],
        unique=False, schema="backoffice",
    )
    op.create_table(
        "import_row_versions",
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("live_key", sa.Text(), nullable=False),
        sa.Column("target_key", sa.Text(), nullable=False),
        sa.Column("row_hash", sa.Text(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["backoffice.import_runs.id"],
            name=op.f("fk_import_row_versions_import_id_import_runs"),
        ),
        sa.PrimaryKeyConstraint("table_name", "live_key", name=op.f("pk_import_row_versions")),
        schema="backoffice",
    )


def downgrade() -> None:
    op.drop_table("import_row_versions", schema="backoffice")
    op.drop_index(op.f("ix_import_quarantine_status_rule"), table_name="import_quarantine",
                  schema="backoffice")
    op.drop_index(op.f("ix_import_quarantine_table_name_live_key"),
                  table_name="import_quarantine", schema="backoffice")
    op.drop_table("import_quarantine", schema="backoffice")
    op.drop_table("import_runs", schema="backoffice")
