"""0015_temadag_shared: the temadag's live state shared by every copy (issue 19.3)

The live room itself was already in the database (0005: ``temadag_live``, ``temadag_live_answer``); what
was left in one process's memory is the count of wrong check-in codes per guesser and per address. With
several copies behind a balancer each copy would allow the full number, so it moves here: one row per
wrong code, in its 5-minute code window (rows of older windows are deleted as new ones come).

Revision ID: 0015_temadag_shared
Revises: 0014_grading_queue
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_temadag_shared"
down_revision = "0014_grading_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "temadag_bad_code",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code_window", sa.Integer, nullable=False),
        sa.Column("guesser", sa.String(100), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
    )
    op.create_index("ix_temadag_bad_code_guesser", "temadag_bad_code", ["code_window", "guesser"])
    op.create_index("ix_temadag_bad_code_address", "temadag_bad_code", ["code_window", "address"])


def downgrade() -> None:
    op.drop_index("ix_temadag_bad_code_address", table_name="temadag_bad_code")
    op.drop_index("ix_temadag_bad_code_guesser", table_name="temadag_bad_code")
    op.drop_table("temadag_bad_code")
