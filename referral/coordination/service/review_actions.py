"""The overdue review's one-button row actions: extend by the standard period, escalate.

Thin wrappers over the referral service's moves (extend_deadline, escalate_referral): the row
offers no form, so the new deadline and the recorded reason are worked out here.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from referral.access import scoped
from referral.access.scope import Actor
from referral.models_base import utcnow
from referral.referrals import service as referral_service
from referral.referrals.models import Referral
from referral.referrals.queries import load_referral


def standard_deadline(referral: Referral, now: datetime) -> datetime:
    """The standard acceptance time for the referral's urgency, counted from its deadline if
    that is still ahead, else from now: an extension never shortens what the agency had."""
    start = max(referral.deadline_at, now) if referral.deadline_at else now
    return start + referral_service.deadline_for(referral.urgency)


def default_reason() -> str:
    """The reason recorded when the coordinator confirms without typing one."""
    return _("Extended by the standard period from the overdue review.")


@scoped
def extend_by_standard_period(actor: Actor, *, referral_id: int, text: str = "",
                              now: datetime | None = None) -> Referral:
    """Give an unanswered or expired referral a new deadline: the standard period again."""
    now = now or utcnow()
    referral = load_referral(referral_id)  # NotVisible (404) outside the coordinator's scope
    return referral_service.extend_deadline(
        actor, referral_id=referral_id, deadline_at=standard_deadline(referral, now),
        text=text.strip() or default_reason(), now=now)


@scoped
def escalate_now(actor: Actor, *, referral_id: int, text: str = "",
                 now: datetime | None = None) -> Referral:
    """Escalate to the receiving agency's manager, with the coordinator's note if any."""
    return referral_service.escalate_referral(actor, referral_id=referral_id, text=text,
                                              now=now or utcnow())
