"""edit revisions: records, agreements, people and supervision relationships count their changes

Revision ID: 0004
Revises: 0003

The counter is SQLAlchemy's version_id_col (storage.models._revision): every UPDATE raises it and
checks the old value, so two edits made from the same read cannot both land. Rows already there
start at revision 1.
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ("person", "supervision_relationship", "agreement", "record")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("revision")
