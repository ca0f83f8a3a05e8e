"""referrals opened, entered in error, reassignment as a new referral.

- ``referrals.received_at`` / ``received_by_id``: when a user of the receiving agency first
  opened the referral, and who (FHIR Task "received"). Back-filled from the audit trail (the
  first ``referral.view`` by a user of the receiving agency), else from the receiving agency's
  first recorded move on it (an answer implies it was read); unknown stays NULL ("unopened").
- ``entered_in_error``: a new status (FHIR entered-in-error), counted in no figure. The month
  figures' function (0019) is recreated so such a referral counts for nothing, with a new
  ``opened`` count; the update trigger also fires on the opening and on a move into or out of
  ``entered_in_error``. On PostgreSQL every month row is counted again at the end.
- The overdue review's covering indexes (0018) carry ``received_at``: the review tells
  "unopened" from "under review" from the indexes alone; so does the figures' index
  (``ix_referrals_region_sent``, PostgreSQL), which counts the openings.
- Reassignment: a coordinator's reassignment of a declined or expired referral now sends a
  new referral linked to it (``previous_referral_id``), the old one staying declined or expired.
  Before, the referral was reassigned in place: its row took the new agency and "sent", and the
  first agency's decline or expiry was lost from its figures. Decision for that history: such
  rows are SPLIT. For each ``reassign`` history row from ``declined`` or ``expired``, a row is
  inserted for the part before it: the earlier agency (from the ``referral.reassigned`` outbox
  event's ``previous_receiver_agency_id``, else the case timeline's line of the move before),
  the status it had (with the decline's reason and note from the history), closed at that move,
  sent when that part began; its deadline is the part's start plus the default answer time of
  the urgency (the exact one was overwritten; an expired part's deadline is at most its expiry).
  The part's history rows move to it, and it gets a ``reassign`` row; the reassignment row of
  the referral that goes on becomes ``reassigned_in`` (sent on reassignment); that referral
  keeps its id, reference, consent, later history and notifications, is linked to the
  inserted part and counts as sent at its reassignment. The consent record is copied onto each
  part (what the survivor agreed to, for the agency it named). Timeline lines, outbox events
  and audit rows stay as written (they describe what happened then). A reassignment whose
  earlier agency cannot be found (and any later one of that referral) is left as it is.
  Reassignments of unanswered ("sent") referrals stay in place, as the application still does
  them. Downgrading keeps the split rows (valid referrals of the old schema) and turns
  ``entered_in_error`` into ``cancelled`` (reason "other").

Revision ID: 0022
Revises: 0021
"""

import importlib.util
import json
import warnings
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_SHOWN = ["reference", "case_id", "receiver_agency_id", "sender_agency_id", "service_code",
          "urgency", "status", "deadline_at", "review_at", "accepted_at", "last_progress_at",
          "received_at", "case_restricted", "district_id"]
_ACTIVE = "status IN ('accepted', 'in_progress')"
_OVERDUE = "status IN ('expired', 'sent') AND NOT case_closed"
_STALLED_KEY = ["region_code", sa.text("coalesce(last_progress_at, accepted_at)"), "id"]
# The application's default answer times (referrals/service.py DEFAULT_DEADLINES).
_ANSWER_TIME = {"emergency": timedelta(hours=2), "urgent": timedelta(hours=24),
                "routine": timedelta(hours=72)}


