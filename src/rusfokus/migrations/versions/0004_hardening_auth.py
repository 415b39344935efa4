"""hardening_auth: ended admin sessions (logout, password change), issue 12

Login attempts are limited in the server process; grading failures are kept
next to the hand-in on disk (exercises/store.py). Only ended admin sessions
need a table.

Revision ID: 0004_hardening_auth
Revises: 0003_revoked_identity
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_hardening_auth"
down_revision = "0003_revoked_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_session_end",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("session", sa.String(64), nullable=True),
        sa.Column("before_ms", sa.BigInteger, nullable=True),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_admin_session_end_username", "admin_session_end", ["username"])


def downgrade() -> None:
    op.drop_index("ix_admin_session_end_username", table_name="admin_session_end")
    op.drop_table("admin_session_end")
