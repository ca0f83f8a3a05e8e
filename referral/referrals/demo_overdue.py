"""Demo referrals that fell between agencies, so the coordinator's overdue review has rows on
the first run: two unanswered past their deadline, one expired, one accepted and then left.

Made through the service functions with back-dated times (``now=``), as a week of real work
would have made them. Idempotent: each is recognised by its fixed idempotency key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.accounts.service import actor_for
from referral.cases.models import Case
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import service
from referral.referrals.models import Referral
from referral.referrals.notify import expire_overdue_referrals

CASE_TOKENS = ("00000000-demo-0000-0000-000000000001", "00000000-demo-0000-0000-000000000002")
CONSENT = service.ConsentInput(consented=True, categories=("identity_contact",
                                                           "risk_assessment"))
# key, case (index in CASE_TOKENS), receiver, service, urgency, sent this long ago, reason
UNANSWERED = [
    ("demo-overdue-legal-aid", 0, "almaty_crisis", "legal_aid", "urgent", timedelta(days=2),
     "Help with the application for a protective order and for alimony."),
    ("demo-overdue-social-support", 1, "almaty_social", "social_support", "routine",
     timedelta(days=5), "Young mother without income after leaving home; benefits needed."),
]
EXPIRED = ("demo-expired-family-plan", 1, "almaty_family", "family_support_plan", "routine",
           timedelta(days=9), "A family support plan: conflict over the child's contact.")
STALLED = ("demo-stalled-psychological", 0, "almaty_crisis_2", "psychological", "routine",
           timedelta(days=16), "Counselling for the children after what they witnessed.")


def _cases() -> list[Case | None]:
    with acting_as(system_actor("seed-demo overdue referrals")):
        found = {c.creation_token: c for c in db.session.execute(
            select(Case).where(Case.creation_token.in_(CASE_TOKENS))).scalars()}
    return [found.get(token) for token in CASE_TOKENS]


def _seeded() -> bool:
    keys = [row[0] for row in (*UNANSWERED, EXPIRED, STALLED)]
    with acting_as(system_actor("seed-demo overdue referrals")):
        return db.session.execute(select(Referral.id).where(
            Referral.idempotency_key.in_(keys))).first() is not None


def _send(sender: Any, row: tuple, cases: list[Case | None], agencies: dict[str, Any],
          now: datetime) -> Referral:
    key, case_index, receiver, service_code, urgency, ago, reason = row
    return service.send_referral(sender, data=service.ReferralInput(
        case_id=cases[case_index].id, receiver_agency_id=agencies[receiver].id,  # type: ignore[union-attr]
        service_code=service_code, consent=CONSENT, idempotency_key=key, urgency=urgency,
        reason=reason), now=now - ago)


def seed(agencies: dict[str, Any], users: dict[str, Any]) -> None:
    """Add the four referrals once; quiet when the demo cases or agencies are missing."""
    needed = ("almaty_crisis", "almaty_crisis_2", "almaty_family", "almaty_social")
    if users.get("police") is None or users.get("crisis2") is None \
            or any(agencies.get(key) is None for key in needed):
        return
    cases = _cases()
    if any(case is None for case in cases) or _seeded():
        return
    now = utcnow()
    sender = actor_for(users["police"])
    with acting_as(sender):
        expired = _send(sender, EXPIRED, cases, agencies, now)
    # The deadline sweep as it ran that day: this one expires, nothing sent later is due.
    expire_overdue_referrals(now=expired.deadline_at + timedelta(minutes=1))
    with acting_as(sender):
        stalled = _send(sender, STALLED, cases, agencies, now)
        for row in UNANSWERED:
            _send(sender, row, cases, agencies, now)
    receiver = actor_for(users["crisis2"])
    with acting_as(receiver):
        service.accept_referral(receiver, referral_id=stalled.id,
                                now=stalled.sent_at + timedelta(hours=20))
    db.session.flush()
