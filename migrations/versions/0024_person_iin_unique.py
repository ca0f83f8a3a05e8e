"""one person per IIN (unique index on the normalised IIN).

PLACEHOLDER: no schema change yet; the issue's owner fills this in (or it is removed).

Revision ID: 0024
Revises: 0023
"""

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
