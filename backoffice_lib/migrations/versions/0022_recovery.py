"""recovery: what a crash-safe import and backups need (issue 23): filled in by the change that adds it"""

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
