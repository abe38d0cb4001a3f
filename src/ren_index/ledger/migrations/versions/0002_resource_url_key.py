"""resources.url_key: the hash of the normalized resource URL, for duplicate detection

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("url_key", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_resources_url_key"), ["url_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resources_url_key"))
        batch_op.drop_column("url_key")
