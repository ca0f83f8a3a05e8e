"""coordination figures: a region-year of referrals and cases read from indexes alone.

Agency performance, coverage and the statistics export aggregate, in SQL, a region's referrals
sent in a period and its cases opened in a period (referral/coordination/). On PostgreSQL:
- ix_referrals_region_sent (region_code, sent_at) now also carries the columns they count
  (INCLUDE): a year of the largest region was 7,000 heap pages for 28,000 referrals, now a
  few hundred index pages (an index-only scan).
- ix_cases_region_created (region_code, created_at), with district, restriction and risk level
  (and id, so that a region's cases can be hashed for a join): cases opened per district and
  per risk level; before, a bitmap AND of the region and date indexes and the heap.
SQLite has no INCLUDE: there the referral index stays as it is and the case index is plain.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

REFERRAL_COLUMNS = ["case_id", "receiver_agency_id", "status", "accepted_at", "deadline_at",
                    "decline_reason", "outcome", "service_code"]
CASE_COLUMNS = ["id", "district_id", "restricted", "risk_level"]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgres():
        op.drop_index("ix_referrals_region_sent", table_name="referrals")
        op.create_index("ix_referrals_region_sent", "referrals", ["region_code", "sent_at"],
                        postgresql_include=REFERRAL_COLUMNS)
    op.create_index("ix_cases_region_created", "cases", ["region_code", "created_at"],
                    postgresql_include=CASE_COLUMNS)


def downgrade():
    op.drop_index("ix_cases_region_created", table_name="cases")
    if _postgres():
        op.drop_index("ix_referrals_region_sent", table_name="referrals")
        op.create_index("ix_referrals_region_sent", "referrals", ["region_code", "sent_at"])
