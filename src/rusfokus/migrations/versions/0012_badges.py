"""0012_badges: Open Badges 3.0 credentials and status list (issue 18)

Revision ID: 0012_badges
Revises: 0011_outbox
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_badges"
down_revision = "0011_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "badge_key",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "badge_credential",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("credential_id", sa.String(64), nullable=False, unique=True),
        sa.Column("status_index", sa.Integer(), nullable=False, unique=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(40), nullable=False, server_default=""),
    )
    op.create_index("ix_badge_credential_person_id", "badge_credential", ["person_id"])
    op.create_index("ix_badge_credential_certificate_id", "badge_credential", ["certificate_id"])
    op.create_index("ix_badge_credential_valid_until", "badge_credential", ["valid_until"])


def downgrade() -> None:
    op.drop_index("ix_badge_credential_valid_until", table_name="badge_credential")
    op.drop_index("ix_badge_credential_certificate_id", table_name="badge_credential")
    op.drop_index("ix_badge_credential_person_id", table_name="badge_credential")
    op.drop_table("badge_credential")
    op.drop_table("badge_key")
