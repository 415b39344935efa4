"""progress: organisation, people, completions, certificates, audit log, admin users

Revision ID: 0001_progress
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_progress"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forvaltning",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
    )
    op.create_table(
        "afdeling",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("forvaltning_id", sa.Integer, sa.ForeignKey("forvaltning.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.UniqueConstraint("forvaltning_id", "name", name="uq_afdeling_name"),
    )
    op.create_table(
        "institution",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("afdeling_id", sa.Integer, sa.ForeignKey("afdeling.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.UniqueConstraint("afdeling_id", "name", name="uq_institution_name"),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=True, unique=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("faggruppe", sa.String(200), nullable=False),
        sa.Column("institution_id", sa.Integer, sa.ForeignKey("institution.id"), nullable=True),
        sa.Column("noegleperson", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("left_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_person_status", "person", ["status"])
    op.create_table(
        "completion",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("max_score", sa.Float, nullable=True),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("completed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_completion_person_module", "completion", ["person_id", "module"])
    op.create_index("ix_completion_completed_at", "completion", ["completed_at"])
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("module", sa.String(100), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
    )
    op.create_index("ix_certificate_person_module", "certificate", ["person_id", "module"])
    op.create_index("ix_certificate_expires_on", "certificate", ["expires_on"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "admin_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "admin_user",
        "audit_log",
        "certificate",
        "completion",
        "person",
        "institution",
        "afdeling",
        "forvaltning",
    ):
        op.drop_table(table)
