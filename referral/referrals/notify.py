"""A referral's answer window and who hears about it: the reminders, the expiry, and every
referral event's audience.

- Who is told: each ``referral.*`` kind below names its audiences (``receiver_agency``, the
  ``sender_user``, ``region_coordinators`` …; see referral.notifications.kinds).
- When: the minute sweep (referral.notifications.reminders.run_all) runs the rules registered
  here: reminders at 50% and 80% (by default) of the answer window
  (``remind_pending_referrals``), expiry at the deadline (``expire_overdue_referrals``), no
  progress for days (``remind_stalled_referrals``) and high-risk cases nobody took up
  (``escalate_high_risk_cases``).
- The answer window is the one the service set: ``deadline_at`` from the last move that started
  it: sending, or a reassignment or extension since (``WINDOW_RESTARTS``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from referral.access.idlist import in_values
from referral.access.scope import acting_as, system_actor
from referral.cases.models import Case, CaseStatus, RiskLevel
from referral.events.service import EventSpec
from referral.extensions import db
from referral.notifications.config import setting
from referral.notifications.digest import register_digest_count
from referral.notifications.kinds import register_kind
from referral.notifications.recipients import (
    Subject,
    register_subject_batch_loader,
    register_subject_loader,
)
from referral.notifications.rules import (
    Reminder,
    epoch_seconds,
    logged_already,
    not_logged,
    once_many,
    register_rule,
    stamp,
    stamp_sql,
)
from referral.referrals.lifecycle import WINDOW_RESTARTS, Action, Status
from referral.referrals.models import Referral, ReferralHistory
from referral.referrals.recording import Move, record_moves

PENDING = "reminder.referral_pending"
NO_PROGRESS = "reminder.referral_no_progress"
HIGH_RISK = "escalation.high_risk_unaccepted"
EXPIRY_BATCH = 500

# --- who is told ----------------------------------------------------------------------------------
register_kind("referral.sent", _l("New referral %(reference)s"),
              _l("A new referral was sent to your agency and waits for an answer."),
              ("receiver_agency",), mailbox=True)
register_kind("referral.accepted", _l("Referral %(reference)s accepted"),
              _l("The receiving agency accepted your referral."), ("sender_user",))
register_kind("referral.declined", _l("Referral %(reference)s declined"),
              _l("The receiving agency declined your referral. Please choose another service."),
              ("sender_user",))
register_kind("referral.cancelled", _l("Referral %(reference)s cancelled"),
              _l("The sending agency cancelled this referral."), ("receiver_agency",))
register_kind("referral.expired", _l("Referral %(reference)s expired without an answer"),
              _l("The referral was not accepted before its deadline and has expired."),
              ("sender_user", "region_coordinators"))
register_kind("referral.in_progress", _l("Referral %(reference)s in progress"),
              _l("The receiving agency started work on the referral."), ("sender_user",),
              email=False)
register_kind("referral.on_hold", _l("Referral %(reference)s on hold"),
              _l("The receiving agency put the referral on hold."), ("sender_user",))
register_kind("referral.completed", _l("Referral %(reference)s completed"),
              _l("The receiving agency completed the referral."), ("sender_user",))
register_kind("referral.failed", _l("Referral %(reference)s could not be completed"),
              _l("The receiving agency reports that the referral could not be completed."),
              ("sender_user", "region_coordinators"))
register_kind("referral.entered_in_error", _l("Referral %(reference)s was sent by mistake"),
              _l("The sending agency says this referral was sent by mistake; no answer is "
                 "needed."), ("receiver_agency",))
register_kind("referral.reassigned", _l("Referral %(reference)s redirected to your agency"),
              _l("A coordinator redirected a referral to your agency; it waits for an answer."),
              ("receiver_agency", "sender_user"), mailbox=True)
register_kind("referral.deadline_extended", _l("Deadline of referral %(reference)s extended"),
              _l("The deadline for answering this referral was extended."),
              ("receiver_agency",), email=False)
register_kind("referral.escalated", _l("Referral %(reference)s escalated"),
              _l("A referral was escalated by the coordinator and needs the manager's attention."),
              ("receiver_agency_managers", "region_coordinators"))
register_kind("referral.consent_recorded", _l("Consent recorded for referral %(reference)s"),
              _l("The survivor consented to share information with your agency for this "
                 "referral."), ("receiver_agency",), email=False)
register_kind("referral.consent_withdrawn", _l("Consent withdrawn for referral %(reference)s"),
              _l("The survivor withdrew consent to share information for this referral."),
              ("receiver_agency",), mailbox=True)
# Progress notes (progress.py): in the app only; the note is read on the page.
register_kind("referral.progress_note", _l("New progress note on referral %(reference)s"),
              _l("The receiving agency added a progress note to your referral."),
              ("sender_agency",), email=False)
register_kind("referral.sender_note", _l("New note from the sending agency on referral "
                                         "%(reference)s"),
              _l("The sending agency added a note to a referral your agency works on."),
              ("assignee",), email=False)
register_kind(PENDING, _l("Reminder: referral %(reference)s awaits an answer"),
              _l("A referral to your agency is still waiting for an answer; its deadline is "
                 "approaching."), ("receiver_agency",), mailbox=True)
register_kind(NO_PROGRESS, _l("Reminder: no progress recorded on referral %(reference)s"),
              _l("No progress has been recorded on a referral assigned to you for several days."),
              ("assignee",))
register_kind(HIGH_RISK, _l("High-risk case %(reference)s has no accepted referral"),
              _l("A high-risk case still has no accepted referral."), ("region_coordinators",))

# --- what an event's subject is -------------------------------------------------------------------
_SUBJECT_FIELDS = ("case_id", "sender_agency_id", "sender_user_id", "receiver_agency_id",
                   "assignee_user_id", "status")
_CHUNK = 1000


def _subject(row: Referral) -> Subject:
    fields = {name: getattr(row, name) for name in _SUBJECT_FIELDS}
    return Subject(reference=row.reference or f"R-{row.id}", case_id=row.case_id, fields=fields)


@register_subject_batch_loader("referral")
def load_referral_subjects(ids: list[int]) -> dict[int, Subject]:
    """The referrals' ids and reference, a query per thousand (run as the system)."""
    found: dict[int, Subject] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in db.session.execute(
                select(Referral).where(in_values(Referral.id, ids[start:start + _CHUNK]))
        ).scalars():
            found[row.id] = _subject(row)
    return found


