"""0008_mail: e-mail queue and send log (issue 13)

Revision ID: 0008_mail
Revises: 0007_journey
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_mail"
down_revision = "0007_journey"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("temadag_id", sa.Integer, nullable=True),
        sa.Column("module", sa.String(100), nullable=False, server_default=""),
        sa.Column("expires_on", sa.Date, nullable=True),
        sa.Column("status", sa.String(12), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("refusals", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=True),
        sa.Column("claim_token", sa.String(40), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("claimed_at", sa.DateTime, nullable=True),
        sa.Column("sent_at", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
        sa.UniqueConstraint("key", name="uq_mail_message_key"),
    )
    op.create_index("ix_mail_message_person_id", "mail_message", ["person_id"])
    op.create_index("ix_mail_status_due", "mail_message", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_mail_status_due", table_name="mail_message")
    op.drop_index("ix_mail_message_person_id", table_name="mail_message")
    op.drop_table("mail_message")
