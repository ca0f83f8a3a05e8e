"""incident place: the case's region and district copied onto incidents, district onto referrals.

The coordinator's statistics export counts a region-year of incidents and referrals per
district. Incidents carried no region: the export read the year's incidents nationwide
(~170,000 on the benchmark) and joined the cases to keep one region's, and both incidents and
referrals joined the region's cases (up to 113,000) for the district, ~150 ms of a ~180 ms
export (docs/performance.md). With the place on the rows each measure is one index range:

- incidents.region_code, incidents.district_id (back-filled from the case);
- ix_incidents_region_occurred: (region_code, occurred_at), covering what the export counts on
  PostgreSQL;
- referrals.district_id (back-filled), and ix_referrals_region_sent covering it too.

``referral/referrals/region_copy.py`` keeps the copies in step when a case moves.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INCIDENT_COLUMNS = ["district_id", "case_id", "physical", "psychological", "sexual", "economic",
                    "offence_id"]
REFERRAL_COLUMNS = ["case_id", "receiver_agency_id", "status", "accepted_at", "deadline_at",
                    "decline_reason", "outcome", "service_code"]


def _copy(table: str, columns: list[str], sqlite: bool) -> str:
    """One UPDATE per table (each rewrites every row); on PostgreSQL a join, not a lookup of
    the case per row (1.5 million incidents and 2 million referrals on the benchmark)."""
    if sqlite:
        return (f"UPDATE {table} SET ({', '.join(columns)}) = (SELECT "
                f"{', '.join(f'cases.{c}' for c in columns)} FROM cases "
                f"WHERE cases.id = {table}.case_id)")
    return (f"UPDATE {table} SET {', '.join(f'{c} = cases.{c}' for c in columns)} "
            f"FROM cases WHERE cases.id = {table}.case_id")


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:  # rebuilt below with the district; not kept up to date by the back-fill
        op.drop_index("ix_referrals_region_sent", table_name="referrals")
    # SQLite cannot make a column NOT NULL afterwards without copying the table: add it NOT
    # NULL with a placeholder default, then fill it (as migration 0007 did for referrals).
    op.add_column("incidents", sa.Column("region_code", sa.String(length=8),
                                         nullable=not sqlite,
                                         server_default="" if sqlite else None))
    op.add_column("incidents", sa.Column("district_id", sa.Integer(), nullable=True))
    op.add_column("referrals", sa.Column("district_id", sa.Integer(), nullable=True))
    op.execute(_copy("incidents", ["region_code", "district_id"], sqlite))
    op.execute(_copy("referrals", ["district_id"], sqlite))
    if not sqlite:
        op.alter_column("incidents", "region_code", existing_type=sa.String(length=8),
                        nullable=False)
        # SQLite has no INCLUDE: there the referral index stays as it is.
        op.create_index("ix_referrals_region_sent", "referrals", ["region_code", "sent_at"],
                        postgresql_include=[*REFERRAL_COLUMNS, "district_id"])
    op.create_index("ix_incidents_region_occurred", "incidents", ["region_code", "occurred_at"],
                    postgresql_include=INCIDENT_COLUMNS)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_index("ix_referrals_region_sent", table_name="referrals")
        op.create_index("ix_referrals_region_sent", "referrals", ["region_code", "sent_at"],
                        postgresql_include=REFERRAL_COLUMNS)
    op.drop_index("ix_incidents_region_occurred", table_name="incidents")
    op.drop_column("referrals", "district_id")
    op.drop_column("incidents", "district_id")
    op.drop_column("incidents", "region_code")
