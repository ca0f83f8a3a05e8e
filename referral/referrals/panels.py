"""Home panels: new referrals for the receiving agency, outcomes for the sender, the region's
unanswered referrals for coordinators."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from referral.access.permissions import Role
from referral.access.scope import Actor
from referral.cases.scope import open_or_named
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


@register_panel("referral_outcomes", template="referrals/_panel_outbox.html",
                roles={Role.OFFICER, Role.AGENCY_MANAGER}, order=25)
def outbox_panel(actor: Actor) -> dict[str, Any]:
    """The newest outcomes of what the agency sent, with the receiving agencies' names.

    The referral scope says "sent or received by my agency" and the panel "sent by my
    agency": PostgreSQL multiplies the two estimates, expects a few rows where a busy agency
    has thousands, and would read and sort them all. The ids come first from the plain table,
    read backwards along the index (sender, closed_at, id) with the scope's own
    restricted-case condition, so they are exactly the visible ones; the scope is
    applied again to the rows, as to any query."""
    newest = (_referrals.c.closed_at.desc(), _referrals.c.id.desc())
    ids = (select(_referrals.c.id)
           .where(_referrals.c.sender_agency_id == actor.agency_id,
                  _referrals.c.status.in_(sorted(CLOSED_STATES)),
                  open_or_named(_referrals.c.case_id, actor,
                                restricted=_referrals.c.case_restricted))
           .order_by(*newest).limit(OUTCOMES))
    rows = db.session.execute(
        select(Referral).where(Referral.id.in_(ids))
        .options(joinedload(Referral.receiver_agency))
        .order_by(Referral.closed_at.desc(), Referral.id.desc())
    ).scalars().all()
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
