"""0015_temadag_shared: the temadag's live state shared by every copy (issue 19.3)

Revision ID: 0015_temadag_shared
Revises: 0014_grading_queue
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0015_temadag_shared"
down_revision = "0014_grading_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
