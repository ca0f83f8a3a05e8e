"""coordinator region reads: a referral knows its case is closed; region-prefixed indexes.

The overdue review and the coordinator's home count a region's expired referrals of open cases.
A decade leaves thousands of expired referrals per region, nine in ten on cases closed since
(3,140 in one region, 507 on open cases); finding the few meant reading all of them and probing
each one's case (60 ms of the coordinator's home page; docs/performance.md). With the flag on the
referral, a partial index holds only the ones the review shows.

A trigger on cases keeps the copy in step whatever code path closes or reopens a case, so it
cannot be forgotten; a new referral takes it from its case (referrals.service.send_referral).

Also, for the same pages: the region's active referrals by last progress ("no progress for a
week"), which read the nation's stalled referrals to keep one region's (13,000 rows read for
410), and the region's open high-risk cases, which intersected the region's 31,000 cases with
the nation's 22,000 open high-risk ones (717 wanted).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_OVERDUE_OPEN = "status = 'expired' AND NOT case_closed"
_ACTIVE = "status IN ('accepted', 'in_progress')"
_OPEN_HIGH = "risk_level = 'high' AND status <> 'closed'"
_CLOSED_CHANGED = "(OLD.status = 'closed') <> (NEW.status = 'closed')"

_POSTGRES_TRIGGER = [
    """CREATE FUNCTION referrals_follow_case_closed() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE referrals SET case_closed = (NEW.status = 'closed') WHERE case_id = NEW.id;
         RETURN NULL;
       END $$""",
    f"""CREATE TRIGGER cases_closed_to_referrals AFTER UPDATE OF status ON cases
        FOR EACH ROW WHEN ({_CLOSED_CHANGED})
        EXECUTE FUNCTION referrals_follow_case_closed()""",
]
_SQLITE_TRIGGER = [
    f"""CREATE TRIGGER cases_closed_to_referrals AFTER UPDATE OF status ON cases
        FOR EACH ROW WHEN {_CLOSED_CHANGED}
        BEGIN
          UPDATE referrals SET case_closed = (NEW.status = 'closed') WHERE case_id = NEW.id;
        END""",
]


def upgrade():
    op.add_column("referrals", sa.Column("case_closed", sa.Boolean(), nullable=False,
                                         server_default=sa.text("false")))
    op.execute("UPDATE referrals SET case_closed = true WHERE case_id IN "
               "(SELECT id FROM cases WHERE status = 'closed')")
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES_TRIGGER if postgres else _SQLITE_TRIGGER:
        op.execute(statement)
    op.create_index("ix_referrals_region_overdue", "referrals",
                    ["region_code", "deadline_at", "id"],
                    postgresql_where=sa.text(_OVERDUE_OPEN), sqlite_where=sa.text(_OVERDUE_OPEN))
    op.create_index("ix_referrals_region_stalled", "referrals",
                    ["region_code", sa.text("coalesce(last_progress_at, accepted_at)"), "id"],
                    postgresql_where=sa.text(_ACTIVE), sqlite_where=sa.text(_ACTIVE))
    op.create_index("ix_cases_region_high_risk_open", "cases",
                    ["region_code", "high_risk_flagged_at"],
                    postgresql_where=sa.text(_OPEN_HIGH), sqlite_where=sa.text(_OPEN_HIGH))


def downgrade():
    op.drop_index("ix_cases_region_high_risk_open", table_name="cases")
    op.drop_index("ix_referrals_region_stalled", table_name="referrals")
    op.drop_index("ix_referrals_region_overdue", table_name="referrals")
    op.execute("DROP TRIGGER IF EXISTS cases_closed_to_referrals"
               + (" ON cases" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS referrals_follow_case_closed()")
    op.drop_column("referrals", "case_closed")
