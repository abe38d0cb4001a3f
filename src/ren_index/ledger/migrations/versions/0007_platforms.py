"""platforms: the platforms that push contributions (Ma classe), their hashed keys and callbacks

A platform's name is a source id (its contributions are raw records of that source), so the table
only adds what a harvested source does not have: the key's hash and prefix, the portal, when it
was last used or revoked, and where its callbacks stand in the audit trail. Nothing existing is
changed: the upgrade adds a table and the downgrade drops it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ren_index.ledger.models import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platforms",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("portal", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("callback_cursor", sa.Integer(), nullable=False),
        sa.Column("callback_attempts", sa.Integer(), nullable=False),
        sa.Column("callback_next_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["name"], ["sources.id"]),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("platforms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_platforms_key_hash"), ["key_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("platforms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platforms_key_hash"))
    op.drop_table("platforms")
