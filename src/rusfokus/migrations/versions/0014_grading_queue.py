"""0014_grading_queue: the grading queue shared by every copy (issue 19.3)

One row per hand-in (``rusfokus.exercises.queue.GradingJob``): the learner, the exercise, the attempt's
stamp, her answers and the submission notebook (so any copy can grade a hand-in another copy received),
the state (pending → done, or failed after retries) and the result. At most one pending hand-in per
learner and exercise (a partial unique index, valid on PostgreSQL and SQLite).

Revision ID: 0014_grading_queue
Revises: 0013_lti
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_grading_queue"
down_revision = "0013_lti"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grading_job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("student", sa.String(100), nullable=False),
        sa.Column("opgave", sa.String(100), nullable=False),
        sa.Column("stamp", sa.String(40), nullable=False),
        sa.Column("answers", sa.Text, nullable=False, server_default="{}"),
        sa.Column("notebook", sa.Text, nullable=True),
        sa.Column("state", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("not_before", sa.DateTime, nullable=False),
        sa.Column("received_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("graded_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("student", "opgave", "stamp", name="uq_grading_job_attempt"),
    )
    op.create_index("ix_grading_job_state_due", "grading_job", ["state", "not_before"])
    op.create_index("ix_grading_job_email", "grading_job", ["email"])
    op.create_index(
        "uq_grading_job_one_pending",
        "grading_job",
        ["student", "opgave"],
        unique=True,
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("uq_grading_job_one_pending", table_name="grading_job")
    op.drop_index("ix_grading_job_email", table_name="grading_job")
    op.drop_index("ix_grading_job_state_due", table_name="grading_job")
    op.drop_table("grading_job")
