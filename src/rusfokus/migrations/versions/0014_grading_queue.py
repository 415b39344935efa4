"""0014_grading_queue: the grading queue shared by every copy (issue 19.3)

Revision ID: 0014_grading_queue
Revises: 0013_lti
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0014_grading_queue"
down_revision = "0013_lti"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
