"""an ASYE's record of support: direct observations and reviews at 3, 6 and 12 months (issue 25 item 3)

Revision ID: 0015_asye_support
Revises: 0014_subject_access
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_asye_support'
down_revision = '0014_subject_access'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('asye_support_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('review_month', sa.Integer(), nullable=True),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('by_name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('observation', 'review')", name=op.f('ck_asye_support_entry_known_kind')),
    sa.CheckConstraint("(kind = 'review') = (review_month IS NOT NULL)",
                       name=op.f('ck_asye_support_entry_review_has_month')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_asye_support_entry_person_id_person')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'],
                            name=op.f('fk_asye_support_entry_recorded_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asye_support_entry'))
    )
    op.create_index(op.f('ix_asye_support_entry_person_id'), 'asye_support_entry', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_asye_support_entry_person_id'), table_name='asye_support_entry')
    op.drop_table('asye_support_entry')
