"""link checks: every check of a record's landing URL, and where each record's link stands

Issue 15 (link health) keeps two things:

- ``link_checks``: one row per check (URL, host, outcome, HTTP status, final URL, redirects,
  attempts, time, reason, failure kind, whether an outage spared it), indexed by record and by
  date. The links step keeps the last 20 per record: the history a record page shows, not an
  archive of every night.
- ``link_health``: one row per checked record (its state, indexed for the queue's filter, the
  patience figures as JSON, and the decision to return to when a broken link recovers). A table
  apart from ``resources`` so the links step never rewrites the rows the process step owns, and a
  record never checked has no row.

Links runs are rows of ``harvest_runs`` of kind ``links`` (one per source): nothing changes there.
Nothing existing is changed: the upgrade adds two tables and the downgrade drops them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ren_index.ledger.models import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource_id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("redirects", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("failure", sa.String(length=32), nullable=True),
        sa.Column("spared", sa.Boolean(), nullable=False),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["harvest_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("link_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_checks_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_link_checks_checked_at"), ["checked_at"], unique=False)
    op.create_table(
        "link_health",
        sa.Column("resource_id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("health", sa.JSON(), nullable=False),
        sa.Column("held", sa.JSON(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id"),
    )
    with op.batch_alter_table("link_health", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_health_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_health", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_health_state"))
    op.drop_table("link_health")
    with op.batch_alter_table("link_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_checks_checked_at"))
        batch_op.drop_index(batch_op.f("ix_link_checks_resource_id"))
    op.drop_table("link_checks")
