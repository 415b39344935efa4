"""0013_lti: LTI 1.3 one-time states and nonces, and where a module's score goes (issue 18)

Revision ID: 0013_lti
Revises: 0012_badges
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_lti"
down_revision = "0012_badges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_state",
        sa.Column("value", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False, server_default=""),
        sa.Column("client_id", sa.String(200), nullable=False, server_default=""),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_lti_state_expires_at", "lti_state", ["expires_at"])
    op.create_table(
        "lti_link",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("deployment_id", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("lineitem", sa.Text, nullable=False, server_default=""),
        sa.Column("scopes", sa.Text, nullable=False, server_default=""),
        sa.Column("launched_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("person_id", "module", "issuer", "client_id", "deployment_id", name="uq_lti_link"),
    )
    op.create_index("ix_lti_link_person_id", "lti_link", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_lti_link_person_id", "lti_link")
    op.drop_table("lti_link")
    op.drop_index("ix_lti_state_expires_at", "lti_state")
    op.drop_table("lti_state")
