"""0008_mail: e-mail queue and send log (issue 13)

Revision ID: 0008_mail
Revises: 0007_journey
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008_mail"
down_revision = "0007_journey"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
