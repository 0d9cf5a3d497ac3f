"""delivery: staff.email, customers.line_user_id, the outbox (issue 25): filled in by the change that adds it"""

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
