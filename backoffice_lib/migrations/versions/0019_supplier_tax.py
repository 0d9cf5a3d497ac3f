"""supplier tax: supplier payee data, invoices.paid_on, certificate and filing registers (issue 24): filled in by the change that adds it"""

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
