"""the role guide shown once at first login.

PLACEHOLDER: no schema change yet; the issue's owner fills this in (or it is removed).

Revision ID: 0025
Revises: 0024
"""

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
