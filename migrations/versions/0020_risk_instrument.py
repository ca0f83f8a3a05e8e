"""the risk instrument (red flags, versions, yes/no/not known).

PLACEHOLDER: no schema change yet; the issue's owner fills this in (or it is removed).

Revision ID: 0020
Revises: 0019
"""

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