@register_subject_loader("referral")
def load_referral_subject(referral_id: int) -> Subject | None:
    return load_referral_subjects([referral_id]).get(referral_id)


# --- reminders within the answer window -----------------------------------------------------------


def _referral_reminder(kind: str, referral: Referral, logged_as: str,
                       **extra: int | str) -> Reminder:
    return Reminder("referral", referral.id, kind, logged_as, EventSpec(
        kind, "referral", referral.id,
        {"case_id": referral.case_id, "sender_agency_id": referral.sender_agency_id,
         "receiver_agency_id": referral.receiver_agency_id, **extra}))


def _window_starts(ids: list[int]) -> dict[int, datetime]:
    """When the last reassignment or extension restarted each referral's window, if one did."""
    restarts: dict[int, datetime] = {}
    for start in range(0, len(ids), _CHUNK):
        restarts.update(db.session.execute(
            select(ReferralHistory.referral_id, func.max(ReferralHistory.at)).where(
                in_values(ReferralHistory.referral_id, ids[start:start + _CHUNK]),
                ReferralHistory.action.in_([a.value for a in WINDOW_RESTARTS]))
            .group_by(ReferralHistory.referral_id)).all())
    return restarts


@register_rule("pending", order=10)
def remind_pending_referrals(*, now: datetime) -> int:
    """50% and 80% of the answer window gone → the receiving agency (highest threshold only)."""
    # Only referrals past the lowest threshold of their original window: a later window start
    # (reassigned, extended) only moves a threshold later, so this never leaves out one that
    # is due. The columns the reminder needs, not whole rows: this runs every minute.
    thresholds = sorted(setting("NOTIFY_PENDING_THRESHOLDS"))
    low = thresholds[0] / 100
    pending = db.session.execute(select(
        Referral.id, Referral.case_id, Referral.sender_agency_id, Referral.receiver_agency_id,
        Referral.sent_at, Referral.deadline_at,
    ).where(Referral.status == Status.SENT, Referral.deadline_at > now,
            epoch_seconds(Referral.sent_at) * (1 - low)
            + epoch_seconds(Referral.deadline_at) * low
            <= now.timestamp() + 1)).all()
    ids = [r.id for r in pending]
    restarts = _window_starts(ids)
    done = logged_already("referral", PENDING, ids)
    due: list[Reminder] = []
    for referral in pending:
        restarted = restarts.get(referral.id)
        start = max(referral.sent_at, restarted) if restarted else referral.sent_at
        window = referral.deadline_at - start
        crossed = [pct for pct in thresholds if now >= start + window * (pct / 100)]
        if not crossed:
            continue
        threshold = f"{crossed[-1]}%@{stamp(referral.deadline_at)}"
        if (referral.id, threshold) not in done:
            due.append(_referral_reminder(PENDING, referral, threshold, threshold=crossed[-1]))
    return once_many(due)


# --- the deadline ---------------------------------------------------------------------------------


