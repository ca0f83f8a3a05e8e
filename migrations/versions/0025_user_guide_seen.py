"""user guide seen: when a user was shown their role's guide, so that it is shown once.

The first login redirects to the guide (referral/help/first_login.py) while the column is empty.
Users who logged in before this revision are not newcomers: their column takes their last login,
so they keep landing on their home page (the guide stays one click away in the header).

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("guide_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET guide_seen_at = last_login_at WHERE last_login_at IS NOT NULL")


def downgrade() -> None:
    op.drop_column("users", "guide_seen_at")
