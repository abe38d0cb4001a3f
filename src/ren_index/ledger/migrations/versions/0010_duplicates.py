"""duplicates: signatures and their keys, candidate pairs, groups and chosen primaries

Issue 16 keeps, per record, its matching signature and the keys it is filed under (the ledger's
index of signatures: a new record's candidates are found by its keys, never by comparing it with
every record), the candidate pairs with what a person said of them, the groups rebuilt from the
pairs that stand, and the documentalists' choices of a group's primary. Five new tables; nothing
existing changes, and the downgrade drops exactly them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ren_index.ledger.models import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dup_signatures",
        sa.Column("resource_id", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=40), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id"),
    )
    with op.batch_alter_table("dup_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dup_signatures_source_id"), ["source_id"], unique=False)
    op.create_table(
        "dup_keys",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", "resource_id", name="pk_dup_keys"),
    )
    with op.batch_alter_table("dup_keys", schema=None) as batch_op:
        batch_op.create_index("ix_dup_keys_resource_id", ["resource_id"], unique=False)
    op.create_table(
        "dup_pairs",
        sa.Column("a", sa.String(length=40), nullable=False),
        sa.Column("b", sa.String(length=40), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("proposed", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("whole", sa.String(length=40), nullable=True),
        sa.Column("newer", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("a_digest", sa.String(length=40), nullable=False),
        sa.Column("b_digest", sa.String(length=40), nullable=False),
        sa.Column("found_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["a"], ["resources.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["b"], ["resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("a", "b", name="pk_dup_pairs"),
    )
    with op.batch_alter_table("dup_pairs", schema=None) as batch_op:
        batch_op.create_index("ix_dup_pairs_b", ["b"], unique=False)
        batch_op.create_index("ix_dup_pairs_status", ["status"], unique=False)
    op.create_table(
        "dup_members",
        sa.Column("resource_id", sa.String(length=40), nullable=False),
        sa.Column("group_id", sa.String(length=40), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id"),
    )
    with op.batch_alter_table("dup_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dup_members_group_id"), ["group_id"], unique=False)
    op.create_table(
        "dup_choices",
        sa.Column("resource_id", sa.String(length=40), nullable=False),
        sa.Column("chosen_by", sa.String(length=128), nullable=False),
        sa.Column("chosen_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id"),
    )


def downgrade() -> None:
    op.drop_table("dup_choices")
    with op.batch_alter_table("dup_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dup_members_group_id"))
    op.drop_table("dup_members")
    with op.batch_alter_table("dup_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_dup_pairs_status")
        batch_op.drop_index("ix_dup_pairs_b")
    op.drop_table("dup_pairs")
    with op.batch_alter_table("dup_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_dup_keys_resource_id")
    op.drop_table("dup_keys")
    with op.batch_alter_table("dup_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dup_signatures_source_id"))
    op.drop_table("dup_signatures")
