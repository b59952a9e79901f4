"""an administrator's confirmation of a profile's defaults; a record's due date may be empty (issue 17)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('profile_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['person.id'],
                            name=op.f('fk_profile_confirmation_confirmed_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_confirmation')),
    sa.UniqueConstraint('profile', 'key', 'fingerprint', name=op.f('uq_profile_confirmation_profile'))
    )
    # W, H and L set no record deadline: such a record has no due date (workflows.due_dates).
    with op.batch_alter_table('record') as batch:
        batch.alter_column('due_date', existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    # A record with no deadline gets its session date back, the nearest the old schema can say.
    op.execute("UPDATE record SET due_date = session_date WHERE due_date IS NULL")
    with op.batch_alter_table('record') as batch:
        batch.alter_column('due_date', existing_type=sa.Date(), nullable=False)
    op.drop_table('profile_confirmation')
