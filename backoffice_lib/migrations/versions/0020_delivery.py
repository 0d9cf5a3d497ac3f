"""delivery: staff.email, customers.line_user_id, invoice_suppliers.email, the outbox (issue 25)

Payslips, certificates and package alerts reach people (delivery.md): where they go
(``staff.email``, ``public.customers.line_user_id``, ``invoice_suppliers.email``) and
``delivery_outbox``, a row per message before it is sent, with the never-twice key (kind,
channel, period, recipient, sha256 of the unencrypted attachment) unique among the rows that
are not resends (``uq_delivery_outbox_once``, partial on ``resend_reason IS NULL``). Model:
``models/delivery.py``. The roles get the table through ``backoffice db roles`` as every
workbench table (the analyst role: not at all; the addresses are personal data).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SCHEMA = "backoffice"
TABLE = "delivery_outbox"


def _ck(name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{TABLE}_{name}"))


def upgrade() -> None:
    op.add_column("staff", sa.Column("email", sa.Text(), nullable=True), schema=SCHEMA)
    op.add_column("invoice_suppliers", sa.Column("email", sa.Text(), nullable=True),
                  schema=SCHEMA)
    # public.customers may belong to the booking system: add the column only where missing
    op.execute("ALTER TABLE public.customers ADD COLUMN IF NOT EXISTS line_user_id text")
    op.create_table(
        TABLE,
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("recipient_kind", sa.Text(), nullable=False),
        sa.Column("recipient_id", sa.Text(), nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("attachment_sha256", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), server_default=sa.text("'queued'"), nullable=False),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("sent_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("resend_reason", sa.Text(), nullable=True),
        sa.Column("corrects_id", sa.BigInteger(), nullable=True),
        _ck("kind_known", "kind IN ('payslip', 'wht_certificate', 'package_alert')"),
        _ck("channel_known", "channel IN ('email', 'line')"),
        _ck("recipient_kind_known", "recipient_kind IN ('staff', 'supplier', 'customer')"),
        _ck("state_known", "state IN ('queued', 'sending', 'sent', 'failed', 'skipped')"),
        _ck("attempts_not_negative", "attempts >= 0"),
        _ck("sha256_hex", "attachment_sha256 ~ '^[0-9a-f]{64}$'"),
        _ck("skipped_says_why", "state <> 'skipped' OR skip_reason IS NOT NULL"),
        _ck("handed_over_has_message_id",
            "state NOT IN ('sending', 'sent') OR message_id IS NOT NULL"),
        _ck("resend_reason_given", "resend_reason IS NULL OR btrim(resend_reason) <> ''"),
        sa.ForeignKeyConstraint(["corrects_id"], [f"{SCHEMA}.{TABLE}.id"], ondelete="SET NULL",
                                name=op.f(f"fk_{TABLE}_corrects_id_{TABLE}")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_delivery_outbox_once", TABLE,
        ["kind", "channel", "period", "recipient_kind", "recipient_id", "attachment_sha256"],
        unique=True, schema=SCHEMA, postgresql_where=sa.text("resend_reason IS NULL"),
    )
    op.create_index(op.f(f"ix_{TABLE}_kind_period_created_at"), TABLE,
                    ["kind", "period", "created_at"], schema=SCHEMA)
    op.create_index(op.f(f"ix_{TABLE}_created_at"), TABLE, ["created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table(TABLE, schema=SCHEMA)
    op.execute("ALTER TABLE public.customers DROP COLUMN IF EXISTS line_user_id")
    op.drop_column("invoice_suppliers", "email", schema=SCHEMA)
    op.drop_column("staff", "email", schema=SCHEMA)
