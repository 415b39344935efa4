"""0009_genopfrisk: refresher loop: practice rounds, reminders, renewal (issue 17)

Revision ID: 0009_genopfrisk
Revises: 0008_mail
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_genopfrisk"
down_revision = "0008_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "genopfrisk_loop",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("passed_on", sa.Date, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("renewed_on", sa.Date, nullable=True),
        sa.Column("renewed_until", sa.Date, nullable=True),
        sa.UniqueConstraint("person_id", "module", name="uq_genopfrisk_loop_person_module"),
    )
    op.create_index("ix_genopfrisk_loop_person_id", "genopfrisk_loop", ["person_id"])
    op.create_table(
        "genopfrisk_round",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("loop_id", sa.Integer, sa.ForeignKey("genopfrisk_loop.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=True),
        sa.Column("reminded_at", sa.DateTime, nullable=True),
        sa.Column("taken_at", sa.DateTime, nullable=True),
        sa.Column("items", sa.String(500), nullable=False, server_default=""),
        sa.Column("coach", sa.String(500), nullable=False, server_default=""),
        sa.UniqueConstraint("loop_id", "number", name="uq_genopfrisk_round_loop_number"),
    )
    op.create_index("ix_genopfrisk_round_loop_id", "genopfrisk_round", ["loop_id"])
    op.create_index("ix_genopfrisk_round_due_on", "genopfrisk_round", ["due_on"])
    op.create_table(
        "genopfrisk_answer",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("genopfrisk_round.id", ondelete="CASCADE"), nullable=False),
        sa.Column("item_id", sa.String(100), nullable=False),
        sa.Column("chosen", sa.String(50), nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("answered_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("round_id", "item_id", name="uq_genopfrisk_answer_round_item"),
    )
    op.create_index("ix_genopfrisk_answer_round_id", "genopfrisk_answer", ["round_id"])


def downgrade() -> None:
    op.drop_index("ix_genopfrisk_answer_round_id", table_name="genopfrisk_answer")
    op.drop_table("genopfrisk_answer")
    op.drop_index("ix_genopfrisk_round_due_on", table_name="genopfrisk_round")
    op.drop_index("ix_genopfrisk_round_loop_id", table_name="genopfrisk_round")
    op.drop_table("genopfrisk_round")
    op.drop_index("ix_genopfrisk_loop_person_id", table_name="genopfrisk_loop")
    op.drop_table("genopfrisk_loop")
