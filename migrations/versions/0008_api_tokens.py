"""personal API tokens: name, last used (issue 15)

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa  # noqa: F401  (used once the tables are added)
from alembic import op  # noqa: F401

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled by the work on this revision's issue


def downgrade() -> None:
    pass
