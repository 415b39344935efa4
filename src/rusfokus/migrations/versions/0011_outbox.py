"""0011_outbox: completion events outbox and deliveries (issue 18)

Revision ID: 0011_outbox
Revises: 0010_effekt
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0011_outbox"
down_revision = "0010_effekt"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
