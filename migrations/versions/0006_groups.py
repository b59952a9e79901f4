"""group supervision: groups, members, sessions, attendance (issue 14)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supervision_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=False),
    sa.Column('recorder_id', sa.Integer(), nullable=True),
    sa.Column('signer_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('frequency', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['facilitator_id'], ['person.id'], name=op.f('fk_supervision_group_facilitator_id_person')),
    sa.ForeignKeyConstraint(['recorder_id'], ['person.id'], name=op.f('fk_supervision_group_recorder_id_person')),
    sa.ForeignKeyConstraint(['signer_id'], ['person.id'], name=op.f('fk_supervision_group_signer_id_person')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_supervision_group_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_group')),
    sa.UniqueConstraint('name', name=op.f('uq_supervision_group_name'))
    )
    op.create_index(op.f('ix_supervision_group_facilitator_id'), 'supervision_group', ['facilitator_id'], unique=False)
    op.create_table('group_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['supervision_group.id'], name=op.f('fk_group_member_group_id_supervision_group')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_group_member_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_member')),
    sa.UniqueConstraint('group_id', 'person_id', name=op.f('uq_group_member_group_id'))
    )
    op.create_index(op.f('ix_group_member_group_id'), 'group_member', ['group_id'], unique=False)
    op.create_index(op.f('ix_group_member_person_id'), 'group_member', ['person_id'], unique=False)
    op.create_table('group_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ics_sequence', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['supervision_group.id'], name=op.f('fk_group_session_group_id_supervision_group')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_session')),
    sa.UniqueConstraint('uid', name=op.f('uq_group_session_uid'))
    )
    op.create_index('ix_group_session_group_id_starts_at', 'group_session', ['group_id', 'starts_at'], unique=False)
    op.create_table('group_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('attendance', sa.String(length=10), nullable=False),
    sa.CheckConstraint("attendance IN ('present', 'apologies', 'absent')", name=op.f('ck_group_attendance_known')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_group_attendance_person_id_person')),
    sa.ForeignKeyConstraint(['session_id'], ['group_session.id'], name=op.f('fk_group_attendance_session_id_group_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_attendance')),
    sa.UniqueConstraint('session_id', 'person_id', name=op.f('uq_group_attendance_session_id'))
    )
    op.create_index(op.f('ix_group_attendance_person_id'), 'group_attendance', ['person_id'], unique=False)
    op.create_index(op.f('ix_group_attendance_session_id'), 'group_attendance', ['session_id'], unique=False)
    with op.batch_alter_table('record') as batch:
        batch.add_column(sa.Column('group_session_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_record_group_session_id_group_session'), 'group_session',
                                 ['group_session_id'], ['id'])
        # one record per session: two recorders starting it at once cannot both succeed
        batch.create_index(op.f('ix_record_group_session_id'), ['group_session_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('record') as batch:
        batch.drop_index(op.f('ix_record_group_session_id'))
        batch.drop_constraint(op.f('fk_record_group_session_id_group_session'), type_='foreignkey')
        batch.drop_column('group_session_id')
    op.drop_index(op.f('ix_group_attendance_session_id'), table_name='group_attendance')
    op.drop_index(op.f('ix_group_attendance_person_id'), table_name='group_attendance')
    op.drop_table('group_attendance')
    op.drop_index('ix_group_session_group_id_starts_at', table_name='group_session')
    op.drop_table('group_session')
    op.drop_index(op.f('ix_group_member_person_id'), table_name='group_member')
    op.drop_index(op.f('ix_group_member_group_id'), table_name='group_member')
    op.drop_table('group_member')
    op.drop_index(op.f('ix_supervision_group_facilitator_id'), table_name='supervision_group')
    op.drop_table('supervision_group')
