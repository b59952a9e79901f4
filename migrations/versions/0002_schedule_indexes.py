"""indexes for the due list and the compliance report

A period's records by session date (compliance report); records not yet signed (the due list);
each supervisee's held planned sessions by date (last held session, per person, in the due list
and the report).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

UNSIGNED_RECORD = "status NOT IN ('signed', 'finalised')"  # as storage.models had it at this revision

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.create_index('ix_record_session_date', ['session_date'], unique=False)
        batch_op.create_index('ix_record_unsigned', ['session_date'], unique=False,
                              postgresql_where=sa.text(UNSIGNED_RECORD), sqlite_where=sa.text(UNSIGNED_RECORD))
    with op.batch_alter_table('planned_session', schema=None) as batch_op:
        batch_op.create_index('ix_planned_session_supervisee_status_start', ['supervisee_id', 'status', 'starts_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('planned_session', schema=None) as batch_op:
        batch_op.drop_index('ix_planned_session_supervisee_status_start')
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index('ix_record_unsigned')
        batch_op.drop_index('ix_record_session_date')
