"""referral region: the case's region copied onto its referrals, for region-wide reading.

Coordinators read whole regions: the overdue review, agency performance, coverage and the export
select a region's referrals by status, deadline or sending time. Through the case that meant
reading the region's cases (a hundred thousand in the largest) and probing referrals for each;
with the region on the referral the same questions are index range scans
(docs/performance.md). ``referral/referrals/region_copy.py`` keeps the copy in step when a
case moves region. Also: the outbox's keyset pages read (sender agency, sent_at).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    backfill = ("UPDATE referrals SET region_code = "
                "(SELECT cases.region_code FROM cases WHERE cases.id = referrals.case_id)")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot make a column NOT NULL afterwards without copying the table (which,
        # with referral history pointing at it, foreign keys forbid): add it NOT NULL with a
        # placeholder default, then fill it.
        op.add_column("referrals", sa.Column("region_code", sa.String(length=8), nullable=False,
                                             server_default=""))
        op.execute(backfill)
    else:
        op.add_column("referrals", sa.Column("region_code", sa.String(length=8), nullable=True))
        op.execute(backfill)
        op.alter_column("referrals", "region_code", existing_type=sa.String(length=8),
                        nullable=False)
    op.create_index("ix_referrals_region_status_deadline", "referrals",
                    ["region_code", "status", "deadline_at"])
    op.create_index("ix_referrals_region_sent", "referrals", ["region_code", "sent_at"])
    op.create_index("ix_referrals_sender_sent", "referrals", ["sender_agency_id", "sent_at"])


def downgrade():
    op.drop_index("ix_referrals_sender_sent", table_name="referrals")
    op.drop_index("ix_referrals_region_sent", table_name="referrals")
    op.drop_index("ix_referrals_region_status_deadline", table_name="referrals")
    op.drop_column("referrals", "region_code")
