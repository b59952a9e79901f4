"""each rebooking of a group session kept, so a session rebooked twice counts twice (issue 25)

Revision ID: 0022_group_session_rebookings
Revises: 0021_draft_texts

`workflows.groups.rebook_session` plans a cancelled group session again in the same row, and
`group_session.rebooked_from` kept only the last day it was cancelled from: a second rebooking
overwrote the first. `group_session_rebooking` keeps one row per rebooking (the UK day the session
was to be held when it was cancelled, and when it was rebooked; NULL for those made before this
revision), copied from `rebooked_from`, which goes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0022_group_session_rebookings'
down_revision = '0021_draft_texts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'group_session_rebooking',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('cancelled_from', sa.Date(), nullable=False),
        sa.Column('rebooked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['session_id'], ['group_session.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_group_session_rebooking_session_id'), 'group_session_rebooking', ['session_id'],
                    unique=False)
    op.execute("INSERT INTO group_session_rebooking (session_id, cancelled_from) "
               "SELECT id, rebooked_from FROM group_session WHERE rebooked_from IS NOT NULL")
    # Natively on SQLite (3.35 and later): a batch rebuild drops the old table, which the foreign
    # keys of every attendance row point at, and fails
    op.execute("ALTER TABLE group_session DROP COLUMN rebooked_from")


def downgrade() -> None:
    with op.batch_alter_table('group_session') as batch:
        batch.add_column(sa.Column('rebooked_from', sa.Date(), nullable=True))
    op.execute("UPDATE group_session SET rebooked_from = (SELECT max(r.cancelled_from) FROM group_session_rebooking r "
               "WHERE r.session_id = group_session.id)")
    op.drop_index(op.f('ix_group_session_rebooking_session_id'), table_name='group_session_rebooking')
    op.drop_table('group_session_rebooking')
