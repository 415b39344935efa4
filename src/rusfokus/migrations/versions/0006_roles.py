"""0006_roles: nøgleperson role and reflection scores (issue 13)

No tables needed: the nøgleperson role is the ``person.noegleperson`` flag of the staff
list (read on every request, ``rusfokus.identity.current_role``), and reflection scores
live in nbgrader's gradebook. Kept as a step in the linear history (0007, 0008 follow).

Revision ID: 0006_roles
Revises: 0005_temadag_live
Create Date: 2026-12-02
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_roles"
down_revision = "0005_temadag_live"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
