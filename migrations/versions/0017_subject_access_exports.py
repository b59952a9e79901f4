"""subject access exports made by the worker and filed, and the page texts of filed PDFs (issue 25 item 1)

Revision ID: 0017_subject_access_exports
Revises: 0016_group_rebookings

The export of a subject access request is built by a task and filed in the document store
(`subject_access_export`: when asked, the filed key and SHA-256); the redaction schedule reads each
sealed PDF's page texts from `page_text`, kept by the PDF's SHA-256, instead of parsing it again.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_subject_access_exports'
down_revision = '0016_group_rebookings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('subject_access_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(), nullable=True),
    sa.Column('storage_key', sa.String(length=300), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('withheld', sa.String(length=64), nullable=True),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['subject_access_request.id'],
                            name=op.f('fk_subject_access_export_request_id_subject_access_request')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['person.id'], name=op.f('fk_subject_access_export_asked_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_access_export')),
    sa.UniqueConstraint('request_id', name=op.f('uq_subject_access_export_request_id'))
    )
    op.create_table('page_text',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pages', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_page_text'))
    )


def downgrade() -> None:
    op.drop_table('page_text')
    op.drop_table('subject_access_export')
