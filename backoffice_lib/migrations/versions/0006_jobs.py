"""jobs: job_runs, the history of papermill runs (scheduled and manual)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("job_name", sa.Text(), nullable=False),
        sa.Column("notebook", sa.Text(), nullable=False),
        sa.Column(
            "parameters",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("trigger", sa.Text(), server_default=sa.text("'manual'"), nullable=False),
        sa.Column("period_key", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'running'"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("run_dir", sa.Text(), nullable=False),
        sa.Column(
            "outputs",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "started_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Numeric(10, 3), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')",
            name=op.f("ck_job_runs_status_known"),
        ),
        sa.CheckConstraint(
            "trigger IN ('schedule', 'manual')", name=op.f("ck_job_runs_trigger_known")
        ),
        sa.CheckConstraint(
            "finished_at IS NULL OR finished_at >= started_at",
            name=op.f("ck_job_runs_finish_after_start"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        schema="backoffice",
    )
    op.create_index(
        op.f("ix_job_runs_job_name_started_at"),
        "job_runs",
        ["job_name", "started_at"],
        unique=False,
        schema="backoffice",
    )
    op.create_index(
        op.f("ix_job_runs_job_name_period_key_status"),
        "job_runs",
        ["job_name", "period_key", "status"],
        unique=False,
        schema="backoffice",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_job_runs_job_name_period_key_status"), table_name="job_runs", schema="backoffice"
    )
    op.drop_index(
        op.f("ix_job_runs_job_name_started_at"), table_name="job_runs", schema="backoffice"
    )
    op.drop_table("job_runs", schema="backoffice")
