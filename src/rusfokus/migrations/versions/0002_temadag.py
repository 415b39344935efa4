"""temadag: planned temadage, checked-in participants, anonymous evaluations

Revision ID: 0002_temadag
Revises: 0001_progress
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_temadag"
down_revision = "0001_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "temadag",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("date", sa.Date, nullable=False, index=True),
        sa.Column("start", sa.Time, nullable=False),
        sa.Column("duration_min", sa.Integer, nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("modules", sa.String(300), nullable=False),
        sa.Column("facilitator", sa.String(200), nullable=False),
        sa.Column("facilitator_email", sa.String(320), nullable=False, server_default=""),
        sa.Column("institutions", sa.Text, nullable=False, server_default=""),
        sa.Column("counts_toward_module", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    )
    op.create_table(
        "temadag_participant",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "temadag_id", sa.Integer, sa.ForeignKey("temadag.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False, server_default=""),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("checked_in_at", sa.DateTime, nullable=False),
        sa.Column("evaluated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("temadag_id", "person_id", name="uq_temadag_person"),
    )
    op.create_table(
        "temadag_evaluation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "temadag_id", sa.Integer, sa.ForeignKey("temadag.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("scores", sa.Text, nullable=False),
        sa.Column("free_text", sa.Text, nullable=False, server_default=""),
        sa.Column("submitted_on", sa.Date, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("temadag_evaluation")
    op.drop_table("temadag_participant")
    op.drop_table("temadag")
