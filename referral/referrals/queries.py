"""Authorized reads of referrals: one referral, inbox, outbox, a region's list, a case's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased, joinedload

from referral.access import scoped
from referral.access.permissions import Permission, role_can
from referral.access.scope import Actor
from referral.audit import service as audit
from referral.cases.hooks import register_case_page_part
from referral.errors import NotVisible
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals.lifecycle import OPEN_STATES, Status
from referral.referrals.models import Referral, ReferralConsent, ReferralHistory
from referral.referrals.recording import Move, record_moves


def load_referral(referral_id: int, *, fresh: bool = True) -> Referral:
    """The referral if the current actor's scope lets them see it, else NotVisible (no audit).

    Read from the database each time (populate_existing): a move another transaction made, or
    one this transaction rolled back to a savepoint, must not be hidden by the identity map.
    """
    query = select(Referral).where(Referral.id == referral_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    referral = db.session.execute(query).scalar_one_or_none()
    if referral is None:
        raise NotVisible("referral", referral_id)
    return referral


@scoped
def get_referral_for(actor: Actor, referral_id: int, *, now: datetime | None = None) -> Referral:
    """A referral the actor may see; the read is audited. Missing and forbidden both 404.

    The first read by a user of the receiving agency marks it opened (``note_opened``), in the
    same transaction as the read's audit row: the view's one write path, retried and committed
    as the audit row is. The referral's row is taken before the audit chain's head, in the
    order every referral move takes them (the other order could deadlock with a move).
    """
    referral = load_referral(referral_id)
    if referral.received_at is None:
        referral = note_opened(actor, referral, now=now or utcnow())
    audit.record("referral.view", object_type="referral", object_id=referral.id,
                 details={"case_id": referral.case_id})
    return referral


def note_opened(actor: Actor, referral: Referral, *, now: datetime) -> Referral:
    """Record that the receiving agency opened ``referral`` (FHIR Task "received"), once.

    Only a user of the receiving agency opens it: not the sender, not a coordinator, not a
    job. A conditional UPDATE (``received_at IS NULL``) keeps the first opening when two
    users open it at once; the history and the case timeline show it, the sender sees it.
    """
    if (actor.is_system or actor.agency_id is None
            or actor.agency_id != referral.receiver_agency_id):
        return referral
    opened = db.session.execute(
        update(Referral).where(Referral.id == referral.id, Referral.received_at.is_(None),
                               Referral.receiver_agency_id == actor.agency_id)
        .values(received_at=now, received_by_id=actor.user_id, version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    referral = load_referral(referral.id, fresh=True)
    if opened == 1:
        record_moves(actor, [Move(referral, "open", referral.status, referral.status,
                                  "opened")], now=now)
    return referral


@scoped
def get_consent_for(actor: Actor, referral_id: int) -> ReferralConsent | None:
    return db.session.execute(
        select(ReferralConsent).where(ReferralConsent.referral_id == referral_id)
    ).scalar_one_or_none()


def _audit_list(name: str, count: int) -> None:
    audit.record("referral.list", object_type="referral", details={"list": name, "count": count})


@scoped
def list_inbox_for(actor: Actor, *, limit: int = 200) -> list[Referral]:
    """Open referrals to the actor's agency: new ones first, the nearest deadline first."""
    if not role_can(actor.role, Permission.REFERRAL_RESPOND) or actor.agency_id is None:
        return []
    rows = db.session.execute(
        select(Referral).options(joinedload(Referral.sender_agency))
        .where(Referral.receiver_agency_id == actor.agency_id,
               Referral.status.in_(sorted(OPEN_STATES)))
        .order_by(sql_case((Referral.status == Status.SENT, 0), else_=1),
                  Referral.deadline_at, Referral.id)
        .limit(limit)
    ).scalars().all()
    _audit_list("inbox", len(rows))
    return list(rows)


OUTBOX_PAGE = 50


@dataclass(frozen=True)
class OutboxPage:
    referrals: list[Referral]
    older: int | None  # the cursor for the next page: the last referral shown, if more follow