def _revision_0019():
    """0019's statements, for the downgrade (one text of them, not a copy)."""
    path = Path(__file__).with_name("0019_referral_month_figures.py")
    spec = importlib.util.spec_from_file_location("_migration_0019", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# What one referral counts for, as the live statements count it (coordination/performance.py):
# 0019's, with referrals entered in error left out and the ``opened`` count.
_ADD = """
CREATE OR REPLACE FUNCTION referral_month_figures_add(r referrals, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  m date;
  micros bigint;
  reason text := CASE WHEN r.status = 'declined' THEN r.decline_reason END;
  result text := CASE WHEN r.status = 'completed' THEN r.outcome END;
  done integer := CASE WHEN r.status = 'completed' THEN 1 ELSE 0 END;
  kept integer := CASE WHEN r.accepted_at <= r.deadline_at THEN 1 ELSE 0 END;
  seen integer := CASE WHEN r.received_at IS NOT NULL THEN 1 ELSE 0 END;
BEGIN
  IF r.case_restricted OR r.sent_at IS NULL OR r.status = 'entered_in_error' THEN
    RETURN;
  END IF;
  m := date_trunc('month', r.sent_at AT TIME ZONE referral_figures_zone())::date;
  IF r.accepted_at IS NOT NULL THEN
    micros := (extract(epoch FROM r.accepted_at - r.sent_at) * 1000000)::bigint;
  END IF;
  IF sign > 0 THEN
    INSERT INTO referral_month_figures AS f (region_code, month, receiver_agency_id, received,
        accepted, within_deadline, completed, opened, declines, outcomes, accept_micros)
    VALUES (r.region_code, m, r.receiver_agency_id, 1, (micros IS NOT NULL)::integer, kept, done,
        seen,
        CASE WHEN reason IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(reason, 1) END,
        CASE WHEN result IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(result, 1) END,
        CASE WHEN micros IS NULL THEN '{}'::bigint[] ELSE ARRAY[micros] END)
    ON CONFLICT (region_code, month, receiver_agency_id) DO UPDATE SET
      received = f.received + 1,
      accepted = f.accepted + (micros IS NOT NULL)::integer,
      within_deadline = f.within_deadline + kept,
      completed = f.completed + done,
      opened = f.opened + seen,
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
      opened = f.opened - seen,
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

# Only changes that can change what a referral counts for (0019's, with the opening and a
# move into or out of entered-in-error).
_CHANGED = " OR ".join([
    *(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in (
        "region_code", "receiver_agency_id", "sent_at", "accepted_at", "deadline_at",
        "case_restricted", "decline_reason", "outcome", "received_at")),
    *(f"(OLD.status = '{s}') IS DISTINCT FROM (NEW.status = '{s}')"
      for s in ("completed", "declined", "entered_in_error")),
])
_UPDATE_TRIGGER = f"""CREATE TRIGGER referrals_month_figures_update AFTER UPDATE ON referrals
    FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION referral_month_figures_follow()"""

# Every month row from the referrals as they are (the same definitions as the function; also
# coordination/month_figures.py FILL, which the rebuild command runs).
FILL = """
INSERT INTO referral_month_figures (region_code, month, receiver_agency_id, received, accepted,
    within_deadline, completed, opened, declines, outcomes, accept_micros)
SELECT region_code, m, receiver_agency_id, count(*), count(accepted_at),
       count(*) FILTER (WHERE accepted_at <= deadline_at),
       count(*) FILTER (WHERE status = 'completed'),
       count(received_at),
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
          FROM referrals r WHERE NOT r.case_restricted AND r.sent_at IS NOT NULL
           AND r.status <> 'entered_in_error') r
 GROUP BY region_code, m, receiver_agency_id"""


def _indexes(shown: list[str]) -> None:
    """0018's two covering indexes, carrying ``shown``."""
    op.drop_index("ix_referrals_region_overdue", table_name="referrals")
    op.create_index("ix_referrals_region_overdue", "referrals",
                    ["region_code", "status", "deadline_at", "id"],
                    postgresql_include=[c for c in shown if c not in ("status", "deadline_at")],
                    postgresql_where=sa.text(_OVERDUE), sqlite_where=sa.text(_OVERDUE))
    op.drop_index("ix_referrals_region_stalled", table_name="referrals")
    op.create_index("ix_referrals_region_stalled", "referrals", _STALLED_KEY,
                    postgresql_include=shown, postgresql_where=sa.text(_ACTIVE),
                    sqlite_where=sa.text(_ACTIVE))


# ix_referrals_region_sent covers the coordinator figures' columns (0008, 0013, 0017): the
# opening too, or a region-year would be read from the table to count it (PostgreSQL only).
_FIGURES = ["case_id", "receiver_agency_id", "status", "accepted_at", "deadline_at",
            "decline_reason", "outcome", "received_at", "service_code", "district_id",
            "case_restricted"]


def _region_sent(columns: list[str]) -> None:
    op.drop_index("ix_referrals_region_sent", table_name="referrals")
    op.create_index("ix_referrals_region_sent", "referrals", ["region_code", "sent_at"],
                    postgresql_include=columns)


def _drop_figure_triggers() -> None:
    op.execute("DROP TRIGGER IF EXISTS referrals_month_figures ON referrals")
    op.execute("DROP TRIGGER IF EXISTS referrals_month_figures_update ON referrals")


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        _drop_figure_triggers()  # counted once, at the end
    # Plain ADD COLUMNs: SQLite adds a foreign key only by rebuilding the table, which would
    # drop the triggers on referrals (0011, 0015, 0017); so ``received_by_id`` has none (users
    # are deactivated, never deleted).
    op.add_column("referrals", sa.Column("received_at", sa.DateTime(timezone=True),
                                         nullable=True))
    op.add_column("referrals", sa.Column("received_by_id", sa.Integer(), nullable=True))
    op.add_column("referral_month_figures", sa.Column("opened", sa.Integer(), nullable=False,
                                                      server_default=sa.text("0")))
    _indexes(_SHOWN)
    _split_reassigned_in_place(op.get_bind())  # before the back-fill: it opens the parts
    _backfill_opened()
    if postgres:
        _region_sent(_FIGURES)
        op.execute(_ADD)
        op.execute("""CREATE TRIGGER referrals_month_figures AFTER INSERT OR DELETE ON referrals
            FOR EACH ROW EXECUTE FUNCTION referral_month_figures_follow()""")
        op.execute(_UPDATE_TRIGGER)
        op.execute("DELETE FROM referral_month_figures")
        op.execute(FILL)


