"""Reminders, expiry, escalation and the daily digest, swept every minute from database rows.

Each is sent at most once for its threshold: a ReminderLog row with a unique key
(subject_type, subject_id, kind, threshold) is claimed (INSERT … ON CONFLICT DO NOTHING) in the
same transaction as the outbox event, so a second sweep, a redelivered task or a duplicated
beat finds the row and stops. Everything due is handled in batches (``once_many``).
Thresholds carry the date they were computed from (a deadline, the last progress), so an
extended deadline or new progress starts a fresh set of reminders.
"""

from __future__ import annotations

import importlib
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from referral.access.idlist import in_values
from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.accounts.models import User
from referral.accounts.service import actor_for
from referral.cases.models import Case, CaseStatus, RiskLevel
from referral.events.service import EventSpec
from referral.extensions import db
from referral.notifications.config import setting
from referral.notifications.rules import (  # noqa: F401 - the sweep's helpers, re-exported
    Reminder,
    epoch_seconds,
    logged_already,
    not_logged,
    once_many,
    registered_rules,
    stamp,
    stamp_sql,
)

PENDING = "reminder.referral_pending"
NO_PROGRESS = "reminder.referral_no_progress"
MEASURE_ENDING = "reminder.protective_measure_ending"
HIGH_RISK = "escalation.high_risk_unaccepted"
DIGEST = "digest.daily"


def _optional(module: str) -> object | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


# --- referrals -----------------------------------------------------------------------------------


def _referral_reminder(kind: str, referral: Any, logged_as: str, **extra: int | str) -> Reminder:
    return Reminder("referral", referral.id, kind, logged_as, EventSpec(
        kind, "referral", referral.id,
        {"case_id": referral.case_id, "sender_agency_id": referral.sender_agency_id,
         "receiver_agency_id": referral.receiver_agency_id, **extra}))


def remind_pending_referrals(*, now: datetime) -> int:
    """50% and 80% of the answer window gone → the receiving agency (highest threshold only)."""
    models = _optional("referral.referrals.models")
    if models is None:
        return 0
    referral_cls = models.Referral
    history = models.ReferralHistory
    due: list[Reminder] = []
    # Only referrals past the lowest threshold of their original window: a later window start
    # (reassigned, extended) only moves a threshold later, so this never leaves out one that
    # is due. The columns the reminder needs, not whole rows: this runs every minute.
    low = min(setting("NOTIFY_PENDING_THRESHOLDS")) / 100
    pending = db.session.execute(select(
        referral_cls.id, referral_cls.case_id, referral_cls.sender_agency_id,
        referral_cls.receiver_agency_id, referral_cls.sent_at, referral_cls.deadline_at,
    ).where(referral_cls.status == "sent", referral_cls.deadline_at > now,
            epoch_seconds(referral_cls.sent_at) * (1 - low)
            + epoch_seconds(referral_cls.deadline_at) * low
            <= now.timestamp() + 1)).all()
    ids = [r.id for r in pending]
    # The window starts (as _window_start) and the reminders already sent, for all at once.
    restarts: dict[int, datetime] = {}
    for start_at in range(0, len(ids), 1000):
        restarts.update(db.session.execute(
            select(history.referral_id, func.max(history.at)).where(
                in_values(history.referral_id, ids[start_at:start_at + 1000]),
                history.action.in_(("reassign", "extend_deadline")))
            .group_by(history.referral_id)).all())
    done = logged_already("referral", PENDING, ids)
    for referral in pending:
        restarted = restarts.get(referral.id)
        start = max(referral.sent_at, restarted) if restarted else referral.sent_at
        window = referral.deadline_at - start
        crossed = [pct for pct in sorted(setting("NOTIFY_PENDING_THRESHOLDS"))
                   if now >= start + window * (pct / 100)]
        if not crossed:
            continue
        top = crossed[-1]
        threshold = f"{top}%@{stamp(referral.deadline_at)}"
        if (referral.id, threshold) not in done:
            due.append(_referral_reminder(PENDING, referral, threshold, threshold=top))
    return once_many(due)


def expire_overdue(*, now: datetime) -> int:
    """Past the deadline: the referrals domain expires them and tells sender and coordinators."""
    service = _optional("referral.referrals.service")
    if service is None or not hasattr(service, "expire_overdue_referrals"):
        return 0
    return len(service.expire_overdue_referrals(now=now))


def remind_stalled_referrals(*, now: datetime) -> int:
    """Accepted or in progress with no progress recorded for N days → the assignee."""
    models = _optional("referral.referrals.models")
    if models is None:
        return 0
    referral_cls = models.Referral
    cutoff = now - timedelta(days=setting("NOTIFY_NO_PROGRESS_DAYS"))
    last = func.coalesce(referral_cls.last_progress_at, referral_cls.accepted_at)
    # The ids from the covering index first, then the few rows not yet reminded: the backlog of
    # stalled referrals (thousands, all reminded before) is never read row by row.
    new_ids = select(referral_cls.id).where(
        referral_cls.status.in_(("accepted", "in_progress")), last <= cutoff,
        not_logged("referral", referral_cls.id, NO_PROGRESS, stamp_sql(last)))
    stalled = db.session.execute(
        select(referral_cls).where(referral_cls.id.in_(new_ids))).scalars().all()
    return once_many([
        _referral_reminder(NO_PROGRESS, referral,
                           stamp(referral.last_progress_at or referral.accepted_at))
        for referral in stalled])


