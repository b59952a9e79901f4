"""outbox: sealed body for e-mails carrying a secret, a delivery lease, no live links at rest

Revision ID: 0005
Revises: 0004

Rows already sent keep their text with every sign-off link's token redacted (they were written
before the outbox sealed them); unsent rows are left as they are and go out unchanged.
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_LINK_TOKEN = re.compile(r"(/sign/)[A-Za-z0-9_-]{20,}")
_outbox = sa.table("outbox_message", sa.column("id", sa.Integer), sa.column("text_body", sa.Text),
                   sa.column("html_body", sa.Text), sa.column("sent_at", sa.DateTime))


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("sealed_body", sa.Text(), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))
    connection = op.get_bind()
    sent = connection.execute(sa.select(_outbox.c.id, _outbox.c.text_body, _outbox.c.html_body)
                              .where(_outbox.c.sent_at.is_not(None))).all()
    for row in sent:
        text, html = (_LINK_TOKEN.sub(r"\1[redacted]", body or "") for body in (row.text_body, row.html_body))
        if (text, html) != (row.text_body or "", row.html_body or ""):
            connection.execute(_outbox.update().where(_outbox.c.id == row.id).values(text_body=text, html_body=html))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("sealed_body")
