"""the route for a disagreement, quality audits of records, consent requests (issue 14)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('disagreement_escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('disagreed_event_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('line_manager_id', sa.Integer(), nullable=True),
    sa.Column('cause', sa.String(length=20), nullable=False),
    sa.Column('told_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('outcome_text', sa.Text(), nullable=False),
    sa.Column('meeting_on', sa.Date(), nullable=True),
    sa.Column('outcome_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['disagreed_event_id'], ['signoff_event.id'],
                            name=op.f('fk_disagreement_escalation_disagreed_event_id_signoff_event')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_disagreement_escalation_record_id_record')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'],
                            name=op.f('fk_disagreement_escalation_agreement_id_agreement')),
    sa.ForeignKeyConstraint(['line_manager_id'], ['person.id'],
                            name=op.f('fk_disagreement_escalation_line_manager_id_person')),
    sa.ForeignKeyConstraint(['outcome_by_id'], ['person.id'],
                            name=op.f('fk_disagreement_escalation_outcome_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disagreement_escalation')),
    sa.UniqueConstraint('disagreed_event_id', name=op.f('uq_disagreement_escalation_disagreed_event_id'))
    )
    for column in ('record_id', 'agreement_id', 'line_manager_id'):
        op.create_index(op.f(f'ix_disagreement_escalation_{column}'), 'disagreement_escalation', [column])
    op.create_table('quality_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('per_supervisor', sa.Integer(), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_quality_audit_team_id_team')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['person.id'], name=op.f('fk_quality_audit_drawn_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_audit'))
    )
    op.create_index(op.f('ix_quality_audit_team_id'), 'quality_audit', ['team_id'])
    op.create_table('quality_audit_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('supervisor_actions', sa.Text(), nullable=False),
    sa.Column('scored_by_id', sa.Integer(), nullable=True),
    sa.Column('scored_at', sa.DateTime(), nullable=True),
    sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['quality_audit.id'], name=op.f('fk_quality_audit_item_audit_id_quality_audit')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_quality_audit_item_record_id_record')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['person.id'], name=op.f('fk_quality_audit_item_supervisor_id_person')),
    sa.ForeignKeyConstraint(['scored_by_id'], ['person.id'], name=op.f('fk_quality_audit_item_scored_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_audit_item')),
    sa.UniqueConstraint('audit_id', 'record_id', name=op.f('uq_quality_audit_item_audit_id'))
    )
    op.create_index(op.f('ix_quality_audit_item_audit_id'), 'quality_audit_item', ['audit_id'])
    op.create_table('consent_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supervisee_id', sa.Integer(), nullable=False),
    sa.Column('reader_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.String(length=20), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answer_comment', sa.Text(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.Column('overridden_at', sa.DateTime(), nullable=True),
    sa.Column('access_until', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['supervisee_id'], ['person.id'], name=op.f('fk_consent_request_supervisee_id_person')),
    sa.ForeignKeyConstraint(['reader_id'], ['person.id'], name=op.f('fk_consent_request_reader_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_request')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_consent_request_token_hash'))
    )
    op.create_index(op.f('ix_consent_request_supervisee_id'), 'consent_request', ['supervisee_id'])
    op.create_index(op.f('ix_consent_request_reader_id'), 'consent_request', ['reader_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_consent_request_reader_id'), table_name='consent_request')
    op.drop_index(op.f('ix_consent_request_supervisee_id'), table_name='consent_request')
    op.drop_table('consent_request')
    op.drop_index(op.f('ix_quality_audit_item_audit_id'), table_name='quality_audit_item')
    op.drop_table('quality_audit_item')
    op.drop_index(op.f('ix_quality_audit_team_id'), table_name='quality_audit')
    op.drop_table('quality_audit')
    for column in ('line_manager_id', 'agreement_id', 'record_id'):
        op.drop_index(op.f(f'ix_disagreement_escalation_{column}'), table_name='disagreement_escalation')
    op.drop_table('disagreement_escalation')
