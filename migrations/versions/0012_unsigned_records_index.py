"""the unsigned-records index names only the states that exist

`ix_record_unsigned` was partial on "status NOT IN ('signed', 'finalised')", but no record is ever
'finalised' (the states are `storage.models.Status`). The due list's query now reads
"status <> 'signed'", and PostgreSQL uses a partial index only for a query whose condition implies
the index's, so the index is made again on the same condition.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

BEFORE = "status NOT IN ('signed', 'finalised')"
AFTER = "status <> 'signed'"  # storage.models.UNSIGNED_RECORD at this revision

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _unsigned_index(condition: str) -> None:
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index('ix_record_unsigned')
        batch_op.create_index('ix_record_unsigned', ['session_date'], unique=False,
                              postgresql_where=sa.text(condition), sqlite_where=sa.text(condition))


def upgrade() -> None:
    _unsigned_index(AFTER)


def downgrade() -> None:
    _unsigned_index(BEFORE)
