"""a supervisee's CPD pieces for Social Work England, drawn from their records (issue 25 item 2)

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cpd_piece',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('area_key', sa.String(length=60), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('learning', sa.Text(), nullable=False),
    sa.Column('impact', sa.Text(), nullable=False),
    sa.Column('peer_reflection', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_cpd_piece_person_id_person')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_cpd_piece_record_id_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cpd_piece'))
    )
    op.create_index('ix_cpd_piece_person_done_on', 'cpd_piece', ['person_id', 'done_on'], unique=False)
    op.create_index(op.f('ix_cpd_piece_record_id'), 'cpd_piece', ['record_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_cpd_piece_record_id'), table_name='cpd_piece')
    op.drop_index('ix_cpd_piece_person_done_on', table_name='cpd_piece')
    op.drop_table('cpd_piece')
