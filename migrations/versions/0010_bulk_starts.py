"""bulk starts of records with progress (issue 16)

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bulk_start',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('service', sa.String(length=200), nullable=False),
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_bulk_start_team_id_team')),
    sa.ForeignKeyConstraint(['started_by_id'], ['person.id'], name=op.f('fk_bulk_start_started_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_start'))
    )
    op.create_index(op.f('ix_bulk_start_started_by_id'), 'bulk_start', ['started_by_id'], unique=False)
    op.create_table('bulk_start_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulk_start_id', sa.Integer(), nullable=False),
    sa.Column('supervisee_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['bulk_start_id'], ['bulk_start.id'], name=op.f('fk_bulk_start_item_bulk_start_id_bulk_start')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_bulk_start_item_record_id_record')),
    sa.ForeignKeyConstraint(['supervisee_id'], ['person.id'], name=op.f('fk_bulk_start_item_supervisee_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_start_item')),
    sa.UniqueConstraint('bulk_start_id', 'supervisee_id', name=op.f('uq_bulk_start_item_bulk_start_id'))
    )
    op.create_index('ix_bulk_start_item_bulk_start_id_state', 'bulk_start_item', ['bulk_start_id', 'state'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_bulk_start_item_bulk_start_id_state', table_name='bulk_start_item')
    op.drop_table('bulk_start_item')
    op.drop_index(op.f('ix_bulk_start_started_by_id'), table_name='bulk_start')
    op.drop_table('bulk_start')
