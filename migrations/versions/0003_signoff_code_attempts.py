"""count wrong one-time codes on a sign-off link

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signoff_link") as batch:
        batch.add_column(sa.Column("code_attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("signoff_link") as batch:
        batch.drop_column("code_attempts")
