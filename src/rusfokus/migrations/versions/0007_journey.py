"""0007_journey: pages read, drafts of Test din viden (issue 13)

Revision ID: 0007_journey
Revises: 0006_roles
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_journey"
down_revision = "0006_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
