"""0010_effekt: proof of effect: self-efficacy answers, practice counts (issue 17)

Revision ID: 0010_effekt
Revises: 0009_genopfrisk
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0010_effekt"
down_revision = "0009_genopfrisk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
