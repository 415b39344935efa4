"""0016_login_failures: failed admin/nøgleperson logins counted in the database (issue 19.3)

Placeholder prepared before the work starts so the migration chain stays linear; the identity developer
fills in the table (see rusfokus.identity's login limiter).

Revision ID: 0016_login_failures
Revises: 0015_temadag_shared
Create Date: 2026-12-03
"""

revision = "0016_login_failures"
down_revision = "0015_temadag_shared"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