@register_rule("expired", order=20)
def expire_overdue(*, now: datetime) -> int:
    return len(expire_overdue_referrals(now=now))


def expire_overdue_referrals(*, now: datetime) -> list[int]:
    """Mark unanswered referrals past their deadline expired; returns their ids. The sender and
    the region's coordinators are told (kind ``referral.expired`` above).

    Runs in the system scope. Each batch is claimed by one conditional UPDATE … RETURNING (a
    row another sweep took first is simply not returned, so no referral is expired or
    announced twice) and recorded with one flush per kind of row.
    """
    actor = system_actor("referral deadline sweep")
    expired: list[int] = []
    with acting_as(actor):
        due = db.session.execute(
            select(Referral.id).where(Referral.status == Status.SENT, Referral.deadline_at <= now)
            .order_by(Referral.deadline_at)
        ).scalars().all()
        for start in range(0, len(due), EXPIRY_BATCH):
            chunk = due[start:start + EXPIRY_BATCH]
            # The claimed rows come back whole (ORM-enabled UPDATE … RETURNING), ready for
            # the records and the fan-out: no second read.
            loaded = {r.id: r for r in db.session.execute(
                update(Referral)
                .where(in_values(Referral.id, chunk), Referral.status == Status.SENT,
                       Referral.deadline_at <= now)
                .values(status=Status.EXPIRED, closed_at=now, version=Referral.version + 1)
                .returning(Referral)
                .execution_options(synchronize_session=False, populate_existing=True)
            ).scalars()}
            if not loaded:
                continue
            ordered = [i for i in chunk if i in loaded]
            record_moves(actor, [Move(loaded[i], Action.EXPIRE.value, Status.SENT,
                                      Status.EXPIRED, "expired") for i in ordered], now=now)
            expired.extend(ordered)
    return expired


# --- after acceptance -----------------------------------------------------------------------------


@register_rule("stalled", order=30)
def remind_stalled_referrals(*, now: datetime) -> int:
    """Accepted or in progress with no progress recorded for N days → the assignee."""
    cutoff = now - timedelta(days=setting("NOTIFY_NO_PROGRESS_DAYS"))
    last = func.coalesce(Referral.last_progress_at, Referral.accepted_at)
    # The ids from the covering index first, then the few rows not yet reminded: the backlog of
    # stalled referrals (thousands, all reminded before) is never read row by row.
    new_ids = select(Referral.id).where(
        Referral.status.in_((Status.ACCEPTED, Status.IN_PROGRESS)), last <= cutoff,
        not_logged("referral", Referral.id, NO_PROGRESS, stamp_sql(last)))
    stalled = db.session.execute(
        select(Referral).where(Referral.id.in_(new_ids))).scalars().all()
    return once_many([
        _referral_reminder(NO_PROGRESS, referral,
                           stamp(referral.last_progress_at or referral.accepted_at))
        for referral in stalled])


# --- cases nobody took up -------------------------------------------------------------------------


def _untaken_high_risk() -> list:
    """High-risk open cases with no accepted referral. "Taken up" is the case's own flag, kept
    by triggers on referrals, so its partial index holds only the cases nobody took up."""
    return [Case.risk_level == RiskLevel.HIGH, Case.status != CaseStatus.CLOSED,
            ~Case.referral_accepted]


@register_rule("high_risk", order=50)
def escalate_high_risk_cases(*, now: datetime) -> int:
    """A high-risk case with no accepted referral after the configured hours → coordinators."""
    cutoff = now - timedelta(hours=setting("NOTIFY_HIGH_RISK_UNACCEPTED_HOURS"))
    query = select(Case.id, Case.high_risk_flagged_at).where(
        *_untaken_high_risk(),
        Case.high_risk_flagged_at.is_not(None), Case.high_risk_flagged_at <= cutoff,
        not_logged("case", Case.id, HIGH_RISK, stamp_sql(Case.high_risk_flagged_at)))
    return once_many([
        Reminder("case", case_id, HIGH_RISK, stamp(flagged_at),
                 EventSpec(HIGH_RISK, "case", case_id, {"case_id": case_id}))
        for case_id, flagged_at in db.session.execute(query).all()])


# --- the coordinators' daily digest (counted as the coordinator sees them) -----------------------


@register_digest_count("overdue")
def count_overdue(*, now: datetime) -> int:
    return db.session.execute(select(func.count()).select_from(Referral).where(
        (Referral.status == Status.EXPIRED)
        | ((Referral.status == Status.SENT) & (Referral.deadline_at <= now))
    )).scalar_one()


@register_digest_count("attention")
def count_untaken_high_risk(*, now: datetime) -> int:
    return db.session.execute(
        select(func.count()).select_from(Case).where(*_untaken_high_risk())).scalar_one()
