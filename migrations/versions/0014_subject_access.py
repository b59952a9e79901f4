"""subject access requests (UK GDPR Art. 15) and the mentions HR withholds from their export (issue 25 item 1)

Revision ID: 0014_subject_access
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_subject_access'
down_revision = '0013'
branch_labels = None
depends_on = None

OPEN = "answered_on IS NULL AND withdrawn_on IS NULL"  # storage.models.OPEN_SUBJECT_ACCESS_REQUEST


def upgrade() -> None:
    op.create_table('subject_access_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('extended_on', sa.Date(), nullable=True),
    sa.Column('extension_reason', sa.Text(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_subject_access_request_person_id_person')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'],
                            name=op.f('fk_subject_access_request_recorded_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_access_request'))
    )
    op.create_index(op.f('ix_subject_access_request_person_id'), 'subject_access_request', ['person_id'], unique=False)
    op.create_index('uq_subject_access_request_open', 'subject_access_request', ['person_id'], unique=True,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.create_table('subject_access_withholding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('mention_key', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['subject_access_request.id'],
                            name=op.f('fk_subject_access_withholding_request_id_subject_access_request')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['person.id'],
                            name=op.f('fk_subject_access_withholding_decided_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_access_withholding')),
    sa.UniqueConstraint('request_id', 'mention_key', name=op.f('uq_subject_access_withholding_request_id'))
    )


def downgrade() -> None:
    op.drop_table('subject_access_withholding')
    op.drop_index('uq_subject_access_request_open', table_name='subject_access_request')
    op.drop_index(op.f('ix_subject_access_request_person_id'), table_name='subject_access_request')
    op.drop_table('subject_access_request')