@scoped
def list_outbox_for(actor: Actor, *, status: str | None = None, before: int | None = None,
                    limit: int = OUTBOX_PAGE) -> OutboxPage:
    """What the actor's agency sent, newest first, a page at a time.

    Keyset pages (``before`` is the last referral of the previous page): a police unit sends
    thousands over the years, and an offset would re-read them all for each page.
    """
    if not role_can(actor.role, Permission.REFERRAL_SEND) or actor.agency_id is None:
        return OutboxPage([], None)
    query = (select(Referral).options(joinedload(Referral.receiver_agency))
             .where(Referral.sender_agency_id == actor.agency_id)
             .order_by(Referral.sent_at.desc(), Referral.id.desc()).limit(limit + 1))
    if status:
        query = query.where(Referral.status == status)
    if before is not None:
        # A cursor the actor cannot see (or a made-up one) gives NULL here: an empty page.
        cursor_sent = select(Referral.sent_at).where(Referral.id == before).scalar_subquery()
        query = query.where(or_(Referral.sent_at < cursor_sent,
                                and_(Referral.sent_at == cursor_sent, Referral.id < before)))
    rows = list(db.session.execute(query).scalars().all())
    more = len(rows) > limit
    rows = rows[:limit]
    _audit_list("outbox", len(rows))
    return OutboxPage(rows, rows[-1].id if more and rows else None)


def needing_attention() -> ColumnElement[bool]:
    """Unanswered, or expired while the case is still open (an expired referral of a case closed
    since needs no one's attention, nor one already replaced: reassigned as a new referral or
    referred elsewhere, ix_referrals_previous)."""
    later = aliased(Referral)
    return or_(Referral.status == Status.SENT,
               and_(Referral.status == Status.EXPIRED, ~Referral.case_closed,
                    ~exists().where(later.previous_referral_id == Referral.id)))


@scoped
def list_region_referrals_for(actor: Actor, *, limit: int = 200) -> list[Referral]:
    """For coordinators: referrals of their regions needing attention (unanswered, expired,
    escalated), nearest deadline first."""
    if not role_can(actor.role, Permission.REFERRAL_COORDINATE):
        return []
    rows = db.session.execute(
        select(Referral)
        .where(or_(needing_attention(),
                   Referral.escalated_at.is_not(None) & Referral.status.in_(sorted(OPEN_STATES))))
        .order_by(sql_case((Referral.status == Status.EXPIRED, 0), else_=1),
                  Referral.deadline_at, Referral.id)
        .limit(limit)
    ).scalars().all()
    _audit_list("region", len(rows))
    return list(rows)


@scoped
def list_case_referrals_for(actor: Actor, case_id: int) -> list[Referral]:
    """Referrals of one case the actor may see (for the case page)."""
    rows = db.session.execute(
        select(Referral).where(Referral.case_id == case_id)
        .options(joinedload(Referral.receiver_agency))
        .order_by(Referral.sent_at.desc())
    ).scalars().all()
    return list(rows)


# The case page's referrals section (templates/cases/detail.html reads ``referrals``).
register_case_page_part(lambda actor, case: {"referrals": list_case_referrals_for(actor, case.id)})


@scoped
def list_history_for(actor: Actor, referral_id: int) -> list[ReferralHistory]:
    return list(db.session.execute(
        select(ReferralHistory).where(ReferralHistory.referral_id == referral_id)
        .order_by(ReferralHistory.at, ReferralHistory.id)
    ).scalars())


@scoped
def case_timeline_for(actor: Actor, case_id: int) -> list[ReferralHistory]:
    """The referral moves of a case, oldest first, for the case timeline."""
    return list(db.session.execute(
        select(ReferralHistory).where(ReferralHistory.case_id == case_id)
        .order_by(ReferralHistory.at, ReferralHistory.id)
    ).scalars())


@scoped
def count_new_for(actor: Actor, *, now: datetime | None = None) -> tuple[int, int]:
    """(new referrals awaiting an answer, of which overdue) for the actor's agency."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Referral.deadline_at).where(Referral.receiver_agency_id == actor.agency_id,
                                           Referral.status == Status.SENT)
    ).scalars().all()
    return len(rows), sum(1 for d in rows if d <= now)
