"""0011_outbox: completion events outbox and deliveries (issue 18)

Revision ID: 0011_outbox
Revises: 0010_effekt
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_outbox"
down_revision = "0010_effekt"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("max_score", sa.Float, nullable=True),
        sa.Column("passed", sa.Boolean, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("kind", "ref", name="uq_outbox_event_kind_ref"),
        sa.UniqueConstraint("uid", name="uq_outbox_event_uid"),
    )
    op.create_index("ix_outbox_event_person_id", "outbox_event", ["person_id"])
    op.create_table(
        "outbox_delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("outbox_event.id", ondelete="CASCADE"), nullable=False),
        sa.Column("subscriber", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
        sa.Column("claim_token", sa.String(40), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("claimed_at", sa.DateTime, nullable=True),
        sa.Column("delivered_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("event_id", "subscriber", name="uq_outbox_delivery_event_subscriber"),
    )
    op.create_index("ix_outbox_delivery_event_id", "outbox_delivery", ["event_id"])
    op.create_index("ix_outbox_delivery_status_due", "outbox_delivery", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_delivery_status_due", table_name="outbox_delivery")
    op.drop_index("ix_outbox_delivery_event_id", table_name="outbox_delivery")
    op.drop_table("outbox_delivery")
    op.drop_index("ix_outbox_event_person_id", table_name="outbox_event")
    op.drop_table("outbox_event")
