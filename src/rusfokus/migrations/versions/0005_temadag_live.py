"""temadag_live: live state and pending check-ins kept in the database (issue 12)

Revision ID: 0005_temadag_live
Revises: 0004_hardening_auth
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005_temadag_live"
down_revision = "0004_hardening_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
