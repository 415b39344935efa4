"""hardening_auth: admin sessions, login attempts, grading failures (issue 12)

Revision ID: 0004_hardening_auth
Revises: 0003_revoked_identity
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_hardening_auth"
down_revision = "0003_revoked_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
