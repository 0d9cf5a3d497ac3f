"""run process: which process runs a notebook run (job_runs.pid, job_runs.host)

A run started from a page runs in a process of its own. When that process dies (killed, the
machine restarted) its ``job_runs`` row stayed ``running`` for ever. With the process recorded,
the runs page and the dashboard that follows a run can tell a run that is still working from one
whose process is gone, and mark the latter failed with the reason.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("job_runs", sa.Column("pid", sa.Integer(), nullable=True), schema="backoffice")
    op.add_column("job_runs", sa.Column("host", sa.Text(), nullable=True), schema="backoffice")


def downgrade() -> None:
    op.drop_column("job_runs", "host", schema="backoffice")
    op.drop_column("job_runs", "pid", schema="backoffice")