# The first view by a user of the receiving agency (audit trail), else that agency's first
# recorded move on the referral; then who it was.
_OPENED = """UPDATE referrals SET received_at = coalesce(
    (SELECT min(a.created_at) FROM audit_events a
      WHERE a.object_type = 'referral' AND a.object_id = CAST(referrals.id AS VARCHAR)
        AND a.action = 'referral.view' AND a.actor_agency_id = referrals.receiver_agency_id
        AND a.created_at >= referrals.sent_at),
    (SELECT min(h.at) FROM referral_history h
      WHERE h.referral_id = referrals.id AND h.actor_agency_id = referrals.receiver_agency_id
        AND h.at >= referrals.sent_at))
  WHERE received_at IS NULL"""
_OPENED_BY = """UPDATE referrals SET received_by_id = coalesce(
    (SELECT a.actor_user_id FROM audit_events a
      WHERE a.object_type = 'referral' AND a.object_id = CAST(referrals.id AS VARCHAR)
        AND a.action = 'referral.view' AND a.actor_agency_id = referrals.receiver_agency_id
        AND a.created_at = referrals.received_at ORDER BY a.id LIMIT 1),
    (SELECT h.actor_user_id FROM referral_history h
      WHERE h.referral_id = referrals.id AND h.actor_agency_id = referrals.receiver_agency_id
        AND h.at = referrals.received_at ORDER BY h.id LIMIT 1))
  WHERE received_at IS NOT NULL AND received_by_id IS NULL"""


def _backfill_opened() -> None:
    op.execute(_OPENED)
    op.execute(_OPENED_BY)


# --- the split of referrals reassigned in place --------------------------------------------------


