"""create imports

Revision ID: 0003_imports
Revises: 0002_quiet_queue
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_imports"
down_revision = "0002_quiet_queue"
branch_labels = None
depends_on = None


def upgrade():
    if sa.inspect(op.get_bind()).has_table("imports"):
        return
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(255)),
        sa.Column("rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade():
    op.drop_table("imports")
