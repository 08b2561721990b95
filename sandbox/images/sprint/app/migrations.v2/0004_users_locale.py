"""add users.locale

Revision ID: 0004_users_locale
Revises: 0003_imports
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_users_locale"
down_revision = "0003_imports"
branch_labels = None
depends_on = None


def upgrade():
    cols = [c["name"] for c in sa.inspect(op.get_bind()).get_columns("users")]
    if "locale" not in cols:
        op.add_column("users", sa.Column("locale", sa.String(8), nullable=False, server_default="uk"))


def downgrade():
    op.drop_column("users", "locale")
