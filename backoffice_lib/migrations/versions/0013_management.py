"""managers in the browser: the last admin of allowed_users cannot be removed or demoted

The library refuses it first (staff/sign_in_users.py) with a message; this trigger makes every
writer obey (psql, imports). It fires after each row's UPDATE or DELETE, at the end of the
statement, and refuses when an admin was removed or demoted and users remain but none of them is
an admin. Emptying the table entirely (a reset before a reload) is left alone.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION backoffice.guard_last_admin() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.is_admin IS TRUE
             AND (TG_OP = 'DELETE' OR NEW.is_admin IS NOT TRUE)
             AND EXISTS (SELECT 1 FROM backoffice.allowed_users)
             AND NOT EXISTS (SELECT 1 FROM backoffice.allowed_users WHERE is_admin) THEN
            RAISE EXCEPTION 'the last admin (%) cannot be removed or demoted: make another user an admin first', OLD.email
              USING ERRCODE = 'check_violation';
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER allowed_users_guard_last_admin
          AFTER UPDATE OF is_admin OR DELETE ON backoffice.allowed_users
          FOR EACH ROW EXECUTE FUNCTION backoffice.guard_last_admin()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS allowed_users_guard_last_admin ON backoffice.allowed_users")
    op.execute("DROP FUNCTION IF EXISTS backoffice.guard_last_admin()")
