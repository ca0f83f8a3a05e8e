"""password reset tokens, login throttling by account and address, sessions.

PLACEHOLDER: no schema change yet; the issue's owner fills this in (or it is removed).

Revision ID: 0027
Revises: 0026
"""

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
