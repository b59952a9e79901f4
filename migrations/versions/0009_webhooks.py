"""webhook subscriptions and deliveries (issue 15)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa  # noqa: F401  (used once the tables are added)
from alembic import op  # noqa: F401

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled by the work on this revision's issue


def downgrade() -> None:
    pass