def _data(value) -> dict:
    """A JSON column as read by a plain statement (text on SQLite)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return value or {}


def _earlier_agency(conn, referral_id: int, at, ordinal: int) -> int | None:
    """The agency the referral was with before its ``ordinal``-th reassignment (0-based, over
    all its reassignments): the outbox event says it; else the timeline line before."""
    events = conn.execute(sa.text(
        "SELECT data FROM outbox_events WHERE kind = 'referral.reassigned' "
        "AND subject_type = 'referral' AND subject_id = :id ORDER BY id"),
        {"id": referral_id}).scalars().all()
    if ordinal < len(events):
        found = _data(events[ordinal]).get("previous_receiver_agency_id")
        if found:
            return int(found)
    lines = conn.execute(sa.text(
        "SELECT data FROM case_timeline WHERE object_type = 'referral' AND object_id = :id "
        "AND at < :at AND kind <> 'referral.reassign' ORDER BY at DESC, id DESC"),
        {"id": referral_id, "at": at}).scalars().all()
    for data in lines:
        found = _data(data).get("receiver_agency_id")
        if found:
            return int(found)
    return None


def _split_reassigned_in_place(conn) -> None:
    # Reflected tables: typed reads and writes (datetimes, JSON) on SQLite as on PostgreSQL.
    meta = sa.MetaData()
    with warnings.catch_warnings():  # the expression indexes are not reflected: not needed
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        tables = {name: sa.Table(name, meta, autoload_with=conn)
                  for name in ("referrals", "referral_history", "referral_consents",
                               "audit_events")}
    history = tables["referral_history"]
    ids = conn.execute(sa.select(history.c.referral_id).distinct().where(
        history.c.action == "reassign", history.c.from_status.in_(("declined", "expired")))
        .order_by(history.c.referral_id)).scalars().all()
    for referral_id in ids:
        _split_one(conn, tables, referral_id)


def _split_one(conn, tables, referral_id: int) -> None:
    referrals, history = tables["referrals"], tables["referral_history"]
    consents = tables["referral_consents"]
    referral = conn.execute(sa.select(referrals).where(referrals.c.id == referral_id)
                            ).mappings().one()
    rows = conn.execute(sa.select(history).where(history.c.referral_id == referral_id)
                        .order_by(history.c.at, history.c.id)).mappings().all()
    consent = conn.execute(sa.select(consents).where(consents.c.referral_id == referral_id)
                           ).mappings().one_or_none()
    reassigns = [h["id"] for h in rows if h["action"] == "reassign"]
    part_start = referral["sent_at"]
    previous = referral["previous_referral_id"]
    segment: list = []
    for row in rows:
        if not (row["action"] == "reassign" and row["from_status"] in ("declined", "expired")):
            segment.append(row)
            continue
        agency = _earlier_agency(conn, referral_id, row["at"], reassigns.index(row["id"]))
        if agency is None:
            break  # this reassignment and later ones left as they are (see the docstring)
        previous = _insert_part(conn, tables, referral, row, segment, part_start, previous,
                                agency, consent)
        conn.execute(sa.update(history).where(history.c.id == row["id"]).values(
            action="reassigned_in", from_status=None, to_status="sent"))
        part_start, segment = row["at"], []
    conn.execute(sa.update(referrals).where(referrals.c.id == referral_id).values(
        previous_referral_id=previous, sent_at=part_start))


def _insert_part(conn, tables, referral, split, segment, start, previous, agency,
                 consent) -> int:
    """A row for the part before ``split`` (a reassignment from declined or expired)."""
    referrals, history = tables["referrals"], tables["referral_history"]
    status = split["from_status"]
    ended = [h for h in segment if h["to_status"] == status]
    closing = ended[-1] if ended else split
    declined = closing if status == "declined" and ended else None
    values = {name: referral[name] for name in (
        "case_id", "region_code", "district_id", "case_closed", "case_restricted",
        "sender_agency_id", "sender_user_id", "service_code", "subject",
        "subject_participant_id", "urgency", "risk_level", "reason", "need_to_know")}
    deadline = start + _ANSWER_TIME.get(referral["urgency"], _ANSWER_TIME["routine"])
    if status == "expired":
        deadline = min(deadline, closing["at"])
    values.update(
        idempotency_key=f"split-{referral['id']}-{split['id']}", receiver_agency_id=agency,
        status=status, sent_at=start, deadline_at=deadline, closed_at=closing["at"],
        decline_reason=declined["reason_code"] if declined else None,
        decline_text=declined["note"] if declined else "", status_text="", outcome_text="",
        holds_place=False, overflow_reason="", sessions_attended=0, sessions_missed=0,
        previous_referral_id=previous, version=1)
    audit = tables["audit_events"]
    opened = conn.execute(
        sa.select(audit.c.created_at, audit.c.actor_user_id)
        .where(audit.c.object_type == "referral", audit.c.object_id == str(referral["id"]),
               audit.c.action == "referral.view", audit.c.actor_agency_id == agency,
               audit.c.created_at >= start, audit.c.created_at < split["at"])
        .order_by(audit.c.created_at, audit.c.id).limit(1)).first()
    if opened is not None:  # else the part's moved history may tell (_backfill_opened)
        values.update(received_at=opened[0], received_by_id=opened[1])
    part = conn.execute(sa.insert(referrals).values(**values).returning(referrals.c.id)
                        ).scalar_one()
    conn.execute(sa.update(referrals).where(referrals.c.id == part).values(
        reference=f"R-{start.year}-{part:06d}"))
    if segment:
        conn.execute(sa.update(history).where(history.c.id.in_([h["id"] for h in segment]))
                     .values(referral_id=part))
    conn.execute(sa.insert(history).values(
        referral_id=part, case_id=split["case_id"], action="reassign", from_status=status,
        to_status=status, reason_code=None, note=split["note"],
        actor_user_id=split["actor_user_id"], actor_agency_id=split["actor_agency_id"],
        at=split["at"]))
    if consent is not None:
        copied = {k: v for k, v in consent.items() if k != "id"}
        copied["referral_id"] = part
        conn.execute(sa.insert(tables["referral_consents"]).values(**copied))
    return part


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    old = _revision_0019()
    if postgres:
        _drop_figure_triggers()
    op.execute("UPDATE referral_history SET to_status = 'cancelled' "
               "WHERE to_status = 'entered_in_error'")
    op.execute("UPDATE referral_history SET action = 'cancel', reason_code = 'other' "
               "WHERE action = 'enter_in_error'")
    op.execute("UPDATE referrals SET status = 'cancelled', status_reason = 'other' "
               "WHERE status = 'entered_in_error'")
    _indexes([c for c in _SHOWN if c != "received_at"])
    if postgres:
        _region_sent([c for c in _FIGURES if c != "received_at"])
    op.drop_column("referral_month_figures", "opened")
    op.drop_column("referrals", "received_by_id")
    op.drop_column("referrals", "received_at")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS referral_month_figures_add(referrals, integer)")
        op.execute(old._ADD)
        for statement in old._TRIGGERS:
            op.execute(statement)
        op.execute("DELETE FROM referral_month_figures")
        op.execute(old.FILL)
