"""raw_records.processed_with: the fingerprint of the rules a record was processed with

A change of validation rules, portal policies or vocabularies makes every record due for
processing again, without waiting for its source to change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("raw_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processed_with", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("raw_records", schema=None) as batch_op:
        batch_op.drop_column("processed_with")
