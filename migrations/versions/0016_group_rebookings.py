"""a group session cancelled then rebooked keeps the day it was cancelled from (issue 25 item 3)

Revision ID: 0016_group_rebookings
Revises: 0015_asye_support

`workflows.groups.rebook_session` plans a cancelled group session again in the same row, so the
supervision log could count neither the cancellation nor the rebooking; `rebooked_from` keeps the UK
day it was to be held when it was cancelled.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_group_rebookings'
down_revision = '0015_asye_support'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('group_session') as batch:
        batch.add_column(sa.Column('rebooked_from', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('group_session') as batch:
        batch.drop_column('rebooked_from')
