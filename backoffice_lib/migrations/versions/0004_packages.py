"""packages: the package_alerts table and the package_usage rules every writer obeys (§4)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# business-rules §4, "Recording usage", enforced in the database so the booking system, imports
# and psql obey it too. The package row is locked FOR UPDATE, so two usages of one package are
# judged one after the other and can never overdraw it together.
VALIDATE_PACKAGE_USAGE = r"""
CREATE FUNCTION backoffice.validate_package_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  pkg record;
  used_by_others numeric;
  remaining numeric;
  automatic_expiry date;
  new_expiry date;
BEGIN
  SELECT p.id, p.purchase_date, p.first_use_date, p.expiration_date,
         pt.hours, pt.validity_period
    INTO pkg
    FROM backoffice.packages p
    JOIN backoffice.package_types pt ON pt.id = p.package_type_id
   WHERE p.id = NEW.package_id
     FOR UPDATE OF p;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'package usage refused: unknown package %', NEW.package_id
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.used_hours IS NULL OR NEW.used_hours <= 0 THEN
    RAISE EXCEPTION 'package usage refused: used hours must be more than 0, not %',
      coalesce(NEW.used_hours::text, 'empty') USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.used_date IS NULL OR NEW.used_date < pkg.purchase_date THEN
    RAISE EXCEPTION 'package usage refused: usage on % is before the purchase on %',
      NEW.used_date, pkg.purchase_date USING ERRCODE = 'check_violation';
  END IF;
  IF pkg.expiration_date IS NOT NULL AND NEW.used_date > pkg.expiration_date THEN
    RAISE EXCEPTION 'package usage refused: the package expired on % (usable through that day), usage on % is after it',
      pkg.expiration_date, NEW.used_date USING ERRCODE = 'check_violation';
  END IF;
  IF pkg.hours IS NOT NULL THEN
    SELECT coalesce(sum(u.used_hours), 0) INTO used_by_others
      FROM backoffice.package_usage u
     WHERE u.package_id = NEW.package_id AND u.id IS DISTINCT FROM NEW.id;
    remaining := greatest(0, pkg.hours - used_by_others);
    IF NEW.used_hours > remaining THEN
      RAISE EXCEPTION 'package usage refused: % h requested but only % h remain',
        NEW.used_hours, remaining USING ERRCODE = 'check_violation';
    END IF;
  END IF;

  IF pkg.first_use_date IS NULL THEN
    -- The first usage activates the package; calculate_package_expiration() sets the expiry
    -- (a manual expiry is kept).
    UPDATE backoffice.packages SET first_use_date = NEW.used_date WHERE id = NEW.package_id;
  ELSIF NEW.used_date < pkg.first_use_date THEN
    -- A usage recorded late but dated before the first known use: it is the first use. An
    -- automatic expiry moves with it; a manual one is kept.
    automatic_expiry := (pkg.first_use_date + pkg.validity_period)::date - 1;
    IF pkg.validity_period IS NOT NULL
       AND pkg.expiration_date IS NOT DISTINCT FROM automatic_expiry THEN
      new_expiry := (NEW.used_date + pkg.validity_period)::date - 1;
    ELSE
      new_expiry := pkg.expiration_date;
    END IF;
    IF new_expiry IS NOT NULL AND EXISTS (
         SELECT 1 FROM backoffice.package_usage u
          WHERE u.package_id = NEW.package_id AND u.id IS DISTINCT FROM NEW.id
            AND u.used_date > new_expiry) THEN
      RAISE EXCEPTION 'package usage refused: a first use on % would end the package on %, before usage already recorded',
        NEW.used_date, new_expiry USING ERRCODE = 'check_violation';
    END IF;
    UPDATE backoffice.packages
       SET first_use_date = NEW.used_date, expiration_date = new_expiry
     WHERE id = NEW.package_id;
  END IF;
  RETURN NEW;
END $$
"""

USAGE_TRIGGER = """
CREATE TRIGGER package_usage_validate
  BEFORE INSERT OR UPDATE OF package_id, used_hours, used_date ON backoffice.package_usage
  FOR EACH ROW EXECUTE FUNCTION backoffice.validate_package_usage()
"""


def upgrade() -> None:
    op.create_table(
        "package_alerts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("package_id", sa.UUID(), nullable=False),
        sa.Column("alert_level", sa.Text(), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "alert_level IN ('expiring_soon', 'low_balance', 'not_activated')",
            name=op.f("ck_package_alerts_alert_level_known"),
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["backoffice.packages.id"],
            name=op.f("fk_package_alerts_package_id_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_alerts")),
        sa.UniqueConstraint(
            "package_id", "alert_level", name=op.f("uq_package_alerts_package_id_alert_level")
        ),
        schema="backoffice",
    )
    op.create_index(
        op.f("ix_package_alerts_raised_on"),
        "package_alerts",
        ["raised_on"],
        unique=False,
        schema="backoffice",
    )
    op.execute(VALIDATE_PACKAGE_USAGE)
    op.execute(USAGE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS package_usage_validate ON backoffice.package_usage")
    op.execute("DROP FUNCTION IF EXISTS backoffice.validate_package_usage()")
    op.drop_index(
        op.f("ix_package_alerts_raised_on"), table_name="package_alerts", schema="backoffice"
    )
    op.drop_table("package_alerts", schema="backoffice")
