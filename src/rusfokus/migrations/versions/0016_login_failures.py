"""0016_login_failures: failed admin/nøgleperson logins counted in the database (issue 19.3)

The limit of failed logins (5 per user name and per client address in 5 minutes, attempts being checked
included) was counted in each process's memory, so N copies behind a balancer allowed N times the guesses.
One row per attempt and key (``rusfokus.identity.login_limit``): in flight while its password is checked,
failed afterwards; rows older than the window are deleted by the next attempt.

Revision ID: 0016_login_failures
Revises: 0015_temadag_shared
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_login_failures"
down_revision = "0015_temadag_shared"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("failed", sa.Boolean, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_login_failure_key", "login_failure", ["key", "at"])
    op.create_index("ix_login_failure_token", "login_failure", ["token"])
    op.create_index("ix_login_failure_at", "login_failure", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_failure_at", table_name="login_failure")
    op.drop_index("ix_login_failure_token", table_name="login_failure")
    op.drop_index("ix_login_failure_key", table_name="login_failure")
    op.drop_table("login_failure")
