"""earlier copies of filed documents, kept when a renewed copy is filed in their place (issue 25 item 4)

Revision ID: 0018_superseded_copies
Revises: 0017_subject_access_exports

A sealed PDF given a new archive timestamp is filed under a new key with a new SHA-256; the old
copy's key, SHA-256 and size are kept in `superseded_copy`, so a copy downloaded before the renewal
is still recognised and the old object is destroyed with its version by retention.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_superseded_copies'
down_revision = '0017_subject_access_exports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('superseded_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_version_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('superseded_at', sa.DateTime(), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['document_version_id'], ['document_version.id'],
                            name=op.f('fk_superseded_copy_document_version_id_document_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_superseded_copy')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_superseded_copy_storage_key'))
    )
    with op.batch_alter_table('superseded_copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_superseded_copy_document_version_id'), ['document_version_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_superseded_copy_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('superseded_copy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_superseded_copy_sha256'))
        batch_op.drop_index(batch_op.f('ix_superseded_copy_document_version_id'))
    op.drop_table('superseded_copy')
