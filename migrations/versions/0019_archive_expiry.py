"""when each final PDF's last archive timestamp ends, so the monthly renewal reads only those due (issue 25)

Revision ID: 0019_archive_expiry
Revises: 0018_superseded_copies

`document_version.archive_expires_at` holds when the certificate of the authority that made a final
PDF's last document timestamp ends, and `archive_timestamped` whether it has one, both read from the
PDF when it is sealed or renewed. The renewal selects the rows whose end falls within its window,
and those not read yet: every final PDF filed before this revision (`archive_timestamped` NULL),
read once by the next run, which fills both in. `ix_document_version_archive_unread` is partial on
`storage.models.ARCHIVE_UNREAD` at this revision, the renewal's query word for word.
"""
import sqlalchemy as sa
from alembic import op

ARCHIVE_UNREAD = "kind = 'final_pdf' AND destroyed_at IS NULL AND archive_timestamped IS NULL"

revision = '0019_archive_expiry'
down_revision = '0018_superseded_copies'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archive_timestamped', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('archive_expires_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_document_version_archive_expires_at'), ['archive_expires_at'],
                              unique=False)
        batch_op.create_index('ix_document_version_archive_unread', ['id'], unique=False,
                              postgresql_where=sa.text(ARCHIVE_UNREAD), sqlite_where=sa.text(ARCHIVE_UNREAD))


def downgrade() -> None:
    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.drop_index('ix_document_version_archive_unread')
        batch_op.drop_index(batch_op.f('ix_document_version_archive_expires_at'))
        batch_op.drop_column('archive_expires_at')
        batch_op.drop_column('archive_timestamped')
