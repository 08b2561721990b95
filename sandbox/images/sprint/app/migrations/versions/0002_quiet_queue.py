"""create quiet_queue

Revision ID: 0002_quiet_queue
Revises: 0001_users
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_quiet_queue"
down_revision = "0001_users"
branch_labels = None
depends_on = None


def upgrade():
    if sa.inspect(op.get_bind()).has_table("quiet_queue"):
        return
    op.create_table(
        "quiet_queue",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_quiet_queue_pending", "quiet_queue", ["sent_at"])


def downgrade():
    op.drop_table("quiet_queue")
