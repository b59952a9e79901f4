"""group supervision: groups, members, sessions, attendance (issue 14)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa  # noqa: F401  (used once the tables are added)
from alembic import op  # noqa: F401

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled by the work on this revision's issue


def downgrade() -> None:
    pass
