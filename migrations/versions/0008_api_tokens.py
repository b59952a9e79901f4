"""personal API tokens: name, last used (issue 15)

Revision ID: 0008
Revises: 0007

A token's name is the existing `label`; this adds when it was last used and who revoked it (its
owner or an administrator).
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_api_token_revoked_by_id_person'), 'person', ['revoked_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.drop_constraint(op.f('fk_api_token_revoked_by_id_person'), type_='foreignkey')
        batch.drop_column('revoked_by_id')
        batch.drop_column('last_used_at')
