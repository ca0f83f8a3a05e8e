"""sweep and panel indexes: the minute sweep's and the home page's questions from indexes.

Found by the national benchmark (docs/performance.md): with nothing due, the sweep still read
every open high-risk case and probed its referrals (22,000 in the dataset), and every accepted
or in-progress referral (34,000), every minute.

- ix_cases_high_risk_open: open high-risk cases by the time they were flagged (partial);
- ix_referrals_case_status: "has this case an accepted referral?" from the index alone;
- ix_referrals_stalled: active referrals by their last progress (partial, an expression);
- ix_referrals_sender_closed: the sender's latest outcomes on the home page (it sorted every
  closed referral an agency ever sent: 125 ms).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_OPEN_HIGH = "risk_level = 'high' AND status <> 'closed'"
_ACTIVE = "status IN ('accepted', 'in_progress')"


def upgrade():
    op.create_index("ix_cases_high_risk_open", "cases", ["high_risk_flagged_at", "id"],
                    postgresql_where=sa.text(_OPEN_HIGH), sqlite_where=sa.text(_OPEN_HIGH))
    op.create_index("ix_referrals_case_status", "referrals", ["case_id", "status"])
    op.create_index("ix_referrals_stalled", "referrals",
                    [sa.text("coalesce(last_progress_at, accepted_at)"), "id"],
                    postgresql_where=sa.text(_ACTIVE), sqlite_where=sa.text(_ACTIVE))
    op.create_index("ix_referrals_sender_closed", "referrals",
                    ["sender_agency_id", "closed_at", "id"])


def downgrade():
    op.drop_index("ix_referrals_sender_closed", table_name="referrals")
    op.drop_index("ix_referrals_stalled", table_name="referrals")
    op.drop_index("ix_referrals_case_status", table_name="referrals")
    op.drop_index("ix_cases_high_risk_open", table_name="cases")