# --- cases ---------------------------------------------------------------------------------------


def escalate_high_risk_cases(*, now: datetime) -> int:
    """A high-risk case with no accepted referral after the configured hours → coordinators."""
    cutoff = now - timedelta(hours=setting("NOTIFY_HIGH_RISK_UNACCEPTED_HOURS"))
    # "Taken up" is the case's own flag, kept by triggers on referrals (migration 0015): the
    # partial index holds only the cases nobody took up, so the sweep no longer probes the
    # referrals of every open high-risk case of the nation each minute (docs/performance.md).
    query = select(Case.id, Case.high_risk_flagged_at).where(
        Case.risk_level == RiskLevel.HIGH, Case.status != CaseStatus.CLOSED,
        ~Case.referral_accepted,
        Case.high_risk_flagged_at.is_not(None), Case.high_risk_flagged_at <= cutoff,
        not_logged("case", Case.id, HIGH_RISK, stamp_sql(Case.high_risk_flagged_at)))
    return once_many([
        Reminder("case", case_id, HIGH_RISK, stamp(flagged_at),
                 EventSpec(HIGH_RISK, "case", case_id, {"case_id": case_id}))
        for case_id, flagged_at in db.session.execute(query).all()])


def _local_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(setting("NOTIFY_DIGEST_TIMEZONE"))).date()


def remind_measures_ending(*, now: datetime) -> int:
    """A protective order or special requirement ending in 3 days and in 1 day → lead agency."""
    from referral.notifications import measures

    today = _local_today(now)
    days_before = sorted(setting("NOTIFY_MEASURE_ENDING_DAYS"))
    due: list[Reminder] = []
    ending = measures.ending_within(today, days_before[-1])
    done = logged_already("protective_measure", MEASURE_ENDING, [m.id for m in ending])
    for measure in ending:
        left = (measure.ends_on - today).days
        days = next(d for d in days_before if left <= d)
        threshold = f"{days}d@{measure.ends_on.isoformat()}"
        if (measure.id, threshold) not in done:
            due.append(Reminder("protective_measure", measure.id, MEASURE_ENDING, threshold,
                                EventSpec(MEASURE_ENDING, "case", measure.case_id, {
                                    "case_id": measure.case_id, "measure_id": measure.id,
                                    "days": days})))
    return once_many(due)


# --- the daily digest ----------------------------------------------------------------------------


def _digest_counts(coordinator: User, now: datetime) -> tuple[int, int]:
    """Counted as the coordinator sees them: their regions, never a sealed case they may not see."""
    models = _optional("referral.referrals.models")
    with acting_as(actor_for(coordinator)):
        overdue = 0
        if models is not None:
            referral_cls = models.Referral
            overdue = db.session.execute(select(func.count()).select_from(referral_cls).where(
                (referral_cls.status == "expired")
                | ((referral_cls.status == "sent") & (referral_cls.deadline_at <= now))
            )).scalar_one()
        attention = db.session.execute(select(func.count()).select_from(Case).where(
            Case.risk_level == RiskLevel.HIGH, Case.status != CaseStatus.CLOSED,
            ~Case.referral_accepted)).scalar_one()
    return overdue, attention


def send_daily_digests(*, now: datetime) -> int:
    """From 08:00 local time, once per local day, to each active coordinator."""
    local = now.astimezone(ZoneInfo(setting("NOTIFY_DIGEST_TIMEZONE")))  # Asia/Almaty
    if local.hour < setting("NOTIFY_DIGEST_HOUR"):
        return 0
    day = local.date().isoformat()
    coordinators = db.session.execute(select(User).where(
        User.role == Role.COORDINATOR, User.is_active_account.is_(True))).scalars().all()
    done = logged_already("user", DIGEST, [u.id for u in coordinators])
    due: list[Reminder] = []
    for user in coordinators:
        if (user.id, day) in done:
            continue  # today's digest went out: no need to count again every minute
        overdue, attention = _digest_counts(user, now)
        due.append(Reminder("user", user.id, DIGEST, day, EventSpec(
            DIGEST, "user", user.id, {"user_id": user.id, "reference": day,
                                      "overdue": overdue, "attention": attention})))
    return once_many(due)


def run_all(*, now: datetime) -> dict[str, int]:
    """One sweep: every rule, as the system (the rules below, then those domains registered)."""
    from referral.domains import domain_modules

    domain_modules("notify")  # each domain's notify.py registers its rules on import
    with acting_as(system_actor("reminder sweep")):
        counts = {
            "pending": remind_pending_referrals(now=now),
            "expired": expire_overdue(now=now),
            "stalled": remind_stalled_referrals(now=now),
            "measures": remind_measures_ending(now=now),
            "high_risk": escalate_high_risk_cases(now=now),
            "digests": send_daily_digests(now=now),
            "conference_actions": _sweep_conference_actions(now=now),
        }
        for name, rule in registered_rules():
            counts[name] = rule(now=now)
        return counts


def _sweep_conference_actions(*, now: datetime) -> int:
    """Case-conference actions due soon or overdue (the coordination domain owns the rule)."""
    from referral.coordination.actions import sweep_action_reminders

    result = sweep_action_reminders(now=now)
    return result if isinstance(result, int) else len(result or ())
