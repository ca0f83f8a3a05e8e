"""case referral accepted: a case knows whether any of its referrals was taken up.

The minute sweep escalates a high-risk case that no agency has taken up (no referral accepted,
in progress, on hold or completed) after some hours, and the overdue review lists them. Both
probed the referrals of every open high-risk case of the nation (22,000 on the benchmark, three
in four long taken up) at each run: 60 ms of the sweep, growing with the backlog and not with
what is due (docs/performance.md). With the flag on the case, a partial index holds only the
open high-risk cases nobody has taken up.

Triggers on referrals keep it in step whatever code path moves a referral, as migration 0011
does for ``referrals.case_closed``: it cannot be forgotten.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_TAKEN_UP = "('accepted', 'in_progress', 'on_hold', 'completed')"
_UNACCEPTED = "risk_level = 'high' AND status <> 'closed' AND NOT referral_accepted"
# Flip the flag only when it is wrong: most moves (sent → expired, accepted → in progress)
# leave it as it is and write nothing.
_RECOMPUTE = (f"UPDATE cases SET referral_accepted = NOT referral_accepted WHERE id = {{case}} "
              f"AND referral_accepted <> EXISTS (SELECT 1 FROM referrals r "
              f"WHERE r.case_id = {{case}} AND r.status IN {_TAKEN_UP})")
_CHANGED = (f"(OLD.status IN {_TAKEN_UP}) <> (NEW.status IN {_TAKEN_UP}) "
            f"OR OLD.case_id <> NEW.case_id")

_POSTGRES = [
    f"""CREATE FUNCTION cases_follow_referral_accepted() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.case_id <> NEW.case_id) THEN
           {_RECOMPUTE.format(case="OLD.case_id")};
         END IF;
         IF TG_OP <> 'DELETE' THEN {_RECOMPUTE.format(case="NEW.case_id")}; END IF;
         RETURN NULL;
       END $$""",
    f"""CREATE TRIGGER referrals_accepted_to_case_insert AFTER INSERT ON referrals
        FOR EACH ROW WHEN (NEW.status IN {_TAKEN_UP})
        EXECUTE FUNCTION cases_follow_referral_accepted()""",
    f"""CREATE TRIGGER referrals_accepted_to_case_update AFTER UPDATE OF status, case_id
        ON referrals FOR EACH ROW WHEN ({_CHANGED})
        EXECUTE FUNCTION cases_follow_referral_accepted()""",
    f"""CREATE TRIGGER referrals_accepted_to_case_delete AFTER DELETE ON referrals
        FOR EACH ROW WHEN (OLD.status IN {_TAKEN_UP})
        EXECUTE FUNCTION cases_follow_referral_accepted()""",
]
_SQLITE = [
    f"""CREATE TRIGGER referrals_accepted_to_case_insert AFTER INSERT ON referrals
        FOR EACH ROW WHEN NEW.status IN {_TAKEN_UP}
        BEGIN {_RECOMPUTE.format(case="NEW.case_id")}; END""",
    f"""CREATE TRIGGER referrals_accepted_to_case_update AFTER UPDATE OF status, case_id
        ON referrals FOR EACH ROW WHEN {_CHANGED}
        BEGIN {_RECOMPUTE.format(case="OLD.case_id")}; {_RECOMPUTE.format(case="NEW.case_id")};
        END""",
    f"""CREATE TRIGGER referrals_accepted_to_case_delete AFTER DELETE ON referrals
        FOR EACH ROW WHEN OLD.status IN {_TAKEN_UP}
        BEGIN {_RECOMPUTE.format(case="OLD.case_id")}; END""",
]
_TRIGGERS = ("referrals_accepted_to_case_insert", "referrals_accepted_to_case_update",
             "referrals_accepted_to_case_delete")


def upgrade():
    op.add_column("cases", sa.Column("referral_accepted", sa.Boolean(), nullable=False,
                                     server_default=sa.text("false")))
    op.execute(f"UPDATE cases SET referral_accepted = true WHERE id IN "
               f"(SELECT case_id FROM referrals WHERE status IN {_TAKEN_UP})")
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES if postgres else _SQLITE:
        op.execute(statement)
    op.create_index("ix_cases_high_risk_unaccepted", "cases", ["high_risk_flagged_at", "id"],
                    postgresql_where=sa.text(_UNACCEPTED), sqlite_where=sa.text(_UNACCEPTED))


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_cases_high_risk_unaccepted", table_name="cases")
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON referrals" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS cases_follow_referral_accepted()")
    op.drop_column("cases", "referral_accepted")
