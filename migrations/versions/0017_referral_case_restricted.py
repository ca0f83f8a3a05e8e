"""referral case restricted: a referral knows whether its case is restricted.

Every reader's referral rule leaves out the referrals of restricted cases (but for users named
on one). It said so as "case_id NOT IN (the restricted cases)": PostgreSQL read the nation's
5,000 restricted ids and hashed them once per statement branch, 0.6 to 0.9 ms each, five or
six times in the coordinator's home page and the overdue review (docs/performance.md). With the
flag on the referral the rule is a column test.

The flag is an authorization input, so the database keeps it, not the application: a trigger on
cases copies a change of ``restricted`` to the case's referrals, and a trigger on referrals sets
it from the case on insert and on any update of ``case_id`` or of the flag itself, whatever the
statement says. No code path can leave it wrong short of disabling triggers (the benchmark's
generator writes it itself when it does).

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_OF_CASE = "(SELECT c.restricted FROM cases c WHERE c.id = NEW.case_id)"

_POSTGRES = [
    """CREATE FUNCTION referrals_follow_case_restricted() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE referrals SET case_restricted = NEW.restricted WHERE case_id = NEW.id;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER cases_restricted_to_referrals AFTER UPDATE OF restricted ON cases
        FOR EACH ROW WHEN (OLD.restricted IS DISTINCT FROM NEW.restricted)
        EXECUTE FUNCTION referrals_follow_case_restricted()""",
    f"""CREATE FUNCTION referrals_take_case_restricted() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.case_restricted := coalesce({_OF_CASE}, false);
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER referrals_case_restricted BEFORE INSERT OR UPDATE OF case_id,
        case_restricted ON referrals FOR EACH ROW
        EXECUTE FUNCTION referrals_take_case_restricted()""",
]
_SQLITE = [
    """CREATE TRIGGER cases_restricted_to_referrals AFTER UPDATE OF restricted ON cases
        FOR EACH ROW WHEN OLD.restricted IS NOT NEW.restricted
        BEGIN
          UPDATE referrals SET case_restricted = NEW.restricted WHERE case_id = NEW.id;
        END""",
    f"""CREATE TRIGGER referrals_case_restricted_insert AFTER INSERT ON referrals
        FOR EACH ROW WHEN NEW.case_restricted IS NOT coalesce({_OF_CASE}, 0)
        BEGIN
          UPDATE referrals SET case_restricted = coalesce({_OF_CASE}, 0) WHERE id = NEW.id;
        END""",
    f"""CREATE TRIGGER referrals_case_restricted_update AFTER UPDATE OF case_id, case_restricted
        ON referrals FOR EACH ROW WHEN NEW.case_restricted IS NOT coalesce({_OF_CASE}, 0)
        BEGIN
          UPDATE referrals SET case_restricted = coalesce({_OF_CASE}, 0) WHERE id = NEW.id;
        END""",
]
_POSTGRES_TRIGGERS = (("cases_restricted_to_referrals", "cases"),
                      ("referrals_case_restricted", "referrals"))
_SQLITE_TRIGGERS = ("cases_restricted_to_referrals", "referrals_case_restricted_insert",
                    "referrals_case_restricted_update")


# ix_referrals_region_sent covers the coordinator figures' columns (0008, 0013): the flag too,
# or a region-year would be read from the table to test it.
_COVERED = ["case_id", "receiver_agency_id", "status", "accepted_at", "deadline_at",
            "decline_reason", "outcome", "service_code", "district_id"]


def _region_sent(columns: list[str]) -> None:
    op.drop_index("ix_referrals_region_sent", table_name="referrals")
    op.create_index("ix_referrals_region_sent", "referrals", ["region_code", "sent_at"],
                    postgresql_include=columns)


def upgrade():
    op.add_column("referrals", sa.Column("case_restricted", sa.Boolean(), nullable=False,
                                         server_default=sa.text("false")))
    op.execute("UPDATE referrals SET case_restricted = true WHERE case_id IN "
               "(SELECT id FROM cases WHERE restricted)")
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES if postgres else _SQLITE:
        op.execute(statement)
    if postgres:
        _region_sent([*_COVERED, "case_restricted"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _region_sent(_COVERED)
        for name, table in _POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS referrals_follow_case_restricted()")
        op.execute("DROP FUNCTION IF EXISTS referrals_take_case_restricted()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_column("referrals", "case_restricted")
