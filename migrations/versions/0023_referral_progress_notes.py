"""progress notes on referrals; every lifecycle action's note kept.

PLACEHOLDER: no schema change yet; the issue's owner fills this in (or it is removed).

Revision ID: 0023
Revises: 0022
"""

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
