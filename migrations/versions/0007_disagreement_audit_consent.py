"""the route for a disagreement, quality audits of records, consent requests (issue 14)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa  # noqa: F401  (used once the tables are added)
from alembic import op  # noqa: F401

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder: filled by the work on this revision's issue


def downgrade() -> None:
    pass
