"""revoked_identity: identities erased under GDPR, kept only as a keyed hash

Revision ID: 0003_revoked_identity
Revises: 0002_temadag
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_revoked_identity"
down_revision = "0002_temadag"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_identity",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("revoked_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("revoked_identity")
