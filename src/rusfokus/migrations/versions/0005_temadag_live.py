"""temadag_live: live state and pending check-ins kept in the database (issue 12)

Revision ID: 0005_temadag_live
Revises: 0004_hardening_auth
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_temadag_live"
down_revision = "0004_hardening_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows from before this revision were attendance already: they stay confirmed
    with op.batch_alter_table("temadag_participant") as batch:
        batch.add_column(sa.Column("status", sa.String(12), nullable=False, server_default="bekraeftet"))
    # an e-mail not on the staff list checks in once per temadag (a double tap must not make two rows)
    unknown = sa.text("person_id IS NULL AND email != ''")
    op.create_index(
        "uq_temadag_unknown_email",
        "temadag_participant",
        ["temadag_id", "email"],
        unique=True,
        sqlite_where=unknown,
        postgresql_where=unknown,
    )
    op.create_table(
        "temadag_live",
        sa.Column("temadag_id", sa.Integer, sa.ForeignKey("temadag.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("question_ids", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("phase", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("answers_version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "temadag_live_answer",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "temadag_id", sa.Integer, sa.ForeignKey("temadag.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column(
            "participant_id", sa.Integer, sa.ForeignKey("temadag_participant.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("option", sa.Integer, nullable=False),
        sa.UniqueConstraint("temadag_id", "question_id", "participant_id", name="uq_live_answer"),
    )


def downgrade() -> None:
    op.drop_table("temadag_live_answer")
    op.drop_table("temadag_live")
    op.drop_index("uq_temadag_unknown_email", table_name="temadag_participant")
    with op.batch_alter_table("temadag_participant") as batch:
        batch.drop_column("status")
