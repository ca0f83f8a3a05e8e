"""referral month figures: agency performance pre-aggregated per region, month and agency.

The coordinator's agency performance for a region's year ranked the times to accept of some
10,000 referrals in one statement with grouping sets: 30 ms of the database's time for every
first reader (docs/performance.md, fix 60). The figures are now kept per region, local month of
sending and receiving agency by triggers on referrals, and a year is about a thousand rows.
Each time to accept is kept (microseconds, in an array): a median or a nearest-rank percentile
over a year cannot be made from monthly ones.

PostgreSQL only: the triggers subtract what a referral counted for before a change and add what
it counts for after, in the writer's transaction (a receiving agency's month row is locked
until its commit). Restricted cases are left out (their referrals' ``case_restricted``, which
0017's triggers keep, is part of what a referral counts for). The months are local to
``referral_figures_zone()``: the display zone, Asia/Almaty unless configured otherwise, which
``flask coordination rebuild-figures`` sets, recounting everything, when the zone changes.
On SQLite the table exists and stays empty; the figures are counted from the rows there.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ZONE = "Asia/Almaty"

# What one referral counts for, as the live statement counts it (coordination/performance.py).
_ADD = """
CREATE FUNCTION referral_month_figures_add(r referrals, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  m date;
  micros bigint;
  reason text := CASE WHEN r.status = 'declined' THEN r.decline_reason END;
  result text := CASE WHEN r.status = 'completed' THEN r.outcome END;
  done integer := CASE WHEN r.status = 'completed' THEN 1 ELSE 0 END;
  kept integer := CASE WHEN r.accepted_at <= r.deadline_at THEN 1 ELSE 0 END;
BEGIN
  IF r.case_restricted OR r.sent_at IS NULL THEN
    RETURN;
  END IF;
  m := date_trunc('month', r.sent_at AT TIME ZONE referral_figures_zone())::date;
  IF r.accepted_at IS NOT NULL THEN
    micros := (extract(epoch FROM r.accepted_at - r.sent_at) * 1000000)::bigint;
  END IF;
  IF sign > 0 THEN
    INSERT INTO referral_month_figures AS f (region_code, month, receiver_agency_id, received,
        accepted, within_deadline, completed, declines, outcomes, accept_micros)
    VALUES (r.region_code, m, r.receiver_agency_id, 1, (micros IS NOT NULL)::integer, kept, done,
        CASE WHEN reason IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(reason, 1) END,
        CASE WHEN result IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(result, 1) END,
        CASE WHEN micros IS NULL THEN '{}'::bigint[] ELSE ARRAY[micros] END)
    ON CONFLICT (region_code, month, receiver_agency_id) DO UPDATE SET
      received = f.received + 1,
      accepted = f.accepted + (micros IS NOT NULL)::integer,
      within_deadline = f.within_deadline + kept,
      completed = f.completed + done,
      declines = CASE WHEN reason IS NULL THEN f.declines ELSE jsonb_set(f.declines,
        ARRAY[reason], to_jsonb(coalesce((f.declines ->> reason)::integer, 0) + 1)) END,
      outcomes = CASE WHEN result IS NULL THEN f.outcomes ELSE jsonb_set(f.outcomes,
        ARRAY[result], to_jsonb(coalesce((f.outcomes ->> result)::integer, 0) + 1)) END,
      accept_micros = CASE WHEN micros IS NULL THEN f.accept_micros
        ELSE array_append(f.accept_micros, micros) END;
  ELSE
    UPDATE referral_month_figures f SET
      received = f.received - 1,
      accepted = f.accepted - (micros IS NOT NULL)::integer,
      within_deadline = f.within_deadline - kept,
      completed = f.completed - done,
      declines = CASE WHEN reason IS NULL THEN f.declines
        WHEN (f.declines ->> reason)::integer > 1 THEN jsonb_set(f.declines, ARRAY[reason],
          to_jsonb((f.declines ->> reason)::integer - 1))
        ELSE f.declines - reason END,
      outcomes = CASE WHEN result IS NULL THEN f.outcomes
        WHEN (f.outcomes ->> result)::integer > 1 THEN jsonb_set(f.outcomes, ARRAY[result],
          to_jsonb((f.outcomes ->> result)::integer - 1))
        ELSE f.outcomes - result END,
      -- one occurrence of the value out, found in the row as locked (a missing value makes
      -- the array NULL, refused by NOT NULL: never silently wrong)
      accept_micros = CASE WHEN micros IS NULL THEN f.accept_micros
        ELSE f.accept_micros[1:array_position(f.accept_micros, micros) - 1]
          || f.accept_micros[array_position(f.accept_micros, micros) + 1:] END
     WHERE f.region_code = r.region_code AND f.month = m
       AND f.receiver_agency_id = r.receiver_agency_id;
  END IF;
END $$"""

_FOLLOW = """
CREATE FUNCTION referral_month_figures_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM referral_month_figures_add(OLD, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM referral_month_figures_add(NEW, 1);
  END IF;
  RETURN NULL;
END $$"""

# Only changes that can change what a referral counts for: the deadline sweep's expiries
# (sent -> expired) and progress notes fire nothing.
_CHANGED = " OR ".join([
    *(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in (
        "region_code", "receiver_agency_id", "sent_at", "accepted_at", "deadline_at",
        "case_restricted", "decline_reason", "outcome")),
    "(OLD.status = 'completed') IS DISTINCT FROM (NEW.status = 'completed')",
    "(OLD.status = 'declined') IS DISTINCT FROM (NEW.status = 'declined')",
])

_TRIGGERS = [
    """CREATE TRIGGER referrals_month_figures AFTER INSERT OR DELETE ON referrals
        FOR EACH ROW EXECUTE FUNCTION referral_month_figures_follow()""",
    f"""CREATE TRIGGER referrals_month_figures_update AFTER UPDATE ON referrals
        FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION referral_month_figures_follow()""",
]

# Every month row from the referrals as they are (the same definitions as the trigger).
FILL = """
INSERT INTO referral_month_figures (region_code, month, receiver_agency_id, received, accepted,
    within_deadline, completed, declines, outcomes, accept_micros)
SELECT region_code, m, receiver_agency_id, count(*), count(accepted_at),
       count(*) FILTER (WHERE accepted_at <= deadline_at),
       count(*) FILTER (WHERE status = 'completed'),
       coalesce((SELECT jsonb_object_agg(code, n) FROM (SELECT code, count(*) AS n
                 FROM unnest(array_agg(decline_reason) FILTER (WHERE status = 'declined'
                 AND decline_reason IS NOT NULL)) AS code GROUP BY code) d), '{}'::jsonb),
       coalesce((SELECT jsonb_object_agg(code, n) FROM (SELECT code, count(*) AS n
                 FROM unnest(array_agg(outcome) FILTER (WHERE status = 'completed'
                 AND outcome IS NOT NULL)) AS code GROUP BY code) o), '{}'::jsonb),
       coalesce(array_agg((extract(epoch FROM accepted_at - sent_at) * 1000000)::bigint)
                FILTER (WHERE accepted_at IS NOT NULL), '{}'::bigint[])
  FROM (SELECT r.*, date_trunc('month', r.sent_at AT TIME ZONE referral_figures_zone())::date
               AS m
          FROM referrals r WHERE NOT r.case_restricted AND r.sent_at IS NOT NULL) r
 GROUP BY region_code, m, receiver_agency_id"""


def zone_function(zone: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION referral_figures_zone() RETURNS text LANGUAGE sql "
            f"IMMUTABLE AS $$ SELECT '{zone}'::text $$")


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    codes = postgresql.JSONB() if postgres else sa.JSON()
    micros = postgresql.ARRAY(sa.BigInteger()) if postgres else sa.JSON()
    op.create_table(
        "referral_month_figures",
        sa.Column("region_code", sa.String(8), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("receiver_agency_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0"))
          for name in ("received", "accepted", "within_deadline", "completed")),
        sa.Column("declines", codes, nullable=False),
        sa.Column("outcomes", codes, nullable=False),
        sa.Column("accept_micros", micros, nullable=False),
        sa.PrimaryKeyConstraint("region_code", "month", "receiver_agency_id",
                                name="pk_referral_month_figures"),
    )
    if postgres:
        op.execute(zone_function(ZONE))
        op.execute(_ADD)
        op.execute(_FOLLOW)
        for statement in _TRIGGERS:
            op.execute(statement)
        op.execute(FILL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS referrals_month_figures ON referrals")
        op.execute("DROP TRIGGER IF EXISTS referrals_month_figures_update ON referrals")
        op.execute("DROP FUNCTION IF EXISTS referral_month_figures_follow()")
        op.execute("DROP FUNCTION IF EXISTS referral_month_figures_add(referrals, integer)")
        op.execute("DROP FUNCTION IF EXISTS referral_figures_zone()")
    op.drop_table("referral_month_figures")
