"""region high risk unaccepted: a region's open high-risk cases nobody took up.

The coordinator's home page counts, per region, the open high-risk cases with no referral
taken up. Migration 0015's index of those cases is nationwide (5,000 on the benchmark's
dataset): a region's 250 were found by intersecting it with the region's 47,000 open cases
(7 ms of the home page's statement; docs/performance.md). Prefixed by region, the count reads
the region's own entries.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_UNACCEPTED = "risk_level = 'high' AND status <> 'closed' AND NOT referral_accepted"


def upgrade():
    op.create_index("ix_cases_region_high_risk_unaccepted", "cases",
                    ["region_code", "high_risk_flagged_at", "id"],
                    postgresql_where=sa.text(_UNACCEPTED), sqlite_where=sa.text(_UNACCEPTED))


def downgrade():
    op.drop_index("ix_cases_region_high_risk_unaccepted", table_name="cases")
