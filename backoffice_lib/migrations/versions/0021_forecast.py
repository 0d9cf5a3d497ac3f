"""payroll forecast: the daily forecast kept per person and day (issue 26): filled in by the change that adds it"""

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
