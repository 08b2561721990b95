"""add users.locale (a broken release: the migration fails half way on real data)

Revision ID: 0004_users_locale
Revises: 0003_imports

Used only by the sandbox image tgops-sandbox/sprint:badmigration, the release the deploy rehearsal must reject:
after adding the column it fills it from a column that does not exist (a typo that only fails against the real
schema): ERROR: column "language" does not exist.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_users_locale"
down_revision = "0003_imports"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("locale", sa.String(8), nullable=True))
    op.execute("UPDATE users SET locale = language")


def downgrade():
    op.drop_column("users", "locale")
