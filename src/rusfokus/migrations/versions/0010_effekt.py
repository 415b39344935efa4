"""0010_effekt: proof of effect: self-efficacy answers, practice counts (issue 17)

Revision ID: 0010_effekt
Revises: 0009_genopfrisk
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_effekt"
down_revision = "0009_genopfrisk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "effekt_self_efficacy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("phase", sa.String(10), nullable=False),
        sa.Column("item1", sa.SmallInteger, nullable=False),
        sa.Column("item2", sa.SmallInteger, nullable=False),
        sa.Column("item3", sa.SmallInteger, nullable=False),
        sa.Column("answered_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("person_id", "module", "phase", name="uq_effekt_se_person_module_phase"),
    )
    op.create_index("ix_effekt_self_efficacy_person_id", "effekt_self_efficacy", ["person_id"])
    op.create_index("ix_effekt_self_efficacy_answered_at", "effekt_self_efficacy", ["answered_at"])
    op.create_table(
        "effekt_practice_count",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("round_ref", sa.String(100), nullable=False),
        sa.Column("samtaler", sa.Integer, nullable=False),
        sa.Column("henvisninger", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("person_id", "round_ref", name="uq_effekt_pc_person_round"),
    )
    op.create_index("ix_effekt_practice_count_person_id", "effekt_practice_count", ["person_id"])
    op.create_index("ix_effekt_practice_count_at", "effekt_practice_count", ["at"])


def downgrade() -> None:
    op.drop_index("ix_effekt_practice_count_at", table_name="effekt_practice_count")
    op.drop_index("ix_effekt_practice_count_person_id", table_name="effekt_practice_count")
    op.drop_table("effekt_practice_count")
    op.drop_index("ix_effekt_self_efficacy_answered_at", table_name="effekt_self_efficacy")
    op.drop_index("ix_effekt_self_efficacy_person_id", table_name="effekt_self_efficacy")
    op.drop_table("effekt_self_efficacy")
