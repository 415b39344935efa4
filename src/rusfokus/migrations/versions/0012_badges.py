"""0012_badges: Open Badges 3.0 credentials and status list (issue 18)

Revision ID: 0012_badges
Revises: 0011_outbox
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0012_badges"
down_revision = "0011_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
