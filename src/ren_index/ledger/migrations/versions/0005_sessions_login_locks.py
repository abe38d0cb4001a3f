"""users.session_key (revocable sessions) and login_locks (lock-out per account and client address)

A session cookie replayed after logout, a password change, a role change or the account's removal
must no longer be honoured: each user gets a random ``session_key``, copied into the cookie and
replaced to end every session. Failed logins move from ``users`` to ``login_locks``, one row per
(account, client address), so that five guesses from one address no longer lock the account out
for everyone. Open sessions end with the upgrade (their cookies carry no key): people log in again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from ren_index.ledger.models import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_key", sa.String(length=32), nullable=True))
    # One random key per existing account (no server default can be random), then NOT NULL.
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("session_key", sa.String()))
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(session_key=secrets.token_hex(16)))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_key", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
    op.create_table(
        "login_locks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("last_failed_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "client", name="uq_login_lock_user_client"),
    )


def downgrade() -> None:
    op.drop_table("login_locks")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", UtcDateTime(), nullable=True))
        batch_op.drop_column("session_key")
