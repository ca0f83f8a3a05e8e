"""emergency (break-the-glass) access; the audit table refuses TRUNCATE.

PLACEHOLDER: no schema change yet; the issue's owner fills this in (or it is removed).

Revision ID: 0028
Revises: 0027
"""

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
