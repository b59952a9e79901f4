"""bulk starts of records with progress (issue 16)

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa  # noqa: F401  (used once the tables are added)
from alembic import op  # noqa: F401

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled by the work on this revision's issue


def downgrade() -> None:
    pass
