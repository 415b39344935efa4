"""0007_journey: pages read, drafts of Test din viden (issue 13)

Revision ID: 0007_journey
Revises: 0006_roles
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_journey"
down_revision = "0006_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ---- page_read (the learner's journey: rusfokus.progress.journey) ----
    op.create_table(
        "page_read",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        sa.Column("page", sa.String(200), nullable=False),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("read_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("person_id", "page", name="uq_page_read_person_page"),
    )
    op.create_index("ix_page_read_person_id", "page_read", ["person_id"])
    # ---- end page_read ----


def downgrade() -> None:
    # ---- page_read ----
    op.drop_index("ix_page_read_person_id", table_name="page_read")
    op.drop_table("page_read")
    # ---- end page_read ----
