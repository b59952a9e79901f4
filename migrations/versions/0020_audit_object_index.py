"""the audit log found by what an entry is about (issue 25)

Revision ID: 0020_audit_object_index
Revises: 0019_archive_expiry

Verify looks for the entry that filed a copy's exact bytes (`workflows.pipeline`), and the CPD and
subject-access pages read a document's entries: each by `object_type` and `object_id`, which no
index covered, so each read scanned the whole log. On PostgreSQL the index is built concurrently,
outside the upgrade's transaction: the log of a large council has millions of entries, and a plain
build would hold every audited request until it finished.
"""
from alembic import op

revision = '0020_audit_object_index'
down_revision = '0019_archive_expiry'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.create_index('ix_audit_event_object', 'audit_event', ['object_type', 'object_id'], unique=False)
        return
    with op.get_context().autocommit_block():
        op.create_index('ix_audit_event_object', 'audit_event', ['object_type', 'object_id'], unique=False,
                        postgresql_concurrently=True)


def downgrade() -> None:
    op.drop_index('ix_audit_event_object', table_name='audit_event')
