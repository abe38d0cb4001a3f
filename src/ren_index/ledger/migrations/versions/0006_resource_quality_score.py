"""resources.quality_score: the record's documentary quality (0–100), so the queue can sort by it

The score is computed by the process step (:mod:`ren_index.quality.score`); rows that exist before
this upgrade have none (``NULL``: the queue puts them last) until they are processed again, so the
upgrade clears ``raw_records.processed_with``: the next ``ren-index process`` re-scores every record
the way a change of rules does (issues refreshed, people's decisions kept).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quality_score", sa.Integer(), nullable=True))
    raw = sa.table("raw_records", sa.column("processed_with", sa.String()))
    op.get_bind().execute(raw.update().values(processed_with=None))


def downgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("quality_score")
