"""a draft's page texts kept per draft, and the schedule an export was asked from (issue 25)

Revision ID: 0021_draft_texts
Revises: 0020_audit_object_index

The redaction schedule reads a draft's text from its Word rendering. `draft_text` keeps one row per
draft (`owner_kind` 'record' or 'agreement', `owner_id`): the SHA-256 of what rendered it and its
page texts, so an unchanged draft is not rendered again, an edit or retention deletes the row by
its owner, and no text is ever left without an owner to find it by.
`subject_access_export.reviewed_mentions` holds the mention keys of the schedule HR saw when asking
for the export: a mention the export's own schedule finds beyond them was never reviewed.
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_draft_texts'
down_revision = '0020_audit_object_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'draft_text',
        sa.Column('owner_kind', sa.String(length=16), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('rendering', sa.String(length=64), nullable=False),
        sa.Column('pages', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('owner_kind', 'owner_id'),
    )
    with op.batch_alter_table('subject_access_export', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_mentions', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subject_access_export', schema=None) as batch_op:
        batch_op.drop_column('reviewed_mentions')
    op.drop_table('draft_text')
