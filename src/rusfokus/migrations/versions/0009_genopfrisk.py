"""0009_genopfrisk: refresher loop: practice rounds, reminders, renewal (issue 17)

Revision ID: 0009_genopfrisk
Revises: 0008_mail
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009_genopfrisk"
down_revision = "0008_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
