"""Home panels: new referrals for the receiving agency, outcomes for the sender, the region's
unanswered referrals for coordinators."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from referral.access.permissions import Role
from referral.access.scope import Actor
from referral.extensions import db
from referral.home.panels import register_panel
from referral.referrals.lifecycle import CLOSED_STATES, Status
from referral.referrals.models import Referral
from referral.referrals.queries import needing_attention


@register_panel("referral_inbox", template="referrals/_panel_inbox.html",
                roles={Role.OFFICER, Role.AGENCY_MANAGER}, order=20)
def inbox_panel(actor: Actor) -> dict[str, Any]:
    found = db.session.execute(
        select(Referral, func.count().over().label("total"))
        .where(Referral.receiver_agency_id == actor.agency_id, Referral.status == Status.SENT)
        .order_by(Referral.deadline_at).limit(5)
    ).all()
    return {"referrals": [row.Referral for row in found],
            "count": found[0].total if found else 0}


OUTCOMES = 5
_referrals = Referral.__table__


def _outcomes(actor: Actor, *, candidates: int | None) -> list[Referral]:
    """The sender's newest closings, read backwards along (sender, closed_at, id) (migration
    0009), with the receiving agencies' names. ``candidates``: take the ids from that index
    alone first, then apply the scope to those few."""
    mine = [_referrals.c.sender_agency_id == actor.agency_id,
            _referrals.c.status.in_(sorted(CLOSED_STATES))]
    newest = (_referrals.c.closed_at.desc(), _referrals.c.id.desc())
    query = select(Referral).options(joinedload(Referral.receiver_agency))
    if candidates is None:
        query = query.where(*mine)
    else:
        query = query.where(Referral.id.in_(
            select(_referrals.c.id).where(*mine).order_by(*newest).limit(candidates)))
    return list(db.session.execute(
        query.order_by(Referral.closed_at.desc(), Referral.id.desc()).limit(OUTCOMES)
    ).scalars().all())


@register_panel("referral_outcomes", template="referrals/_panel_outbox.html",
                roles={Role.OFFICER, Role.AGENCY_MANAGER}, order=25)
def outbox_panel(actor: Actor) -> dict[str, Any]:
    """The newest outcomes of what the agency sent.

    The referral scope says "sent or received by my agency" and the panel "sent by my
    agency": PostgreSQL multiplied the two estimates, expected 22 rows where a busy agency has
    7,000, and read and sorted them all (40 ms; docs/performance.md). The newest few ids come
    from the index first; only if the scope leaves fewer than five of them (restricted cases
    the reader is not named on) is the whole query asked."""
    rows = _outcomes(actor, candidates=4 * OUTCOMES)
    if len(rows) < OUTCOMES:
        rows = _outcomes(actor, candidates=None)
    return {"referrals": rows}


@register_panel("referral_region", template="referrals/_panel_region.html",
                roles={Role.COORDINATOR}, order=20)
def region_panel(actor: Actor) -> dict[str, Any]:
    # Expired referrals count while their case is open: a decade leaves thousands expired on
    # cases closed since, which need no one's attention (and a partial index holds the rest,
    # migration 0011).
    counts = dict(db.session.execute(
        select(Referral.status, func.count()).where(needing_attention()).group_by(Referral.status)
    ).all())
    return {"unanswered": counts.get(Status.SENT, 0), "expired": counts.get(Status.EXPIRED, 0)}
