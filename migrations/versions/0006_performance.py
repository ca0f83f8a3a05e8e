"""performance: indexes found by the national benchmark (bench/, docs/performance.md).

- people.name_key: a trigram index (PostgreSQL, pg_trgm) so that the name search's
  ``name_key LIKE '%word%'`` does not read all 3 million people.
- cases (region_code, id) for cases not closed: the coordinator's review and panels look at the
  active cases of a region, a tenth of its cases.
- referrals.previous_referral_id ("not referred elsewhere since" in the overdue review): without
  it each overdue row re-read the referrals table.
- The ids an officer's scope is made of, readable from indexes alone: cases by owner
  (owner_agency_id, id), cases shared by referral (receiver_agency_id, status, case_id), and the
  few restricted cases (id WHERE restricted).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgres():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_people_name_key_trgm ON people "
                   "USING gin (name_key gin_trgm_ops)")
    op.create_index("ix_cases_region_active", "cases", ["region_code", "id"],
                    postgresql_where=sa.text("status <> 'closed'"),
                    sqlite_where=sa.text("status <> 'closed'"))
    op.create_index("ix_cases_owner_ids", "cases", ["owner_agency_id", "id"])
    op.create_index("ix_cases_sealed", "cases", ["id"],
                    postgresql_where=sa.text("restricted"), sqlite_where=sa.text("restricted"))
    op.create_index("ix_referrals_receiver_cases", "referrals",
                    ["receiver_agency_id", "status", "case_id"])
    op.create_index("ix_referrals_previous", "referrals", ["previous_referral_id"],
                    postgresql_where=sa.text("previous_referral_id IS NOT NULL"),
                    sqlite_where=sa.text("previous_referral_id IS NOT NULL"))


def downgrade():
    op.drop_index("ix_referrals_previous", table_name="referrals")
    op.drop_index("ix_referrals_receiver_cases", table_name="referrals")
    op.drop_index("ix_cases_sealed", table_name="cases")
    op.drop_index("ix_cases_owner_ids", table_name="cases")
    op.drop_index("ix_cases_region_active", table_name="cases")
    if _postgres():
        op.execute("DROP INDEX IF EXISTS ix_people_name_key_trgm")
