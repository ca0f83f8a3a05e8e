"""case list risk order: a region's cases in "high risk first" order.

A coordinator's case list sorted "high risk first" sorted the whole region (up to 110,000
cases) for each page: 170 ms median, 350 ms at the 95th percentile on the benchmark
(docs/performance.md). With this index PostgreSQL reads a page in index order; with the
coordinator's rule reduced to "open cases of my regions" when the session says they are named
on no restricted case (referral.access.scope.Actor.named_on_sealed), nothing else stops it.

The coordinator's home panel counts its region's open high-risk cases apart from the rows
(referral/cases/panels.py): a window count under a LIMIT walked this index over a region.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        return  # SQLite takes no NULLS LAST in an index (DATABASE_ONLY_INDEXES)
    op.create_index("ix_cases_region_risk_order", "cases", [
        "region_code", sa.text("high_risk_flagged_at DESC NULLS LAST"),
        sa.text("created_at DESC"), sa.text("id DESC")])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        return
    op.drop_index("ix_cases_region_risk_order", table_name="cases")
