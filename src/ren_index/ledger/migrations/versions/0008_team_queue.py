"""team queue: record versions, claims, saved views; a process run's field coverage

Several documentalists on one queue need three things the ledger did not hold:

- ``resources.version``: a counter raised by every change a person could have missed (a decision,
  a correction, a re-harvest that changes the record). A decision carries the version its author
  saw and is refused when the record has moved on since. Existing rows start at 1.
- ``claims``: who opened which record for editing, until when. A claim informs, it never blocks:
  one row per record, replaced by the next person who opens it, ignored once expired.
- ``saved_views``: a person's named queue filters ("Pavillon — licences").

``harvest_runs.coverage`` keeps, for a process run, the share of the source's live records with
each field (title, description, language, level, licence, URL), so a source page can draw the
coverage over time: the ledger keeps each record's current version only.

Nothing existing is changed but the new column's value; the downgrade drops what was added.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ren_index.ledger.models import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("harvest_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coverage", sa.JSON(), nullable=True))
    op.create_table(
        "claims",
        sa.Column("resource_id", sa.String(length=40), nullable=False),
        sa.Column("user_name", sa.String(length=128), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id"),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_user_name"), ["user_name"], unique=False)
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_name", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_name", "name", name="uq_saved_views_user_name"),
    )


def downgrade() -> None:
    op.drop_table("saved_views")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_user_name"))
    op.drop_table("claims")
    with op.batch_alter_table("harvest_runs", schema=None) as batch_op:
        batch_op.drop_column("coverage")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("version")
